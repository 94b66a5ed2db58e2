local cl, sup, prim, server, sysapi = ... local upgrade = {} -- cl.supervisor, cl.server, cl.sys (see the end)
local function waiting(ref, mref)
  return function(m)
    return type(m) == 'table' and (m[1] == ref or (m[1] == 'DOWN' and m[2] == mref))
  end
end
-- Errors of the primitives name the scenario's line, not this prelude's.
local function relay(level, ok, ...)
  if not ok then
    local msg = ...
    if type(msg) == 'string' then msg = msg:gsub('^cl%.supervisor:%d+: ', '') end
    error(msg, level)
  end
  return ...
end
local function in_process(what)
  if not pcall(cl.self) then error(what .. ': only a process can call this', 3) end
end
local function call(s, op, arg)
  in_process('supervisor.' .. op)
  local mref = cl.monitor(s)
  local ref = relay(4, pcall(prim.call, s, op, arg))
  local m = cl.receive(waiting(ref, mref))
  if m[1] == 'DOWN' then prim.condition('supervisor.' .. op .. ': ' .. prim.format(m[5]), 3) end
  cl.demonitor(mref, true)
  return m[2]
end
function sup.start(flags)
  local pid, wait = relay(3, pcall(prim.start, flags))
  if wait then
    local m = cl.receive(function(m)
      return type(m) == 'table' and (m[1] == 'ack' or m[1] == 'EXIT') and m[2] == pid
    end)
    if m[1] == 'EXIT' then prim.condition('supervisor.start: ' .. prim.format(m[3]), 2) end
  end
  return pid
end
local function result(r, op)
  if type(r) == 'table' and r[1] == 'ok' then return r[2] end
  if r == 'ok' then return true end
  return nil, r[2]
end
function sup.start_child(s, spec) return result(call(s, 'start_child', spec)) end
function sup.terminate_child(s, id) return result(call(s, 'terminate_child', id)) end
function sup.restart_child(s, id) return result(call(s, 'restart_child', id)) end
function sup.delete_child(s, id) return result(call(s, 'delete_child', id)) end
function sup.which_children(s) return call(s, 'which_children') end
function sup.count_children(s)
  local t = {}
  for _, kv in ipairs(call(s, 'count_children')) do t[kv[1]] = kv[2] end
  return t
end
-- A nested supervisor that has just died has no tree: it shows as a child with no children.
function sup.tree(s)
  local kids = prim.children(s)
  if not kids then return nil end
  for _, k in ipairs(kids) do
    local sub = k.type == 'supervisor' and k.pid and sup.tree(k.pid)
    if sub then k.children = sub.children end
  end
  return { pid = s, restarts = prim.restarts(s), children = kids }
end
function sup.check(s)
  local t = sup.tree(s)
  if not t then return false, 'supervisor ' .. prim.format(s) .. ' is not alive' end
  local function walk(node, path)
    for _, k in ipairs(node.children) do
      local name = path .. '/' .. (k.id or prim.format(k.pid))
      if k.restart == 'permanent' and not (k.pid and cl.alive(k.pid)) then
        return false, 'permanent child ' .. name .. ' is not running'
      end
      if k.type == 'supervisor' and k.pid and not k.children then
        return false, 'supervisor ' .. name .. ' is not alive'
      end
      if k.children then
        local ok, why = walk(k, name)
        if not ok then return ok, why end
      end
    end
    return true
  end
  return walk(t, '')
end
-- cl.server: OTP's gen_server, as a Lua process loop.
local function ms(t)
  if t == nil then return 5000 end
  if t == 'infinity' then return t end
  return (select(2, prim.duration_ms(t, 'timeout'))) -- whole ms (an integer)
end
local function call_error(why, server, req, timeout)
  error({ why, { 'gen_server', 'call', cl.list{ server, req, timeout } } }, 0)
end
-- A server is a pid, a registered name or {name, node}; anything else is the caller's error.
local function target(s, fn)
  local k = prim.kind(s)
  if not k then
    error(fn .. ': the server must be a pid, a registered name or {name, node}, not ' .. prim.format(s), 3)
  end
  return k
