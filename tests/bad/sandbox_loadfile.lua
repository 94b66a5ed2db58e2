-- The sandbox has no loadfile or dofile: code comes in through require only.
-- expect-exit: 2
-- expect-stderr: crashlab: sandbox_loadfile.lua:5: loadfile is not available in the sandbox (crashlab run --unsafe allows it)
local cl = require "crashlab"
local chunk = loadfile("syntax_error.lua")
