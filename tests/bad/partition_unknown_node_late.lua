-- An unknown node after long node names in a partition: the error is raised with no term
-- builder holding heap memory (under LeakSanitizer, a leak would change the exit status).
-- expect-exit: 2
-- expect-stderr: partition_unknown_node_late.lua:11: unknown node 'nowhere'
local cl = require "crashlab"
cl.scenario { name = "partition_unknown_node_late" }
local long = {}
for i = 1, 4 do long[i] = string.rep("n", 60) .. i end
for i = 1, 4 do cl.node(long[i]) end
table.insert(long, "nowhere")
cl.partition({ "a" }, long)
