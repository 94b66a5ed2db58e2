-- The {"EXIT", pid, reason} messages a trapping process gets from linked processes that end
-- normally, are killed (killed), end with kill themselves (kill: trappable), or end with a
-- custom reason; and what an untrapped normal exit signal does (nothing).
local cl = require "crashlab"
local conf = require "conf"
cl.scenario { name = "trap_exit_shapes" }
local function got(label, pid)
  local m = cl.receive({ "EXIT", pid, cl._ })
  conf.line(label .. " EXIT " .. cl.format(m[3]))
end
conf.run(function()
  local a = cl.spawn_link(function() end); got("normal", a)
  local b = cl.spawn_link(function() cl.receive() end); cl.exit(b, "kill"); got("killed", b)
  local c = cl.spawn_link(function() cl.exit("kill") end); got("self_kill", c)
  local d = cl.spawn_link(function() cl.exit({ "custom", 1, cl.list{ "x" } }) end); got("custom", d)
  local e = cl.spawn(function() cl.receive() end)
  local ref = cl.monitor(e)
  cl.exit(e, "normal")
  conf.sleep(50)
  conf.line("untrapped normal: alive " .. tostring(cl.alive(e)))
  cl.exit(e, "stop")
  local m = cl.receive({ "DOWN", ref, "process", e, cl._ })
  conf.line("then DOWN " .. cl.format(m[5]))
  conf.finish(nil)
end)
