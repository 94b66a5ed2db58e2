-- Fails at 350 ms, before a plan's fault at 1 s is due: tests/cmake/faults.cmake checks that a
-- --faults run says which planned faults were never made, and that shrink says so too.
local cl = require "crashlab"
cl.scenario { name = "fails_early", stop = "2s" }
cl.node("b")
local broken = false
cl.at("350ms", function() broken = true end)
cl.always("nothing broke yet", function() return not broken end)
