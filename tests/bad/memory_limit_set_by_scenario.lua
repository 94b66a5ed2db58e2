-- A scenario can lower its memory limit; exceeding it is the same clear error, with the
-- scenario's figure.
-- expect-exit: 2
-- expect-stderr: crashlab: memory_limit_set_by_scenario.lua:9: memory limit of 8 MiB exceeded (in process <0.1.0>)
local cl = require "crashlab"
cl.scenario { name = "memory_limit_set_by_scenario", limits = { memory = "8MiB" } }
cl.spawn(function()
  local t = {}
  for i = 1, math.maxinteger do t[i] = string.rep("x", 1000) .. i end
end)
