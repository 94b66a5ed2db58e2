-- at wants a time (milliseconds or a string with a unit): a boolean is a bad argument.
-- expect-exit: 2
-- expect-stderr: crashlab: at_bad_time.lua:5: bad argument #1 to 'at' (duration expected (a number of milliseconds or a string such as "250ms", "5s"))
local cl = require "crashlab"
cl.at(true, function() end)
