-- Fallacy 3: bandwidth is infinite.
--
-- Node a uploads 20 chunks of 100 KB to a store on node b over a link of 1 MB/s, and answers
-- b's health checks over the same connection. A health check not answered within 1 s makes b
-- fail over to a standby: a false alarm while a is fine.
--   naive: send every chunk at once. They queue on the link (2 s of data), the answers to the
--          health checks wait behind them, and b fails a over: "no false failover" fails.
--   fixed: flow control: send a chunk, wait for its acknowledgement, send the next. The link
--          never holds more than 0.1 s of data, and health answers get through in time.
local cl = require "crashlab"

return function(design)
  local stored, failovers = 0, 0
  cl.node("b", { boot = function()
    cl.register("store", cl.self())
    cl.spawn(function() -- the health checker
      local n = 0
      while stored < 20 do
        n = n + 1
        cl.send({ "health", "a" }, { ping = n, from = cl.self() })
        if not cl.receive(function(m) return m.pong == n end, "1s") then failovers = failovers + 1 end
        cl.sleep("250ms")
      end
    end)
    while true do
      local m = cl.receive()
      stored = stored + 1
      cl.send(m.from, { ack = m.seq })
    end
  end })
  cl.net.link("a", "b", { bandwidth = 1000000, latency = "2ms", both = true })

  cl.spawn(function()
    cl.register("health", cl.self())
    while true do
      local m = cl.receive()
      cl.send(m.from, { pong = m.ping })
    end
  end)
  cl.spawn(function()
    cl.sleep("10ms")
    local chunk = cl.bin(string.rep("x", 100000))
    for seq = 1, 20 do
      cl.send({ "store", "b" }, { seq = seq, data = chunk, from = cl.self() })
      if design == "fixed" then cl.receive(function(m) return m.ack == seq end) end
    end
  end)

  cl.eventually("all 20 chunks stored", "30s", function() return stored == 20 end)
  cl.always("no false failover", function() return failovers == 0 end)
end
