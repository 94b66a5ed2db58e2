-- Server upgrades when things go wrong: a child start naming an unknown module or function
-- fails the start with undef (Erlang's shape: {shutdown, {failed_to_start_child, Id, Why}});
-- a code_change that raises or returns nothing is an {error, Reason} result and the server
-- lives on with its state; sys calls to a server that is not there raise {noproc, {sys, F,
-- Args}}; get_state of a state that holds a function is {error, unsendable}, and the server
-- lives on.
local cl = require "crashlab"
cl.scenario { name = "server_upgrade_errors" }

local results = {}
local kv = cl.code.module("kv")
local function version(v, change)
  return {
    start_link = function() cl.server.enter(kv, v, { name = "kv" }) end,
    init = function(n) return { n = n } end,
    handle_call = function(req, from, s) return "reply", { v, s.n }, s end,
    code_change = change,
  }
end
cl.code.load("kv", version(1))

cl.spawn(function()
  cl.trap_exit(true)
  local ok, e = pcall(cl.supervisor.start, { children = { { id = "x", start = { "nope", "start_link" } } } })
  results.unknown_module = not ok and tostring(e)
  ok, e = pcall(cl.supervisor.start, { children = { { id = "x", start = { "kv", "nope" } } } })
  results.unknown_function = not ok and tostring(e)
  local s = cl.server.start(kv, 7)
  cl.sys.suspend(s)
  cl.code.purge("kv")
  cl.code.load("kv", version(2, function() error("broken") end))
  results.raises = cl.sys.change_code(s, "kv", 1, nil)
  cl.code.purge("kv")
  cl.code.load("kv", version(3, function() end))
  results.nothing = cl.sys.change_code(s, "kv", 1, nil)
  cl.sys.resume(s)
  results.after = cl.server.call(s, "get")
  ok, e = pcall(cl.sys.suspend, "nobody")
  results.noproc = cl.format(e)
  local f = cl.server.start({ init = function() return { f = function() end } end,
                              handle_call = function(req, from, st) return "reply", "here", st end })
  results.unsendable = cl.format(cl.sys.get_state(f))
  results.still = cl.server.call(f, "ping")
end)

cl.at_end("an unknown module in a child start is undef", function()
  return results.unknown_module and results.unknown_module:find(
    "supervisor.start: {shutdown,{failed_to_start_child,x,'undef: nope.start_link (no current version of module nope on node a)'}}", 1, true) ~= nil,
    tostring(results.unknown_module)
end)
cl.at_end("an unknown function in a child start is undef", function()
  return results.unknown_function and results.unknown_function:find("undef: kv.nope", 1, true) ~= nil,
    tostring(results.unknown_function)
end)
cl.at_end("a code_change that raises is {error, {'EXIT', {Error, Stack}}}", function()
  local r = results.raises
  return type(r) == "table" and r[1] == "error" and r[2][1] == "EXIT" and
    tostring(r[2][2][1]):find("broken", 1, true) ~= nil, cl.format(r)
end)
cl.at_end("a code_change that returns nothing is {error, nil}", function()
  return cl.format(results.nothing) == "{error,nil}", cl.format(results.nothing)
end)
cl.at_end("the server lives on with its state, on the current version", function()
  return cl.format(results.after) == "{3,7}", cl.format(results.after)
end)
cl.at_end("a state that cannot travel is {error, unsendable}", function()
  return results.unsendable == "{error,unsendable}" and results.still == "here", tostring(results.unsendable)
end)
cl.at_end("sys calls to nobody raise noproc", function()
  return results.noproc == "{noproc,{sys,suspend,[nobody]}}", results.noproc
end)
