-- An error inside an every() callback stops the run at the tick that raised it.
-- expect-exit: 2
-- expect-stderr: crashlab: timer callback: every_callback_error.lua:9: tick 3 failed
local cl = require "crashlab"
cl.scenario { name = "every_callback_error", stop = "1s" }
local ticks = 0
cl.every("100ms", function()
  ticks = ticks + 1
  if ticks == 3 then error("tick " .. ticks .. " failed") end
end)
