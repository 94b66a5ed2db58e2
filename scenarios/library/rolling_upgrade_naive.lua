-- A rolling upgrade during a partition, naive design: version 2 sends writes in a format that
-- version 1 cannot read. See lib/rolling_upgrade.lua for the story.
local cl = require "crashlab"
cl.scenario { name = "rolling_upgrade_naive", expect = "fail", stop = "8s" }
require("rolling_upgrade")("naive")
