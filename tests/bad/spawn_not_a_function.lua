-- spawn wants a function: anything else is a bad argument at the call.
-- expect-exit: 2
-- expect-stderr: crashlab: spawn_not_a_function.lua:5: bad argument #1 to 'spawn' (function expected, got number)
local cl = require "crashlab"
cl.spawn(42)
