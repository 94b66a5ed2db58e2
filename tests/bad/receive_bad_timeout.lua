-- A bad receive timeout ("soon") inside a process is a misuse of the API: the run ends as a
-- scenario error naming the caller's line and the process, not with a PASS.
-- expect-exit: 2
-- expect-stderr: crashlab: receive_bad_timeout.lua:8: bad argument #2 to 'receive' (bad duration: expected a number with a unit, such as "250ms", "5s", "2m") (in process <0.1.0>
local cl = require "crashlab"
cl.scenario { name = "receive_bad_timeout", stop = "1s" }
cl.spawn(function()
  local msg = cl.receive(cl._, "soon")
end)
