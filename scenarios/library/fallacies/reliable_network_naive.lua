-- The fallacy "reliable network", naive design: see reliable_network.lua for the story.
local cl = require "crashlab"
cl.scenario { name = "reliable_network_naive", expect = "fail", stop = "1m" }
require("reliable_network")("naive")
