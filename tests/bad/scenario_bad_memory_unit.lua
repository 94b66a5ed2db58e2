-- Memory sizes take binary units only (B, KiB, MiB, GiB).
-- expect-exit: 2
-- expect-stderr: crashlab: scenario_bad_memory_unit.lua:5: scenario: limits.memory must be a byte count from 1MiB to 64GiB (an integer, or a string such as "64MiB")
local cl = require "crashlab"
cl.scenario { name = "scenario_bad_memory_unit", limits = { memory = "64MB" } }
