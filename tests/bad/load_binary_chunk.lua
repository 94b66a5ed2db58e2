-- load accepts text only: a precompiled (binary) chunk is refused.
-- expect-exit: 2
-- expect-stderr: crashlab: load_binary_chunk.lua:6: attempt to load a binary chunk (mode is 't')
local cl = require "crashlab"
local blob = string.dump(function() return 1 end)
local f = assert(load(blob))
