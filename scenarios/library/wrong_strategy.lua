-- The wrong strategy: one_for_one where rest_for_one is needed.
--
-- A cache depends on a db (lib/db_cache.lua): it subscribes to the db's updates at start,
-- and the subscription lives in the db's memory. Under one_for_one, a db crash restarts the
-- db alone, with fresh memory, and the cache, still alive, is never told of an update again.
-- Nothing crashes after that, every process is up, the supervision tree looks healthy: the
-- bug is silent. The property "50 ms after each write, the cache holds the written value"
-- catches it at the first write after the crash (300 ms + 50 ms). This file declares
-- expect = "fail": it demonstrates the bug being caught. right_strategy.lua is the fix.
--
-- Try: run it with --trace and look at the db's second incarnation receiving {set, 3} while
-- nobody is subscribed.
local cl = require "crashlab"
local db_cache = require "db_cache"
cl.scenario { name = "wrong_strategy", stop = "1s", expect = "fail" }
db_cache.run("one_for_one")
