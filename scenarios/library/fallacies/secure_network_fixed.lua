-- The fallacy "secure network", fixed design: see secure_network.lua for the story.
local cl = require "crashlab"
cl.scenario { name = "secure_network_fixed", stop = "1m" }
require("secure_network")("fixed")
