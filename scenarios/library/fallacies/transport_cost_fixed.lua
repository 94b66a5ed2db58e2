-- The fallacy "transport cost", fixed design: see transport_cost.lua for the story.
local cl = require "crashlab"
cl.scenario { name = "transport_cost_fixed", stop = "1m" }
require("transport_cost")("fixed")
