-- pairs and next visit keys in one fixed order (numbers, strings bytewise, booleans), whatever
-- Lua's per-run string hash seed; keys removed during the loop are skipped.
local cl = require "crashlab"
cl.scenario { name = "deterministic_iteration" }

local t = { zeta = 1, alpha = 2, [3] = "c", [1] = "a", mid = 3, [true] = "t", [-2.5] = "f" }
local function keys_by_pairs()
  local out = {}
  for k in pairs(t) do out[#out + 1] = tostring(k) end
  return table.concat(out, ",")
end
local function keys_by_next()
  local out, k = {}, next(t)
  while k ~= nil do
    out[#out + 1] = tostring(k)
    k = next(t, k)
  end
  return table.concat(out, ",")
end

local by_pairs, by_next = keys_by_pairs(), keys_by_next()
local removed = {}
for k in pairs(t) do
  if k == "alpha" then t.mid = nil end
  removed[#removed + 1] = tostring(k)
end

cl.at_end("pairs order", function() return by_pairs == "-2.5,1,3,alpha,mid,zeta,true" end)
cl.at_end("next agrees with pairs", function() return by_next == by_pairs end)
cl.at_end("removed keys are skipped", function() return table.concat(removed, ",") == "-2.5,1,3,alpha,zeta,true" end)
