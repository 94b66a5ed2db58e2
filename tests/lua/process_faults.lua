-- Process faults and chaos: pause holds a process's messages until resume; slow adds virtual
-- CPU time to each of its steps; kill_random draws among the processes a filter keeps; chaos
-- draws a storm of faults from the seed's fault stream, the same storm for the same seed.
local cl = require "crashlab"
cl.scenario { name = "process_faults", stop = "2m" }
cl.net.tick("4s")

local got = {}
local p = cl.spawn(function()
  while true do got[#got + 1] = { cl.receive(), cl.now() } end
end)
cl.at("1s", function() cl.pause(p); cl.send(p, "held") end)
cl.at("3s", function() cl.resume(p) end)
cl.at("4s", function() cl.slow(p, "500ms"); cl.send(p, "slow1"); cl.send(p, "slow2") end)
cl.at("10s", function() cl.slow(p, 0); cl.send(p, "fast") end)

cl.at_end("pause, slow and back to normal", function()
  local want = { { "held", 3000 }, { "slow1", 4500 }, { "slow2", 5000 }, { "fast", 10000 } }
  for i, w in ipairs(want) do
    if not got[i] or got[i][1] ~= w[1] or got[i][2] ~= w[2] then return false end
  end
  return #got == #want
end)

-- kill_random: only the processes the filter keeps
local victims = {}
for i = 1, 10 do
  victims[i] = cl.spawn(function() cl.register("v" .. i); cl.receive() end)
end
local killed
cl.at("20s", function()
  killed = cl.kill_random { filter = function(pid)
    local info = cl.info(pid)
    return info.name ~= nil and info.name:sub(1, 1) == "v"
  end }
end)
cl.at_end("one of the victims died", function()
  local dead = 0
  for _, v in ipairs(victims) do if not cl.alive(v) then dead = dead + 1 end end
  return dead == 1 and not cl.alive(killed) and cl.alive(p)
end)

-- chaos on two other nodes: node crashes restart, partitions heal
local boots = 0
local function boot()
  boots = boots + 1
  for i = 1, 3 do cl.spawn(function() cl.register("w" .. i); cl.receive() end) end
  cl.receive()
end
cl.node("b", { boot = boot })
cl.node("c", { boot = boot })
cl.chaos { from = "30s", to = "1m", partitions = 0.2, node_crashes = 0.2, latency_spikes = 0.2,
  spare = { "a" } }
cl.at_end("the storm crashed and restarted nodes, and healed", function()
  return boots > 2 and cl.node_up("b") and cl.node_up("c")
end)
