-- Every spawn path of the binding, tried with a memory budget of 0, 16, 32, ... bytes until it
-- succeeds (tests/scenarios/test_spawn_oom.c). The test puts with_budget(bytes, fn, ...) (fn
-- called under a protected call while the Lua state may grow by only that much) and
-- spawn_request (the primitive under cl.spawn_on, which returns instead of waiting for the
-- reply) into the environment before the run is stepped. The arguments are large, so that the
-- term built from them holds C heap memory while the spawn goes on.
cl.scenario { name = "spawn_under_budget", stop = "1s" }
cl.node("b")

local big = string.rep("x", 10000)
local function worker(s) return s end
budgets = {} -- the smallest budget each path needed, read by the test

local function attempts(fn, ...)
  for budget = 0, 1 << 20, 16 do
    if with_budget(budget, fn, ...) then return budget end
  end
  return -1
end

cl.spawn(function()
  budgets.spawn = attempts(cl.spawn, worker, big)
  budgets.spawn_monitor = attempts(cl.spawn_monitor, worker, big)
  budgets.request_remote = attempts(spawn_request, "b", 0, worker, big)
  budgets.request_local = attempts(spawn_request, "a", 0, worker, big)
end)

cl.at_end("every path spawned once it had the memory", function()
  for _, path in ipairs { "spawn", "spawn_monitor", "request_remote", "request_local" } do
    if not budgets[path] or budgets[path] <= 0 then return false end
  end
  return true
end)
