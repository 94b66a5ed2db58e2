-- An upgrade whose code_change crashes, and a system that survives it.
--
-- A counter server (module kv, under a supervisor as start = {"kv", "start_link"}) answers
-- clients every 50 ms. At 1 s the operator upgrades it: suspend, load version 2, change the
-- state with version 2's code_change, resume. Version 2 keeps its count under a new name, and
-- its code_change has a bug: it reads a field version 1 never had, and raises. sys.change_code
-- returns {error, {'EXIT', ...}} (the trace has a failed code_change record, kind 38 flags 9),
-- and the server is still suspended with its old state. Resuming it would let version 2's
-- callbacks run on version 1's state, so the operator restarts the child instead: the
-- supervisor starts it with version 2's start_link and init (a fresh state). The calls that
-- waited in the suspended server's mailbox die with it; the clients try each call up to three
-- times, so every call is answered.
local cl = require "crashlab"
cl.scenario { name = "upgrade_code_change_crash", stop = "3s" }

local kv = cl.code.module("kv")
local answered, failed, v2_answers = 0, 0, 0
local upgrade_result

local function version(v)
  local m = {}
  function m.start_link() cl.server.enter(kv, nil, { name = "kv" }) end
  function m.init() if v == 1 then return { count = 0 } end return { hits = 0 } end
  function m.handle_call(req, from, s)
    if v == 1 then s.count = s.count + 1; return "reply", { 1, s.count }, s end
    s.hits = s.hits + 1 -- on version 1's state this raises: there is no hits
    return "reply", { 2, s.hits }, s
  end
  function m.code_change(old, s, extra)
    return "ok", { hits = s.counter + 0 } -- the bug: version 1 called it count
  end
  return m
end
cl.code.load("kv", version(1))

cl.spawn(function()
  local sup = cl.supervisor.start({ strategy = "one_for_one", intensity = 3, period = "5s",
                                    children = { { id = "kv", start = { "kv", "start_link" } } } })
  for _ = 1, 2 do
    cl.spawn(function() -- a client: a call every 50 ms, tried up to 3 times 20 ms apart
      while cl.now() < 2800 do
        local ok, r
        for _ = 1, 3 do
          ok, r = pcall(cl.server.call, "kv", "hit", "500ms")
          if ok then break end
          cl.sleep("20ms")
        end
        if ok then
          answered = answered + 1
          if r[1] == 2 then v2_answers = v2_answers + 1 end
        else
          failed = failed + 1
        end
        cl.sleep("50ms")
      end
    end)
  end
  cl.sleep("1s")
  cl.sys.suspend("kv")
  cl.code.load("kv", version(2))
  upgrade_result = cl.sys.change_code("kv", "kv", 1, nil)
  if upgrade_result ~= "ok" then
    print("upgrade failed: " .. cl.format(upgrade_result[1]) .. ", restarting kv into version " .. cl.code.which("kv"))
    cl.supervisor.terminate_child(sup, "kv")
    cl.supervisor.restart_child(sup, "kv")
  else
    cl.sys.resume("kv")
  end
  cl.receive() -- the supervisor's parent stays (a supervisor exits with its parent)
end)

cl.at_end("the failed code_change was reported as {error, {'EXIT', _}}", function()
  return type(upgrade_result) == "table" and upgrade_result[1] == "error" and upgrade_result[2][1] == "EXIT"
end)
cl.at_end("every call was answered", function()
  return failed == 0, failed .. " calls failed"
end)
cl.at_end("version 2 serves", function()
  return v2_answers > 0 and cl.code.which("kv") == 2, v2_answers .. " answers from version 2"
end)
