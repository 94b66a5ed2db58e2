-- The sandbox has no io library: a scenario cannot read or write files.
-- expect-exit: 2
-- expect-stderr: crashlab: sandbox_io_open.lua:5: io.open is not available in the sandbox (crashlab run --unsafe allows it)
local cl = require "crashlab"
local f = io.open("/etc/passwd")
