-- A transient child supervisor that gives up (its reason is shutdown) is not restarted:
-- the outer supervisor lives on without it.
local cl = require "crashlab"
local conf = require "conf"
cl.scenario { name = "transient_supervisor" }
conf.run(function()
  local sup = cl.supervisor.start { strategy = "one_for_one", intensity = 1, period = "5s",
    children = { { id = "first", start = { conf.worker, "first", "plain" } },
                 { id = "inner", restart = "transient", supervisor = { strategy = "one_for_one", intensity = 0,
                     children = { { id = "w", start = { conf.worker, "w", "plain" } } } } } } }
  local ref = conf.watch(sup)
  conf.kill("w", "boom")
  local ids = {}
  for _, c in ipairs(cl.supervisor.which_children(sup)) do ids[#ids + 1] = c[1] end
  conf.line("children " .. cl.format(cl.list(ids)))
  conf.finish(ref)
end)
