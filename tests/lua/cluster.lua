-- Nodes from Lua: declaring nodes with boot functions, spawning on and sending to other nodes,
-- links and monitors across nodes, a partition found by the net tick (noconnection, nodedown),
-- node crash and restart, and clocks.
local cl = require "crashlab"
cl.scenario { name = "cluster", stop = "2m" }
cl.net.tick("4s")

local boots = 0
cl.node("b", { boot = function()
  boots = boots + 1
  cl.register("echo", cl.self())
  while true do
    local m = cl.receive()
    cl.send(m.from, { echo = m.text, node = cl.node() })
  end
end })
cl.node("c", { skew = "10s", drift = 0.5 })

local log = {}
local function note(s) log[#log + 1] = s end

-- Asks b's echo server; it registers once its boot process runs, so ask until it answers.
local function ask(text)
  for _ = 1, 10 do
    cl.send({ "echo", "b" }, { from = cl.self(), text = text })
    local r = cl.receive(function(m) return m.echo end, "100ms")
    if r then return r end
  end
end

cl.spawn(function()
  cl.trap_exit(true)
  -- {name, node} and an answer back
  local r = ask("hi")
  note("echo " .. r.echo .. " from " .. r.node)
  -- spawn on another node, linked: its crash reaches us as an EXIT
  local t_spawn = cl.now()
  local p = cl.spawn_link_on("c", function() cl.sleep("1.5s"); error("boom") end)
  note("spawned on " .. cl.node(p))
  local e = cl.receive(function(m) return m[1] == "EXIT" end)
  note("exit " .. tostring(e[3]):match("boom") .. " after " .. cl.now() - t_spawn .. "ms") -- c's 1.5 s
  -- a monitor across a partition: DOWN noconnection once the tick finds the connection lost
  local q = cl.spawn_on("c", function() cl.receive() end)
  cl.monitor(q)
  cl.monitor_node("c")
  cl.partition({ "a" }, { "b", "c" })
  local t0 = cl.now()
  local d = cl.receive(function(m) return m[1] == "DOWN" end)
  local waited = cl.now() - t0
  note("down " .. d[5] .. " within tick " .. tostring(waited >= 3000 and waited <= 5000))
  local nd = cl.receive(function(m) return m[1] == "nodedown" end)
  note("nodedown " .. nd[2])
  -- unreachable now: a link breaks at once
  cl.link(q)
  local x = cl.receive(function(m) return m[1] == "EXIT" end)
  note("link " .. x[3])
  cl.heal()
  -- crash b, restart it: its boot runs again and the name is back
  cl.crash_node("b")
  note("b up " .. tostring(cl.node_up("b")))
  cl.restart_node("b")
  local r2 = ask("again")
  note("echo " .. (r2 and r2.echo or "none"))
end)

-- c's clock: 10 s ahead, 1.5 times as fast
local c_clock
cl.spawn_on("c", function() c_clock = cl.now() end)

cl.at_end("what the process saw", function()
  local want = {
    "echo hi from b", "spawned on c", "exit boom after 1000ms", "down noconnection within tick true",
    "nodedown c", "link noconnection", "b up false", "echo again",
  }
  local ok = table.concat(log, "|") == table.concat(want, "|")
  if not ok then print("saw: " .. table.concat(log, " | ")) end
  return ok
end)
cl.at_end("boot ran twice", function() return boots == 2 end)
cl.at_end("c's clock", function() return c_clock == 10000 end)
