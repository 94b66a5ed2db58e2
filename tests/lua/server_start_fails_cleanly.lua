-- A server started from a module whose spawn raises (an argument that cannot be sent) raises
-- at the caller's line, and leaves no spawn prepared in the module: the caller's next spawn is
-- a plain one (tests/cmake/code_trace.cmake reads its spawn record). The same outside
-- processes.
local cl = require "crashlab"
cl.scenario { name = "server_start_fails_cleanly" }

local results = {}
local kv = cl.code.module("kv")
cl.code.load("kv", { init = function(n) return n end })

local ok, e = pcall(function() local s = cl.server.start(kv, { f = print }); return s end)
results.outside = not ok and tostring(e)
local function after_failed_start() end
cl.spawn(function()
  ok, e = pcall(function() local s = cl.server.start("kv", print); return s end)
  results.inside = not ok and tostring(e)
  cl.spawn(after_failed_start)
end)

cl.at_end("a failed start raises at the caller's line", function()
  return results.inside and results.inside:find(
    "^server_start_fails_cleanly%.lua:16: spawn argument%[1%]: cannot send a function") ~= nil,
    tostring(results.inside)
end)
cl.at_end("outside processes too", function()
  return results.outside and results.outside:find(
    "^server_start_fails_cleanly%.lua:12: spawn argument%[1%]%.f: cannot send a function") ~= nil,
    tostring(results.outside)
end)
