-- Ping-pong: the smallest conversation between two processes.
--
-- A pinger sends {"ping", self()} to a ponger registered as "ponger" and waits for the
-- matching {"pong", n}. Between rounds it sleeps 100 ms of virtual time. The properties check
-- that every ping is answered and that both processes end normally.
local cl = require "crashlab"

cl.scenario { name = "pingpong", seed = 42, stop = "10s" }

local ROUNDS = 5
local pongs = 0

local function ponger()
  cl.register("ponger")
  while true do
    local msg = cl.receive()
    if msg == "stop" then return end
    local tag, from, n = msg[1], msg[2], msg[3]
    assert(tag == "ping")
    cl.send(from, { "pong", n })
  end
end

local function pinger(rounds)
  for n = 1, rounds do
    cl.send("ponger", { "ping", cl.self(), n })
    local reply = cl.receive({ "pong", n }, "1s")
    assert(reply, "no pong for ping " .. n)
    pongs = pongs + 1
    cl.sleep("100ms")
  end
  cl.send("ponger", "stop")
end

cl.spawn(ponger)
cl.at("1ms", function() cl.spawn(pinger, ROUNDS) end)

cl.always("at most one pong per ping", function() return pongs <= ROUNDS end)
cl.at_end("every ping answered", function() return pongs == ROUNDS end)
cl.at_end("nobody left running", function() return #cl.processes() == 0 end)
