-- Deeply nested messages convert in time linear in their size: a chain of 60 tables, each an
-- array part and a named field ({child, tag = ...}), and a full binary tree 14 levels deep
-- with a key at every node, go to a process and come back whole. (Converting values before a
-- table's shape is known, and again after, would double the work at every level: 2^60 here.)
-- A table that mixes an array part and other keys reports its first bad pair in key order.
local cl = require "crashlab"
cl.scenario { name = "nested_messages" }

local function chain(depth)
  local t = { "leaf" }
  for i = 1, depth do t = { t, tag = "n" .. i } end
  return t
end

local function tree(depth)
  if depth == 0 then return { 0 } end
  return { tree(depth - 1), tree(depth - 1), key = depth }
end

local got = {}
local echo = cl.spawn(function()
  while true do
    local m = cl.receive()
    cl.send(m[1], { "back", m[2] })
  end
end)

cl.spawn(function()
  cl.send(echo, { cl.self(), chain(60) })
  got.chain = cl.receive({ "back", cl._ })[2]
  cl.send(echo, { cl.self(), tree(14) })
  got.tree = cl.receive({ "back", cl._ })[2]
  got.err = select(2, pcall(cl.send, echo, { print, [0] = { z = print } }))
end)

cl.at_end("a 60-level chain comes back whole", function()
  local t, depth = got.chain, 0
  while t and t.tag do
    if t.tag ~= "n" .. (60 - depth) then return false end
    t, depth = t[1], depth + 1
  end
  return depth == 60 and t[1] == "leaf"
end)

cl.at_end("a 14-level tree comes back whole", function()
  local function count(t)
    if t.key == nil then return 1 end
    return count(t[1]) + count(t[2])
  end
  return got.tree and got.tree.key == 14 and count(got.tree) == 1 << 14
end)

cl.at_end("the first bad pair in key order is named", function()
  return got.err and got.err:find("message[0].z: cannot send a function", 1, true) ~= nil
end)
