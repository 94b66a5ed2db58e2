-- Spawn arguments are copied like a message: a nil among them is refused where it is passed.
-- expect-exit: 2
-- expect-stderr: crashlab: spawn_nil_argument.lua:5: spawn argument[2]: cannot send nil
local cl = require "crashlab"
cl.spawn(function(...) print(...) end, 1, nil, 3)
