-- Loading on a node that was never declared: the error lists the nodes there are.
-- expect-exit: 2
-- expect-stderr: crashlab: code_load_unknown_node.lua:7: unknown node 'c' (the nodes are: a, b; declare one with cl.node)
local cl = require "crashlab"
cl.scenario { name = "code_load_unknown_node" }
cl.node("b")
cl.code.load("kv", { get = function() end }, { node = "c" })
