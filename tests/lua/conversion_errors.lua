-- When a message cannot be converted, the error names the same place on every run: the pairs
-- of a map are tried in key order, not in Lua's hash order (seeded per run). The exit reasons
-- reach the trace, so --check-determinism would see a difference.
local cl = require "crashlab"
cl.scenario { name = "conversion_errors" }

local got = {}
cl.spawn(function()
  local bad = {}
  for i = 1, 20 do bad["k" .. string.char(96 + i)] = print end
  bad[7] = { z = print, y = print }
  got[1] = select(2, pcall(cl.send, cl.self(), bad))
  bad[7] = nil
  got[2] = select(2, pcall(cl.send, cl.self(), bad))
  local nested = { inner = {} }
  for i = 1, 20 do nested.inner["n" .. i] = (i == 13 or i == 4) and print or i end
  got[3] = select(2, pcall(cl.send, cl.self(), nested))
  cl.exit(got[1] .. " | " .. got[2] .. " | " .. got[3])
end)

cl.at_end("numbers first, then strings in byte order", function()
  return got[1]:find("message[7].y: cannot send a function", 1, true)
     and got[2]:find("message.ka: cannot send a function", 1, true)
     and got[3]:find("message.inner.n13: cannot send a function", 1, true)
end)
