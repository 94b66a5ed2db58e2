-- The fallacy "transport cost", naive design: see transport_cost.lua for the story.
local cl = require "crashlab"
cl.scenario { name = "transport_cost_naive", expect = "fail", stop = "1m" }
require("transport_cost")("naive")
