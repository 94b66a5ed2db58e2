-- The two-version rule: a module has a current and at most one old version; a load while an
-- old version exists is refused with not_purged; purge and soft_purge remove the old version;
-- delete makes the current version old, and is refused while an old one exists; a call to a
-- module without a current version is undef.
local cl = require "crashlab"
local conf = require "conf"
cl.scenario { name = "code_versions" }

local kv = cl.code.module("kv")

local function load(v)
  local h, why = cl.code.load("kv", { v = function() return v end })
  conf.line("load v" .. v .. ": " .. (h and "ok" or why))
end

local function call()
  local ok, v = pcall(function() return kv.v() end)
  if ok then conf.line("kv:v() = " .. v)
  elseif tostring(v):find("undef", 1, true) then conf.line("kv:v() undef") end
end

local function old() return tostring(cl.code.versions("kv").old ~= nil) end

conf.run(function()
  load(1); call()
  load(2); call()
  load(3); call()
  conf.line("old version: " .. old())
  conf.line("purge: " .. tostring(cl.code.purge("kv")))
  conf.line("old version: " .. old())
  load(3); call()
  conf.line("delete: " .. tostring(cl.code.delete("kv")))
  conf.line("soft_purge: " .. tostring(cl.code.soft_purge("kv")))
  conf.line("delete: " .. tostring(cl.code.delete("kv")))
  conf.line("old version: " .. old())
  call()
  conf.line("delete: " .. tostring(cl.code.delete("kv")))
  conf.line("soft_purge: " .. tostring(cl.code.soft_purge("kv")))
  conf.line("purge: " .. tostring(cl.code.purge("kv")))
  load(4); call()
  conf.finish(nil)
end)
