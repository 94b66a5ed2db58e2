-- A registered name follows the restarted child: a message to the name after the restart
-- reaches the new process.
local cl = require "crashlab"
local conf = require "conf"
cl.scenario { name = "registered_restart" }
conf.run(function()
  local sup = cl.supervisor.start { strategy = "one_for_one", intensity = 3, period = "5s",
    children = { { id = "w1", start = { conf.worker, "w1", "plain" } } } }
  local ref = conf.watch(sup)
  local old = cl.whereis("w1")
  conf.kill("w1", "boom")
  conf.line("same pid: " .. tostring(cl.whereis("w1") == old))
  cl.send("w1", "hello")
  conf.sleep(50)
  conf.finish(ref)
end)
