-- A property that returns nothing (a missing `return`) says so, rather than "is false".
-- expect-exit: 1
-- expect-stdout: property 'forgot return' (always) returned nothing (nil) instead of true or false at 0ns
local cl = require "crashlab"
cl.scenario { name = "property_returns_nil" }
local up = cl.spawn(function() cl.receive() end)
cl.always("forgot return", function() local ok = cl.alive(up) end)
