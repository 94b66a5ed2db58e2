-- one_for_all: the others are terminated in reverse start order, then all start again.
local cl = require "crashlab"
local conf = require "conf"
cl.scenario { name = "one_for_all" }
conf.run(function()
  local sup = cl.supervisor.start { strategy = "one_for_all", intensity = 3, period = "5s",
    children = { { id = "w1", start = { conf.worker, "w1", "plain" } },
                 { id = "w2", start = { conf.worker, "w2", "plain" } },
                 { id = "w3", start = { conf.worker, "w3", "plain" } } } }
  local ref = conf.watch(sup)
  conf.kill("w2", "boom")
  conf.finish(ref)
end)
