-- A planned fault on a node the scenario never declares: a scenario error when it is due,
-- naming the plan entry.
-- expect-exit: 2
-- expect-stderr: crashlab: cl.fault_plan: fault 1 (crash_node at 1s): unknown node 'z'
local cl = require "crashlab"
cl.scenario { name = "fault_plan_unknown_node", stop = "5s" }
cl.fault_plan { faults = {
  { at = "1s", kind = "crash_node", node = "z" },
} }
cl.node("b")
cl.at_end("ran", function() return true end)
