-- one_for_one: only the child that exited is restarted (twin of one_for_one.erl).
local cl = require "crashlab"
local conf = require "conf"
cl.scenario { name = "one_for_one" }
conf.run(function()
  local sup = cl.supervisor.start { strategy = "one_for_one", intensity = 3, period = "5s",
    children = { { id = "w1", start = { conf.worker, "w1", "plain" } },
                 { id = "w2", start = { conf.worker, "w2", "plain" } },
                 { id = "w3", start = { conf.worker, "w3", "plain" } } } }
  local ref = conf.watch(sup)
  conf.kill("w2", "boom")
  conf.kill("w1", "crash")
  conf.finish(ref)
end)
