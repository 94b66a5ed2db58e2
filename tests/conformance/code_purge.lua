-- A process that runs the old version (a local loop) keeps soft_purge from removing it, and
-- is killed by purge (its DOWN says killed); a process that runs the current version is left
-- alone. The driver waits on answers and DOWN messages, never on time.
local cl = require "crashlab"
local conf = require "conf"
cl.scenario { name = "code_purge" }

local function src(tag)
  local function loop()
    local m = cl.receive({ "ask", cl._ })
    cl.send(m[2], { "answer", tag })
    return loop()
  end
  return { loop = loop }
end

local function ask(p)
  cl.send(p, { "ask", cl.self() })
  return cl.receive({ "answer", cl._ })[2]
end

conf.run(function()
  assert(cl.code.load("kv", src("v1")))
  local p = cl.code.spawn("kv", "loop")
  local ref = cl.monitor(p)
  conf.line("old process answers " .. ask(p))
  assert(cl.code.load("kv", src("v2")))
  conf.line("soft_purge: " .. tostring(cl.code.soft_purge("kv")))
  conf.line("old process answers " .. ask(p))
  local q = cl.code.spawn("kv", "loop")
  conf.line("new process answers " .. ask(q))
  conf.line("soft_purge: " .. tostring(cl.code.soft_purge("kv")))
  conf.line("purge: " .. tostring(cl.code.purge("kv")))
  local down = cl.receive({ "DOWN", ref, "process", p, cl._ })
  conf.line("old process down: " .. cl.format(down[5]))
  conf.line("new process alive: " .. tostring(cl.alive(q)))
  conf.line("new process answers " .. ask(q))
  conf.line("soft_purge: " .. tostring(cl.code.soft_purge("kv")))
  conf.line("purge: " .. tostring(cl.code.purge("kv")))
  assert(cl.code.load("kv", src("v3")))
  conf.line("purge: " .. tostring(cl.code.purge("kv")))
  conf.line("new process alive: " .. tostring(cl.alive(q)))
  conf.finish(nil)
end)
