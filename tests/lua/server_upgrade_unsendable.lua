-- A code_change whose failure cannot travel as a message (what it returned holds a function)
-- is answered {error, unsendable}, recorded as a failed change with the detail unsendable,
-- and the server lives on, suspended, with its state.
local cl = require "crashlab"
cl.scenario { name = "server_upgrade_unsendable" }

local results = {}
local kv = cl.code.module("kv")
local function version(v, change)
  return {
    init = function(n) return { n = n } end,
    handle_call = function(req, from, s) return "reply", { v, s.n }, s end,
    code_change = change,
  }
end
cl.code.load("kv", version(1))

cl.spawn(function()
  local s = cl.server.start(kv, 7)
  cl.sys.suspend(s)
  cl.code.load("kv", version(2, function() return "error", print end))
  results.change = cl.format(cl.sys.change_code(s, "kv", 1, nil))
  results.alive = cl.alive(s)
  results.state = cl.format(cl.sys.get_state(s))
  cl.sys.resume(s)
  results.call = cl.format(cl.server.call(s, "get"))
  cl.unlink(s)
  cl.exit(s, "kill")
end)

cl.at_end("a code_change failure that cannot travel is {error, unsendable}", function()
  return results.change == "{error,unsendable}", tostring(results.change)
end)
cl.at_end("the server lives on with its state", function()
  return results.alive == true and results.state == "#{n => 7}" and results.call == "{2,7}",
    tostring(results.alive) .. " " .. tostring(results.state) .. " " .. tostring(results.call)
end)
