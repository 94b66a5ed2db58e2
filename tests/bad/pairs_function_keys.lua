-- pairs has no deterministic order for function (or table) keys: the error names the line of
-- the pairs, even when the table holds one such key.
-- expect-exit: 2
-- expect-stderr: crashlab: pairs_function_keys.lua:7: pairs: a table with function keys has no deterministic order (use an array or string keys)
local cl = require "crashlab"
cl.scenario { name = "pairs_function_keys" }
for k in pairs({ [print] = 1 }) do print(k) end
