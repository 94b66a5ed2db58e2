-- Fallacy 6: there is one administrator.
--
-- A lock server on node b hands out 1 s leases; clients on nodes a and c take turns holding
-- the lock. Node b's administrator set its clock 3 s ahead of everyone else's.
--   naive: the lease says "valid until T" in the server's clock, and a client works while its
--          own clock reads less than T: 3 s too long. When the lease ends the server gives
--          the lock to the other client, and both hold it: "never two holders" fails.
--   fixed: a lease is a duration, timed on the client's own clock from the moment it asked
--          (minus a safety margin), so no two clocks are ever compared.
local cl = require "crashlab"

return function(design)
  local holders, rounds = 0, 0
  cl.node("c")
  cl.node("b", { skew = "3s", boot = function()
    cl.register("lock", cl.self())
    local holder, expires = nil, 0
    while true do
      local m = cl.receive()
      if m.op == "acquire" then
        if holder == nil or cl.now() >= expires then
          holder, expires = m.from, cl.now() + 1000
          cl.send(m.from, { granted = true, expires = expires, lease = 1000 })
        else
          cl.send(m.from, { granted = false })
        end
      elseif m.op == "release" and m.from == holder then
        holder = nil
      end
    end
  end })
  cl.net.default { latency = { dist = "uniform", min = "1ms", max = "10ms" } }

  local function client()
    cl.sleep("5ms")
    for _ = 1, 5 do
      local asked, reply
      repeat
        asked = cl.now()
        cl.send({ "lock", "b" }, { op = "acquire", from = cl.self() })
        reply = cl.receive()
        if not reply.granted then cl.sleep("100ms") end
      until reply.granted
      local deadline = design == "naive" and reply.expires or asked + reply.lease - 100
      holders = holders + 1
      while cl.now() < deadline do cl.sleep("50ms") end
      holders = holders - 1
      rounds = rounds + 1
      cl.send({ "lock", "b" }, { op = "release", from = cl.self() })
      cl.sleep("100ms")
    end
  end
  cl.spawn(client)
  cl.spawn_on("c", client)

  cl.always("never two holders", function() return holders <= 1 end)
  cl.at_end("both clients held the lock five times", function() return rounds == 10 end)
end
