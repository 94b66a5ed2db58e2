-- cl.supervisor from Lua: a tree with a nested rest_for_one supervisor, restarts, the runtime
-- API from a process (which_children, count_children, terminate/restart/start/delete_child),
-- the snapshot and check helpers, and no orphans once the root is killed.
local cl = require "crashlab"
cl.scenario { name = "supervisor_api", stop = "10s" }

local function worker(name)
  cl.register(name)
  while true do
    local m = cl.receive()
    if m[1] == "crash" then error("asked to crash") end
  end
end

local root = cl.supervisor.start {
  strategy = "one_for_one", intensity = 3, period = "5s",
  children = {
    { id = "a", start = { worker, "a" } },
    { id = "b", start = { worker, "b" }, restart = "transient" },
    { id = "sub", supervisor = { strategy = "rest_for_one", children = {
        { id = "c", start = { worker, "c" } },
        { id = "d", start = { worker, "d" } } } } },
  },
}

local seen = {}
local c0, d0, snapshot
cl.at("100ms", function()
  local t = cl.supervisor.tree(root)
  seen.tree = #t.children == 3 and t.children[3].type == "supervisor" and #t.children[3].children == 2
  seen.check1 = cl.supervisor.check(root) == true
  c0, d0 = cl.whereis("c"), cl.whereis("d")
  cl.send("c", { "crash" })
end)
cl.at("200ms", function()
  seen.check2 = cl.supervisor.check(root) == true
  -- rest_for_one: c crashed, so c and d (started after it) are new; a is not
  seen.rest = cl.whereis("c") ~= c0 and cl.whereis("d") ~= d0 and cl.supervisor.restarts(root) == 0
  cl.spawn(function()
    local w = cl.supervisor.which_children(root)
    seen.which = #w == 3 and w[3][1] == "a" and w[1][3] == "supervisor" -- newest first
    local n = cl.supervisor.count_children(root)
    seen.count = n.specs == 3 and n.active == 3 and n.supervisors == 1 and n.workers == 2
    seen.term = cl.supervisor.terminate_child(root, "b") == true and cl.whereis("b") == nil
    seen.restart = cl.supervisor.restart_child(root, "b") ~= nil and cl.whereis("b") ~= nil
    local e = cl.supervisor.start_child(root, { id = "e", start = { worker, "e" } })
    local again, why = cl.supervisor.start_child(root, { id = "e", start = { worker, "e" } })
    seen.start = e == cl.whereis("e") and again == nil and why[1] == "already_started"
    local gone, why2 = cl.supervisor.delete_child(root, "zz")
    seen.delete = gone == nil and why2 == "not_found"
    snapshot = cl.supervisor.tree(root)
  end)
end)
cl.at("300ms", function() cl.kill(root, "kill") end)
cl.at_end("every check held", function()
  for _, k in ipairs { "tree", "check1", "check2", "rest", "which", "count", "term", "restart",
                       "start", "delete" } do
    if not seen[k] then error("check " .. k .. " failed") end
  end
  return true
end)
cl.at_end("no orphans", function() return #cl.supervisor.orphans(snapshot) == 0 and #cl.processes() == 0 end)
