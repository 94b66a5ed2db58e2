-- receive belongs to processes: calling it from the scenario's top level is an error.
-- expect-exit: 2
-- expect-stderr: crashlab: receive_outside_process.lua:5: receive: only a process can call this
local cl = require "crashlab"
cl.receive()
