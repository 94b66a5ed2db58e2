-- The fallacy "secure network", naive design: see secure_network.lua for the story.
local cl = require "crashlab"
cl.scenario { name = "secure_network_naive", expect = "fail", stop = "1m" }
require("secure_network")("naive")
