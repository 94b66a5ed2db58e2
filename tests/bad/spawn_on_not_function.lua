-- spawn_on needs a function to run.
-- expect-exit: 2
-- expect-stderr: crashlab: spawn_on_not_function.lua:6: spawn_on: a function expected as the second argument
local cl = require "crashlab"
cl.scenario { name = "spawn_on_not_function" }
cl.spawn_on("a", 5)
