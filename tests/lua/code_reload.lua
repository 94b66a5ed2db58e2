-- Hot code loading (cl.code), each point checked the way a scenario meets it: the two-version
-- rule and not_purged; a fully-qualified loop moving to new code while a local loop stays;
-- soft_purge refusing and purge killing (killed, seen by a monitor and a link); a helper that
-- both versions share counts as current; a process not started yet runs the version it was
-- spawned in; delete then undef; the loaded table is a copy; code per node, kept across a
-- restart; which/versions; check_process; a purge that kills its own caller. Method: one
-- driver process per point writes its verdict into `r`; the at_end property names the points
-- that failed.
local cl = require "crashlab"
cl.scenario { name = "code_reload", stop = "30s" }

local r = {}
local kv = cl.code.module("kv")

local function version(tag)
  local function local_loop()
    local m = cl.receive()
    cl.send(m, tag .. " local")
    return local_loop()
  end
  return {
    loop = function()
      local m = cl.receive()
      cl.send(m, tag .. " fq")
      return kv.loop()
    end,
    local_loop = local_loop,
    tag = function() return tag end,
  }
end

local function ask(p)
  cl.send(p, cl.self())
  return cl.receive()
end

-- 1. Two versions at most; loading a third is refused until the old one is purged.
cl.spawn(function()
  local h, v = cl.code.load("two", { f = function() return 1 end })
  local _, v2 = cl.code.load("two", { f = function() return 2 end })
  local h3, why = cl.code.load("two", { f = function() return 3 end })
  local vs = cl.code.versions("two")
  local still = h.f()
  local purged = cl.code.purge("two")
  local _, v3 = cl.code.load("two", { f = function() return 3 end })
  r[1] = v == 1 and v2 == 2 and h3 == nil and why == "not_purged" and vs.current == 2 and
      vs.old == 1 and still == 2 and purged == false and v3 == 3 and h.f() == 3
end)

-- 2. Fully-qualified loop moves, local loop stays; soft_purge refuses, purge kills.
cl.spawn(function()
  cl.code.load("kv", version("v1"))
  cl.trap_exit(true)
  local fq = cl.code.spawn_link("kv", "loop")
  local lo = cl.code.spawn_link("kv", "local_loop")
  local a1, b1 = ask(fq), ask(lo)
  cl.code.load("kv", version("v2"))
  local a2, a3, b2 = ask(fq), ask(fq), ask(lo)
  local soft = cl.code.soft_purge("kv")
  local ref = cl.monitor(lo)
  local killed = cl.code.purge("kv")
  local down = cl.receive({ "DOWN", ref, "process", lo, cl._ })
  local exit = cl.receive({ "EXIT", lo, cl._ })
  local soft2 = cl.code.soft_purge("kv")
  r[2] = a1 == "v1 fq" and b1 == "v1 local" and a2 == "v1 fq" and a3 == "v2 fq" and
      b2 == "v1 local" and soft == false and killed == true and down[5] == "killed" and
      exit[3] == "killed" and cl.alive(fq) and soft2 == true and ask(fq) == "v2 fq"
end)

-- 3. A helper both versions share is not old code; a process that has not started yet runs
-- the function it was spawned with.
cl.spawn(function()
  local function shared_wait() return cl.receive() end
  cl.code.load("sh", { run = function() local m = shared_wait(); cl.send(m, "done") end,
                       helper = shared_wait })
  local p = cl.code.spawn("sh", "run")
  cl.code.load("sh", { run = function() end, helper = shared_wait })
  local early = cl.code.soft_purge("sh")        -- p has not run yet: it runs version 1
  cl.sleep(1)                                   -- now p waits inside shared_wait, under run v1
  local mid = cl.code.soft_purge("sh")
  local p2 = cl.spawn(function() shared_wait() end)
  cl.sleep(1)
  cl.code.purge("sh")
  r[3] = early == false and mid == false and not cl.alive(p) and cl.alive(p2)
  cl.exit(p2, "kill")
end)

-- 4. delete makes current old: a call through the handle is undef; the table is a copy.
cl.spawn(function()
  local t = { f = function() return "original" end }
  local h = cl.code.load("cp", t)
  t.f = function() return "changed" end
  local copied = h.f() == "original"
  local deleted, again = cl.code.delete("cp"), cl.code.delete("cp")
  local ok, err = pcall(function() return h.f() end)
  r[4] = copied and deleted == true and again == false and cl.code.which("cp") == nil and
      not ok and tostring(err):find("undef: cp.f", 1, true) ~= nil and
      cl.code.versions("cp").old == 1 and next(cl.code.versions("nothing")) == nil
end)

-- 5. Code per node: b runs version 2 while a runs version 1; a restart keeps b's current code
-- and drops its old version.
cl.node("b")
cl.spawn(function()
  cl.code.load("pn", { v = function() return 1 end })
  cl.code.load("pn", { v = function() return 1 end }, "b")
  cl.code.load("pn", { v = function() return 2 end }, { node = "b" })
  local pn = cl.code.module("pn")
  local here = pn.v()
  local p = cl.spawn_on("b", function() local m = cl.receive(); cl.send(m, pn.v()) end)
  local there = ask(p)
  cl.crash_node("b")
  cl.restart_node("b")
  local vs = cl.code.versions("pn", "b")
  r[5] = here == 1 and there == 2 and vs.current == 2 and vs.old == nil and
      cl.code.which("pn") == 1
end)

-- 6. check_process (erlang:check_process_code): true while the process runs the old version.
cl.spawn(function()
  local m = cl.code.module("cpc")
  local function v(tag)
    return { loop = function() local from = cl.receive(); cl.send(from, tag); return m.loop() end }
  end
  cl.code.load("cpc", v("a"))
  local p = cl.code.spawn("cpc", "loop")
  local before = cl.code.check_process(p, "cpc")     -- no old version yet
  cl.code.load("cpc", v("b"))
  local during = cl.code.check_process(p, "cpc")     -- waits in version 1's loop
  local first = ask(p)                               -- answers "a", then calls m.loop()
  local after = cl.code.check_process(p, "cpc")
  r[6] = before == false and during == true and first == "a" and after == false and
      ask(p) == "b" and cl.code.check_process(cl.self(), "cpc") == false and
      cl.code.soft_purge("cpc") == true and cl.code.versions("cpc").old == nil
end)

-- 7. A process that runs old code and purges it is killed by its own purge: no line after the
-- call runs.
cl.spawn(function()
  cl.trap_exit(true)
  local reached = false
  cl.code.load("self", { run = function()
    local from = cl.receive()
    cl.code.load("self", { run = function() end })
    cl.code.purge("self")
    reached = true
    cl.send(from, "survived")
  end })
  local p = cl.code.spawn_link("self", "run")
  cl.send(p, cl.self())
  local m = cl.receive({ "EXIT", p, cl._ })
  r[7] = m[3] == "killed" and not reached
end)

cl.at_end("every point holds", function()
  local bad = {}
  for i = 1, 7 do if not r[i] then bad[#bad + 1] = tostring(i) end end
  return #bad == 0, "failed: " .. table.concat(bad, ", ")
end)
