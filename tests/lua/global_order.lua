-- Several global names on two nodes: the announcements carry them in a fixed order, so the run
-- repeats exactly (checked with --check-determinism, as every scenario test is), and b's copy
-- of the table ends up with every name.
local cl = require "crashlab"
cl.scenario { name = "global_order", stop = "3s" }
cl.node("b")
cl.spawn(function()
  for _, name in ipairs({ "x", "y", "z", "w", "v" }) do
    cl.global.register(name, cl.spawn(function() cl.receive() end))
  end
  cl.receive()
end)
local seen
cl.at("2s", function()
  cl.spawn_on("b", function() seen = table.concat(cl.global.registered(), " ") end)
end)
cl.at_end("b's copy has every name", function() return seen == "v w x y z" end)
