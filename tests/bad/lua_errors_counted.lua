-- Processes that crash with a Lua error of the scenario's own code are counted at the verdict,
-- with the first one's message and line; error(...) called on purpose, cl.exit, kills and
-- runtime conditions (a send to a name nobody holds) are crashes being modelled, not counted.
-- expect-exit: 0
-- expect-stdout: 3 processes crashed with Lua errors, first: attempt to index a nil value (local 't') at lua_errors_counted.lua:11 (process <0.1.0>)
local cl = require "crashlab"
cl.scenario { name = "lua_errors_counted", seed = 3 }
for i = 1, 3 do
  cl.spawn(function()
    local t = nil
    return t.x
  end)
end
cl.spawn(function() error("on purpose") end)
cl.spawn(function() cl.exit("stop") end)
cl.spawn(function() cl.send("nobody", "hi") end)
cl.spawn(function() local p = cl.spawn(function() end); cl.sleep(1); cl.link(p) end) -- noproc
cl.at_end("the run went on", function() return true end)
