-- math.randomseed is refused: the run's seed drives all randomness.
-- expect-exit: 2
-- expect-stderr: crashlab: math_randomseed.lua:5: math.randomseed is disabled: the run's seed drives all randomness (--seed N)
local cl = require "crashlab"
math.randomseed(1234)
