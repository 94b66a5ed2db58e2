-- A storm of faults drawn from the seed, for scenarios whose bug hides among many faults
-- (ledger_storm.lua, the shrink tests' temporary_registry.lua). From 0.5 s, every 50 ms, one
-- fault, `count` in all: a kill of the process registered as `victim` (a share of
-- `victim_share`), else a kill of one of `workers` (up to 40 in 100), a partition into one of
-- `splits` (the next 30 in 100), or a heal of every link.
local cl = require "crashlab"

return function(storm)
  local faults = 0
  cl.every("50ms", function()
    if cl.now() < 500 or faults >= storm.count then return end
    faults = faults + 1
    local r = math.random()
    if r < storm.victim_share then
      cl.kill(storm.victim)
    elseif r < 0.4 then
      cl.kill(storm.workers[math.random(#storm.workers)])
    elseif r < 0.7 then
      cl.partition(table.unpack(storm.splits[math.random(#storm.splits)]))
    else
      cl.heal()
    end
  end)
end
