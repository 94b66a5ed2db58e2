-- A child whose init fails stops the supervisor's start: the children already started are
-- terminated and the start fails with {shutdown, {failed_to_start_child, Id, Reason}}.
local cl = require "crashlab"
local conf = require "conf"
cl.scenario { name = "failed_start" }
conf.run(function()
  local ok, err = pcall(cl.supervisor.start, { strategy = "one_for_one", intensity = 3,
    period = "5s",
    children = { { id = "w1", start = { conf.worker, "w1", "plain" } },
                 { id = "w2", start = { conf.worker, "w2", "fail" } },
                 { id = "w3", start = { conf.worker, "w3", "plain" } } } })
  conf.line("start failed " .. (ok and "no" or err:match("supervisor%.start: (.*)$")))
  conf.finish(nil)
end)
