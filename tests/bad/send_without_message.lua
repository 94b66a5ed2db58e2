-- send needs a message: send(pid) with nothing to send is a bad argument, not a send of nil.
-- expect-exit: 2
-- expect-stderr: crashlab: send_without_message.lua:6: bad argument #2 to 'send' (value expected)
local cl = require "crashlab"
local pid = cl.spawn(function() cl.receive() end)
cl.send(pid)
