-- A purge of a module never loaded on that node (a typo, usually) is an error at the call, also
-- from inside a process.
-- expect-exit: 2
-- expect-stderr: crashlab: code_purge_unknown_module.lua:9: cl.code.purge: no module 'vk' was ever loaded on node a
local cl = require "crashlab"
cl.scenario { name = "code_purge_unknown_module" }
cl.code.load("kv", { get = function() end })
cl.spawn(function()
  cl.code.purge("vk")
end)
