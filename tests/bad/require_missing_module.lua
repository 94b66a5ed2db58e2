-- require finds modules beside the scenario and in scenarios/library/lib only: a missing one is
-- named with the places searched (the assertion stops before the absolute lib path).
-- expect-exit: 2
-- expect-stderr: crashlab: require_missing_module.lua:6: require: module 'no_such_helpers' not found beside the scenario or in scenarios/library/lib/
local cl = require "crashlab"
local helpers = require "no_such_helpers"
