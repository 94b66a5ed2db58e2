-- Runaway code in a server's callback is the server process's runaway, as in a plain process:
-- the server crashes naming the callback's line (not a line of crashlab's prelude) and the run
-- goes on (exit 0). Before, the run ended with a scenario error at cl.supervisor:177.
-- expect-exit: 0
-- expect-stdout: process <0.2.0> exited: <<"runaway_in_server_callback.lua:12: runaway process: 1 million Lua instructions without virtual time passing">>
local cl = require "crashlab"
cl.scenario { name = "runaway_in_server_callback", stop = "1s", limits = { instructions = 1000000 } }
local kv = cl.code.module("kv")
cl.code.load("kv", {
  init = function() return 0 end,
  handle_call = function(req, from, s)
    while true do end
  end,
})
cl.spawn(function()
  cl.trap_exit(true)
  local s = cl.server.start(kv, nil)
  pcall(cl.server.call, s, "spin")
end)
