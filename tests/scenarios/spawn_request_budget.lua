-- A spawn request from node a handled on node b (tests/scenarios/test_spawn_oom.c tightens the
-- memory limit before any step of this run, and the request's arrival is one of them).
cl.scenario { name = "spawn_request_budget", stop = "1s" }
cl.node("b")

local big = string.rep("x", 10000)
local function worker(s) return #s end
cl.spawn(function()
  local pid = cl.spawn_on("b", worker, big)
  cl.send(pid, "hello")
end)
cl.at_end("the remote process was spawned", function() return cl.counters().spawned == 2 end)
