-- A misuse of the API inside a server's callback (which crashlab's server loop catches to run
-- terminate) is still the author's bug: a scenario error at the callback's line.
-- expect-exit: 2
-- expect-stderr: crashlab: misuse_in_server_callback.lua:10: bad argument #1 to 'sleep' (duration expected
local cl = require "crashlab"
cl.scenario { name = "misuse_in_server_callback" }
local cb = {
  init = function() return 0 end,
  handle_call = function(req, from, n)
    cl.sleep({})
    return "reply", n, n
  end,
}
cl.spawn(function()
  local s = cl.server.start(cb, nil)
  pcall(cl.server.call, s, "get")
end)
