-- Fallacy 2: latency is zero.
--
-- Two clients, on nodes a and c, each add 1 to a counter kept on node b, 50 times. Messages
-- take 5 to 20 ms.
--   naive: read-modify-write: ask for the value ({get}), then store value + 1 ({put}). With no
--          latency the two steps would be one instant; here the other client's write lands
--          between them, and its increment is lost: "the counter is 100" fails.
--   fixed: send the operation, not the result ({add, 1}): it is applied where the data is, in
--          the order the server receives it, so nothing is lost.
local cl = require "crashlab"

return function(design)
  local counter = 0
  cl.node("c")
  cl.node("b", { boot = function()
    cl.register("counter", cl.self())
    while true do
      local m = cl.receive()
      if m.op == "get" then
        cl.send(m.from, { value = counter })
      elseif m.op == "put" then
        counter = m.value
        cl.send(m.from, { ok = true })
      elseif m.op == "add" then
        counter = counter + m.n
        cl.send(m.from, { ok = true })
      end
    end
  end })
  cl.net.default { latency = { dist = "uniform", min = "5ms", max = "20ms" } }

  local finished = 0
  local function client()
    local server = { "counter", "b" }
    cl.sleep("1ms") -- the server registers first
    for _ = 1, 50 do
      if design == "naive" then
        cl.send(server, { op = "get", from = cl.self() })
        local v = cl.receive().value
        cl.send(server, { op = "put", value = v + 1, from = cl.self() })
      else
        cl.send(server, { op = "add", n = 1, from = cl.self() })
      end
      cl.receive()
    end
    finished = finished + 1
  end
  cl.spawn(client)
  cl.spawn_on("c", client)

  cl.at_end("both clients finished", function() return finished == 2 end)
  cl.at_end("the counter is 100", function() return counter == 100 end)
end
