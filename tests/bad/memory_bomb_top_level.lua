-- Memory grown without bound in the setup hits the run's memory limit (256 MiB): a clear
-- error at the line that was running, not an out-of-memory crash.
-- expect-exit: 2
-- expect-stderr: crashlab: memory_bomb_top_level.lua:7: memory limit of 256 MiB exceeded
local cl = require "crashlab"
local t = {}
for i = 1, math.maxinteger do t[i] = string.rep("x", 1000) .. i end
