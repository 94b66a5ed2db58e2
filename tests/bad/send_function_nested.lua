-- A function deep inside a message is refused with the path to it.
-- expect-exit: 2
-- expect-stderr: crashlab: send_function_nested.lua:6: message[2].callback: cannot send a function
local cl = require "crashlab"
local pid = cl.spawn(function() cl.receive() end)
cl.send(pid, { "job", { id = 7, callback = function() end } })
