-- cl.server, OTP's gen_server: call (default timeout 5 s), cast, deferred reply, stop, and the
-- caller's exits for a dead server (noproc), a timeout and a server that dies during a call,
-- each with Erlang's reason {Why, {gen_server, call, [Server, Request, Timeout]}}.
local cl = require "crashlab"
cl.scenario { name = "server_api", stop = "30s" }

local pending -- a deferred reply's `from`
local counter = {
  init = function(n) return n end,
  handle_call = function(req, from, n)
    if req == "get" then return "reply", n, n end
    if req == "later" then pending = from; return "noreply", n end
    if req == "never" then return "noreply", n end
    if req == "boom" then error("boom") end
    if req == "stop" then return "stop", "normal", "bye", n end
    return "reply", n + req[2], n + req[2]
  end,
  handle_cast = function(msg, n)
    if msg == "reset" then return "noreply", 0 end
    if msg == "answer" then cl.server.reply(pending, n * 2); return "noreply", n end
    return "noreply", n
  end,
  handle_info = function(msg, n) return "noreply", n + 100 end,
}

local r = {}
cl.spawn(function()
  cl.trap_exit(true)
  local s = cl.server.start(counter, 10, { name = "counter" })
  r.get = cl.server.call(s, "get")
  r.add = cl.server.call("counter", { "add", 5 })
  cl.server.cast("counter", "reset")
  cl.send(s, "info")
  r.info = cl.server.call(s, "get")
  cl.spawn(function() cl.sleep(50); cl.server.cast("counter", "answer") end)
  r.later = cl.server.call(s, "later")
  local t0 = cl.now()
  local ok, e = pcall(cl.server.call, s, "never")
  r.timeout = not ok and e[1] == "timeout" and e[2][3][3] == 5000 and cl.now() - t0 == 5000
  ok, e = pcall(cl.server.call, s, "never", "250ms")
  r.timeout2 = not ok and e[1] == "timeout" and e[2][3][3] == 250
  r.stop = cl.server.call(s, "stop")
  cl.sleep(1)
  ok, e = pcall(cl.server.call, "counter", "get")
  r.noproc_name = not ok and e[1] == "noproc" and e[2][3][1] == "counter"
  local s2 = cl.server.start(counter, 1)
  ok, e = pcall(cl.server.call, s2, "boom")
  r.died = not ok and e[1][1] == "server_api.lua:14: boom" and e[1][2][1] == "server_api.lua:14"
  ok, e = pcall(cl.server.call, s2, "get")
  r.noproc_pid = not ok and e[1] == "noproc" and e[2][1] == "gen_server" and e[2][2] == "call"
  -- a server without init (state nil) that stops with a reply still replies
  local bare = cl.server.start({ handle_call = function(req, from, st) return "stop", "normal", "bye", st end })
  r.stop_nil = cl.server.call(bare, "x") == "bye"
  -- a callback returning something else: the server exits {bad_return_value, What}
  local bad = cl.server.start({ handle_call = function() return 42 end })
  ok, e = pcall(cl.server.call, bad, "x")
  r.bad_return = not ok and e[1][1] == "bad_return_value" and e[1][2] == 42
  -- calling yourself fails at once, as gen_server's calling_self
  local t0 = cl.now()
  ok, e = pcall(cl.server.call, cl.self(), "x")
  r.self = not ok and e[1] == "calling_self" and cl.now() == t0
end)

-- A server under a supervisor: cl.server.enter turns the child process into the server, and a
-- restart brings it back under its name with a fresh state.
local sup = cl.supervisor.start { children = { { id = "srv",
  start = { function(n) cl.server.enter(counter, n, { name = "ctr2" }) end, 7 } } } }
cl.at("10s", function()
  cl.spawn(function()
    cl.server.call("ctr2", { "add", 1 })
    local before = cl.whereis("ctr2")
    cl.kill("ctr2", "boom")
    cl.sleep(1)
    r.supervised = cl.whereis("ctr2") ~= before and cl.server.call("ctr2", "get") == 7 and
        cl.supervisor.check(sup)
  end)
end)

cl.at_end("every call behaved as gen_server's", function()
  return r.get == 10 and r.add == 15 and r.info == 100 and r.later == 200 and r.timeout and
      r.timeout2 and r.stop == "bye" and r.noproc_name and r.died and r.noproc_pid and
      r.stop_nil and r.bad_return and r.self and r.supervised
end)
