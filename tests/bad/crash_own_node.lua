-- A process cannot crash the node it runs on (it would be gone mid-call): schedule it with at.
-- It is a misuse of the API inside a process: a scenario error naming the caller's line.
-- expect-exit: 2
-- expect-stderr: crashlab: crash_own_node.lua:8: crash_node: a process cannot crash its own node (use cl.at) (in process <0.1.0>
local cl = require "crashlab"
cl.scenario { name = "crash_own_node" }
cl.spawn(function()
  cl.crash_node("a")
end)
