-- receive with a predicate: the first message for which the function is true is taken, the
-- others wait in order; an error inside the predicate crashes the receiver at its receive, and
-- cl.exits() records that exit.
local cl = require "crashlab"
cl.scenario { name = "receive_predicate" }

local got = {}
local p = cl.spawn(function()
  got[#got + 1] = cl.receive(function(m) return type(m) == "number" and m > 10 end)
  got[#got + 1] = cl.receive(function() return true end, "10ms")
  got[#got + 1] = cl.receive(nil, "10ms")
  cl.receive(function(m) return m.nope.x end)
end)
cl.at("1ms", function()
  cl.send(p, 5)
  cl.send(p, 50)
  cl.send(p, "late")
  cl.send(p, "last")
end)

cl.at_end("the big one first, then the others in order",
  function() return got[1] == 50 and got[2] == 5 and got[3] == "late" end)
cl.at_end("the predicate's error is the exit reason", function()
  local e = cl.exits()
  return #e == 1 and e[1].pid == p and
      e[1].reason == "receive predicate: receive_predicate.lua:12: attempt to index a nil value (field 'nope')"
end)
