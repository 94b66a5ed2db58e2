-- Planned faults out of time order.
-- expect-exit: 2
-- expect-stderr: crashlab: fault_plan_out_of_order.lua:6: fault_plan: fault 2: at: 1s comes before fault 1's 2s (faults are listed in time order)
local cl = require "crashlab"
cl.scenario { name = "fault_plan_out_of_order" }
cl.fault_plan { faults = {
  { at = "2s", kind = "heal" },
  { at = "1s", kind = "heal" },
} }
