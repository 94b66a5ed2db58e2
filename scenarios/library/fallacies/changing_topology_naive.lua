-- The fallacy "changing topology", naive design: see changing_topology.lua for the story.
local cl = require "crashlab"
cl.scenario { name = "changing_topology_naive", expect = "fail", stop = "1m" }
require("changing_topology")("naive")
