-- Where crashlab used to differ from Erlang/OTP (issue 13, points 1 to 6), each checked the way
-- a scenario author would meet it: a supervised server that traps exits runs terminate on its
-- supervisor's shutdown (also with shutdown = "infinity"); an error in a callback runs
-- terminate({Error, Stack}); exit/1 is caught by pcall; a late reply never reaches the caller;
-- monitors of names, demonitor's options, calls to names and {name, node}, return values;
-- supervisor.tree/check while a nested supervisor has just died. Method: one driver process
-- per point writes its verdict into `r`; the at_end property names the points that failed.
local cl = require "crashlab"
cl.scenario { name = "erlang_semantics", stop = "60s" }

local r = {}
local terminated = {}

cl.node("b", { boot = function()
  cl.register("rb", cl.spawn(function() cl.receive() end))
  cl.server.start({ init = function() return 5 end,
                    handle_call = function(req, from, n) return "reply", n, n end }, nil, { name = "cnt" })
  cl.receive()
end })

-- 1. Shutdown by the supervisor: terminate(shutdown, State), in reverse start order, at once.
local function trapping(tag)
  return { init = function(a) cl.trap_exit(true); return a end,
           terminate = function(reason, st) terminated[#terminated + 1] = tag .. " " .. cl.format(reason) .. " " .. st end }
end
cl.spawn(function()
  cl.trap_exit(true)
  local owner = cl.spawn(function()
    cl.supervisor.start { children = {
      { id = "inf", shutdown = "infinity", start = { function() cl.server.enter(trapping("inf"), 1, { name = "inf" }) end } },
      { id = "t5", start = { function() cl.server.enter(trapping("t5"), 2, { name = "t5" }) end } } } }
    cl.receive()
  end)
  cl.sleep(1)
  local m1, m2 = cl.monitor("inf"), cl.monitor("t5")
  local t0 = cl.now()
  cl.exit(owner, "shutdown")
  local d1 = cl.receive({ "DOWN", m1, "process", { "inf", "a" }, cl._ })
  local d2 = cl.receive({ "DOWN", m2, "process", { "t5", "a" }, cl._ })
  r[1] = d1[5] == "shutdown" and d2[5] == "shutdown" and cl.now() == t0 and
      terminated[1] == "t5 shutdown 2" and terminated[2] == "inf shutdown 1"
end)

-- 2. An error in a callback: terminate({Error, Stack}, State), and the server exits with it.
cl.spawn(function()
  cl.trap_exit(true)
  local got
  local s = cl.server.start({ init = function() return "st" end,
    handle_cast = function() error("bad cast") end,
    terminate = function(reason, st) got = { reason, st } end })
  local ref = cl.monitor(s)
  cl.server.cast(s, "x")
  local d = cl.receive({ "DOWN", ref, cl._, cl._, cl._ })
  r[2] = got and got[2] == "st" and got[1][1]:find("erlang_semantics.lua:%d+: bad cast$") ~= nil and
      got[1][2][1]:find("^erlang_semantics.lua:%d+$") ~= nil and d[5][1] == got[1][1]
end)

-- 3. exit/1 is caught by pcall as Erlang's catch; uncaught (or rethrown) it is the exit reason.
cl.spawn(function()
  local ok, e = pcall(cl.exit, "boom")
  local caught = ok == false and e[1] == "EXIT" and e[2] == "boom" and tostring(e) == "exit: boom" and
      cl.format(e) == "{'EXIT',boom}"
  local _, ref = cl.spawn_monitor(function() cl.exit({ "shutdown", "x" }) end)
  local d = cl.receive({ "DOWN", ref, cl._, cl._, cl._ })
  local _, ref2 = cl.spawn_monitor(function() local _, e2 = pcall(cl.exit, "again"); error(e2) end)
  local d2 = cl.receive({ "DOWN", ref2, cl._, cl._, cl._ })
  r[3] = caught and cl.format(d[5]) == "{shutdown,x}" and cl.format(d2[5]) == "again"
end)

-- 4. A reply after the call's timeout is dropped: nothing is left in the caller's mailbox.
cl.spawn(function()
  cl.trap_exit(true)
  local pending
  local s = cl.server.start({
    handle_call = function(req, from, st) pending = from; return "noreply", st end,
    handle_cast = function(m, st)
      cl.server.reply(pending, "late")
      cl.send(pending[1], "replied") -- after the reply: per-pair order makes this causal
      return "noreply", st
    end })
  local ok, e = pcall(cl.server.call, s, "q", "10ms")
  cl.server.cast(s, "now")
  cl.receive("replied")
  r[4] = not ok and e[1] == "timeout" and cl.receive(nil, 0) == nil
end)

-- 5. Names: monitor, demonitor options, calls and casts, register's checks and return values.
cl.spawn(function()
  cl.trap_exit(true)
  cl.sleep(1) -- node b has booted
  local w = cl.spawn(function() cl.receive() end)
  local reg = cl.register("w5", w)
  local ref = cl.monitor("w5")
  cl.exit(w, "bye")
  local by_name = cl.receive({ "DOWN", ref, "process", { "w5", "a" }, "bye" }, "1s") ~= nil
  local ref2 = cl.monitor("nobody")
  local noproc = cl.receive({ "DOWN", ref2, "process", { "nobody", "a" }, "noproc" }, "1s") ~= nil
  local rb = cl.whereis("rb", "b")
  local ref3 = cl.monitor({ "rb", "b" })
  cl.exit(rb, "gone")
  local remote = cl.receive({ "DOWN", ref3, "process", { "rb", "b" }, "gone" }, "1s") ~= nil
  local ref4 = cl.monitor({ "nobody", "b" })
  local remote_noproc = cl.receive({ "DOWN", ref4, "process", { "nobody", "b" }, "noproc" }, "1s") ~= nil
  local q = cl.spawn(function() cl.receive() end)
  local m1 = cl.monitor(q)
  local info_true = cl.demonitor(m1, { "info" }) == true
  local m2 = cl.monitor(q)
  cl.exit(q, "kill")
  cl.sleep(1) -- the DOWN has come
  local info_false = cl.demonitor(m2, { "flush", "info" }) == false and cl.receive(nil, 0) == nil
  local plain = cl.demonitor(m2) == true and cl.demonitor(m2, { "info" }) == false
  local remote_call = cl.server.call({ "cnt", "b" }, "get") == 5
  local cast = cl.server.cast({ "cnt", "b" }, "x") == "ok" and cl.server.cast("nobody", "x") == "ok"
  local ok, e = pcall(cl.server.call, { "nobody", "b" }, "get", "1s")
  local remote_noproc_call = not ok and e[1] == "noproc" and e[2][3][1][1] == "nobody"
  local ok2, e2 = pcall(function() local v = cl.server.call(42, "x"); return v end)
  local line = not ok2 and e2:find("^erlang_semantics.lua:%d+: server.call: the server must be a pid") ~= nil
  local ok3, e3 = pcall(function() local v = cl.register(42, cl.self()); return v end)
  local refused = not ok3 and e3:find("^erlang_semantics.lua:%d+: bad argument #1 to 'register'") ~= nil
  local returns = reg == true and cl.register("me") == true and cl.unregister("me") == true
  r[5] = by_name and noproc and remote and remote_noproc and info_true and info_false and plain and
      remote_call and cast and remote_noproc_call and line and refused and returns
end)

-- 6. tree and check while a nested supervisor has just died (its parent has not seen it yet).
cl.spawn(function()
  cl.trap_exit(true)
  local top = cl.supervisor.start { children = { { id = "inner", supervisor = {
    children = { { id = "w", start = { function() cl.receive() end } } } } } } }
  local inner = cl.supervisor.children(top)[1].pid
  cl.exit(inner, "kill")
  local t = cl.supervisor.tree(top)
  local ok, why = cl.supervisor.check(top)
  r[6] = t.children[1].pid == inner and t.children[1].children == nil and ok == false and
      why == "permanent child /inner is not running"
end)

cl.at_end("every point behaves as Erlang's", function()
  local bad = {}
  for i = 1, 6 do if not r[i] then bad[#bad + 1] = i end end
  if #bad > 0 then print("failed points: " .. table.concat(bad, ", ")) end
  return #bad == 0
end)
