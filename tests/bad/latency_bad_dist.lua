-- A latency distribution crashlab does not know.
-- expect-exit: 2
-- expect-stderr: crashlab: latency_bad_dist.lua:7: latency: dist must be one of constant, uniform, normal, exponential, pareto
local cl = require "crashlab"
cl.scenario { name = "latency_bad_dist" }
cl.node("b")
cl.net.link("a", "b", { latency = { dist = "gamma", mean = "5ms" } })
