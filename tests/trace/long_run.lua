-- A run that goes on for as long as it is allowed: two processes exchange a message every
-- millisecond of virtual time. tests/cmake/trace_v2.cmake ends it with --max-time, with
-- --trace-limit and with SIGINT, and checks the trace is complete each time.
cl.scenario { name = "long_run" }
local function player(peer_name)
  local peer = nil
  while not peer do peer = cl.whereis(peer_name); cl.sleep(1) end
  while true do
    cl.send(peer, { "ball", cl.self() })
    cl.receive()
    cl.sleep(1)
  end
end
cl.spawn(function() cl.register("ping", cl.self()); player("pong") end)
cl.spawn(function() cl.register("pong", cl.self()); player("ping") end)
