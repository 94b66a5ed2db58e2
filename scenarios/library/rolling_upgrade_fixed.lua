-- A rolling upgrade during a partition, fixed design: version 2 extends the old message
-- instead of replacing it, and reads both shapes. See lib/rolling_upgrade.lua for the story.
local cl = require "crashlab"
cl.scenario { name = "rolling_upgrade_fixed", stop = "8s" }
require("rolling_upgrade")("fixed")
