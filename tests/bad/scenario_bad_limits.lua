-- Limits are checked when declared: a budget too small to be useful is refused.
-- expect-exit: 2
-- expect-stderr: crashlab: scenario_bad_limits.lua:5: scenario: limits.instructions must be an integer from 100000 to 1000000000000
local cl = require "crashlab"
cl.scenario { name = "scenario_bad_limits", limits = { instructions = 10 } }
