-- A scenario that is NOT a function of its seed, for the nondeterminism checks of sweeps and
-- replay: it needs --unsafe (the full Lua library) and reads a file in the working directory.
-- The first run finds no file, writes it and fails at 10ms; every later run finds it and fails
-- at 20ms. So a failing seed re-run by a sweep gets another hash, and a trace of the first run
-- does not replay: both must say so, as they would for a crashlab bug.
local cl = require "crashlab"

cl.scenario { name = "flaky", stop = "1s" }

local marker = "flaky.marker"
local seen = io.open(marker, "r")
if seen then seen:close() else io.open(marker, "w"):close() end
local fail_at = seen and 20 or 10
local failed = false

cl.at(string.format("%dms", fail_at), function() failed = true end)
cl.always("nothing went wrong", function() return not failed end)
