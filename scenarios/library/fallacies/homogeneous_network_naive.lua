-- The fallacy "homogeneous network", naive design: see homogeneous_network.lua for the story.
local cl = require "crashlab"
cl.scenario { name = "homogeneous_network_naive", expect = "fail", stop = "1m" }
require("homogeneous_network")("naive")
