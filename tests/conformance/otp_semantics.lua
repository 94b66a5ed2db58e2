-- gen_server and process semantics that crashlab once departed from (issue 13): the twin of
-- otp_semantics.erl (read its header).
local cl = require "crashlab"
local conf = require "conf"
cl.scenario { name = "otp_semantics" }

local function first(r) if type(r) == "table" then return r[1] end return r end
local callbacks = {
  init = function(a)
    if type(a) == "table" then cl.trap_exit(true); return a[2] end
    return a
  end,
  handle_call = function(req, from, s)
    if req == "wait" then return "noreply", from end
    return "reply", s, s
  end,
  handle_cast = function(msg, s)
    if msg == "crash" then error("bad_cast", 0) end
    if msg == "answer" then
      cl.server.reply(s, "late")
      cl.send(s[1], "replied")
    end
    return "noreply", s
  end,
  terminate = function(reason, s)
    if type(s) == "string" then conf.line("terminate " .. s .. " " .. cl.format(first(reason))) end
  end,
}
local function child(tag) cl.server.enter(callbacks, { "trap", tag }, { name = tag }) end

conf.run(function()
  -- 1. The supervisor's shutdown reaches the servers' terminate, last started first.
  local sup = cl.supervisor.start { strategy = "one_for_one", children = {
    { id = "s1", start = { child, "s1" }, shutdown = "infinity" },
    { id = "s2", start = { child, "s2" } } } }
  cl.exit(sup, "shutdown")
  local e1 = cl.receive({ "EXIT", sup, cl._ })
  conf.line("sup exit " .. cl.format(e1[3]))
  -- 2. An error in a callback: terminate({Error, Stack}); the server exits with it.
  local s2 = cl.spawn(function() cl.server.enter(callbacks, "crasher") end)
  local m2 = cl.monitor(s2)
  cl.server.cast(s2, "crash")
  local d2 = cl.receive({ "DOWN", m2, "process", cl._, cl._ })
  conf.line("crasher down " .. cl.format(first(d2[5])))
  -- 3. exit/1 is caught.
  local _, e3 = pcall(cl.exit, "boom")
  conf.line("catch " .. cl.format(e3))
  -- 4. A late reply is dropped.
  local s4 = cl.spawn(function() cl.server.enter(callbacks, "late") end)
  local _, r4 = pcall(cl.server.call, s4, "wait", 10)
  conf.line("late call " .. cl.format(first(r4)))
  cl.server.cast(s4, "answer")
  cl.receive("replied")
  local m = cl.receive(nil, 0)
  conf.line(m and "mailbox " .. cl.format(m) or "mailbox empty")
  -- 5. Names.
  local w = cl.spawn(function() cl.receive() end)
  local reg = cl.register("w5", w)
  local m5 = cl.monitor("w5")
  cl.exit(w, "bye")
  local d5 = cl.receive({ "DOWN", m5, "process", cl._, cl._ })
  conf.line("down " .. d5[4][1] .. " " .. cl.format(d5[5]))
  local m6 = cl.monitor("nobody")
  local d6 = cl.receive({ "DOWN", m6, "process", cl._, cl._ })
  conf.line("down " .. d6[4][1] .. " " .. cl.format(d6[5]))
  local q = cl.spawn(function() cl.receive() end)
  local m7 = cl.monitor(q)
  local i1 = cl.demonitor(m7, { "info" })
  local i2 = cl.demonitor(m7, { "info" })
  conf.line("demonitor info " .. tostring(i1) .. " then " .. tostring(i2))
  cl.send(q, "stop")
  cl.spawn(function() cl.server.enter(callbacks, "five", { name = "srv5" }) end)
  cl.sleep(0) -- the spawned server registers its name when it first runs
  conf.line("call remote " .. cl.format(cl.server.call({ "srv5", cl.node() }, "get")))
  local cast = cl.server.cast({ "srv5", cl.node() }, "hello")
  local _, r8 = pcall(cl.server.call, { "nobody", cl.node() }, "get", 1000)
  conf.line("call nobody " .. cl.format(first(r8)))
  cl.register("me")
  local un = cl.unregister("me")
  conf.line("register " .. tostring(reg) .. " unregister " .. tostring(un) .. " cast " .. cast)
  conf.finish(nil)
end)
