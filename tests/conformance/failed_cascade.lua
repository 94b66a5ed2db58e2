-- one_for_all with a child that fails to restart: the cascade stops at it, is retried (each
-- attempt counts), and the supervisor gives up when intensity is exceeded.
local cl = require "crashlab"
local conf = require "conf"
cl.scenario { name = "failed_cascade" }
conf.run(function()
  local sup = cl.supervisor.start { strategy = "one_for_all", intensity = 3, period = "5s",
    children = { { id = "w1", start = { conf.worker, "w1", "plain" } },
                 { id = "w2", start = { conf.worker, "w2", "fail_later" } },
                 { id = "w3", start = { conf.worker, "w3", "plain" } } } }
  local ref = conf.watch(sup)
  conf.fail_now()
  conf.kill("w1", "boom")
  conf.finish(ref)
end)
