-- Let it crash: a Lua error inside a process ends that process only, with the error and
-- file:line as its exit reason; the run goes on (exit 0).
-- expect-exit: 0
-- expect-stdout: process <0.1.0> exited: <<"error_in_process.lua:10: attempt to index a nil value (local 'reply')">>
local cl = require "crashlab"
cl.scenario { name = "error_in_process", stop = "1s" }
cl.spawn(function()
  cl.sleep("5ms")
  local reply = nil
  return reply.value
end)
