-- The fallacy "changing topology", fixed design: see changing_topology.lua for the story.
local cl = require "crashlab"
cl.scenario { name = "changing_topology_fixed", stop = "1m" }
require("changing_topology")("fixed")
