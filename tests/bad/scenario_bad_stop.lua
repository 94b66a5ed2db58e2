-- A scenario's stop must be a time: "forever" is refused and the field is named.
-- expect-exit: 2
-- expect-stderr: crashlab: scenario_bad_stop.lua:5: scenario: stop: bad duration: expected a number with a unit, such as "250ms", "5s", "2m"
local cl = require "crashlab"
cl.scenario { name = "bad_stop", stop = "forever" }
