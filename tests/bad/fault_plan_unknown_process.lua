-- A planned kill of a name nobody holds at its time (the process is gone by then).
-- expect-exit: 2
-- expect-stderr: crashlab: cl.fault_plan: fault 1 (kill at 2s): no process is registered as 'kv' on node 'a'
local cl = require "crashlab"
cl.scenario { name = "fault_plan_unknown_process", stop = "5s" }
cl.fault_plan { faults = {
  { at = "2s", kind = "kill", target = { node = "a", name = "kv" } },
} }
cl.spawn(function() cl.register("kv"); cl.sleep("1s") end)
cl.at_end("ran", function() return true end)
