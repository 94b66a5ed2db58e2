-- every_kind.lua's system without any fault of its own: a plan read from every_kind's trace,
-- run here, makes every planned fault at the end of its instant (tests/cmake/faults.cmake).
local cl = require "crashlab"
cl.scenario { name = "quiet", stop = "6s" }
require("system")()
