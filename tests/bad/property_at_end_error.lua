-- An error raised by an at_end property, checked after the run, is a scenario error.
-- expect-exit: 2
-- expect-stderr: crashlab: property 'all done': property_at_end_error.lua:7: checker is broken
local cl = require "crashlab"
cl.scenario { name = "property_at_end_error", stop = "1s" }
cl.spawn(function() cl.sleep("10ms") end)
cl.at_end("all done", function() error("checker is broken") end)
