-- cl.global: names across nodes. A name registered on one node is found on the others; it goes
-- when its process dies; two registrations of one name made on the two sides of a partition
-- meet at the heal, and one process is killed (by default the one with the larger pid).
local cl = require "crashlab"
cl.scenario { name = "global_names", stop = "1m" }
cl.net.tick("4s")
cl.node("b")

local seen = {}
local function note(k, v) seen[k] = v end

local leader_a, leader_b
cl.spawn(function()
  cl.global.register("leader")
  leader_a = cl.self()
  note("the leader got its message", cl.receive() == "hello")
  cl.receive()
end)
cl.spawn_on("b", function()
  cl.sleep("100ms")
  note("b sees a's leader", cl.global.whereis("leader") == leader_a)
  note("b cannot take it", cl.global.register("leader") == false)
  cl.global.send("leader", "hello")
end)
cl.at("1s", function() cl.kill(leader_a) end)
cl.spawn_on("b", function()
  cl.sleep("3s")
  note("the name went with its process", cl.global.whereis("leader") == nil)
  -- a partition: each side registers "boss"
  cl.partition({ "a" }, { "b" })
  cl.sleep("10s")
  leader_b = cl.spawn(function() cl.global.register("boss"); cl.receive() end)
end)
cl.at("12s", function()
  cl.spawn(function() cl.global.register("boss"); cl.receive() end)
end)
cl.at("20s", cl.heal)
cl.at("25s", function()
  note("one boss after the heal", cl.global.whereis("boss") ~= nil and cl.node(cl.global.whereis("boss")) == "a"
    and not cl.alive(leader_b))
end)

cl.at_end("what the nodes saw", function()
  local ok = true
  for _, k in ipairs({ "b sees a's leader", "b cannot take it", "the leader got its message",
                       "the name went with its process", "one boss after the heal" }) do
    if not seen[k] then print("missing: " .. k); ok = false end
  end
  return ok
end)
cl.at_end("the conflict killed one of the two", function()
  local killed = 0
  for _, e in ipairs(cl.exits()) do if e.reason == "killed" then killed = killed + 1 end end
  return killed == 2 -- leader_a by cl.kill, one boss by the resolution
end)
