-- A significant child that is permanent could never end for good: OTP refuses the spec, and
-- so does crashlab, naming the child.
-- expect-exit: 2
-- expect-stderr: crashlab: supervisor_bad_combination.lua:6: children[1]: a significant child cannot be permanent (OTP's bad_combination)
local cl = require "crashlab"
cl.supervisor.start { auto_shutdown = "any_significant",
  children = { { id = "w", start = { function() cl.receive() end }, significant = true } } }
