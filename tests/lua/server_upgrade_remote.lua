-- Upgrading a server on another node: cl.sys calls to {name, node} go through the network like
-- calls; a timeout names the server and the timeout as sys does ({timeout, {sys, suspend,
-- [{srv, b}, 1000]}}); the code_change records are made on the server's node.
local cl = require "crashlab"
cl.scenario { name = "server_upgrade_remote" }

local got = {}
cl.node("b")
local cb = {
  init = function() return 1 end,
  handle_call = function(req, from, s) return "reply", s, s end,
  code_change = function(old, s, extra) return "ok", s + extra end,
}
cl.spawn_on("b", function() cl.server.start(cb, nil, { name = "srv" }); cl.receive() end)
cl.spawn(function()
  cl.sleep("10ms")
  got[#got + 1] = cl.sys.suspend({ "srv", "b" })
  got[#got + 1] = cl.sys.change_code({ "srv", "b" }, "cb", 1, 41)
  got[#got + 1] = cl.sys.resume({ "srv", "b" })
  got[#got + 1] = cl.server.call({ "srv", "b" }, "get")
  cl.partition({ "a" }, { "b" })
  got[#got + 1] = cl.format(select(2, pcall(cl.sys.suspend, { "srv", "b" }, "1s")))
end)
cl.at_end("suspend, change_code, resume and the new state, across nodes", function()
  return got[1] == "ok" and got[2] == "ok" and got[3] == "ok" and got[4] == 42,
    cl.format({ got[1], got[2], got[3], got[4] })
end)
cl.at_end("a sys call that times out says so as sys does", function()
  return got[5] == "{timeout,{sys,suspend,[{srv,b},1000]}}", tostring(got[5])
end)
