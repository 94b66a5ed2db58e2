-- cl.fault_plan after the scenario has made a fault: the plan would not replace it.
-- expect-exit: 2
-- expect-stderr: crashlab: fault_plan_too_late.lua:8: fault_plan: call it at the top level of the file, before any fault is made and any process runs
local cl = require "crashlab"
cl.scenario { name = "fault_plan_too_late" }
cl.node("b")
cl.net.default { latency = "1ms" }
cl.fault_plan { faults = {} }
