-- brutal_kill: the child is killed at once, trapping or not.
local cl = require "crashlab"
local conf = require "conf"
cl.scenario { name = "brutal_kill" }
conf.run(function()
  local sup = cl.supervisor.start { strategy = "one_for_all", intensity = 0, period = "5s",
    children = { { id = "w1", start = { conf.worker, "w1", "plain" } },
                 { id = "w2", start = { conf.worker, "w2", "stubborn" }, shutdown = "brutal_kill" },
                 { id = "w3", start = { conf.worker, "w3", "plain" } } } }
  local ref = conf.watch(sup)
  conf.kill("w1", "boom")
  conf.sleep(500)
  conf.finish(ref)
end)
