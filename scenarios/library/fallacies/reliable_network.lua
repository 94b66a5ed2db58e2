-- Fallacy 1: the network is reliable.
--
-- A client on node a makes 20 deposits of 10 into an account kept by a server on node b. The
-- link loses 20% of the messages each way and delivers 5% twice (datagram mode).
--   naive: send the deposit once and wait for the answer, with no timeout. One lost request or
--          answer and the client waits for ever: "all 20 deposits confirmed" never holds. A
--          duplicated deposit is applied twice.
--   fixed: each deposit carries an id; the client sends it again every 200 ms until it is
--          confirmed, and the server applies each id once (it remembers the ids it has seen),
--          so a resent or duplicated deposit is confirmed again but not applied again.
local cl = require "crashlab"

return function(design)
  local balance, confirmed = 0, 0
  cl.node("b", { boot = function()
    cl.register("bank", cl.self())
    local seen = {}
    while true do
      local m = cl.receive()
      if design == "naive" or not seen[m.id] then
        balance = balance + m.amount
        seen[m.id] = true
      end
      cl.send(m.from, { id = m.id, balance = balance })
    end
  end })
  cl.net.link("a", "b", { mode = "datagram", loss = 0.2, dup = 0.05, latency = "5ms", both = true })

  cl.spawn(function()
    local function deposit(id)
      cl.send({ "bank", "b" }, { id = id, amount = 10, from = cl.self() })
    end
    for id = 1, 20 do
      if design == "naive" then
        deposit(id)
        cl.receive(function(m) return m.id == id end)
      else
        repeat deposit(id) until cl.receive(function(m) return m.id == id end, "200ms")
      end
      confirmed = id
    end
  end)

  cl.eventually("all 20 deposits confirmed", "1m", function() return confirmed == 20 end)
  cl.at_end("each deposit applied once", function() return balance == 200 end)
end
