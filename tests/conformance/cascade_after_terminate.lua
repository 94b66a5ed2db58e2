-- A cascade starts every child it keeps: one stopped by terminate_child and a transient one
-- that ended normally come back with the others; a temporary one is gone for good. Then a
-- cascade whose restart of d keeps failing is retried until the supervisor gives up.
local cl = require "crashlab"
local conf = require "conf"
cl.scenario { name = "cascade_after_terminate" }
conf.run(function()
  local sup = cl.supervisor.start { strategy = "one_for_all", intensity = 5, period = "5s",
    children = { { id = "a", start = { conf.worker, "a", "plain" } },
                 { id = "b", start = { conf.worker, "b", "plain" } },
                 { id = "c", start = { conf.worker, "c", "plain" }, restart = "transient" },
                 { id = "t", start = { conf.worker, "t", "plain" }, restart = "temporary" },
                 { id = "d", start = { conf.worker, "d", "fail_later" } } } }
  local ref = conf.watch(sup)
  assert(cl.supervisor.terminate_child(sup, "b"))
  conf.sleep(50)
  conf.stop("c", "normal")
  conf.kill("a", "boom")
  local ids = {}
  for _, k in ipairs(cl.supervisor.which_children(sup)) do ids[#ids + 1] = k[1] end
  conf.line("children " .. cl.format(cl.list(ids)))
  conf.fail_now()
  conf.kill("a", "boom")
  conf.finish(ref)
end)
