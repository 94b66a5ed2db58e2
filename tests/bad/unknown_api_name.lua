-- A misspelt API name (cl.spwan for cl.spawn) is a call of nil, named as the field it is.
-- expect-exit: 2
-- expect-stderr: crashlab: unknown_api_name.lua:5: attempt to call a nil value (field 'spwan')
local cl = require "crashlab"
cl.spwan(function() end)
