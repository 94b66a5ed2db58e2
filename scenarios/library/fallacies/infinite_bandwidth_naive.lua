-- The fallacy "infinite bandwidth", naive design: see infinite_bandwidth.lua for the story.
local cl = require "crashlab"
cl.scenario { name = "infinite_bandwidth_naive", expect = "fail", stop = "1m" }
require("infinite_bandwidth")("naive")
