-- sys.change_code names the module by its name (a string): anything else is an error at the
-- call, from inside a process too.
-- expect-exit: 2
-- expect-stderr: crashlab: sys_change_code_bad_module.lua:9: sys.change_code: the module must be a module name (a string), not table
local cl = require "crashlab"
cl.scenario { name = "sys_change_code_bad_module" }
local s = cl.server.start({ init = function() return 0 end })
cl.spawn(function()
  cl.sys.change_code(s, { "kv" }, 1, nil)
end)
