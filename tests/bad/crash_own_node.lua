-- A process cannot crash the node it runs on (it would be gone mid-call): schedule it with at.
-- expect-exit: 0
-- expect-stdout: process <0.1.0> exited: <<"crash_own_node.lua:7: crash_node: a process cannot crash its own node (use cl.at)">>
local cl = require "crashlab"
cl.scenario { name = "crash_own_node" }
cl.spawn(function()
  cl.crash_node("a")
end)
