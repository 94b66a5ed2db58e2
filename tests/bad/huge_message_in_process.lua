-- A message over the 64 MiB limit sent from inside a process is a scenario error too.
-- expect-exit: 2
-- expect-stderr: crashlab: huge_message_in_process.lua:8: message: too large (over the 64 MiB message limit) (in process <0.2.0>
local cl = require "crashlab"
cl.scenario { name = "huge_message_in_process" }
local sink = cl.spawn(function() cl.receive() end)
cl.spawn(function()
  cl.send(sink, string.rep("x", 70 * 1000 * 1000))
end)
