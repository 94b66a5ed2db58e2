-- A ledger under a storm of faults, fixed design: see lib/ledger_storm.lua for the story.
local cl = require "crashlab"
cl.scenario { name = "ledger_storm_fixed", seed = 3, stop = "8s" }
require("ledger_storm")("fixed")
