-- A misspelt API name (cl.spwan for cl.spawn) raises at the access, with the nearest name.
-- expect-exit: 2
-- expect-stderr: crashlab: unknown_api_name.lua:5: crashlab has no 'spwan'; did you mean 'spawn'?
local cl = require "crashlab"
cl.spwan(function() end)
