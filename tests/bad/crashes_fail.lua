-- crashes = "fail": a process that crashes with a Lua error fails the run at that moment.
-- expect-exit: 1
-- expect-stdout: process <0.1.0> crashed with a Lua error: attempt to perform arithmetic on a nil value (global 'count') (crashes = "fail") at 5ms
local cl = require "crashlab"
cl.scenario { name = "crashes_fail", crashes = "fail", stop = "1s" }
cl.spawn(function()
  cl.sleep("5ms")
  count = count + 1
end)
cl.at_end("fine otherwise", function() return true end)
