-- A large message to {name, node} of an unknown node: the message's builder is freed before
-- the node check raises (under LeakSanitizer, a leak would change the exit status).
-- expect-exit: 2
-- expect-stderr: send_remote_name_unknown_node.lua:7: unknown node 'nowhere'
local cl = require "crashlab"
cl.scenario { name = "send_remote_name_unknown_node" }
cl.send({ "server", "nowhere" }, { string.rep("x", 400), string.rep("y", 400) })
