-- Escalation through two levels: the inner supervisor (intensity 0) gives up at its child's
-- first exit; the outer one restarts it once, and gives up at the second time.
local cl = require "crashlab"
local conf = require "conf"
cl.scenario { name = "escalation" }
conf.run(function()
  local sup = cl.supervisor.start { strategy = "one_for_one", intensity = 1, period = "5s",
    children = { { id = "first", start = { conf.worker, "first", "plain" } },
                 { id = "inner", supervisor = { strategy = "one_for_one", intensity = 0,
                     children = { { id = "w", start = { conf.worker, "w", "plain" } } } } } } }
  local ref = conf.watch(sup)
  conf.kill("w", "boom")
  conf.kill("w", "boom")
  conf.finish(ref)
end)
