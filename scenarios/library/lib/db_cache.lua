-- A database and a cache that depends on it, for wrong_strategy.lua and right_strategy.lua.
--
-- The db keeps a value and a list of subscribers it notifies of every update. The cache
-- subscribes at start and keeps its own copy of the value. The dependency is real state: the
-- subscription lives in the db's memory. When the db restarts, its memory is fresh: a cache
-- that is not restarted with it is never told of an update again.
local cl = require "crashlab"
local M = {}

function M.db()
  cl.register("db")
  local value, subscribers = 0, {}
  while true do
    local m = cl.receive()
    if m[1] == "subscribe" then
      subscribers[#subscribers + 1] = m[2]
    elseif m[1] == "set" then
      value = m[2]
      for _, s in ipairs(subscribers) do cl.send(s, { "updated", value }) end
    elseif m[1] == "get" then
      cl.send(m[2], { "value", value })
    end
  end
end

function M.cache()
  cl.register("cache")
  cl.send("db", { "subscribe", cl.self() })
  while true do
    local m = cl.receive()
    if m[1] == "updated" then M.cached = m[2] end
  end
end

-- The scenario around the tree: a writer sets 1, 2, 3, ... every 100 ms; the db is killed at
-- 250 ms and 650 ms. The properties: 50 ms after each write, the cache holds the written
-- value; 10 ms after each crash, every permanent child of the tree is running.
function M.run(strategy)
  M.cached = nil
  local sup = cl.supervisor.start { strategy = strategy, intensity = 5, period = "5s",
    children = { { id = "db", start = { M.db } }, { id = "cache", start = { M.cache } } } }
  local written = 0
  cl.every("100ms", function()
    written = written + 1
    local n = written
    cl.send("db", { "set", n })
    cl.eventually("the cache holds " .. n, cl.now() + 50, function() return M.cached == n end)
  end)
  for _, t in ipairs { 250, 650 } do
    cl.at(t, function()
      cl.kill("db", "crash")
      cl.eventually("the tree is whole again by " .. (t + 10) .. "ms", t + 10,
        function() return cl.supervisor.check(sup) end)
    end)
  end
end

return M
