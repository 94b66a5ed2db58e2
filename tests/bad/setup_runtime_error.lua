-- A runtime error in the setup (the file's top level) is a scenario error at its line.
-- expect-exit: 2
-- expect-stderr: crashlab: setup_runtime_error.lua:8: attempt to index a nil value (local 'config')
local cl = require "crashlab"
cl.scenario { name = "setup_runtime_error", stop = "1s" }
local config = nil
cl.spawn(function() cl.sleep("10ms") end)
local port = config.port
