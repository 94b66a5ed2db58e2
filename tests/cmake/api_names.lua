-- Prints the names the crashlab module exports, one per line, sorted (for types.cmake), then
-- those of cl.code.
local cl = require "crashlab"
local names = {}
for k in pairs(cl) do names[#names + 1] = k end
table.sort(names)
for _, k in ipairs(names) do print("name " .. k) end
local code = {}
for k in pairs(cl.code) do code[#code + 1] = k end
table.sort(code)
for _, k in ipairs(code) do print("code " .. k) end
