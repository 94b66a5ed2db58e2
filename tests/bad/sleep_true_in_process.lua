-- cl.sleep(true) inside a process is a misuse of the API: exit 2 with the caller's line.
-- expect-exit: 2
-- expect-stderr: crashlab: sleep_true_in_process.lua:7: bad argument #1 to 'sleep' (duration expected
local cl = require "crashlab"
cl.scenario { name = "sleep_true_in_process" }
cl.spawn(function()
  cl.sleep(true)
end)
cl.at_end("never reached", function() return true end)