end
-- gen_server:call: the monitor is the call's alias (OTP 24+): the request carries
-- {Self, {alias, Ref}}, the server replies to the alias, and once the caller has removed the
-- monitor (after a timeout) a late reply is dropped instead of reaching its mailbox.
function server.call(s, req, timeout)
  in_process('server.call')
  local k = target(s, 'server.call')
  local t = relay(3, pcall(ms, timeout))
  local pid = s
  if k == 'name' then pid = cl.whereis(s) end
  if k == 'name' and not pid then call_error('noproc', s, req, t) end
  if pid == cl.self() then call_error('calling_self', s, req, t) end
  local mref = cl.monitor(s)
  cl.send(pid or s, { '$gen_call', { cl.self(), { 'alias', mref } }, req })
  local m = cl.receive(function(m)
    return type(m) == 'table' and (m[1] == mref or (m[1] == 'DOWN' and m[2] == mref))
  end, t ~= 'infinity' and t or nil)
  if m == nil then cl.demonitor(mref, true); call_error('timeout', s, req, t) end
  if m[1] == 'DOWN' then call_error(m[5], s, req, t) end
  cl.demonitor(mref, true)
  return m[2]
end
function server.cast(s, msg)
  in_process('server.cast')
  local k = target(s, 'server.cast')
  if k == 'name' and not cl.whereis(s) then return 'ok' end
  cl.send(s, { '$gen_cast', msg })
  return 'ok'
end
function server.reply(from, reply)
  if type(from) ~= 'table' or prim.kind(from[1]) ~= 'pid' then
    error('server.reply: from must be the from a handle_call received', 2)
  end
  local tag = from[2]
  if type(tag) == 'table' and tag[1] == 'alias' then relay(3, pcall(prim.reply, from[1], tag[2], reply))
  else cl.send(from[1], { tag, reply }) end
  return 'ok'
end
-- The loop of a server. parent: who started it (a supervisor, or the caller of start);
-- when a server that traps exits gets its parent's exit signal, it runs terminate and exits
-- with that reason, as gen_server does. A callback that raises runs terminate with
-- {Error, Stack} (cl.exit(Reason) inside one: Reason) and the server exits with it.
local function serve(cb, arg, parent, name)
  cl.defer_ack() -- under a supervisor: started once init has run
  local starter; starter, parent = parent, parent or prim.parent() -- starter: server.start's caller
  local other = name and prim.register(name, starter); if other then cl.send(starter, { 'ack', cl.self(), { 'already_started', other } }); cl.exit('normal') end
  local state, mod = nil, upgrade.module(cb) -- a module's callbacks are called fully qualified
  cb = upgrade.callbacks(cb, mod); if cb.init then state = cb.init(arg) end
  local acked = cl.init_ack()
  if parent and not acked then cl.send(parent, { 'ack', cl.self(), 'ok' }) end
  local function stop(reason, st)
    if cb.terminate then cb.terminate(reason, st) end
    cl.exit(reason)
  end
  local function run(ok, ...)
    if ok then return table.pack(...) end
    stop(prim.exit_reason((...)), state)
  end
  local function after(r, from)
    local what = r[1]
    if what == 'reply' then server.reply(from, r[2]); return r[3] end
    if what == 'noreply' then return r[2] end
    if what == 'stop' then
      if from and r.n >= 4 then server.reply(from, r[3]); stop(r[2], r[4]) end
      stop(r[2], r[3])
    end
    stop({ 'bad_return_value', what == nil and 'nil' or what }, state)
  end
  local sys = upgrade.new(cb, mod, parent, function() return state end, function(s) state = s end)
  while true do -- suspended (sys.suspend): only system messages and the parent's exit
    local m = sys.suspended and cl.receive(sys.wanted) or cl.receive()
    local tag = type(m) == 'table' and m[1]
    if tag == '$gen_call' and cb.handle_call then
      state = after(run(xpcall(cb.handle_call, prim.stack, m[3], m[2], state)), m[2])
    elseif tag == '$gen_cast' and cb.handle_cast then
      state = after(run(xpcall(cb.handle_cast, prim.stack, m[2], state)))
    elseif tag == 'EXIT' and parent and m[2] == parent then stop(m[3], state)
    elseif tag == 'system' then sys.handle(m)
    elseif cb.handle_info then state = after(run(xpcall(cb.handle_info, prim.stack, m, state)))
    end
  end
