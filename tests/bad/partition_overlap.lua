-- A node in two groups of one partition.
-- expect-exit: 2
-- expect-stderr: crashlab: partition_overlap.lua:7: partition: node 'b' is in two groups
local cl = require "crashlab"
cl.scenario { name = "partition_overlap" }
cl.node("b")
cl.partition({ "a", "b" }, { "b" })
