-- A node name with a space in it: node names are letters, digits and _ - . @ only.
-- expect-exit: 2
-- expect-stderr: crashlab: node_name_with_space.lua:6: bad argument #1 to 'node' ('db 2' is not a node name (1 to 255 letters, digits, '_', '-', '.' or '@', as in "b" or "db@host2"))
local cl = require "crashlab"
cl.scenario { name = "node_name_with_space" }
cl.node("db 2")
