-- A process that loops without ever waiting in receive is stopped as a runaway: it crashes
-- (that process only) and the run goes on (exit 0).
-- expect-exit: 0
-- expect-stdout: process <0.1.0> exited: <<"infinite_loop_in_process.lua:9: runaway process: 200 million Lua instructions without virtual time passing">>
local cl = require "crashlab"
cl.scenario { name = "infinite_loop_in_process", stop = "1s" }
cl.spawn(function()
  local n = 0
  while true do n = n + 1 end
end)
