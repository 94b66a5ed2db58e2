-- A trapped exit turned into a restart, by hand.
--
-- The system: a `worker` registered as "worker" that counts the jobs it is sent, and a
-- `keeper` that starts it with cl.spawn_link. The keeper calls cl.trap_exit(true), so when
-- its linked worker dies the exit signal does not kill the keeper: it arrives as an ordinary
-- message, {"EXIT", pid, reason}. The keeper's whole job is to turn that message into a new
-- worker. This is the core of an Erlang supervisor (one child, restart always), written out
-- in twenty lines so that nothing is hidden.
--
-- A worker takes 20 ms to start (think: opening a connection) before it registers its name,
-- and starts from scratch: its job count is not preserved across a restart, as in Erlang,
-- where state lives in the process and dies with it.
--
-- A `client` sends a job to the name "worker" every 10 ms. While the name is gone (between
-- a kill and the new worker's registration) the send raises; the client catches that with
-- pcall and counts the job as missed, which is what a caller of a restarting service sees.
--
-- The faults: cl.every("300ms", ...) kills whatever is registered as "worker" with
-- cl.kill, alternating the untrappable reason "kill" (the keeper then receives
-- {"EXIT", pid, "killed"}) and an ordinary reason "chaos" (received as-is).
--
-- The properties:
--   * after each kill, a *new* worker is registered as "worker" within 50 ms: cl.eventually
--     with a deadline computed at the kill (cl.now() + 50 is an absolute time in ms);
--   * always: the keeper never restarts more often than the faults kill (no restart storm),
--     and the keeper itself stays alive;
--   * at_end: every kill was answered by exactly one restart, each EXIT carried the reason
--     of its kill, and the client got most of its jobs through.
-- The run stops at 2 s of virtual time (6 kills).
--
-- Try next:
--   * remove cl.trap_exit(true) from the keeper: the first kill takes the keeper down with
--     the worker ("killed" travels over the link), and "the keeper survives" fails at 300 ms;
--   * make the worker's start slower than the deadline (START_MS = 80) and watch the
--     eventually property fail at its deadline, 350 ms, with the command that replays it;
--   * add a restart limit (Erlang's intensity/period): give up after 3 restarts in 1 s.
local cl = require "crashlab"

cl.scenario { name = "restart_by_hand", seed = 11, stop = "2s" }

local START_MS = 20                 -- a worker's start-up time
local DEADLINE_MS = 50              -- a killed worker must be back within this

local keeper_pid
local restarts = 0                  -- workers the keeper started after an EXIT
local kills = 0                     -- faults injected
local kill_reasons = {}             -- kill number -> the reason the fault used
local exit_reasons = {}             -- restart number -> the reason in {"EXIT", pid, reason}
local jobs_sent, jobs_missed = 0, 0

local function worker()
  cl.sleep(START_MS)                -- starting up: the name is not there yet
  cl.register("worker")
  local done = 0                    -- lost on every restart, as it should be
  while true do
    cl.receive({ "job", cl._ })
    done = done + 1
  end
end

local function keeper()
  cl.trap_exit(true)                -- exit signals become {"EXIT", pid, reason} messages
  local current = cl.spawn_link(worker)
  while true do
    local msg = cl.receive({ "EXIT", cl._, cl._ })
    if msg[2] == current then       -- our worker died: start another one
      restarts = restarts + 1
      exit_reasons[restarts] = msg[3]
      current = cl.spawn_link(worker)
    end
  end
end

local function client()
  for n = 1, 1000 do
    cl.sleep("10ms")
    jobs_sent = jobs_sent + 1
    -- Sending to a name nobody holds raises; the caller decides what that means.
    if not pcall(cl.send, "worker", { "job", n }) then jobs_missed = jobs_missed + 1 end
  end
end

keeper_pid = cl.spawn(keeper)
cl.spawn(client)

-- The faults, and one deadline per fault.
cl.every("300ms", function()
  local victim = cl.whereis("worker")
  if not victim then return end     -- still restarting from the previous kill
  kills = kills + 1
  local reason = kills % 2 == 1 and "kill" or "chaos"
  kill_reasons[kills] = reason
  cl.kill(victim, reason)
  cl.eventually("worker " .. kills .. " replaced within " .. DEADLINE_MS .. "ms",
    cl.now() + DEADLINE_MS, function()
      local now = cl.whereis("worker")
      return now ~= nil and now ~= victim
    end)
end)

cl.always("no more restarts than kills", function() return restarts <= kills end)
cl.always("the keeper survives", function() return cl.alive(keeper_pid) end)

cl.at_end("every kill was answered by one restart", function()
  return kills >= 5 and restarts == kills
end)

cl.at_end("each EXIT carried its kill's reason", function()
  for i = 1, kills do
    local want = kill_reasons[i] == "kill" and "killed" or kill_reasons[i]
    if exit_reasons[i] ~= want then return false end
  end
  return true
end)

cl.at_end("most jobs got through", function()
  -- The first start and each kill cost the jobs sent while the name is away (at most 3).
  return jobs_sent >= 190 and jobs_missed <= (kills + 1) * 3
end)
