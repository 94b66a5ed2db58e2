-- Fallacy 5: topology doesn't change.
--
-- A client on node a asks a cache server on node b for a value every 100 ms. At 2 s node b
-- crashes; at 3 s it comes back, and its boot function starts a new cache server.
--   naive: looks the server up once and keeps its pid. That pid belongs to the crashed node's
--          old incarnation and will never answer again: "answers again after the restart"
--          fails.
--   fixed: addresses the server by name on its node ({"cache", "b"}) on every request, with a
--          timeout, so each request reaches whatever process serves the name now.
local cl = require "crashlab"

return function(design)
  local last_answer = 0
  cl.node("b", { boot = function()
    cl.register("cache", cl.self())
    while true do
      local m = cl.receive()
      cl.send(m.from, { value = 42 })
    end
  end })
  cl.at("2s", function() cl.crash_node("b") end)
  cl.at("3s", function() cl.restart_node("b") end)

  cl.spawn(function()
    cl.sleep("10ms")
    local server = design == "naive" and cl.whereis("cache", "b") or { "cache", "b" }
    while cl.now() < 8000 do
      cl.send(server, { from = cl.self() })
      if cl.receive(nil, "200ms") then last_answer = cl.now() end
      cl.sleep("100ms")
    end
  end)

  cl.eventually("answers again after the restart", "8s", function() return last_answer > 4000 end)
end
