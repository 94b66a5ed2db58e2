-- A misspelt scenario{} field is refused, not ignored, and the message lists the fields.
-- expect-exit: 2
-- expect-stderr: crashlab: scenario_unknown_field.lua:5: scenario: unknown field 'stpo' (name, seed, stop, expect, limits, api_errors, crashes)
local cl = require "crashlab"
cl.scenario { name = "typo", seed = 1, stpo = "1s" }
