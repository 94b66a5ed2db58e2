-- A child start named by module and function needs a module name (a non-empty string) and a
-- function name: an empty one is an error at the supervisor's start.
-- expect-exit: 2
-- expect-stderr: crashlab: child_start_bad_module.lua:7: children[1].start: {"module", "function", args...} needs a module name of 1 to 255 bytes and a function name
local cl = require "crashlab"
cl.scenario { name = "child_start_bad_module" }
cl.supervisor.start({ children = { { id = "kv", start = { "", "start_link" } } } })
