-- A supervised worker pool surviving random kills.
--
-- Eight workers, registered worker1..worker8, under a one_for_one supervisor (intensity 10
-- in 1 s). Three clients each send 100 jobs, one every 20 ms, to a random worker, and wait
-- 30 ms for the answer; a job that gets none (its worker was killed, or is being restarted)
-- is sent again to another worker. The fault: every 150 ms a random worker is killed (with
-- math.random: each seed is a different storm, the same seed the same one).
--
-- The properties:
--   * always: the supervisor is alive (the kills stay within its intensity);
--   * eventually, 5 ms after each kill: every worker is running again (cl.supervisor.check);
--   * at_end: every job of every client was answered exactly once, with the right result.
-- Try: raise the kill rate (every "50ms": 20 kills a second) until the supervisor gives up,
-- and see which property says so first.
local cl = require "crashlab"
cl.scenario { name = "worker_pool", stop = "5s" }

local N, CLIENTS, JOBS = 8, 3, 100

local function worker(i)
  cl.register("worker" .. i)
  while true do
    local job = cl.receive({ "job", cl._, cl._, cl._ })   -- {job, from, id, n}
    cl.send(job[2], { "done", job[3], job[4] * 2 })
  end
end

local children = {}
for i = 1, N do children[i] = { id = "worker" .. i, start = { worker, i } } end
local pool = cl.supervisor.start { strategy = "one_for_one", intensity = 10, period = "1s",
                                   children = children }

local answers = {}  -- answers[client][job] = count of right answers
local function client(c)
  answers[c] = {}
  for job = 1, JOBS do
    local n = c * 1000 + job
    repeat
      local target = cl.whereis("worker" .. math.random(N))
      local got
      if target then
        cl.send(target, { "job", cl.self(), job, n })
        got = cl.receive({ "done", job, cl._ }, "30ms")
      end
      if got then answers[c][job] = (answers[c][job] or 0) + (got[3] == 2 * n and 1 or 100) end
    until got
    cl.sleep("20ms")
  end
end
for c = 1, CLIENTS do cl.spawn(client, c) end

cl.every("150ms", function()
  local victim = "worker" .. math.random(N)
  if cl.kill(victim, "chaos") then
    cl.eventually("the pool is whole 5ms after killing " .. victim .. " at " .. cl.now() .. "ms",
                  cl.now() + 5, function() return cl.supervisor.check(pool) end)
  end
end)

cl.always("the pool supervisor is alive", function() return cl.alive(pool) end)
cl.at_end("every job answered once, right", function()
  for c = 1, CLIENTS do
    for job = 1, JOBS do
      if answers[c][job] ~= 1 then return false end
    end
  end
  return true
end)
