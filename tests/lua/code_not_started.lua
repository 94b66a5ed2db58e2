-- A process spawned in a module that has not run yet is judged by the function it was spawned
-- with: when the current version has that function too (the same table loaded again), it does
-- not run old code, so check_process says false and purge leaves it; when only the old
-- version has it, purge kills it before it ever runs.
local cl = require "crashlab"
cl.scenario { name = "code_not_started" }

local results = {}
local same = { wait = function() cl.receive() end }
cl.code.load("kv", same)
local shared = cl.code.spawn("kv", "wait")
cl.code.load("kv", same)
results.shared_check = cl.code.check_process(shared, "kv")
results.shared_purge = cl.code.purge("kv")
results.shared_alive = cl.alive(shared)

cl.code.load("other", { wait = function() cl.receive() end })
local alone = cl.code.spawn("other", "wait")
cl.code.load("other", { wait = function() cl.receive() end })
results.alone_check = cl.code.check_process(alone, "other")
results.alone_purge = cl.code.purge("other")
results.alone_alive = cl.alive(alone)
cl.at("1ms", function() cl.exit(shared, "kill") end)

cl.at_end("a function the current version has too is current code", function()
  return results.shared_check == false and results.shared_purge == false and results.shared_alive,
    cl.format({ results.shared_check, results.shared_purge, results.shared_alive })
end)
cl.at_end("a function only the old version has is old code", function()
  return results.alone_check == true and results.alone_purge == true and not results.alone_alive,
    cl.format({ results.alone_check, results.alone_purge, results.alone_alive })
end)
