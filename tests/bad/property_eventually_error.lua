-- An error inside an eventually property is a scenario error naming the property.
-- expect-exit: 2
-- expect-stderr: crashlab: property 'queue drains': property_eventually_error.lua:7: attempt to get length of a nil value (global 'queue')
local cl = require "crashlab"
cl.scenario { name = "property_eventually_error", stop = "1s" }
cl.spawn(function() cl.sleep("10ms") end)
cl.eventually("queue drains", "500ms", function() return #queue == 0 end)
