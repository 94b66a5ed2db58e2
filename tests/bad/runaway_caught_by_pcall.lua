-- A pcall cannot swallow the runaway error and loop on: the error is raised again as soon as
-- the pcall returns, so the loop around it is stopped too (else the run would never end).
-- expect-exit: 2
-- expect-stderr: crashlab: runaway_caught_by_pcall.lua:7: runaway code: 200 million Lua instructions in one call without returning
local cl = require "crashlab"
while true do
  pcall(function() while true do end end)
end
