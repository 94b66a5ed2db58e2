-- scenario{} must come first: after a spawn the seed has already been used.
-- expect-exit: 2
-- expect-stderr: crashlab: scenario_after_spawn.lua:6: scenario{...} must come first, before any process, timer or property
local cl = require "crashlab"
cl.spawn(function() end)
cl.scenario { name = "late" }
