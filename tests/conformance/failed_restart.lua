-- A restart that fails counts as a restart again: the supervisor retries until its intensity
-- is exceeded, then gives up.
local cl = require "crashlab"
local conf = require "conf"
cl.scenario { name = "failed_restart" }
conf.run(function()
  local sup = cl.supervisor.start { strategy = "one_for_one", intensity = 3, period = "5s",
    children = { { id = "w1", start = { conf.worker, "w1", "plain" } },
                 { id = "w2", start = { conf.worker, "w2", "fail_later" } } } }
  local ref = conf.watch(sup)
  conf.fail_now()
  conf.kill("w2", "boom")
  conf.finish(ref)
end)
