-- A function is not a message: send refuses it at the call.
-- expect-exit: 2
-- expect-stderr: crashlab: send_function.lua:6: message: cannot send a function
local cl = require "crashlab"
local pid = cl.spawn(function() cl.receive() end)
cl.send(pid, function() end)
