-- A uniform latency whose min is above its max.
-- expect-exit: 2
-- expect-stderr: crashlab: latency_uniform_reversed.lua:7: latency: bad parameters for uniform (min <= max, a pareto scale above 0 and shape above 0)
local cl = require "crashlab"
cl.scenario { name = "latency_uniform_reversed" }
cl.node("b")
cl.net.default { latency = { dist = "uniform", min = "9ms", max = "1ms" } }
