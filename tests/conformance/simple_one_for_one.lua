-- simple_one_for_one: children made from one template by start_child, with the call's
-- arguments appended; a killed one is restarted with the same arguments.
local cl = require "crashlab"
local conf = require "conf"
cl.scenario { name = "simple_one_for_one" }
local function count(sup)
  local c = cl.supervisor.count_children(sup)
  return string.format("count [{specs,%d},{active,%d},{supervisors,%d},{workers,%d}]",
                       c.specs, c.active, c.supervisors, c.workers)
end
conf.run(function()
  local sup = cl.supervisor.start { strategy = "simple_one_for_one", intensity = 3, period = "5s",
    children = { { id = "tpl", start = { conf.worker } } } }
  local ref = conf.watch(sup)
  assert(cl.supervisor.start_child(sup, { "w1", "plain" }))
  assert(cl.supervisor.start_child(sup, { "w2", "plain" }))
  conf.line(count(sup))
  conf.kill("w1", "boom")
  conf.line(count(sup))
  assert(cl.supervisor.terminate_child(sup, cl.whereis("w2")))
  conf.sleep(50)
  conf.line(count(sup))
  conf.finish(ref)
end)
