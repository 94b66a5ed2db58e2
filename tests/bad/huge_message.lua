-- A 70 MB string is over the 64 MiB message limit: refused at the send, not a crash.
-- expect-exit: 2
-- expect-stderr: crashlab: huge_message.lua:6: message: too large (over the 64 MiB message limit)
local cl = require "crashlab"
local pid = cl.spawn(function() cl.receive() end)
cl.send(pid, string.rep("x", 70 * 1000 * 1000))
