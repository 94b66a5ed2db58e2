-- A loss probability above 1.
-- expect-exit: 2
-- expect-stderr: crashlab: loss_out_of_range.lua:7: link: loss must be a probability from 0 to 1, not 1.5
local cl = require "crashlab"
cl.scenario { name = "loss_out_of_range" }
cl.node("b")
cl.net.link("a", "b", { loss = 1.5, mode = "datagram" })
