-- A table that contains itself cannot become a message: refused at the send.
-- expect-exit: 2
-- expect-stderr: crashlab: self_containing_message.lua:8: message.next.next.next.next.next.next.next.next...: nested too deep (or a table contains itself)
local cl = require "crashlab"
local pid = cl.spawn(function() cl.receive() end)
local node = { name = "a" }
node.next = node
cl.send(pid, node)
