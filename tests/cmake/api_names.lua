-- Prints the names the crashlab module exports, one per line, sorted (for types.cmake).
local cl = require "crashlab"
local names = {}
for k in pairs(cl) do names[#names + 1] = k end
table.sort(names)
for _, k in ipairs(names) do print("name " .. k) end
