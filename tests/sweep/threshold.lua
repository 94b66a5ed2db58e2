-- A scenario that fails on some seeds and passes on the others, for the sweep tests.
--
-- A worker draws one number from its seeded stream. Below 0.15 it crashes with a Lua error,
-- and with crashes = "fail" the run fails naming the crash, the worker's pid and the virtual
-- time: a message that differs from seed to seed only in that time. From 0.15 to 0.25 the property "the draw is small enough" fails instead. So a sweep
-- sees two failure signatures, each on a known set of seeds, and passes on the rest.
local cl = require "crashlab"

cl.scenario { name = "threshold", stop = "2s", crashes = "fail" }

local draw = nil

cl.spawn(function()
  cl.sleep(string.format("%dms", 10 + math.random(1, 50)))
  draw = math.random()
  if draw < 0.15 then
    local budget = nil
    draw = budget - draw -- a Lua error of the author's code: with crashes = "fail" it fails the run
  end
end)

cl.at_end("the draw is small enough", function()
  return draw == nil or draw < 0.15 or draw >= 0.25
end)
