-- The fallacy "zero latency", fixed design: see zero_latency.lua for the story.
local cl = require "crashlab"
cl.scenario { name = "zero_latency_fixed", stop = "1m" }
require("zero_latency")("fixed")
