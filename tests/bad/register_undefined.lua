-- 'undefined' cannot be a registered name (as in Erlang): register refuses it.
-- expect-exit: 2
-- expect-stderr: crashlab: register_undefined.lua:6: register('undefined'): invalid name (empty, longer than 255 bytes, or 'undefined')
local cl = require "crashlab"
local pid = cl.spawn(function() cl.receive() end)
cl.register("undefined", pid)
