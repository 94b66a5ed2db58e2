-- The fix of wrong_strategy.lua: rest_for_one.
--
-- Children are started in order and rest_for_one restarts a child together with every child
-- started after it, so a db crash restarts the db and then the cache, which subscribes again
-- to the new db. The same writes and the same crashes: every property holds. (one_for_all
-- would work too, at the price of restarting children that do not depend on the db.)
local cl = require "crashlab"
local db_cache = require "db_cache"
cl.scenario { name = "right_strategy", stop = "1s" }
db_cache.run("rest_for_one")
