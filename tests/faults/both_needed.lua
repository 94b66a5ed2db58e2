-- Fails only when both b and c have crashed: neither of its two faults can be dropped, which
-- tests/cmake/shrink.cmake checks shrink says in its summary.
local cl = require "crashlab"
cl.scenario { name = "both_needed", stop = "1s" }
cl.node("b")
cl.node("c")
cl.at("100ms", function() cl.crash_node("b") end)
cl.at("200ms", function() cl.crash_node("c") end)
cl.at_end("b or c is still up", function() return cl.node_up("b") or cl.node_up("c") end)
