-- The fallacy "reliable network", fixed design: see reliable_network.lua for the story.
local cl = require "crashlab"
cl.scenario { name = "reliable_network_fixed", stop = "1m" }
require("reliable_network")("fixed")
