-- The same node declared twice.
-- expect-exit: 2
-- expect-stderr: crashlab: node_declared_twice.lua:7: node: 'b' declared twice
local cl = require "crashlab"
cl.scenario { name = "node_declared_twice" }
cl.node("b")
cl.node("b", { skew = "1s" })