end
-- Turns the calling process into the server (a supervisor child's start function):
-- start = { function(a) cl.server.enter(cb, a, { name = 'srv' }) end, arg }
function server.enter(cb, arg, opts)
  in_process('server.enter')
  serve(cb, arg, nil, (opts or {}).name)
end
function server.start(cb, arg, opts)
  if opts ~= nil then prim.start_opts('server.start', opts) else opts = {} end
  local parent
  if pcall(cl.self) then
    parent = cl.self()
    local pid = relay(3, pcall(upgrade.spawn_in, cb, cl.spawn_link, function(...) serve(cb, (...), parent,
                      opts.name) end, table.unpack({ arg }, 1, arg == nil and 0 or 1)))
    local m = cl.receive(function(m)
      return type(m) == 'table' and (m[1] == 'ack' or m[1] == 'EXIT') and m[2] == pid
    end)
    if m[1] == 'EXIT' or m[3] ~= 'ok' then prim.condition('server.start: ' .. prim.format(m[3]), 2) end
    return pid
  end
  return (relay(3, pcall(upgrade.spawn_in, cb, cl.spawn, function(...) serve(cb, (...), nil, opts.name) end,
                         table.unpack({ arg }, 1, arg == nil and 0 or 1)))) -- not a tail call: level 3
end
function sup.orphans(t)
  local left = {}
  local function walk(node)
    for _, k in ipairs(node.children or {}) do
      if k.pid and cl.alive(k.pid) then left[#left + 1] = k.pid end
      walk(k)
    end
  end
  if t and not cl.alive(t.pid) then walk(t) end
  return left
end
-- ---- Upgrading servers (cl.sys): OTP's sys:suspend, sys:change_code, sys:resume ----------------
-- A server started from a module (its name, or a cl.code module handle) calls its callbacks fully
-- qualified: each is looked up in the module's current version when it runs, so the server uses
-- a new version from its next callback on, with the state it has. The upgrade step that changes
-- the state as well: suspend it (requests queue), run the current version's
-- code_change(old_vsn, state, extra), resume.
function upgrade.module(cb)
  if type(cb) == 'string' then return cb end
  if type(cb) == 'userdata' then return (tostring(cb):match('^module (.+)$')) end
  return nil
end
-- The callbacks of a module server: a table whose fields are the current version's functions
-- (nil for one the version lacks; with no current version at all, the lookup raises undef).
function upgrade.callbacks(cb, mod)
  if not mod then return cb end
  local handle = cl.code.module(mod)
  return setmetatable({}, { __index = function(_, k)
    if not cl.code.which(mod) then return handle[k] end
    local ok, f = pcall(function() return handle[k] end)
    return ok and f or nil
  end })
end
-- spawn(...) (cl.spawn or cl.spawn_link) starts in the module's current version (its spawn record
-- names it); prim.spawn_in prepares it and spawns in one C call: no preemption in between can
-- hand the prepared spawn to another process, and a spawn that raises (an argument that cannot
-- be sent) leaves nothing prepared for the next one.
function upgrade.spawn_in(cb, spawn, ...) return prim.spawn_in(upgrade.module(cb), spawn, ...) end
local function code_change(cb, mod, old_vsn, state, extra)
  local f = cb.code_change
  if f == nil then error('undef: ' .. (mod or 'callbacks') .. '.code_change', 0) end
  return f(old_vsn, state, extra)
end
-- A server's system state: suspended or not, and the version of its module it runs (the one it
-- started in, then the one of its last successful code_change).
function upgrade.new(cb, mod, parent, get, set)
  local s = { suspended = false }
  local vsn = mod and cl.code.which(mod) or 0
  function s.wanted(m)
    return type(m) == 'table' and (m[1] == 'system' or (m[1] == 'EXIT' and parent ~= nil and m[2] == parent))
  end
  local function step(op, from, v, detail) prim.code_step(op, from[1], mod or 'undefined', v, detail) end
  function s.handle(m)
    local from, req, reply = m[2], m[3], 'ok'
    if req == 'suspend' then
      step('suspend', from, vsn); s.suspended = true
    elseif req == 'resume' then
      step('resume', from, vsn); s.suspended = false
    elseif req == 'get_state' then
      reply = get()
    elseif type(req) == 'table' and req[1] == 'change_code' and s.suspended then
      -- gen_server's system_code_change under sys: "ok", new_state changes the state; anything
      -- else, or a raise, is {error, Else} and leaves the state and the version as they were.
      local to = mod and cl.code.which(mod) or vsn
      local r = table.pack(xpcall(code_change, prim.caught, cb, mod, req[3], get(), req[4]))
      if r[1] and r[2] == 'ok' and r.n == 3 then -- returned "ok", new_state
        set(r[3]); vsn = to
        step('change_ok', from, to)
      else -- what it returned ("nil" for nothing, a tuple for several values), or {'EXIT', Why}
        local why = r.n == 2 and r[2] or r.n > 2 and { table.unpack(r, 2, r.n) } or 'nil'
        if not r[1] then why = { 'EXIT', prim.exit_reason(r[2]) } end
        reply = { 'error', why }
        if not pcall(step, 'change_failed', from, to, why) then step('change_failed', from, to, 'unsendable') end
      end
    else
      reply = { 'error', { 'unknown_system_msg', req } }
    end
    -- A state (get_state) or a failure that holds a function cannot travel as a message.
    if not pcall(server.reply, from, reply) then server.reply(from, { 'error', 'unsendable' }) end
  end
  return s
