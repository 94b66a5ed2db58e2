-- Read back by tests/cmake/trace_v2.cmake (trace format version 2): a message from node a to
-- node b keeps one id on its send, deliver and receive records; a {Name, Node} send records
-- the name; spawns carry labels (a global function, a local one, an anonymous one as
-- FILE:LINE); cl.kill and kill_random give one fault record each; a partition gives a fault
-- record and a links record.
cl.scenario { name = "two_nodes", stop = "2s" }
cl.node("b", { boot = function()
  local function echo()
    cl.register("echo", cl.self())
    while true do
      local m = cl.receive()
      cl.send(m[2], { "pong", m[3] })
    end
  end
  cl.spawn(echo)
end })
function global_worker() cl.receive() end
local function local_worker() cl.receive() end
cl.spawn(function() -- ANONYMOUS: its label is two_nodes.lua and this line's number
  cl.sleep(10)
  cl.send(cl.whereis("echo", "b"), { "ping", cl.self(), 1 })
  cl.receive()
  cl.send({ "echo", "b" }, { "ping", cl.self(), 2 })
  cl.receive()
end)
local g = cl.spawn(global_worker)
local l = cl.spawn(local_worker)
cl.at("100ms", function() cl.kill(g) end)
cl.at("200ms", function() cl.kill_random { filter = function(p) return p == l end } end)
cl.at("300ms", function() cl.partition({ "a" }, { "b" }) end)
cl.at("400ms", function() cl.heal() end)
