-- A time past what the simulator can count (10^19 ns) is refused, not wrapped around.
-- expect-exit: 2
-- expect-stderr: crashlab: duration_too_large.lua:5: bad argument #1 to 'at' (duration too large (at most about 285 years))
local cl = require "crashlab"
cl.at("10000000000s", function() end)
