-- Intensity: a third restart within the period is one too many; the supervisor terminates
-- the others in reverse order and exits with shutdown.
local cl = require "crashlab"
local conf = require "conf"
cl.scenario { name = "intensity" }
conf.run(function()
  local sup = cl.supervisor.start { strategy = "one_for_one", intensity = 2, period = "5s",
    children = { { id = "w1", start = { conf.worker, "w1", "plain" } },
                 { id = "w2", start = { conf.worker, "w2", "plain" } },
                 { id = "w3", start = { conf.worker, "w3", "plain" } } } }
  local ref = conf.watch(sup)
  conf.kill("w2", "boom")
  conf.kill("w2", "boom")
  conf.kill("w1", "boom")
  conf.finish(ref)
end)
