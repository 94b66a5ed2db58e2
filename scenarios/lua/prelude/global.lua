-- cl.global: a name registry across nodes, like Erlang's `global`.
--
-- Each node that is up runs a name server (a process registered as "global_name_server" from
-- its start, on every node the first time cl.global is used, and on every node that boots after
-- that). A server keeps its node's copy of the table, name -> pid. A registration is made in
-- the caller's node's copy and announced to the servers of the other nodes at once; besides,
-- every server announces the names of its own node's processes to the other servers every
-- second, so a node that was cut off (or restarted) catches up within a second of the network
-- letting it. Each server monitors the pids in its copy: a name goes when its process dies, or
-- when the connection to its node is lost (noconnection), as global's do.
--
-- Two registrations of one name can meet: after a partition healed, each side registered the
-- name for a process of its own. The server that sees the conflict resolves it with the
-- name's resolve function (the third argument of register: fn(name, pid1, pid2) -> the pid to
-- keep) or by default by keeping the registration of the smaller pid and killing the other
-- process (exit reason "kill"): global's default kills one of the two; this rule is the same on
-- every node, so the two sides agree without a lock.
local cl, prim = ...
local global = {}
local copies = {}     -- node name -> its server's table (name -> pid), read by whereis
local resolvers = {}  -- name -> resolve function
local started = false

local function server(node)
  cl.trap_exit(true)
  cl.monitor_nodes(true)
  local names, monitors = {}, {}
  copies[node] = names
  local function forget(name)
    if monitors[name] then cl.demonitor(monitors[name]) end
    names[name], monitors[name] = nil, nil
  end
  local function put(name, pid)
    forget(name)
    names[name] = pid
    monitors[name] = cl.monitor(pid)
  end
  local function announce(to_node, list)
    cl.send({ "global_name_server", to_node }, { op = "names", from = node, names = list })
  end
  local function own_names() -- sorted: this chunk's pairs is Lua's own, in no fixed order
    local keys, list = {}, {}
    for name in pairs(names) do keys[#keys + 1] = name end
    table.sort(keys)
    for _, name in ipairs(keys) do
      if cl.node(names[name]) == node then list[#list + 1] = { name, names[name] } end
    end
    return list
  end
  local function merge(name, pid)
    local held = names[name]
    if held == nil then put(name, pid) return end
    if held == pid then return end
    -- Every node sees the two pids in the same order, so they all decide alike.
    local first, second = held, pid
    if prim.pid_less(pid, held) then first, second = pid, held end
    local keep = first
    if resolvers[name] then
      local ok, chosen = pcall(resolvers[name], name, first, second)
      if ok and (chosen == first or chosen == second) then keep = chosen end
    end
    local lose = keep == held and pid or held
    prim.note { "global_conflict", name, keep, lose }
    put(name, keep)
    if keep ~= lose then cl.exit(lose, "kill") end
  end
  local next_beat = cl.now() + 1000
  while true do
    local m = cl.receive(nil, math.max(0, next_beat - cl.now()))
    if m == nil then
      next_beat = next_beat + 1000
      local list = own_names()
      for _, other in ipairs(cl.nodes()) do
        if other ~= node then announce(other, list) end
      end
    elseif m.op == "register" then
      local held = names[m.name]
      if held ~= nil and held ~= m.pid then
        cl.send(m.reply, { "global_reply", m.ref, false })
      else
        put(m.name, m.pid)
        for _, other in ipairs(cl.nodes()) do
          if other ~= node then announce(other, { { m.name, m.pid } }) end
        end
        cl.send(m.reply, { "global_reply", m.ref, true })
      end
    elseif m.op == "unregister" then
      forget(m.name)
      for _, other in ipairs(cl.nodes()) do
        if other ~= node then
          cl.send({ "global_name_server", other }, { op = "drop", name = m.name, pid = m.pid })
        end
      end
      cl.send(m.reply, { "global_reply", m.ref, true })
    elseif m.op == "drop" then
      if names[m.name] == m.pid then forget(m.name) end
    elseif m.op == "names" then
      for _, entry in ipairs(m.names) do merge(entry[1], entry[2]) end
    elseif m[1] == "DOWN" then
      for name, ref in pairs(monitors) do
        if ref == m[2] then names[name], monitors[name] = nil, nil end
      end
    elseif m[1] == "nodeup" then
      announce(m[2], own_names())
    end
  end
end

local function start_on(node)
  if cl.node_up(node) and copies[node] == nil then
    copies[node] = {}
    prim.spawn_system(node, function() server(node) end, "global_name_server")
  end
end

local function ensure()
  if started then return end
  started = true
  for _, node in ipairs(cl.nodes()) do start_on(node) end
  prim.on_boot(function(node) copies[node] = nil; start_on(node) end)
end

-- Asks this node's server and waits for its answer (or for its end: it was killed).
local asked = 0
local function ask(req, fn)
  local node = cl.node()
  local server = cl.whereis("global_name_server", node)
  if server == nil then prim.condition("global." .. fn .. ": the name server of node " .. node .. " is down", 3) end
  asked = asked + 1
  local ref = asked
  local mon = cl.monitor(server)
  req.reply, req.ref = cl.self(), ref
  cl.send(server, req)
  local m = cl.receive(function(m)
    return type(m) == "table" and ((m[1] == "global_reply" and m[2] == ref) or (m[1] == "DOWN" and m[2] == mon))
  end)
  if m[1] == "DOWN" then prim.condition("global." .. fn .. ": the name server of node " .. node .. " went down", 3) end
  cl.demonitor(mon, true)
  return m[3]
end

local function check_name(name, fn)
  if type(name) ~= "string" or name == "" then error("global." .. fn .. ": the name must be a non-empty string", 3) end
end

local function need_process(fn)
  if not pcall(cl.self) then error("global." .. fn .. ": only a process can call this", 3) end
end

function global.register(name, pid, resolve)
  check_name(name, "register")
  need_process("register")
  if pid ~= nil and not prim.is_pid(pid) then error("global.register: pid expected as the second argument", 2) end
  if resolve ~= nil and type(resolve) ~= "function" then error("global.register: resolve must be a function", 2) end
  ensure()
  if resolve ~= nil then resolvers[name] = resolve end
  return ask({ op = "register", name = name, pid = pid or cl.self() }, "register")
end

function global.unregister(name)
  check_name(name, "unregister")
  need_process("unregister")
  ensure()
  local pid = global.whereis(name)
  if pid then ask({ op = "unregister", name = name, pid = pid }, "unregister") end
end

-- The pid registered as `name` in the caller's node's copy (outside processes, node "a"'s).
function global.whereis(name)
  check_name(name, "whereis")
  ensure()
  local copy = copies[cl.node()]
  local pid = copy and copy[name]
  if pid and cl.alive(pid) then return pid end
  return nil
end

function global.send(name, msg)
  check_name(name, "send")
  local pid = global.whereis(name)
  if pid == nil then prim.condition("global.send: no process is registered as '" .. tostring(name) .. "'", 2) end
  cl.send(pid, msg)
  return pid
end

-- The names in the caller's node's copy, sorted.
function global.registered()
  ensure()
  local list = {}
  for name in pairs(copies[cl.node()] or {}) do list[#list + 1] = name end
  table.sort(list)
  return list
end

cl.global = global
