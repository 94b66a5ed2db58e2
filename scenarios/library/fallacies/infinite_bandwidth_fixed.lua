-- The fallacy "infinite bandwidth", fixed design: see infinite_bandwidth.lua for the story.
local cl = require "crashlab"
cl.scenario { name = "infinite_bandwidth_fixed", stop = "1m" }
require("infinite_bandwidth")("fixed")
