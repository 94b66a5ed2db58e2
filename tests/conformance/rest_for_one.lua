-- rest_for_one: the children started after the one that exited restart with it.
local cl = require "crashlab"
local conf = require "conf"
cl.scenario { name = "rest_for_one" }
conf.run(function()
  local sup = cl.supervisor.start { strategy = "rest_for_one", intensity = 3, period = "5s",
    children = { { id = "w1", start = { conf.worker, "w1", "plain" } },
                 { id = "w2", start = { conf.worker, "w2", "plain" } },
                 { id = "w3", start = { conf.worker, "w3", "plain" } },
                 { id = "w4", start = { conf.worker, "w4", "plain" } } } }
  local ref = conf.watch(sup)
  conf.kill("w2", "boom")
  conf.kill("w4", "boom")
  conf.finish(ref)
end)
