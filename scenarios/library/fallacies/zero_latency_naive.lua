-- The fallacy "zero latency", naive design: see zero_latency.lua for the story.
local cl = require "crashlab"
cl.scenario { name = "zero_latency_naive", expect = "fail", stop = "1m" }
require("zero_latency")("naive")
