-- A node name that was never declared: the error lists the nodes there are.
-- expect-exit: 2
-- expect-stderr: crashlab: unknown_node.lua:7: unknown node 'c' (the nodes are: a, b; declare one with cl.node)
local cl = require "crashlab"
cl.scenario { name = "unknown_node" }
cl.node("b")
cl.spawn_on("c", function() end)
