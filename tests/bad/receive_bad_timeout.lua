-- A bad receive timeout ("soon") raises inside the process: it crashes that process only,
-- with the error and file:line as its exit reason, and the run goes on (exit 0).
-- expect-exit: 0
-- expect-stdout: process <0.1.0> exited: <<"receive_bad_timeout.lua:8: bad argument #2 to 'receive' (bad duration: expected a number with a unit, such as \"250ms\", \"5s\", \"2m\")">>
local cl = require "crashlab"
cl.scenario { name = "receive_bad_timeout", stop = "1s" }
cl.spawn(function()
  local msg = cl.receive(cl._, "soon")
end)
