-- Runaway code in a server's code_change is the server's runaway, not a failed change it
-- reports: the server crashes naming code_change's line (not a line of crashlab's prelude) and
-- the caller of change_code sees it die; the run goes on (exit 0).
-- expect-exit: 0
-- expect-stdout: process <0.2.0> exited: <<"runaway_in_code_change.lua:12: runaway process: 1 million Lua instructions without virtual time passing">>
local cl = require "crashlab"
cl.scenario { name = "runaway_in_code_change", stop = "1s", limits = { instructions = 1000000 } }
local kv = cl.code.module("kv")
local function version(v)
  return { init = function() return 0 end,
           handle_call = function(req, from, s) return "reply", v, s end,
           code_change = function(old, s, extra) while true do end end }
end
cl.code.load("kv", version(1))
cl.spawn(function()
  cl.trap_exit(true)
  local s = cl.server.start(kv, nil)
  cl.sys.suspend(s)
  cl.code.load("kv", version(2))
  local ok, e = pcall(cl.sys.change_code, s, "kv", 1, nil)
  print(ok, cl.format(e))
end)
