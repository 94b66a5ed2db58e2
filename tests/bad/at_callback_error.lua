-- An error inside an at() callback is a scenario error at the callback's line, when it fires.
-- expect-exit: 2
-- expect-stderr: crashlab: timer callback: at_callback_error.lua:7: send: no process is registered as 'db'
local cl = require "crashlab"
cl.scenario { name = "at_callback_error", stop = "1s" }
cl.at("100ms", function()
  cl.send("db", "ping") -- nobody registered "db"
end)
