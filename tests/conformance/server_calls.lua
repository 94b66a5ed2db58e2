-- gen_server calls: a reply, a call that times out, a call to a server that stopped, and a
-- call to a server that dies while it handles the call; each caller exit reason as
-- gen_server gives it.
local cl = require "crashlab"
local conf = require "conf"
cl.scenario { name = "server_calls" }
local callbacks = {
  init = function(n) return n end,
  handle_call = function(req, from, n)
    if req == "get" then return "reply", n, n end
    if req == "never" then return "noreply", n end
    if req == "stop" then return "stop", "normal", "bye", n end
    if req == "crash" then cl.exit("crashed") end
  end,
}
local function try_call(label, req, timeout)
  local ok, r = pcall(cl.server.call, "srv", req, timeout)
  conf.line(label .. (ok and " reply " or " exit ") .. cl.format(r))
end
conf.run(function()
  cl.server.start(callbacks, 42, { name = "srv" })
  try_call("get", "get", 5000)
  try_call("never", "never", 200)
  try_call("stop", "stop", 5000)
  conf.sleep(50)
  try_call("after_stop", "get", 5000)
  cl.server.start(callbacks, 7, { name = "srv" })
  try_call("crash", "crash", 5000)
  conf.finish(nil)
end)
