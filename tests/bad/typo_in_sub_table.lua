-- A typo in a field of a crashlab table (cl.server.cal) names the table and the nearest name.
-- expect-exit: 2
-- expect-stderr: crashlab: typo_in_sub_table.lua:7: cl.server has no 'cal'; did you mean 'call'? (in process <0.1.0>
local cl = require "crashlab"
cl.scenario { name = "typo_in_sub_table" }
cl.spawn(function()
  cl.server.cal("srv", "get")
end)
