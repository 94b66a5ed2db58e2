-- Fallacy 4: the network is secure.
--
-- A counter server on node b takes {op="add", n=N} from clients on node a. Node m is
-- compromised (or merely buggy): now and then it sends {op="add", n="ten"}, or garbage.
--   naive: trusts what arrives: "ten" + count raises, the server dies, and the clients are
--          left without it: "the server stays up" fails.
--   fixed: validates every message (its shape and its types) and drops what does not conform.
local cl = require "crashlab"

return function(design)
  local total, server_pid = 0, nil
  local function valid(m)
    return type(m) == "table" and m.op == "add" and math.type(m.n) == "integer" and
        type(m.from) == "userdata" -- a pid
  end
  local function server()
    server_pid = cl.self()
    cl.register("counter", server_pid)
    while true do
      local m = cl.receive()
      if design == "naive" or valid(m) then
        total = total + m.n
        cl.send(m.from, { total = total })
      end
    end
  end
  cl.node("b", { boot = server })
  cl.node("m")

  cl.spawn(function()
    for _ = 1, 100 do
      cl.send({ "counter", "b" }, { op = "add", n = 1, from = cl.self() })
      cl.receive(nil, "100ms")
      cl.sleep("10ms")
    end
  end)
  cl.spawn_on("m", function()
    local junk = { { op = "add", n = "ten" }, "hello", { op = "add" }, { n = 5 }, 42 }
    for i = 1, 10 do
      cl.sleep(math.random(50, 300))
      cl.send({ "counter", "b" }, junk[(i - 1) % #junk + 1])
    end
  end)

  cl.always("the server stays up", function() return server_pid == nil or cl.alive(server_pid) end)
end
