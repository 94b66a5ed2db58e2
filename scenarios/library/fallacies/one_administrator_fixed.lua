-- The fallacy "one administrator", fixed design: see one_administrator.lua for the story.
local cl = require "crashlab"
cl.scenario { name = "one_administrator_fixed", stop = "1m" }
require("one_administrator")("fixed")
