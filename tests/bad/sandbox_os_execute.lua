-- The sandbox has no os.execute (os holds only the virtual time and clock).
-- expect-exit: 2
-- expect-stderr: crashlab: sandbox_os_execute.lua:5: os.execute is not available in the sandbox (crashlab run --unsafe allows it)
local cl = require "crashlab"
os.execute("touch /tmp/crashlab-sandbox-escape")
