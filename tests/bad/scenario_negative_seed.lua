-- A scenario's seed must be a non-negative integer.
-- expect-exit: 2
-- expect-stderr: crashlab: scenario_negative_seed.lua:5: scenario: seed must be a non-negative integer
local cl = require "crashlab"
cl.scenario { name = "negative_seed", seed = -1 }
