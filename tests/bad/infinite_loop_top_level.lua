-- An infinite loop in the setup is stopped after 200 million instructions, at its line.
-- expect-exit: 2
-- expect-stderr: crashlab: infinite_loop_top_level.lua:6: runaway code: 200 million Lua instructions in one call without returning
local cl = require "crashlab"
local n = 0
while true do n = n + 1 end
