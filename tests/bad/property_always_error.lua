-- An error inside an always property is a scenario error (not a failed property): exit 2,
-- with the property's name and the file:line inside it.
-- expect-exit: 2
-- expect-stderr: crashlab: property 'count is positive': property_always_error.lua:9: attempt to index a nil value (field 'count')
local cl = require "crashlab"
cl.scenario { name = "property_always_error", stop = "1s" }
local state = {}
cl.spawn(function() cl.sleep("10ms") end)
cl.always("count is positive", function() return state.count.value > 0 end)
