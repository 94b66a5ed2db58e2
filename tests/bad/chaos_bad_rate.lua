-- An infinite fault rate would never let time pass.
-- expect-exit: 2
-- expect-stderr: crashlab: chaos_bad_rate.lua:6: chaos: kills must be a rate per second from 0 to 1000
local cl = require "crashlab"
cl.scenario { name = "chaos_bad_rate", stop = "3s" }
cl.chaos { kills = 1 / 0 }
