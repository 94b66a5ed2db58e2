-- A coroutine cannot be sent, and in the sandbox it cannot even be made: the coroutine
-- library is absent (processes are the coroutines), so the attempt fails at its creation.
-- expect-exit: 2
-- expect-stderr: crashlab: send_coroutine.lua:7: coroutine.create is not available in the sandbox (crashlab run --unsafe allows it)
local cl = require "crashlab"
local pid = cl.spawn(function() cl.receive() end)
local co = coroutine.create(function() end)
cl.send(pid, co)
