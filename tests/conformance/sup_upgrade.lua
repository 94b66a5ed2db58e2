-- A supervisor restarts a child into new code after an upgrade. The child is named by module
-- and function (start = {"kv", "start_link"}), so each start calls the current version's
-- start_link. While version 1 runs, version 2 is loaded: the running server's next callback is
-- version 2's (cl.server calls a module's callbacks fully qualified) although its init was
-- version 1's; once it is killed, the supervisor restarts it with version 2's start_link and init.
local cl = require "crashlab"
local conf = require "conf"
cl.scenario { name = "sup_upgrade" }

local kv = cl.code.module("kv")
local function src(v)
  return {
    start_link = function()
      conf.line("kv v" .. v .. " start_link")
      cl.server.enter(kv, nil, { name = "kv" })
    end,
    init = function() conf.line("kv v" .. v .. " init"); return "init_v" .. v end,
    handle_call = function(req, from, s) if req == "vsn" then return "reply", { "v" .. v, s }, s end end,
  }
end

local function load(v)
  assert(cl.code.load("kv", src(v)))
  conf.line("load v" .. v)
end

local function vsn() conf.line("vsn " .. cl.format(cl.server.call("kv", "vsn"))) end

conf.run(function()
  load(1)
  local sup = cl.supervisor.start({ strategy = "one_for_one", intensity = 3, period = "10s",
                                    children = { { id = "kv", start = { "kv", "start_link" } } } })
  local ref = conf.watch(sup)
  vsn()
  load(2)
  vsn()
  conf.kill("kv", "kill")
  vsn()
  cl.code.purge("kv")
  load(3)
  conf.kill("kv", "boom")
  vsn()
  conf.finish(ref)
end)
