-- A process that loops in a function its module made as it ran (a local function inside
-- start) runs that module's code: once a new version is loaded, soft_purge refuses and purge
-- kills it (its DOWN says killed); a process in the same loop made by the new version is left
-- alone. Both versions come from one factory (the same lines), so the loop's upvalue `tag`, a
-- variable of the call that made the old version, tells them apart. The driver waits on
-- answers and DOWN messages, never on time.
local cl = require "crashlab"
local conf = require "conf"
cl.scenario { name = "code_local_fun" }

local function src(tag)
  return {
    start = function()
      local function loop()
        local m = cl.receive({ "ask", cl._ })
        cl.send(m[2], { "answer", tag })
        return loop()
      end
      return loop()
    end,
  }
end

local function ask(p)
  cl.send(p, { "ask", cl.self() })
  return cl.receive({ "answer", cl._ })[2]
end

conf.run(function()
  assert(cl.code.load("kv", src("v1")))
  local p = cl.code.spawn("kv", "start")
  local ref = cl.monitor(p)
  conf.line("old process answers " .. ask(p))
  assert(cl.code.load("kv", src("v2")))
  local q = cl.code.spawn("kv", "start")
  conf.line("new process answers " .. ask(q))
  conf.line("old process answers " .. ask(p))
  conf.line("check_process_code old: " .. tostring(cl.code.check_process(p, "kv")))
  conf.line("check_process_code new: " .. tostring(cl.code.check_process(q, "kv")))
  conf.line("soft_purge: " .. tostring(cl.code.soft_purge("kv")))
  conf.line("purge: " .. tostring(cl.code.purge("kv")))
  local down = cl.receive({ "DOWN", ref, "process", p, cl._ })
  conf.line("old process down: " .. cl.format(down[5]))
  conf.line("new process alive: " .. tostring(cl.alive(q)))
  conf.line("new process answers " .. ask(q))
  conf.finish(nil)
end)
