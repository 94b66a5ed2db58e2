-- A planned fault whose target lacks its node: the fault, its kind and the field are named.
-- expect-exit: 2
-- expect-stderr: crashlab: fault_plan_bad_field.lua:6: fault_plan: fault 1 (kill): target: node: missing (a name expected)
local cl = require "crashlab"
cl.scenario { name = "fault_plan_bad_field" }
cl.fault_plan { faults = {
  { at = "1s", kind = "kill", target = { name = "kv" } },
} }
