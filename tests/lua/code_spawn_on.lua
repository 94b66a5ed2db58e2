-- cl.code.spawn_on(node, name, fname, args) is spawn(Node, Module, Function, Args): the process
-- runs on that node, in that node's current version (b has v2 while a has v1), from inside a
-- process (a spawn request and its reply) and from the setup; spawn_link_on links it; a module
-- the node lacks is undef in the new process; a bad name is the caller's error at its line.
-- tests/cmake/code_trace.cmake checks the spawn records name the module and b's version.
local cl = require "crashlab"
cl.scenario { name = "code_spawn_on" }
cl.node("b")
local function job(tag) return { run = function(n) cl.exit(tag .. " " .. n .. " on " .. cl.node()) end } end
cl.code.load("job", job("v1"))
cl.code.load("job", job("b1"), "b")
cl.code.load("job", job("b2"), "b")

local r = {}
local setup_pid = cl.code.spawn_on("b", "job", "run", { 0 })
cl.spawn(function()
  cl.trap_exit(true)
  local p = cl.code.spawn_link_on("b", "job", "run", { 7 })
  r.linked = cl.format(cl.receive({ "EXIT", p, cl._ })[3])
  local q, ref = cl.code.spawn_on("a", "job", "run", { 8 }), nil
  ref = cl.monitor(q)
  r.local_down = cl.format(cl.receive({ "DOWN", ref, cl._, cl._, cl._ })[5])
  local u = cl.code.spawn_link_on("b", "nope", "run")
  r.undef = cl.format(cl.receive({ "EXIT", u, cl._ })[3])
  r.bad = select(2, pcall(cl.code.spawn_on, "b", "job", 5))
end)

cl.at_end("the setup's spawn ran on b", function() return cl.node(setup_pid) == "b" end)
cl.at_end("b runs its current version", function() return r.linked == "'b2 7 on b'", tostring(r.linked) end)
cl.at_end("a runs its own", function() return r.local_down == "'v1 8 on a'", tostring(r.local_down) end)
cl.at_end("a module b lacks is undef in the new process", function()
  return r.undef ~= nil and r.undef:find("undef: nope.run (no current version of module nope on node b)", 1, true) ~= nil,
    tostring(r.undef)
end)
cl.at_end("a bad function name is the caller's error", function()
  return tostring(r.bad):find("cl.code.spawn_on: the function name must be a string", 1, true) ~= nil, tostring(r.bad)
end)
