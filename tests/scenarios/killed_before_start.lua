-- Processes killed before their first run (test_spawn_oom.c counts the threads left anchored
-- in the registry after the run).
local cl = require "crashlab"
cl.scenario { name = "killed_before_start" }
for i = 1, 100 do
  local p = cl.spawn(function() cl.receive() end)
  cl.exit(p, "kill")
end
cl.at_end("all gone", function() return #cl.processes() == 0 end)
