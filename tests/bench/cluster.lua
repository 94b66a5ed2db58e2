-- The time acceleration benchmark: a standard cluster, one hour of virtual time.
--   5 nodes, each with a supervision tree of 200 Lua workers (registered w1..w200);
--   every node heartbeats every other node every 100 ms;
--   clients on every node together send 1,000 requests per virtual second to random workers
--   on other nodes and wait for each reply (1 s timeout);
--   0.1% message loss on every link (datagram mode, so loss applies), one partition of a
--   random node and its heal every 10 minutes, one random worker killed every second.
-- tests/bench/run cluster runs it and reports virtual seconds per wall-clock second and the
-- peak memory (crashlab run --stats). tests/bench/run --quick runs a copy with a shorter hour.
local cl = require "crashlab"
local hours = 1
cl.scenario { name = "bench_cluster", seed = 1, stop = hours * 3600 * 1000,
  limits = { memory = 1 << 30 } }

local NODES, WORKERS, CLIENTS = 5, 200, 10 -- 10 clients per node, one request per 50 ms each
local names = { "a", "b", "c", "d", "e" }
local stats = { sent = 0, answered = 0, timeouts = 0, heartbeats = 0 }
local wnames = {} -- the workers' registered names, made once
for i = 1, WORKERS do wnames[i] = "w" .. i end

local function worker(name)
  cl.register(name)
  while true do
    local m = cl.receive()
    cl.send(m[2], { "reply", m[3] })
  end
end

local function heartbeat(me)
  cl.register("hb")
  while true do
    for _, other in ipairs(names) do
      if other ~= me then cl.send({ "hb", other }, { "hb", me }) end
    end
    local deadline = cl.now() + 100
    repeat -- count what arrives until it is time to beat again
      local m = cl.receive(nil, math.max(deadline - cl.now(), 0))
      if m then stats.heartbeats = stats.heartbeats + 1 end
    until not m
  end
end

local function client(me)
  local id = 0
  local next_at = math.random(1, 50)
  cl.sleep(next_at)
  while true do
    local other = names[math.random(1, NODES - 1)]
    if other == me then other = names[NODES] end
    id = id + 1
    stats.sent = stats.sent + 1
    cl.send({ wnames[math.random(1, WORKERS)], other }, { "req", cl.self(), id })
    if cl.receive({ "reply", id }, 1000) then -- Erlang's receive {reply, Id} after 1000
      stats.answered = stats.answered + 1
    else
      stats.timeouts = stats.timeouts + 1
    end
    next_at = next_at + 50 -- one request per 50 ms, whatever the replies took
    cl.sleep(math.max(0, next_at - cl.now()))
  end
end

local function boot()
  local me = cl.node()
  local children = {}
  for i = 1, WORKERS do children[i] = { id = wnames[i], start = { worker, wnames[i] } } end
  cl.supervisor.start { strategy = "one_for_one", intensity = 100, period = "1s", children = children }
  cl.spawn(heartbeat, me)
  for _ = 1, CLIENTS do cl.spawn(client, me) end
  cl.receive() -- the boot process stays, as an application master would
end

cl.net.default { mode = "datagram", loss = 0.001, latency = { dist = "uniform", min = "1ms", max = "3ms" } }
for i, name in ipairs(names) do
  if i == 1 then cl.node("a", { boot = boot }) else cl.node(name, { boot = boot }) end
end

cl.every("1s", function() -- one random worker killed
  local node = names[math.random(1, NODES)]
  local pid = cl.whereis(wnames[math.random(1, WORKERS)], node)
  if pid then cl.kill(pid) end
end)
cl.every("10m", function() -- one partition, healed 30 s later
  cl.isolate(names[math.random(1, NODES)])
  cl.at(cl.now() + 30000, cl.heal)
end)

cl.at_end("the cluster served", function()
  print(("requests %d answered %d timeouts %d heartbeats %d"):format(stats.sent, stats.answered,
    stats.timeouts, stats.heartbeats))
  return stats.answered > stats.sent * 0.9
end)
