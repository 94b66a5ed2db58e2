-- cl.server.enter's name is checked where the author wrote it too (the process is the server).
-- expect-exit: 2
-- expect-stderr: crashlab: server_enter_bad_name.lua:7: server.enter: options.name must be a name (a string of 1 to 255 bytes, not undefined), not table (in process <0.1.0>
local cl = require "crashlab"
cl.scenario { name = "server_enter_bad_name", stop = "1s" }
cl.spawn(function()
  cl.server.enter({ init = function() return 0 end }, nil, { name = { "x" } })
end)
