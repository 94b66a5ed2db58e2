-- An eventually whose deadline has passed could never be checked: an error, as for cl.at.
-- expect-exit: 2
-- expect-stderr: crashlab: timer callback: eventually_past_deadline.lua:7: bad argument #2 to 'eventually' (that time has already passed (the deadline is a time, not a delay))
local cl = require "crashlab"
cl.scenario { name = "eventually_past_deadline", stop = "100ms" }
cl.at("10ms", function()
  cl.eventually("too late", "5ms", function() return false end)
end)
cl.spawn(function() cl.sleep(50) end)
