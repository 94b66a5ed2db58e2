-- A loop that calls itself fully qualified (kv.fq(), through the module handle) moves to the
-- new version at its next iteration; a loop that calls itself locally (a Lua local) stays on
-- the old version until purge kills it. Each process answers with its version's tag.
local cl = require "crashlab"
local conf = require "conf"
cl.scenario { name = "code_fq_loop" }

local kv = cl.code.module("kv")

local function src(tag)
  local function lo()
    local m = cl.receive({ "ask", cl._ })
    cl.send(m[2], { "answer", tag })
    return lo()
  end
  return {
    fq = function()
      local m = cl.receive({ "ask", cl._ })
      cl.send(m[2], { "answer", tag })
      return kv.fq()
    end,
    lo = lo,
  }
end

local function ask(name, p)
  cl.send(p, { "ask", cl.self() })
  conf.line(name .. " answers " .. cl.receive({ "answer", cl._ })[2])
end

conf.run(function()
  assert(cl.code.load("kv", src("v1")))
  local f = cl.code.spawn("kv", "fq")
  local l = cl.code.spawn("kv", "lo")
  ask("fq", f); ask("local", l)
  assert(cl.code.load("kv", src("v2")))
  ask("fq", f); ask("fq", f); ask("local", l); ask("local", l)
  conf.line("soft_purge: " .. tostring(cl.code.soft_purge("kv")))
  local ref = cl.monitor(l)
  conf.line("purge: " .. tostring(cl.code.purge("kv")))
  local down = cl.receive({ "DOWN", ref, "process", l, cl._ })
  conf.line("local down: " .. cl.format(down[5]))
  assert(cl.code.load("kv", src("v3")))
  ask("fq", f); ask("fq", f)
  conf.line("soft_purge: " .. tostring(cl.code.soft_purge("kv")))
  conf.line("fq alive: " .. tostring(cl.alive(f)))
  conf.finish(nil)
end)
