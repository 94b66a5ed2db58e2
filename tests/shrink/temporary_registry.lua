-- A planted bug under a storm of faults, for the shrink tests: one fault is enough.
--
-- A supervisor on node a runs a registry and three workers. The bug: the registry's child spec
-- says restart = "temporary", so once it is killed it is never started again, and the at_end
-- property "the registry is up" fails. The storm (scenarios/library/lib/storm.lua), drawn from
-- the seed: from 0.5 s, every 50 ms, one fault, 100 in all: a kill of a worker (restarted), a
-- partition of the three nodes, a heal, and now and then (2 in 100) a kill of the registry.
-- Shrinking any failing seed must leave that one kill. Its own seed (5) passes, as the suite
-- runs every test scenario.
local cl = require "crashlab"

cl.scenario { name = "temporary_registry", seed = 5, stop = "6s" }

cl.node("b")
cl.node("c")

local function serve(name) cl.register(name); while true do cl.receive() end end

cl.spawn(function()
  cl.supervisor.start { strategy = "one_for_one", intensity = 1000, period = "1s", children = {
    { id = "registry", start = { serve, "registry" }, restart = "temporary" },
    { id = "w1", start = { serve, "w1" } },
    { id = "w2", start = { serve, "w2" } },
    { id = "w3", start = { serve, "w3" } },
  } }
  cl.receive()
end)

require("storm") { count = 100, victim = "registry", victim_share = 0.02, workers = { "w1", "w2", "w3" },
  splits = { { { "a" }, { "b", "c" } }, { { "a", "c" }, { "b" } }, { { "a", "b" }, { "c" } } } }

cl.at_end("the registry is up", function() return cl.whereis("registry") ~= nil end)
