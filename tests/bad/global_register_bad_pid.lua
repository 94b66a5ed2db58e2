-- A global registration of something that is not a pid ends the caller, not the name server:
-- the next registration on the node still works. (api_errors = "crash" keeps a misuse of the
-- API inside a process a crash of that process, not a scenario error.)
-- expect-exit: 0
-- expect-stdout: process <0.1.0> exited: <<"global_register_bad_pid.lua:9: global.register: pid expected as the second argument">>
local cl = require "crashlab"
cl.scenario { name = "global_register_bad_pid", stop = "1s", api_errors = "crash" }
local second
cl.spawn(function() cl.global.register("x", 5) end)
cl.spawn(function() cl.sleep(10); second = cl.global.register("y") end)
cl.at_end("the name server still serves", function() return second == true end)
