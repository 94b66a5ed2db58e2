-- A process looping in a closure that module code made as it ran (a local loop inside start,
-- reached by a tail call, so no function of the module's table is on its stack any more) runs
-- the version whose code made it. Decided by where the closure is defined: inside a function of
-- the old version and of no current one (two tables written apart), the process runs old code,
-- and purge kills it; when one factory made both versions (the same lines), by the loop's
-- upvalues: one of the call that made the old version (`tag`) makes it old code; with no such
-- upvalue nothing tells the versions apart, and the process is not known to run old code (the
-- limit docs/scenario-api.md states). A process in the current version's loop is left alone.
local cl = require "crashlab"
cl.scenario { name = "code_local_closures" }

local function factory(tag)
  return { start = function()
    local function loop() local m = cl.receive(); cl.send(m, tag); return loop() end
    return loop()
  end }
end
local apart_v1 = { start = function()
  local function loop() cl.receive(); return loop() end
  return loop()
end }
local apart_v2 = { start = function()
  local function loop() cl.receive(); return loop() end
  return loop()
end }
local function anonymous()
  return { start = function() local function loop() cl.receive(); return loop() end return loop() end }
end

local r = {}
cl.spawn(function()
  cl.code.load("f", factory("v1")); cl.code.load("a", apart_v1); cl.code.load("n", anonymous())
  local f1, a1, n1 = cl.code.spawn("f", "start"), cl.code.spawn("a", "start"), cl.code.spawn("n", "start")
  cl.sleep("1ms")
  cl.code.load("f", factory("v2")); cl.code.load("a", apart_v2); cl.code.load("n", anonymous())
  local f2, a2 = cl.code.spawn("f", "start"), cl.code.spawn("a", "start")
  cl.sleep("1ms")
  r.check = { cl.code.check_process(f1, "f"), cl.code.check_process(f2, "f"),
              cl.code.check_process(a1, "a"), cl.code.check_process(a2, "a"),
              cl.code.check_process(n1, "n") }
  r.soft = cl.code.soft_purge("f")
  r.purge = { cl.code.purge("f"), cl.code.purge("a"), cl.code.purge("n") }
  r.alive = { cl.alive(f1), cl.alive(f2), cl.alive(a1), cl.alive(a2), cl.alive(n1) }
  cl.send(f2, cl.self())
  r.answer = cl.receive()
end)

cl.at_end("check_process sees old code in a closure made by old module code", function()
  return cl.format(r.check) == "{true,false,true,false,false}", cl.format(r.check)
end)
cl.at_end("soft_purge refuses while the old loop runs", function() return r.soft == false end)
cl.at_end("purge kills the old loops, not the current ones", function()
  return cl.format(r.purge) == "{true,true,false}" and
    cl.format(r.alive) == "{false,true,false,true,true}", cl.format({ r.purge, r.alive })
end)
cl.at_end("the current loop answers", function() return r.answer == "v2", tostring(r.answer) end)
