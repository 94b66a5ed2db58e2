-- Shutdown by timeout: a child that traps exits and ignores shutdown is killed when its
-- 300 ms run out (and brutal_kill kills at once: see brutal_kill.lua).
local cl = require "crashlab"
local conf = require "conf"
cl.scenario { name = "shutdown_timeout" }
conf.run(function()
  local sup = cl.supervisor.start { strategy = "one_for_all", intensity = 0, period = "5s",
    children = { { id = "w1", start = { conf.worker, "w1", "plain" } },
                 { id = "w2", start = { conf.worker, "w2", "stubborn" }, shutdown = 300 },
                 { id = "w3", start = { conf.worker, "w3", "plain" } } } }
  local ref = conf.watch(sup)
  conf.kill("w1", "boom")
  conf.sleep(500)
  conf.finish(ref)
end)