end
-- sys:suspend(Server), ...: a call like gen:call's, with the tag system. Its failures are raised
-- as {Reason, {sys, Function, Args}}, as server.call's are.
local function sys_call(s, req, op, timeout, args)
  in_process('sys.' .. op)
  local k = target(s, 'sys.' .. op)
  local t = relay(3, pcall(ms, timeout))
  local pid = s
  if k == 'name' then pid = cl.whereis(s) end
  if timeout ~= nil then args[#args + 1] = t end -- sys:F(..., Timeout) names it too
  local function fail(why) error({ why, { 'sys', op, cl.list(args) } }, 0) end
  if k == 'name' and not pid then fail('noproc') end
  if pid == cl.self() then fail('calling_self') end
  local mref = cl.monitor(s)
  cl.send(pid or s, { 'system', { cl.self(), { 'alias', mref } }, req })
  local m = cl.receive(function(m)
    return type(m) == 'table' and (m[1] == mref or (m[1] == 'DOWN' and m[2] == mref))
  end, t ~= 'infinity' and t or nil)
  if m == nil then cl.demonitor(mref, true); fail('timeout') end
  if m[1] == 'DOWN' then fail(m[5]) end
  cl.demonitor(mref, true)
  return m[2]
end
function sysapi.suspend(s, timeout) return sys_call(s, 'suspend', 'suspend', timeout, { s }) end
function sysapi.resume(s, timeout) return sys_call(s, 'resume', 'resume', timeout, { s }) end
function sysapi.get_state(s, timeout) return sys_call(s, 'get_state', 'get_state', timeout, { s }) end
function sysapi.change_code(s, module, old_vsn, extra, timeout)
  if type(module) ~= 'string' then
    error('sys.change_code: the module must be a module name (a string), not ' .. type(module), 2)
  end
  if old_vsn == nil then old_vsn = 'undefined' end
  if extra == nil then extra = 'undefined' end
  return sys_call(s, { 'change_code', module, old_vsn, extra }, 'change_code', timeout,
                  { s, module, old_vsn, extra })
end
-- A supervisor child's start = {"kv", "start_link", args...}: the child runs kv.start_link(args...)
-- as a fully-qualified call, so a restart after an upgrade starts the current version's.
-- An unknown module or function is Erlang's undef, raised in the child (its start fails).
prim.set_mfa(function(mod, fname, ...)
  local ok, f = pcall(function() return cl.code.module(mod)[fname] end)
  if not ok then prim.condition((tostring(f):gsub('^cl%.supervisor:%d+: ', '')), 0) end
  return f(...)
end)
-- cl.supervisor (OTP's supervisor) and cl.server (OTP's gen_server), written in Lua on top of
-- the C primitives of scenarios/lua/bind_sup.c (`prim`: start, call, children, restarts, format,
-- duration_ms, kind, reply, parent, stack, caught, exit_reason, condition, code_step, spawn_in,
-- set_mfa, start_opts, register). bind_sup.c runs this chunk once per Lua state, as "=cl.supervisor", with cl,
-- cl.supervisor, the primitives, cl.server and cl.sys. This note is at the end, and the first line carries the code, so that the line
-- numbers of the code (which can appear in stack traces, and so in traces) stay those it had
-- as a C string in bind_sup.c.
