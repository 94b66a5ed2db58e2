-- A monitor on a dead pid gives DOWN noproc at once; linking to a dead pid gives a trapping
-- process {"EXIT", pid, "noproc"} and kills a non-trapping one with noproc.
local cl = require "crashlab"
local conf = require "conf"
cl.scenario { name = "dead_pids" }
conf.run(function()
  local dead = cl.spawn(function() end)
  conf.sleep(50)
  local ref = cl.monitor(dead)
  local m = cl.receive({ "DOWN", ref, "process", dead, cl._ })
  conf.line("monitor dead: DOWN " .. cl.format(m[5]))
  cl.link(dead)
  m = cl.receive({ "EXIT", dead, cl._ })
  conf.line("link dead, trapping: EXIT " .. cl.format(m[3]))
  local helper, href = cl.spawn_monitor(function() cl.link(dead); conf.line("not reached") end)
  m = cl.receive({ "DOWN", href, "process", helper, cl._ })
  -- Erlang's reason carries a stack trace, crashlab's a file:line: compare the error itself.
  conf.line("link dead, not trapping: dies " .. m[5]:match("(%w+)$"))
  conf.finish(nil)
end)
