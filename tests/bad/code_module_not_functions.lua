-- A module is a table of functions: a field holding anything else is named at the load.
-- expect-exit: 2
-- expect-stderr: crashlab: code_module_not_functions.lua:6: cl.code.load: module kv: field 'size' is number, not a function
local cl = require "crashlab"
cl.scenario { name = "code_module_not_functions" }
cl.code.load("kv", { get = function() end, size = 10 })
