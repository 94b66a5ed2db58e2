-- A ledger under a storm of faults: the story of docs/sweeps.md (sweep, group, replay,
-- shrink, watch).
--
-- A ledger on node a counts, one tick every 100 ms, and pushes its count to a backup on node b
-- after every tick. When the ledger is killed, its supervisor restarts it, and it asks the
-- backup for the last count before it goes on. The backup checks that the count it is sent
-- never goes back: that would be writes lost.
--   naive: the ledger asks once and waits 50 ms; with no answer it starts again from 0. When
--          node b cannot be reached at that moment (a partition), the count starts again from
--          0, and once the partition heals, the backup is sent a count lower than its own.
--   fixed: the ledger asks again every 50 ms until the backup answers.
-- The storm (lib/storm.lua), drawn from the seed: from 0.5 s, every 50 ms, one fault, 120 in
-- all: a kill of one of two idle workers beside the ledger, a partition of the three nodes, a
-- heal, and now and then (3 in 100) a kill of the ledger. About one seed in three passes; on the others, the
-- three faults the bug needs line up (a partition that cuts a from b, a kill of the ledger
-- while it holds, a heal soon after) somewhere in the storm.
local cl = require "crashlab"

return function(design)
  local went_back = false

  cl.node("b", { boot = function()
    cl.register("backup", cl.self())
    local count = 0
    while true do
      local m = cl.receive()
      if m.get then
        cl.send(m.from, { count = count })
      else
        if m.count < count then went_back = true end
        count = m.count
      end
    end
  end })
  cl.node("c", { boot = function() cl.register("idle", cl.self()); cl.receive() end })

  local function restore()
    repeat
      cl.send({ "backup", "b" }, { get = true, from = cl.self() })
      local answer = cl.receive(function(m) return m.count ~= nil end, "50ms")
      if answer then return answer.count end
    until design == "naive"
    return 0 -- naive: one try, then 0
  end

  local function ledger()
    cl.register("ledger", cl.self())
    local count = restore()
    while true do
      cl.sleep("100ms")
      count = count + 1
      cl.send({ "backup", "b" }, { count = count })
    end
  end

  local function idle(name) cl.register(name); while true do cl.receive() end end

  cl.spawn(function()
    cl.supervisor.start { strategy = "one_for_one", intensity = 1000, period = "1s", children = {
      { id = "ledger", start = { ledger } },
      { id = "w1", start = { idle, "w1" } },
      { id = "w2", start = { idle, "w2" } },
    } }
    cl.receive()
  end)

  require("storm") { count = 120, victim = "ledger", victim_share = 0.03, workers = { "w1", "w2" }, splits = {
    { { "a" }, { "b", "c" } },
    { { "a", "c" }, { "b" } },
    { { "a", "b" }, { "c" } },
    { { "a" }, { "b" }, { "c" } },
  } }

  cl.always("the backup's count never goes back", function() return not went_back end)
end
