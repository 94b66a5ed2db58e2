-- Properties can see the link and monitor sets of a process, as process_info/2 lists them.
local cl = require "crashlab"
cl.scenario { name = "observe" }

local a = cl.spawn(function() cl.receive("stop") end)
local b = cl.spawn(function() cl.link(a); cl.receive("stop") end)
local c = cl.spawn(function() cl.monitor(a); cl.monitor(a); cl.receive("stop") end)
local seen = {}

cl.at("1ms", function()
  local ia, ic = cl.info(a), cl.info(c)
  seen.links = #ia.links == 1 and ia.links[1] == b
  seen.by = #ia.monitored_by == 2 and ia.monitored_by[1] == c and ia.monitored_by[2] == c
  seen.mon = #ic.monitors == 2 and ic.monitors[1] == a and #ic.links == 0
  cl.send(b, "stop") -- b ends normally: the link goes, a lives on
end)
cl.at("2ms", function()
  local ia = cl.info(a)
  seen.after = ia ~= nil and #ia.links == 0 and #ia.monitored_by == 2
  cl.send(a, "stop")
end)
cl.at("3ms", function()
  seen.gone = cl.info(a) == nil and #cl.info(c).monitors == 0 and cl.info(c).mailbox == 2
  cl.send(c, "stop")
end)

for _, k in ipairs { "links", "by", "mon", "after", "gone" } do
  cl.at_end(k, function() return seen[k] == true end)
end
