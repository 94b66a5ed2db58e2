-- A rolling upgrade of a replicated key-value service during a partition (the story of
-- rolling_upgrade_naive.lua and rolling_upgrade_fixed.lua).
--
-- Nodes a, b and c each run a replica, a server of module kv under a supervisor (child start
-- {"kv", "start_link"}), and a writer that writes a new key to it every 100 ms. A replica
-- sends each write to its two peers ({"put", Key, Value}) and, every 500 ms, its whole store
-- ({"sync", Store}), so replicas that a partition kept apart converge once it heals.
-- {a} | {b, c} from 1 s to 3 s; meanwhile the operator upgrades b (1.5 s) and c (2 s) to
-- version 2, which stamps every write with the time it was made; a is upgraded once it can be
-- reached again (3.5 s). Each step is OTP's: suspend the replica, load version 2 on its node,
-- change its state with version 2's code_change, resume. Until a is upgraded, versions 1 and 2
-- run side by side and must understand each other.
--   naive: version 2 sends its writes in a new format ({"put2", {key =, value =, at =}}) that
--          version 1 cannot read: c, still on version 1 at 1.5 s, meets one and crashes.
--          "no replica meets a message it cannot read" fails.
--   fixed: version 2 adds its stamp as a fourth element of the old message ({"put", Key,
--          Value, At}), which version 1 reads as it always did (it reads what it knows), and
--          reads both shapes itself: the versions interoperate and the replicas agree.
local cl = require "crashlab"

return function(design)
  local nodes = { "a", "b", "c" }
  local unreadable, written = 0, 0
  local sizes = {} -- node -> keys its replica holds (a probe for the properties)
  local kv = cl.code.module("kv")

  local function peers(self)
    local out = {}
    for _, n in ipairs(nodes) do if n ~= self then out[#out + 1] = n end end
    return out
  end
  local function count(store) local n = 0; for _ in pairs(store) do n = n + 1 end; return n end

  local function version(v)
    local m = {}
    function m.start_link() cl.server.enter(kv, nil, { name = "kv" }) end
    function m.init() return { node = cl.node(), store = {} } end
    local function put(s, key, value)
      s.store[key] = value
      sizes[s.node] = count(s.store)
    end
    function m.handle_cast(msg, s)
      local tag = msg[1]
      if tag == "write" then -- from this node's writer
        put(s, msg[2], msg[3])
        for _, p in ipairs(peers(s.node)) do
          if v == 2 and design == "naive" then
            cl.send({ "kv", p }, { "$gen_cast", { "put2", { key = msg[2], value = msg[3], at = cl.now() } } })
          elseif v == 2 then
            cl.send({ "kv", p }, { "$gen_cast", { "put", msg[2], msg[3], cl.now() } })
          else
            cl.send({ "kv", p }, { "$gen_cast", { "put", msg[2], msg[3] } })
          end
        end
      elseif tag == "put" then
        put(s, msg[2], msg[3])
      elseif tag == "put2" and v == 2 then
        put(s, msg[2].key, msg[2].value)
      elseif tag == "sync" then
        for key, value in pairs(msg[2]) do put(s, key, value) end
      elseif tag == "tick" then
        for _, p in ipairs(peers(s.node)) do cl.send({ "kv", p }, { "$gen_cast", { "sync", s.store } }) end
      else
        unreadable = unreadable + 1
        error("kv version " .. v .. " cannot read " .. cl.format(msg))
      end
      return "noreply", s
    end
    function m.code_change(old, s, extra) -- version 2 keeps the state as it is
      return "ok", s
    end
    return m
  end

  for _, n in ipairs(nodes) do
    if n ~= "a" then cl.node(n) end
    cl.code.load("kv", version(1), n)
  end
  local function node_start(n)
    cl.spawn_on(n, function()
      cl.supervisor.start({ strategy = "one_for_one", intensity = 10, period = "1s",
                            children = { { id = "kv", start = { "kv", "start_link" } } } })
      local i = 0
      cl.spawn(function() -- the writer
        while cl.now() < 6000 do
          i = i + 1
          cl.server.cast("kv", { "write", n .. i, i })
          written = written + 1
          cl.sleep("100ms")
        end
      end)
      while true do cl.sleep("500ms"); cl.server.cast("kv", { "tick" }) end
    end)
  end
  for _, n in ipairs(nodes) do node_start(n) end

  local function upgrade(n)
    cl.spawn_on(n, function()
      cl.sys.suspend("kv")
      cl.code.load("kv", version(2))
      local r = cl.sys.change_code("kv", "kv", 1, nil)
      cl.sys.resume("kv")
      if r ~= "ok" then error("upgrade of " .. n .. " failed: " .. cl.format(r)) end
    end)
  end
  cl.at("1s", function() cl.partition({ "a" }, { "b", "c" }) end)
  cl.at("1500ms", function() upgrade("b") end)
  cl.at("2s", function() upgrade("c") end)
  cl.at("3s", function() cl.heal() end)
  cl.at("3500ms", function() upgrade("a") end)

  cl.always("no replica meets a message it cannot read", function() return unreadable == 0 end)
  cl.at_end("the replicas agree", function()
    for _, n in ipairs(nodes) do
      if sizes[n] ~= written then return false, "replica " .. n .. " holds " .. tostring(sizes[n]) .. " of " .. written .. " keys" end
    end
    return true
  end)
end
