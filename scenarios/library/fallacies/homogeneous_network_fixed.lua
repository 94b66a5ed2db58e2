-- The fallacy "homogeneous network", fixed design: see homogeneous_network.lua for the story.
local cl = require "crashlab"
cl.scenario { name = "homogeneous_network_fixed", stop = "1m" }
require("homogeneous_network")("fixed")
