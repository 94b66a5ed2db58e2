-- "Who knew that C relied on B too?" A hidden dependency, and the cascade that reveals it.
--
-- The system, as its documentation describes it:
--   * B, the "config" service, registered as "config", restarted by a `keeper` (the keeper of
--     restart_by_hand.lua: it traps exits and starts a new B on {"EXIT", pid, reason});
--   * A, the "api" process, which depends on B and says so: it *monitors* B, and when B goes
--     down it waits for the name to come back and monitors the new B. A survives B's
--     restarts; that is what the design review checked;
--   * C, the "cache", documented as standalone. But long ago someone made C call
--     cl.link(cl.whereis("config")) at start ("to notice when config changes"), and nobody
--     wrote it down. A link, unlike a monitor, is two-way and deadly: when B dies, C dies
--     with B's reason.
--
-- The fault: at 300 ms the scenario kills B with cl.kill("config") (reason "kill"; B exits
-- with "killed"). The keeper restarts B, A notices and carries on, and C is taken down by
-- the undocumented link: the cascade.
--
-- The properties state what the documentation promises:
--   * always: "the api survives config restarts" (holds);
--   * always: "the cache survives config restarts": this one FAILS at 300 ms, the instant
--     the exit signal crosses the link. The scenario declares expect = "fail": it is a
--     demonstration of crashlab catching the bug, so the runner reports the failed property
--     and exits 0 ("PASS") because a failure was expected. If C stopped dying, the run would
--     FAIL with "expected a property to fail", and the demonstration would be out of date.
--   * eventually: config is back within 50 ms of the kill. It would hold, but a run stops at
--     its first failed property, here at 300 ms, before this deadline comes.
--
-- Try next:
--   * find the link without reading C's code: cl.info(pid).links lists the processes linked
--     to a process. An always property "config has exactly one link (its keeper's)" fails at
--     1 ms, when C links, long before any fault;
--   * fix C: replace cl.link by cl.monitor (and handle the DOWN message as A does), remove
--     expect = "fail", and the scenario passes;
--   * or make C trap exits: the signal becomes {"EXIT", b, "killed"} in C's mailbox, and C
--     decides what a config restart means for it.
local cl = require "crashlab"

cl.scenario { name = "hidden_dependency", seed = 5, stop = "1s", expect = "fail" }

local api_pid, cache_pid, keeper_pid
local config_restarts = 0
local api_saw_down = 0
local killed_at                     -- ms, when the fault struck

local function config()             -- B
  cl.register("config")
  while true do
    local req = cl.receive({ "get", cl._, cl._ })
    cl.send(req[2], { "config", req[3], "v1" })
  end
end

local function keeper()             -- restarts B, exactly as restart_by_hand.lua does
  cl.trap_exit(true)
  local current = cl.spawn_link(config)
  while true do
    local msg = cl.receive({ "EXIT", cl._, cl._ })
    if msg[2] == current then
      config_restarts = config_restarts + 1
      current = cl.spawn_link(config)
    end
  end
end

local function await_config()       -- the pid of the config service, once it is registered
  local pid = cl.whereis("config")
  while pid == nil do
    cl.sleep("1ms")
    pid = cl.whereis("config")
  end
  return pid
end

local function api()                -- A: a documented dependency, through a monitor
  local ref = cl.monitor(await_config())
  local n = 0
  while true do
    local msg = cl.receive(nil, "10ms")
    if msg ~= nil and msg[1] == "DOWN" and msg[2] == ref then
      api_saw_down = api_saw_down + 1
      ref = cl.monitor(await_config()) -- the new config
    elseif msg == nil then             -- every 10 ms: ask for the config
      n = n + 1
      local cfg = cl.whereis("config")
      if cfg then cl.send(cfg, { "get", cl.self(), n }) end
    end                                -- replies {"config", n, value} are simply used
  end
end

local function cache()              -- C: "standalone"
  cl.link(await_config())           -- the undocumented dependency
  while true do
    cl.receive({ "invalidate", cl._ })
  end
end

keeper_pid = cl.spawn(keeper)
cl.at("1ms", function()
  api_pid = cl.spawn(api)
  cache_pid = cl.spawn(cache)
end)

cl.at("300ms", function()
  killed_at = cl.now()
  cl.kill("config")
  cl.eventually("config is back within 50ms", killed_at + 50, function()
    return cl.whereis("config") ~= nil
  end)
end)

cl.always("the api survives config restarts", function()
  return api_pid == nil or cl.alive(api_pid)
end)

cl.always("the cache survives config restarts", function()
  return cache_pid == nil or cl.alive(cache_pid)
end)

cl.at_end("the keeper restarted config once", function() return config_restarts == 1 end)
