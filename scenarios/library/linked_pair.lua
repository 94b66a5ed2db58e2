-- A linked pair dies together.
--
-- The system: a `sensor` process reads values and sends them to a `scaler` process, which
-- turns each reading into a ratio with integer division. The two are linked (the scaler is
-- started with cl.spawn_link), because neither is any use without the other: that is what a
-- link says in Erlang, "if you die, I die".
--
-- The fault: at 250 ms the scenario slips a reading of 0 into the scaler's mailbox
-- (cl.send from outside any process, as a faulty device would). The scaler computes
-- 1000 // 0, Lua raises "attempt to divide by zero", and the scaler crashes with that error
-- (text and FILE:LINE) as its exit reason. Neither process traps exits, so the exit signal
-- that travels over the link kills the sensor too, with the *same* reason: in Erlang a linked
-- process dies with the reason of the process that took it down, not with a reason of its
-- own.
--
-- Watching it: an `observer` monitors both (a monitor is one-way and never kills the watcher)
-- and records the reason of each {"DOWN", ref, "process", pid, reason} it receives.
--
-- The properties:
--   * always: the sensor does not outlive the scaler: by the time the observer hears that
--     the scaler is down, the sensor is down too (the link acted in the same instant);
--   * at_end: the observer saw both DOWN messages, the scaler's reason names the division by
--     zero, and the sensor's reason is exactly the scaler's;
--   * at_end: every reading sent before the fault was scaled, and none after it;
--   * at_end: nobody is left running (the observer stops after its two DOWNs, so the run
--     ends by itself, long before the 5 s stop).
--
-- Try next:
--   * make the sensor call cl.trap_exit(true) and receive {"EXIT", scaler, reason}: it
--     survives and can restart the scaler (see restart_by_hand.lua);
--   * replace cl.spawn_link by cl.spawn: the scaler dies alone and the sensor keeps sending
--     into the void (cl.counters().dropped counts those messages);
--   * kill the scaler with cl.kill(pid) instead: the reason is "killed" for both;
--   * end the scaler with cl.exit("normal"): a normal exit does not take a linked process
--     down.
local cl = require "crashlab"

cl.scenario { name = "linked_pair", seed = 7, stop = "5s" }

local sensor_pid, scaler_pid        -- filled in when they start
local scaled = 0                    -- readings the scaler turned into ratios
local sent_before_fault = 0         -- readings the sensor sent before the bad one went in
local fault_sent = false
local down = {}                     -- pid -> DOWN reason, as the observer received it
local down_count = 0

local function scaler()
  cl.register("scaler")
  local total = 0                   -- the scaler's own state, lost when it dies
  while true do
    local msg = cl.receive({ "reading", cl._ })
    total = total + 1000 // msg[2]  -- a reading of 0 raises here: let it crash
    scaled = scaled + 1
  end
end

local function sensor()
  scaler_pid = cl.spawn_link(scaler) -- the link: the two now live and die together
  for _ = 1, 1000 do
    cl.sleep("20ms")
    cl.send(scaler_pid, { "reading", math.random(1, 100) }) -- never 0: the device is fine
    if not fault_sent then sent_before_fault = sent_before_fault + 1 end
  end
end

local function observer()
  sensor_pid = cl.spawn(sensor)
  cl.sleep("1ms")                   -- the sensor has started its scaler by now
  local refs = { [cl.monitor(sensor_pid)] = sensor_pid, [cl.monitor(scaler_pid)] = scaler_pid }
  while down_count < 2 do
    local msg = cl.receive({ "DOWN", cl._, "process", cl._, cl._ })
    local ref, pid, reason = msg[2], msg[4], msg[5]
    assert(refs[ref] == pid, "a DOWN for a monitor this observer did not set")
    down[pid] = reason
    down_count = down_count + 1
  end
end

cl.spawn(observer)

-- The fault: a bad reading, injected from outside at 250 ms.
cl.at("250ms", function()
  fault_sent = true
  cl.send("scaler", { "reading", 0 })
end)

cl.always("the sensor does not outlive the scaler", function()
  return scaler_pid == nil or down[scaler_pid] == nil or not cl.alive(sensor_pid)
end)

cl.at_end("the observer saw both DOWNs", function()
  return down[sensor_pid] ~= nil and down[scaler_pid] ~= nil
end)

cl.at_end("the scaler died of the division by zero", function()
  local r = down[scaler_pid]
  return type(r) == "string" and r:find("attempt to divide by zero", 1, true) ~= nil
end)

cl.at_end("the sensor died with the scaler's reason", function()
  return down[sensor_pid] == down[scaler_pid]
end)

cl.at_end("every reading before the fault was scaled, none after", function()
  return sent_before_fault > 0 and scaled == sent_before_fault
end)

cl.at_end("nobody left running", function() return #cl.processes() == 0 end)
