-- Every kind of fault a scenario can make, at fixed times, from a process and at random: the
-- plan read from its trace must give the same fault records and the same hash back, and run
-- against quiet.lua (the same system without faults) the same fault records
-- (tests/cmake/faults.cmake).
local cl = require "crashlab"
cl.scenario { name = "every_kind", stop = "6s" }
local sys = require("system")()
cl.clock("c", { skew = "-2ms", drift = 0.001 })                                -- clock
cl.net.default { latency = { dist = "uniform", min = "1ms", max = "3ms" } }     -- net_default
cl.net.link("a", "b", { loss = 0.25, mode = "datagram", bandwidth = 100000, both = true }) -- link

local function child(sup, id)
  for _, c in ipairs(cl.supervisor.children(sup)) do if c.id == id then return c.pid end end
end

cl.at("100ms", function() cl.pause(cl.whereis("kv")) end)                      -- pause
cl.at("200ms", function() cl.resume(cl.whereis("kv")) end)                     -- resume
cl.at("300ms", function() cl.slow(cl.whereis("kv"), "1ms") end)                -- slow
cl.at("400ms", function() cl.slow(cl.whereis("kv"), 0) end)                    -- (a resume)
cl.at("500ms", function() cl.kill(child(sys.top, "plain"), "crash") end)       -- kill {sup, child}
cl.at("600ms", function() cl.kill(child(child(sys.top, "mid"), "leaf"), "crash") end) -- nested
cl.at("700ms", function() cl.kill(sys.loner) end)                              -- kill by pid
cl.spawn(function()                                                            -- from a process
  cl.sleep("750ms")
  cl.kill("kv", "from_a_process")
end)
cl.at("800ms", function() cl.partition({ "a" }, { "b", "c" }) end)             -- partition
cl.at("900ms", function() cl.heal() end)                                       -- heal
cl.at("1s", function() cl.isolate("b") end)                                    -- isolate
cl.at("1.1s", function() cl.heal() end)
cl.at("1.2s", function() cl.cut("a", "c") end)                                 -- cut
cl.at("1.3s", function() cl.heal() end)
cl.at("1.4s", function() cl.net.flaky("b", "c", { up = "100ms", down = "50ms", stop = "1.8s" }) end)
cl.at("2s", function() cl.crash_node("c") end)                                 -- crash_node
cl.at("2.5s", function() cl.restart_node("c") end)                             -- restart_node
cl.at("3s", function() cl.clock("b", { skew = "5ms" }) end)
cl.at("3.5s", function() cl.kill_random { node = "b" } end)                    -- kill_random
cl.chaos { from = "4s", to = "5s", partitions = 3, node_crashes = 2, latency_spikes = 3,
           heal_after = "300ms", restart_after = "200ms", spare = { "a" } }    -- heal of a node
