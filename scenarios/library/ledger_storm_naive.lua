-- A ledger under a storm of faults, naive design: see lib/ledger_storm.lua for the story. It
-- passes on its own seed; a sweep finds the seeds where it loses writes (docs/sweeps.md).
local cl = require "crashlab"
cl.scenario { name = "ledger_storm_naive", seed = 3, stop = "8s" }
require("ledger_storm")("naive")
