-- chaos's spare list names a node that does not exist.
-- expect-exit: 2
-- expect-stderr: crashlab: chaos_unknown_spare.lua:6: chaos: spare: unknown node 'zz' (the nodes are: a; declare one with cl.node)
local cl = require "crashlab"
cl.scenario { name = "chaos_unknown_spare", stop = "3s" }
cl.chaos { spare = { "zz" } }
