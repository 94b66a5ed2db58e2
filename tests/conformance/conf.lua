-- Helpers shared by the conformance cases: the twin of conf.erl (read its header). Each case
-- requires this module beside it.
local cl = require "crashlab"
local M = {}

local function loop()
  local mons = {}
  while true do
    local m = cl.receive()
    if m[1] == "start" then
      mons[cl.monitor(m[3])] = m[2]
      print("LOG start " .. m[2])
      cl.send(m[4], "logged")
    elseif m[1] == "DOWN" then
      print("LOG down " .. mons[m[2]] .. " " .. cl.format(m[5]))
      mons[m[2]] = nil
    elseif m[1] == "line" then
      print("LOG " .. m[2])
    elseif m[1] == "quit" then -- the case is over: what its end sets off is not part of it
      return
    end
  end
end

function M.logger() cl.register("conflog", cl.spawn(loop)) end
function M.line(text) cl.send("conflog", { "line", text }) end

-- A worker: start = { conf.worker, id, mode }; mode "plain", "stubborn" or "fail".
local failing = false
function M.fail_now() failing = true end

function M.worker(id, mode)
  cl.defer_ack() -- started once logged, as proc_lib:init_ack in conf.erl
  if mode == "fail" then cl.exit("init_failed") end
  -- fail_later: starts the first time, then fails once the driver says so (fail_now).
  if mode == "fail_later" and failing then
    M.line(id .. " start attempt fails")
    cl.exit("init_failed")
  end
  cl.register(id)
  cl.send("conflog", { "start", id, cl.self(), cl.self() })
  cl.receive("logged")
  if mode == "stubborn" then cl.trap_exit(true) end
  cl.init_ack()
  while true do
    local m = cl.receive()
    if type(m) == "table" and m[1] == "stop" then cl.exit(m[2]) end
    if m == "hello" then M.line(id .. " got hello") end
  end
end

function M.kill(id, reason)
  M.line("kill " .. id .. " " .. cl.format(reason))
  cl.exit(cl.whereis(id), reason)
  cl.sleep(100)
end

function M.stop(id, reason)
  M.line("stop " .. id .. " " .. cl.format(reason))
  cl.send(id, { "stop", reason })
  cl.sleep(100)
end

M.sleep = cl.sleep
function M.watch(sup) return cl.monitor(sup) end

function M.finish(ref)
  cl.sleep(100)
  local m = cl.receive({ "DOWN", ref, "process", cl._, cl._ }, 0)
  if m then M.line("sup down " .. cl.format(m[5])) else M.line("sup alive") end
  cl.send("conflog", { "quit" })
end

-- Runs the driver as a process that traps exits (so a supervisor that gives up does not take
-- it along), after starting the logger.
function M.run(driver)
  M.logger()
  cl.spawn(function() cl.trap_exit(true); driver() end)
end

return M
