-- The system that every_kind.lua injects faults into and quiet.lua runs alone: three nodes, a
-- registered server, a registered supervisor with a plain child and a nested supervisor (whose
-- children have no names), a process with neither, and a boot function on b that starts three
-- more. Both files build it in the same order, so its processes have the same pids.
local cl = require "crashlab"

local function idle() while true do cl.receive() end end

return function()
  cl.node("b", { boot = function()
    cl.register("bkv")
    for _ = 1, 3 do cl.spawn(idle) end
    idle()
  end })
  cl.node("c")
  local top = cl.supervisor.start { strategy = "one_for_one", intensity = 100, period = "1s",
    children = { { id = "plain", start = { idle } },
                 { id = "mid", supervisor = { intensity = 100, period = "1s",
                                              children = { { id = "leaf", start = { idle } } } } } } }
  cl.register("top", top)
  cl.spawn(function() cl.register("kv"); idle() end)
  local loner = cl.spawn(idle)
  cl.at_end("the supervisor is alive", function() return cl.alive(top) end)
  return { top = top, loner = loner, idle = idle }
end
