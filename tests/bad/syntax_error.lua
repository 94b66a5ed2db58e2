-- A syntax error is reported with its file and line, before anything runs.
-- expect-exit: 2
-- expect-stderr: crashlab: syntax_error.lua:6: <name> or '...' expected near 'end'
local cl = require "crashlab"

cl.spawn(function( end)
