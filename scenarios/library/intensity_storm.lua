-- An intensity storm that escalates to the root.
--
-- root (one_for_one, at most 1 restart in 5 s)
--   mid (one_for_all, at most 3 restarts in 1 s)
--     a, b, c (workers)
-- From 100 ms, a random worker is killed every 20 ms. Each kill makes mid restart all three
-- (one_for_all: a cascade counts as one restart); the fourth within a second is one too
-- many, so mid gives up: it terminates its children and exits with reason shutdown. root
-- restarts mid (its first restart), the storm goes on, mid gives up again, and that is more
-- than root allows: root terminates everything and exits with shutdown too. This is OTP's
-- escalation, and the limits that stop a crash loop from spinning forever.
--
-- The properties check the escalation happened as designed:
--   * at_end: mid gave up exactly twice, and root once, all with reason shutdown, mid before
--     root (cl.exits() lists every exit in order);
--   * at_end: nothing of the tree is left running (cl.supervisor.orphans on a snapshot taken
--     while it was whole).
local cl = require "crashlab"
cl.scenario { name = "intensity_storm", stop = "2s" }

local function worker(name)
  cl.register(name)
  while true do cl.receive() end
end

local root = cl.supervisor.start { strategy = "one_for_one", intensity = 1, period = "5s",
  children = { { id = "mid", supervisor = { strategy = "one_for_all", intensity = 3,
    period = "1s", children = { { id = "a", start = { worker, "a" } },
                                { id = "b", start = { worker, "b" } },
                                { id = "c", start = { worker, "c" } } } } } } }

local snapshot
cl.at("50ms", function() snapshot = cl.supervisor.tree(root) end)
local names = { "a", "b", "c" }
cl.every("20ms", function()
  if cl.now() >= 100 then cl.kill(names[math.random(3)], "storm") end
end)

-- Every incarnation of mid, as root's children show it (an always property can observe).
local mids = {}
cl.always("(record mid's pids)", function()
  local kids = cl.supervisor.children(root)
  if kids and kids[1] and kids[1].pid then mids[kids[1].pid] = true end
  return true
end)

cl.at_end("mid gave up twice, then root", function()
  local order = {}
  for _, e in ipairs(cl.exits()) do
    if e.reason == "shutdown" and e.pid == root then order[#order + 1] = "root" end
    if e.reason == "shutdown" and mids[e.pid] then order[#order + 1] = "mid" end
  end
  return table.concat(order, " ") == "mid mid root"
end)
cl.at_end("no orphans", function() return snapshot ~= nil and #cl.supervisor.orphans(snapshot) == 0 end)
