-- The Lua half of cl.node's API: spawns on other nodes (Erlang's spawn request: the caller
-- waits for the other node's answer) and cl.chaos, random fault plans.
local cl, prim = ...

local function spawn_on(opts, node, fn, ...)
  if type(fn) ~= "function" then error("spawn_on: a function expected as the second argument", 3) end
  local ok, a, ref, handle = pcall(prim.spawn_request, node, opts, fn, ...)
  if not ok then error(a, 3) end
  if a ~= "request" then return a, ref end
  local m = cl.receive(function(m)
    return type(m) == "table" and m[1] == "spawn_reply" and m[2] == ref
  end)
  if m[3] == "ok" then
    if opts == 2 then return m[4], ref end
    return m[4]
  end
  prim.spawn_forget(handle)
  return nil, m[4]
end
function cl.spawn_on(node, fn, ...) return (spawn_on(0, node, fn, ...)) end
function cl.spawn_link_on(node, fn, ...) return (spawn_on(1, node, fn, ...)) end
function cl.spawn_monitor_on(node, fn, ...) return spawn_on(2, node, fn, ...) end

-- ---- cl.chaos ----------------------------------------------------------------------------

local fields = { "from", "to", "kills", "partitions", "node_crashes", "latency_spikes",
  "heal_after", "restart_after", "spike", "spike_for", "spare", "filter" }
local known = {}
for _, f in ipairs(fields) do known[f] = true end

local function fail(msg) error("chaos: " .. msg, 3) end

local function duration(spec, field, default, min_ms)
  local v = spec[field]
  if v == nil then v = default end
  local ok, ms = pcall(prim.duration_ms, v, "chaos: " .. field)
  if not ok then fail(field .. ": " .. tostring(ms):gsub("^chaos: " .. field .. ": ", "")) end
  if min_ms and ms < min_ms then fail(field .. " must be at least " .. min_ms .. " ms") end
  return ms
end

function cl.chaos(spec)
  if type(spec) ~= "table" then fail("a table expected, such as cl.chaos{kills = 0.5}") end
  local bad = {}
  for k in pairs(spec) do if not known[k] then bad[#bad + 1] = tostring(k) end end
  if #bad > 0 then
    table.sort(bad)
    fail("unknown field '" .. bad[1] .. "' (" .. table.concat(fields, ", ") .. ")")
  end
  local from = math.max(duration(spec, "from", 0), prim.now())
  local to = spec.to ~= nil and duration(spec, "to") or math.huge
  if to < from then fail("'to' comes before 'from'") end
  local heal_after = duration(spec, "heal_after", "5s", 1)
  local restart_after = duration(spec, "restart_after", "5s", 1)
  local spike_for = duration(spec, "spike_for", "1s", 1)
  local spike = spec.spike or "200ms"
  if type(spike) ~= "table" then duration(spec, "spike", "200ms") end
  if spec.filter ~= nil and type(spec.filter) ~= "function" then fail("filter must be a function") end
  if spec.spare ~= nil and type(spec.spare) ~= "table" then fail("spare must be a list of node names") end
  local spare = {}
  for _, n in ipairs(spec.spare or {}) do
    local ok, err = pcall(cl.node_up, n)
    if not ok then fail("spare: " .. tostring(err)) end
    spare[n] = true
  end
  local rates = {}
  for _, kind in ipairs({ "kills", "partitions", "node_crashes", "latency_spikes" }) do
    local rate = spec[kind]
    if rate ~= nil then
      if type(rate) ~= "number" or not (rate >= 0 and rate <= 1000) then
        fail(kind .. " must be a rate per second from 0 to 1000")
      end
      rates[kind] = rate
    end
  end

  local spikes, saved = 0, nil
  local function target()
    local nodes = {}
    for _, n in ipairs(cl.nodes()) do
      if not spare[n] and cl.node_up(n) then nodes[#nodes + 1] = n end
    end
    if #nodes == 0 then return nil end
    return nodes[1 + math.floor(prim.fault_random() * #nodes)]
  end
  local actions = {
    kills = function() cl.kill_random { filter = spec.filter } end,
    partitions = function()
      local n = target()
      if not n then return end
      -- isolations are counted by the world: overlapping ones end one at a time, and a link
      -- that was down before the first stays down after the last
      prim.fault("isolate", n)
      cl.at(prim.now() + heal_after, function() prim.fault("heal", n) end)
    end,
    node_crashes = function()
      local n = target()
      if n then
        cl.crash_node(n)
        cl.at(prim.now() + restart_after, function() cl.restart_node(n) end)
      end
    end,
    latency_spikes = function()
      if spikes == 0 then saved = prim.default_latency() end
      spikes = spikes + 1
      cl.net.default { latency = spike }
      cl.at(prim.now() + spike_for, function()
        spikes = spikes - 1
        if spikes == 0 then prim.default_latency(saved) end
      end)
    end,
  }
  for _, kind in ipairs({ "kills", "partitions", "node_crashes", "latency_spikes" }) do
    local rate = rates[kind]
    if rate and rate > 0 then
      -- a Poisson process: exponential gaps, drawn from the seed's "fault" stream
      local function next_at(t) return t + 1000 * -math.log(1 - prim.fault_random()) / rate end
      local function plan(t)
        if t > to then return end
        cl.at(t, function()
          actions[kind]()
          plan(next_at(prim.now()))
        end)
      end
      plan(next_at(from))
    end
  end
end

-- ---- cl.code.spawn_on ----------------------------------------------------------------------
-- spawn(Node, Module, Function, Args): the new process runs fname of the current version of
-- module name on node, a fully-qualified call made there (the prelude's module runner, the one a
-- supervisor child {"kv", "start_link"} runs), so it starts in that node's current version, which
-- its spawn record names, labelled fname. A module or function that node lacks is Erlang's undef,
-- raised in the new process. The request and its reply are cl.spawn_on's.
local function code_spawn_on(opts, fn, node, name, fname, args)
  for _, v in ipairs({ { "module", name }, { "function", fname } }) do
    if type(v[2]) ~= "string" or #v[2] == 0 or #v[2] > 255 then
      error(fn .. ": the " .. v[1] .. " name must be a string of 1 to 255 bytes, not " .. type(v[2]), 3)
    end
  end
  if args ~= nil and type(args) ~= "table" then
    error(fn .. ": args must be an array of arguments, not " .. type(args), 3)
  end
  if opts == 1 and not pcall(cl.self) then error(fn .. ": only a process can call this", 3) end
  local ok, a, ref, handle = pcall(prim.spawn_request, node, opts + 4, name, fname,
                                   table.unpack(args or {}, 1, args and #args or 0))
  if not ok then error((tostring(a):gsub("spawn_on:", fn .. ":", 1)), 3) end
  if a ~= "request" then return a end
  local m = cl.receive(function(m)
    return type(m) == "table" and m[1] == "spawn_reply" and m[2] == ref
  end)
  if m[3] == "ok" then return m[4] end
  prim.spawn_forget(handle)
  return nil, m[4]
end
function cl.code.spawn_on(node, name, fname, args) -- not tail calls: errors name the caller's line
  local pid, why = code_spawn_on(0, "cl.code.spawn_on", node, name, fname, args)
  return pid, why
end
function cl.code.spawn_link_on(node, name, fname, args)
  local pid, why = code_spawn_on(1, "cl.code.spawn_link_on", node, name, fname, args)
  return pid, why
end
