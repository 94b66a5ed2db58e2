-- A process that polls its mailbox with a zero timeout forever keeps virtual time still: the
-- run could never end. It is stopped as a runaway like any busy loop (exit 0: only that
-- process dies).
-- expect-exit: 0
-- expect-stdout: process <0.1.0> exited: <<"zero_timeout_spin.lua:9: runaway process: 10 million Lua instructions without virtual time passing">>
local cl = require "crashlab"
cl.scenario { name = "zero_timeout_spin", stop = "1s", limits = { instructions = 10000000 } }
cl.spawn(function()
  while not cl.receive("go", 0) do end
end)
