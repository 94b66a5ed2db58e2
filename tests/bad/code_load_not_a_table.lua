-- cl.code.load wants a table of functions, not a function.
-- expect-exit: 2
-- expect-stderr: crashlab: code_load_not_a_table.lua:6: cl.code.load: module kv must be a table of functions, not function
local cl = require "crashlab"
cl.scenario { name = "code_load_not_a_table" }
cl.code.load("kv", function() end)
