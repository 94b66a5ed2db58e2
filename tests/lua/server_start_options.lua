-- A server's start options are checked at the caller's line (caught here with pcall): options
-- that are not a table, an unknown option, a name that is not one; a name another process holds
-- makes start fail with {already_started, Pid} in the caller while the new server ends normal,
-- as gen_server's start does, so a linked caller that does not trap exits lives on (before,
-- all of these failed inside the server, naming a line of crashlab's prelude).
local cl = require "crashlab"
cl.scenario { name = "server_start_options", stop = "1s" }
local cb = { init = function() return 0 end }
local r = {}
cl.spawn(function()
  local function try(opts) local ok, e = pcall(cl.server.start, cb, nil, opts); return ok, tostring(e) end
  r.not_table = select(2, try("srv"))
  r.unknown = select(2, try({ nmae = "srv" }))
  r.number = select(2, try({ name = 5 }))
  r.empty = select(2, try({ name = "" }))
  cl.register("taken")
  local ok, e = pcall(cl.server.start, cb, nil, { name = "taken" })
  r.taken = cl.format(e)
  cl.trap_exit(true)
  ok, e = pcall(cl.server.start, cb, nil, { name = "taken" })
  r.taken_trapping = cl.format(e)
  r.exit_normal = cl.format(cl.receive({ "EXIT", cl._, cl._ }, 1000))
  r.good = cl.whereis("srv") == nil and cl.server.start(cb, nil, { name = "srv" }) == cl.whereis("srv")
end)
local function has(k, text)
  cl.at_end(k, function() return r[k] ~= nil and r[k]:find(text, 1, true) ~= nil, tostring(r[k]) end)
end
has("not_table", "server_start_options.lua:11: server.start: the options must be a table ({name = ...}), not string")
has("unknown", "server_start_options.lua:11: server.start: options: unknown field 'nmae' (name)")
has("number", "server_start_options.lua:11: server.start: options.name must be a name")
has("empty", "not that string")
has("taken", "server.start: {already_started,<0.1.0>}")
has("taken_trapping", "server.start: {already_started,<0.1.0>}")
has("exit_normal", "normal}")
cl.at_end("a good name is taken", function() return r.good == true end)
