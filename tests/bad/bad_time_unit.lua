-- A time with an unknown unit ("5 parsecs") is refused with the list of units.
-- expect-exit: 2
-- expect-stderr: crashlab: bad_time_unit.lua:5: bad argument #1 to 'at' (bad duration unit: use ns, us, ms, s, m or h ("250ms", "5s"))
local cl = require "crashlab"
cl.at("5 parsecs", function() end)
