-- An in-file fault plan with a kind that does not exist: the fault's place and the known kinds.
-- expect-exit: 2
-- expect-stderr: crashlab: fault_plan_unknown_kind.lua:6: fault_plan: fault 2: kind: unknown kind 'kil' (kill, pause,
local cl = require "crashlab"
cl.scenario { name = "fault_plan_unknown_kind" }
cl.fault_plan { faults = {
  { at = "1s", kind = "heal" },
  { at = "2s", kind = "kil", target = { node = "a", name = "kv" } },
} }
