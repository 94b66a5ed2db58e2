-- A gen_server upgraded as a release upgrade does it: while version 1 serves, version 2 is
-- loaded; sys.suspend holds the server (a cast sent meanwhile waits in its mailbox);
-- sys.change_code runs version 2's code_change on the state; sys.resume lets the queued cast
-- and the next call run version 2 on the new state. Then code_changes that fail: one that
-- exits, one that returns something other than "ok", state, and one asked of a server that is
-- not suspended; each is an {error, Reason} for the caller and leaves the state as it was. The
-- server's next call runs the current version (a fully-qualified callback) on that state.
local cl = require "crashlab"
local conf = require "conf"
cl.scenario { name = "server_upgrade" }

-- Version v of module kv. Its state: {count, N} in version 1, {total, N} from version 2 on.
local function src(v)
  local tag = v == 1 and "count" or "total"
  return {
    init = function(n) return { tag, n } end,
    handle_call = function(req, from, s) if req == "get" then return "reply", { "v" .. v, s }, s end end,
    handle_cast = function(m, s) return "noreply", { tag, s[2] + m[2] } end,
    code_change = function(old, s, extra)
      if v == 1 then return "ok", s end
      if v == 2 and old == 1 then return "ok", { "total", s[2] + extra } end
      if v == 3 then cl.exit("cannot_convert") end
      return "nothing"
    end,
  }
end

local function load(v)
  if v > 1 then cl.code.purge("kv") end
  assert(cl.code.load("kv", src(v)))
  conf.line("load v" .. v)
end

local function get() conf.line("get " .. cl.format(cl.server.call("kv", "get"))) end

conf.run(function()
  load(1)
  cl.server.start(cl.code.module("kv"), 40, { name = "kv" })
  get()
  load(2)
  conf.line("suspend " .. cl.format(cl.sys.suspend("kv")))
  cl.server.cast("kv", { "add", 1 })
  conf.line("change_code " .. cl.format(cl.sys.change_code("kv", "kv", 1, 2)))
  conf.line("state " .. cl.format(cl.sys.get_state("kv")))
  conf.line("resume " .. cl.format(cl.sys.resume("kv")))
  get()
  load(3)
  cl.sys.suspend("kv")
  conf.line("change_code " .. cl.format(cl.sys.change_code("kv", "kv", 2, "x")))
  load(4)
  conf.line("change_code " .. cl.format(cl.sys.change_code("kv", "kv", 2, "x")))
  cl.sys.resume("kv")
  conf.line("change_code " .. cl.format(cl.sys.change_code("kv", "kv", 2, "x")))
  conf.line("state " .. cl.format(cl.sys.get_state("kv")))
  get()
  conf.finish(nil)
end)
