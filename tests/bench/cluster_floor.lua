-- The floor of the time acceleration benchmark: the Lua statements of tests/bench/cluster.lua
-- alone, one virtual second of them per timer callback, with the simulator left out (no
-- process, no message, no network, no timer: cl.send and cl.receive are stubs that return
-- at once). What a virtual second of the cluster costs in the Lua interpreter itself (the
-- workload's tables, closures, random draws and counters, under the same instruction hook)
-- bounds the speed of any run of that scenario: tests/bench/run cluster prints this bound
-- beside the measured speed.
local cl = require "crashlab"
local hours = 1
cl.scenario { name = "bench_cluster_floor", seed = 1, stop = hours * 3600 * 1000 }

local NODES, WORKERS, CLIENTS = 5, 200, 10
local names = { "a", "b", "c", "d", "e" }
local stats = { sent = 0, answered = 0, timeouts = 0, heartbeats = 0 }
local wnames = {}
for i = 1, WORKERS do wnames[i] = "w" .. i end
local self = {} -- stands for a pid
local function send(to, m) return m end -- the stubs
local function receive(pattern, timeout) return pattern end
local now, next_at, id = 0, 0, 0

cl.every("1s", function()
  for _, me in ipairs(names) do
    for _ = 1, CLIENTS * 20 do -- 1,000 requests a second from 50 clients
      -- the client, up to its receive
      local other = names[math.random(1, NODES - 1)]
      if other == me then other = names[NODES] end
      id = id + 1
      stats.sent = stats.sent + 1
      local req = send({ wnames[math.random(1, WORKERS)], other }, { "req", self, id })
      -- the worker, for that request
      local m = receive(req)
      local reply = send(m[2], { "reply", m[3] })
      -- the client's receive (a pattern: matched by the simulator), then the rest of its loop
      if receive({ "reply", id }, 1000) and reply then
        stats.answered = stats.answered + 1
      else
        stats.timeouts = stats.timeouts + 1
      end
      next_at = next_at + 50
      receive(nil, math.max(0, next_at - now))
    end
    for _ = 1, 10 do -- ten heartbeats a second: four sends, four arrivals counted
      for _, o in ipairs(names) do
        if o ~= me then send({ "hb", o }, { "hb", me }) end
      end
      local deadline = now + 100
      for _ = 1, 4 do
        local hb = receive(nil, math.max(deadline - now, 0))
        if hb then stats.heartbeats = stats.heartbeats + 1 end
      end
    end
  end
  now = now + 1000
end)

cl.at_end("the floor ran every second", function() return stats.sent == 1000 * 3600 * hours end)
