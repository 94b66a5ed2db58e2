-- Fallacy 8: the network is homogeneous.
--
-- A rolling upgrade: the key-value server on node b and its clients on node a run version 1;
-- node c already runs version 2 of the client, which adds an option field to each request and
-- sometimes uses a new operation, "scan".
--   naive: the version 1 server treats anything unexpected as a bug and raises: the first
--          version 2 request kills it, and a's requests go unanswered: "every request of a is
--          answered" fails.
--   fixed: a tolerant reader: it reads the fields it knows, ignores the others, and answers an
--          operation it does not know with an error instead of dying.
local cl = require "crashlab"

return function(design)
  local answered = 0
  cl.node("c")
  cl.node("b", { boot = function()
    cl.register("kv", cl.self())
    local store = { x = 1 }
    local known = { op = true, key = true, from = true }
    while true do
      local m = cl.receive()
      for k in pairs(m) do
        if not known[k] and design == "naive" then error("unexpected field " .. k) end
      end
      if m.op == "get" then
        cl.send(m.from, { value = store[m.key] or "none" })
      elseif design == "naive" then
        error("unknown operation " .. tostring(m.op))
      else
        cl.send(m.from, { error = "unsupported" })
      end
    end
  end })

  cl.spawn(function() -- version 1 client
    cl.sleep("1ms")
    for _ = 1, 50 do
      cl.send({ "kv", "b" }, { op = "get", key = "x", from = cl.self() })
      if cl.receive(nil, "200ms") then answered = answered + 1 end
      cl.sleep("20ms")
    end
  end)
  cl.spawn_on("c", function() -- version 2 client
    cl.sleep("300ms")
    for i = 1, 10 do
      local op = i % 3 == 0 and "scan" or "get"
      cl.send({ "kv", "b" }, { op = op, key = "x", opts = { consistent = true }, from = cl.self() })
      cl.receive(nil, "200ms")
      cl.sleep("100ms")
    end
  end)

  cl.at_end("every request of a is answered", function() return answered == 50 end)
end
