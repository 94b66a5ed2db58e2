-- A pcall around a memory bomb does not let the run carry on past its memory limit: the error
-- is raised again at the first line after the pcall, and the run ends there.
-- expect-exit: 2
-- expect-stderr: crashlab: memory_bomb_caught_by_pcall.lua:10: memory limit of 256 MiB exceeded
local cl = require "crashlab"
local ok = pcall(function()
  local t = {}
  for i = 1, math.maxinteger do t[i] = string.rep("x", 1000) .. i end
end)
print("still here", ok)
