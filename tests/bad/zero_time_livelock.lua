-- Two processes that answer each other forever without time passing: each is stopped as a
-- runaway, and its partner, linked, dies with it (exit 0: the run itself goes on).
-- expect-exit: 0
-- expect-stdout: process <0.2.0> exited: <<"zero_time_livelock.lua:11: runaway process: 10 million Lua instructions without virtual time passing">>
local cl = require "crashlab"
cl.scenario { name = "zero_time_livelock", stop = "1s", limits = { instructions = 10000000 } }
local function player()
  while true do
    local m = cl.receive()
    local x = 0
    for i = 1, 100 do x = x + i end
    cl.send(m.peer, { peer = cl.self(), n = m.n + x })
  end
end
local a = cl.spawn(player)
cl.spawn(function() cl.link(a); player() end)
cl.at("1ms", function() cl.send(a, { peer = cl.processes()[2], n = 0 }) end)
