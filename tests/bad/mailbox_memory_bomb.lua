-- Messages wait in the runtime, outside Lua's memory, but they count against the run's memory
-- limit: filling a mailbox that is never read is a clear error, not an exhausted machine.
-- expect-exit: 2
-- expect-stderr: crashlab: memory limit of 8 MiB exceeded by the runtime (messages waiting in mailboxes, process states)
local cl = require "crashlab"
cl.scenario { name = "mailbox_memory_bomb", limits = { memory = "8MiB" } }
local sink = cl.spawn(function() cl.receive("never") end)
cl.spawn(function()
  local t = {}
  for i = 1, 10000 do t[i] = i end
  for i = 1, 1000 do cl.send(sink, t) end
end)
