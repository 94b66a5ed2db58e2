-- An infinite loop inside a property is stopped like any runaway code: a scenario error.
-- expect-exit: 2
-- expect-stderr: crashlab: property 'terminates': infinite_loop_in_property.lua:9: runaway code: 200 million Lua instructions in one call without returning
local cl = require "crashlab"
cl.scenario { name = "infinite_loop_in_property", stop = "1s" }
cl.spawn(function() cl.sleep("10ms") end)
cl.always("terminates", function()
  local n = 0
  while true do n = n + 1 end
end)
