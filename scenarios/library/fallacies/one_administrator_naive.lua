-- The fallacy "one administrator", naive design: see one_administrator.lua for the story.
local cl = require "crashlab"
cl.scenario { name = "one_administrator_naive", expect = "fail", stop = "1m" }
require("one_administrator")("naive")
