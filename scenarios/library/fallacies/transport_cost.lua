-- Fallacy 7: transport cost is zero.
--
-- A primary on node a keeps a table of 2,000 entries and replicates it to node b over a link
-- of 200 KB/s. Twenty times a second an entry changes.
--   naive: ships the whole table with every change (about 18 KB). The link cannot carry 20 of
--          them a second: they queue, and the replica falls further and further behind:
--          "the replica lags under 1 s" fails.
--   fixed: ships only the change, {key, value}: a few bytes each.
local cl = require "crashlab"

return function(design)
  local lag, applied = 0, 0
  cl.node("b", { boot = function()
    cl.register("replica", cl.self())
    local copy = {}
    while true do
      local m = cl.receive()
      if m.all then copy = m.all else copy[m.key] = m.value end
      lag = cl.now() - m.sent
      applied = m.version
    end
  end })
  cl.net.link("a", "b", { bandwidth = 200000, latency = "2ms" })

  cl.spawn(function()
    local data = {}
    for k = 1, 2000 do data[k] = k end
    cl.sleep("10ms")
    for version = 1, 200 do
      local key = math.random(1, 2000)
      data[key] = version
      local update = { version = version, sent = cl.now() }
      if design == "naive" then update.all = data else update.key, update.value = key, version end
      cl.send({ "replica", "b" }, update)
      cl.sleep("50ms")
    end
  end)

  cl.always("the replica lags under 1 s", function() return lag < 1000 end)
  cl.eventually("every change reaches the replica", "30s", function() return applied == 200 end)
end
