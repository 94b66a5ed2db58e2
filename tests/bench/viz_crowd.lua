-- The visualiser's crowded case (issue 12, section 5): 2,000 processes with about 500 messages
-- in flight at any time.
--   4 nodes, each with a supervisor of 500 Lua workers (registered w1..w500);
--   25 pumps per node each send a one-way job every 10 ms to a random worker on another node
--   (4 x 25 x 100 = 10,000 sends per virtual second), over links of 40 to 60 ms latency, so
--   about 10,000 x 0.05 = 500 messages are in flight;
--   one random worker killed every 200 ms (its supervisor restarts it).
-- tests/bench/run viz records it for 2 virtual seconds and replays it in bench_viz_frame.
local cl = require "crashlab"
cl.scenario { name = "viz_crowd", seed = 1, stop = 2000 }

local NODES, WORKERS, PUMPS = 4, 500, 25
local names = { "a", "b", "c", "d" }
local wnames = {}
for i = 1, WORKERS do wnames[i] = "w" .. i end

local function worker(name)
  cl.register(name)
  while true do cl.receive() end
end

local function pump(me)
  local pids = {} -- the workers of the other nodes, looked up once
  cl.sleep(math.random(1, 10))
  while true do
    local other = names[math.random(1, NODES - 1)]
    if other == me then other = names[NODES] end
    local w = math.random(1, WORKERS)
    local key = other .. w
    local pid = pids[key] or cl.whereis(wnames[w], other)
    pids[key] = pid
    if pid then cl.send(pid, { "job", w }) end
    cl.sleep(10)
  end
end

local function boot()
  local me = cl.node()
  local children = {}
  for i = 1, WORKERS do children[i] = { id = wnames[i], start = { worker, wnames[i] } } end
  cl.supervisor.start { strategy = "one_for_one", intensity = 1000, period = "1s", children = children }
  cl.sleep(5) -- every node's workers are registered before the first job
  for _ = 1, PUMPS do cl.spawn(pump, me) end
  cl.receive()
end

cl.net.default { latency = { dist = "uniform", min = "40ms", max = "60ms" } }
for _, name in ipairs(names) do cl.node(name, { boot = boot }) end

cl.every("200ms", function()
  local pid = cl.whereis(wnames[math.random(1, WORKERS)], names[math.random(1, NODES)])
  if pid then cl.kill(pid) end
end)
