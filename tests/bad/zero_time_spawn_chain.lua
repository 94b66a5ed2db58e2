-- Each process spawns the next and ends: no process runs long, but virtual time never moves,
-- so the run could never end. An instant may hold a quarter of the instruction budget in
-- events; past that the run stops with a scenario error.
-- expect-exit: 2
-- expect-stderr: crashlab: runaway run: 250000 events at 0ns without virtual time passing (processes that never wait, or a livelock among them)
local cl = require "crashlab"
cl.scenario { name = "zero_time_spawn_chain", limits = { instructions = 1000000 } }
local function f() cl.spawn(f) end
cl.spawn(f)
