-- The memory limit is the run's, so a process that exhausts it ends the run: a scenario error
-- naming the line and the process.
-- expect-exit: 2
-- expect-stderr: crashlab: memory_bomb_in_process.lua:9: memory limit of 256 MiB exceeded (in process <0.1.0>)
local cl = require "crashlab"
cl.scenario { name = "memory_bomb_in_process", stop = "1s" }
cl.spawn(function()
  local t = {}
  for i = 1, math.maxinteger do t[i] = string.rep("x", 1000) .. i end
end)
