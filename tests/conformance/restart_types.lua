-- Restart types against normal, shutdown and abnormal exits: permanent always restarts,
-- transient only after an abnormal exit, temporary never.
local cl = require "crashlab"
local conf = require "conf"
cl.scenario { name = "restart_types" }
local function spec(id, restart) return { id = id, start = { conf.worker, id, "plain" }, restart = restart } end
conf.run(function()
  local sup = cl.supervisor.start { strategy = "one_for_one", intensity = 20, period = "5s",
    children = { spec("p1", "permanent"), spec("p2", "permanent"), spec("p3", "permanent"),
                 spec("t1", "transient"), spec("t2", "transient"), spec("t3", "transient"),
                 spec("x1", "temporary"), spec("x2", "temporary"), spec("x3", "temporary") } }
  local ref = conf.watch(sup)
  for _, s in ipairs { { "p1", "normal" }, { "p2", "shutdown" }, { "p3", "boom" },
                       { "t1", "normal" }, { "t2", "shutdown" }, { "t3", "boom" },
                       { "x1", "normal" }, { "x2", "shutdown" }, { "x3", "boom" } } do
    conf.stop(s[1], s[2])
  end
  local running, all = {}, cl.supervisor.which_children(sup)
  for _, c in ipairs(all) do
    if type(c[2]) ~= "string" then running[#running + 1] = c[1] end
  end
  conf.line("children " .. cl.format(cl.list(running)))
  conf.line("specs " .. #all)
  conf.finish(ref)
end)
