-- A typo in a process (cl.recieve in a server loop) raises at the access, naming the nearest
-- name, and ends the run as a scenario error instead of a PASS.
-- expect-exit: 2
-- expect-stderr: crashlab: typo_in_server_loop.lua:9: crashlab has no 'recieve'; did you mean 'receive'? (in process <0.1.0>
local cl = require "crashlab"
cl.scenario { name = "typo_in_server_loop", stop = "1s" }
cl.spawn(function()
  while true do
    local m = cl.recieve()
    cl.send(m[1], "pong")
  end
end)
cl.at_end("nothing", function() return true end)
