-- A global name is registered by a process, not by the scenario's setup.
-- expect-exit: 2
-- expect-stderr: crashlab: global_register_outside.lua:6: global.register: only a process can call this
local cl = require "crashlab"
cl.scenario { name = "global_register_outside" }
cl.global.register("x")
