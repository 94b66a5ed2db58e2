-- next follows the same deterministic order as pairs, and refuses the same keys.
-- expect-exit: 2
-- expect-stderr: crashlab: next_table_keys.lua:6: pairs: a table with table keys has no deterministic order (use an array or string keys)
local cl = require "crashlab"
cl.scenario { name = "next_table_keys" }
print(next({ a = 1, [{}] = 2 }))
