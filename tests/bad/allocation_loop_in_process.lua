-- A loop that does its work inside C functions (here string.rep, 4 MB a call) runs few Lua
-- instructions, but what those functions allocate counts too (one instruction per 64 bytes):
-- it is stopped as a runaway like any busy loop.
-- expect-exit: 0
-- expect-stdout: process <0.1.0> exited: <<"allocation_loop_in_process.lua:9: runaway process: 10 million Lua instructions without virtual time passing">>
local cl = require "crashlab"
cl.scenario { name = "allocation_loop_in_process", limits = { instructions = 10000000 } }
cl.spawn(function()
  while true do local s = string.rep("x", 4000000) end
end)
