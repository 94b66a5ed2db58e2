-- Two processes each wait for the other's reply: nothing can happen any more, and the failed
-- at_end property's report names the deadlock with what each process waits for.
-- expect-exit: 1
-- expect-stdout: deadlock: nothing can happen any more; 2 processes wait for a message that will never come:
local cl = require "crashlab"
cl.scenario { name = "deadlock_reported" }
local done = false
local function peer(other)
  cl.register(other == "b" and "a" or "b")
  cl.send(cl.self(), "hello")                -- one message stays in the mailbox
  local m = cl.receive({ "reply", cl._ })    -- both wait for a reply nobody sends
  done = true
end
cl.spawn(peer, "b")
cl.spawn(peer, "a")
cl.at_end("both got a reply", function() return done end)
