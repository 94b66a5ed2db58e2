-- A runaway process: preempted fairly, then stopped by the scheduler.
--
-- The system: a `ticker` that wakes every 10 ms (20 ticks) and notes when it woke, and a
-- `guardian` that starts request handlers with cl.spawn_monitor. At 50 ms a handler hits a
-- bug, an infinite loop (`while true do ... end`), and never waits in receive again. At the
-- same instant a `batch` job starts, a long computation (about a million Lua instructions)
-- that never waits either, but does finish.
--
-- What Erlang does: a process runs for a budget of reductions and is then preempted, so one
-- busy process cannot hold a scheduler; the others keep their turns. crashlab does the same
-- with Lua instructions: every 20,000 a process yields to the scheduler, which picks the next
-- ready process with the seed's scheduling stream. And where Erlang would let the loop spin
-- forever, crashlab stops a process after 200 million instructions at one virtual instant,
-- with the exit reason "FILE:LINE: runaway process: 200 million Lua instructions without
-- virtual time passing". That reason flows through links and monitors like any other: the guardian's
-- monitor receives {"DOWN", ref, "process", pid, reason} with it.
--
-- Virtual time, precisely: the clock moves only when no process is ready to run, so a
-- spinning loop uses no virtual time. All its 200 million instructions happen at the instant
-- 50 ms. Fairness shows as *order* within that instant: the ticker's 50 ms tick and the whole
-- batch job run between the loop's slices, before the loop is stopped; and because the loop
-- is stopped at 50 ms, the ticks after it come exactly on schedule.
--
-- The properties:
--   * always: every tick came exactly on its schedule (tick k at k * 10 ms);
--   * always: at the moment the runaway is stopped, the 50 ms tick was already taken and the
--     batch job had finished: the loop did not hold the scheduler;
--   * always: the batch job finished while the loop was still spinning (interleaved with it,
--     not merely before or after it);
--   * eventually, by 60 ms: the guardian's monitor saw the runaway DOWN, with a reason that
--     says "runaway process";
--   * at_end: all 20 ticks happened and nobody is left running.
-- The run ends by itself at 200 ms of virtual time, after the last tick. In wall time it is
-- the slowest scenario of the library: the 200 million instructions of the loop take about
-- 0.7 s (the limit is fixed, in scenarios/lua/bind_proc.c).
--
-- Try next:
--   * give the loop a cl.sleep(1) in its body: it waits on every turn, so it is never a
--     runaway (the count starts again at each wait), and the DOWN property fails at 60 ms.
--     (Not cl.receive(cl._, 0): a wait of zero lets no virtual time pass, so that loop would
--     hold the clock at 50 ms for ever; see docs/scenario-api.md, "Known issues");
--   * start two loops: both are preempted, both are stopped, the ticker is still on time;
--   * catch the runaway from a linked process that traps exits: {"EXIT", pid, reason} carries
--     the same reason.
local cl = require "crashlab"

cl.scenario { name = "runaway", seed = 9, stop = "1s" }

local TICKS, TICK_MS, BUG_MS = 20, 10, 50

local ticks = {}                    -- tick number -> virtual time (ms) it woke at
local runaway_pid
local spins = 0                     -- iterations of the loop so far
local batch_done = false
local spins_when_batch_done         -- how far the loop had got when the batch finished
local runaway_alive_when_batch_done
local down_reason                   -- what the guardian's monitor received

local function ticker()
  for k = 1, TICKS do
    cl.sleep(TICK_MS)
    ticks[k] = cl.now()
  end
end

local function handler()
  while true do                     -- the bug: this never waits in receive
    spins = spins + 1
  end
end

local function batch()
  local sum = 0
  for i = 1, 250000 do sum = sum + i % 7 end -- about a million instructions, no receive
  batch_done = true
  spins_when_batch_done = spins
  runaway_alive_when_batch_done = cl.alive(runaway_pid)
  assert(sum > 0)
end

local function guardian()
  cl.sleep(BUG_MS)
  local pid, ref = cl.spawn_monitor(handler)
  runaway_pid = pid
  cl.spawn(batch)
  local down = cl.receive({ "DOWN", ref, "process", pid, cl._ })
  down_reason = down[5]
end

cl.spawn(ticker)
cl.spawn(guardian)

cl.always("every tick on schedule", function()
  for k, at in pairs(ticks) do
    if at ~= k * TICK_MS then return false end
  end
  return true
end)

cl.always("the loop did not hold the scheduler", function()
  if runaway_pid == nil or cl.alive(runaway_pid) then return true end
  return ticks[BUG_MS // TICK_MS] == BUG_MS and batch_done
end)

cl.always("the batch ran between the loop's slices", function()
  if not batch_done then return true end
  return spins_when_batch_done > 0 and runaway_alive_when_batch_done
end)

cl.eventually("the monitor saw the runaway stopped", "60ms", function()
  return type(down_reason) == "string" and down_reason:find("runaway process", 1, true) ~= nil
end)

cl.at_end("all ticks happened", function() return #ticks == TICKS end)
cl.at_end("nobody left running", function() return #cl.processes() == 0 end)
