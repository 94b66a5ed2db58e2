-- A misspelt link field is refused, not ignored.
-- expect-exit: 2
-- expect-stderr: crashlab: link_unknown_field.lua:7: link: unknown field 'los' (latency, loss, dup, bandwidth, mode, down, both)
local cl = require "crashlab"
cl.scenario { name = "link_unknown_field" }
cl.node("b")
cl.net.link("a", "b", { los = 0.1 })
