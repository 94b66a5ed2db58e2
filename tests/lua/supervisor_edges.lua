-- Supervisor edge cases found in review, each checked against OTP's behaviour:
--  1. a rest_for_one cascade with a temporary child, whose restart of b fails once: the retry
--     restarts b (not another child), and every permanent child ends up running;
--  2. terminate_child of a child whose restart keeps failing calls the retries off: it stays
--     down (and can then be deleted);
--  3. a simple_one_for_one child whose restart fails is retried even after another child
--     was removed meanwhile.
local cl = require "crashlab"
cl.scenario { name = "supervisor_edges", stop = "5s" }

local fail = { b = 0, x = 0, p2 = 0 }   -- how many more starts of each must fail
local function worker(name, slow)
  if fail[name] and fail[name] > 0 then
    fail[name] = fail[name] - 1
    if slow then cl.sleep(slow) end
    cl.exit("init_failed")
  end
  if name ~= "anon" and name ~= "p1" and name ~= "p2" then cl.register(name) end
  while true do cl.receive() end
end

local r = {}
-- 1.
local s1 = cl.supervisor.start { strategy = "rest_for_one", intensity = 5, period = "5s",
  children = { { id = "a", start = { worker, "a" } },
               { id = "t", start = { worker, "t" }, restart = "temporary" },
               { id = "b", start = { worker, "b" } },
               { id = "c", start = { worker, "c" } } } }
cl.at("10ms", function() fail.b = 1; cl.kill("a", "boom") end)
cl.at("100ms", function() r[1] = cl.supervisor.check(s1) and #cl.supervisor.children(s1) == 3 end)
-- 2.
local s2 = cl.supervisor.start { strategy = "one_for_one", intensity = 10, period = "5s",
  children = { { id = "x", start = { worker, "x", 5 } } } }
cl.at("200ms", function() fail.x = 3; cl.kill("x", "boom") end)
cl.at("201ms", function()
  cl.spawn(function()
    local ok = cl.supervisor.terminate_child(s2, "x")
    cl.sleep(100)
    local kids = cl.supervisor.children(s2)
    local deleted = cl.supervisor.delete_child(s2, "x")
    r[2] = ok == true and kids[1].pid == nil and not kids[1].restarting and deleted == true
  end)
end)
-- 3.
local s3 = cl.supervisor.start { strategy = "simple_one_for_one", intensity = 10, period = "5s",
  children = { { id = "tpl", start = { worker } } } }
cl.at("400ms", function()
  cl.spawn(function()
    local p1 = cl.supervisor.start_child(s3, { "p1" })
    local p2 = cl.supervisor.start_child(s3, { "p2", 5 })
    fail.p2 = 1
    cl.exit(p2, "boom")
    cl.sleep(1)
    cl.supervisor.terminate_child(s3, p1)
    cl.sleep(100)
    local kids = cl.supervisor.children(s3)
    r[3] = #kids == 1 and kids[1].pid ~= nil and cl.alive(kids[1].pid)
  end)
end)

cl.at_end("1. the cascade's retry restarts the child that failed", function() return r[1] end)
cl.at_end("2. terminate_child calls the retries off", function() return r[2] end)
cl.at_end("3. simple_one_for_one retries the right child", function() return r[3] end)
