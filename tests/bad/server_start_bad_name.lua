-- A server's start options are checked at the caller's line: a name that is not one is the
-- author's mistake where they wrote it, not an error inside the new server at a line of
-- crashlab's prelude (cl.supervisor:145, before).
-- expect-exit: 2
-- expect-stderr: crashlab: server_start_bad_name.lua:9: server.start: options.name must be a name (a string of 1 to 255 bytes, not undefined), not number (in process <0.1.0>
local cl = require "crashlab"
cl.scenario { name = "server_start_bad_name", stop = "1s" }
cl.spawn(function()
  cl.server.start({ init = function() return 0 end }, nil, { name = 5 })
end)
