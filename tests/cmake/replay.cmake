# Replay and diagnosis through the CLI: the run_info record, crashlab replay, crashlab diff and
# the filters of crashlab trace.
#
# Goal: a trace is enough to get its run back: replay re-runs the recorded file, seed and
# options and says "reproduced" only when the hash is the trace's; it refuses a trace whose
# scenario (or a file the scenario requires) changed, naming the file, and a trace without
# run_info; when the hash differs it names what changed (options given), or says nothing did (a
# crashlab bug). run_info is not part of the run: the hash is the same with or without --trace
# and from another working directory. diff names the first record that differs; the trace
# filters keep exactly the records asked for.
#
# Method: a two-file scenario written into the scratch directory (wrap.lua requires helper.lua),
# tests/sweep/threshold.lua and flaky.lua copied there, scenarios/library/pingpong.lua for the filters
# (its registered name, pids and times are known from its source). Files are changed with
# file(APPEND) and traces damaged by cutting them short.
#
# Usage: cmake -DCRASHLAB=... -DSRC=<source dir> -DWORK=<scratch dir> -P replay.cmake
foreach(var CRASHLAB SRC WORK)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "replay.cmake: -D${var}=... is required")
  endif()
endforeach()
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/sub")
file(COPY "${SRC}/tests/sweep/threshold.lua" "${SRC}/tests/sweep/flaky.lua" DESTINATION "${WORK}")
file(WRITE "${WORK}/wrap.lua" [[
local cl = require "crashlab"
local helper = require("helper")
cl.scenario { name = "wrap", stop = "1s" }
cl.spawn(function() cl.sleep("5ms"); helper.bump() end)
cl.at_end("bumped once", function() return helper.count() == 1 end)
]])
file(WRITE "${WORK}/helper.lua" [[
local n = 0
return { bump = function() n = n + 1 end, count = function() return n end }
]])

include("${CMAKE_CURRENT_LIST_DIR}/check_lib.cmake")

function(expect code_want out_regex)
  if(NOT code STREQUAL "${code_want}")
    fail("expected exit code ${code_want}")
  endif()
  if(NOT out MATCHES "${out_regex}")
    fail("stdout does not match '${out_regex}'")
  endif()
endfunction()

# ---- run_info --------------------------------------------------------------------------------
crashlab(run wrap.lua --seed 7 --trace wrap.trace --quiet)
expect(0 "PASS scenario=wrap seed=7 ")
string(REGEX MATCH "hash=[0-9a-f]+" traced_hash "${out}")
crashlab(run wrap.lua --seed 7 --quiet)
string(REGEX MATCH "hash=[0-9a-f]+" plain_hash "${out}")
if(NOT traced_hash STREQUAL plain_hash)
  fail("the hash with --trace (${traced_hash}) is not the hash without (${plain_hash})")
endif()
execute_process(COMMAND "${CRASHLAB}" run ../wrap.lua --seed 7 --quiet WORKING_DIRECTORY "${WORK}/sub"
  OUTPUT_VARIABLE out RESULT_VARIABLE code)
set(cmd "crashlab run ../wrap.lua (from sub/)")
string(REGEX MATCH "hash=[0-9a-f]+" other_hash "${out}")
if(NOT other_hash STREQUAL plain_hash)
  fail("the hash depends on the path the file was named by")
endif()
crashlab(trace wrap.trace)
expect(0 "^# trace of 'wrap' seed=7 written by crashlab [^\n]*\n +0[.]000000000s  run_info +#{cwd => <<\"[^\"]+\">>,files => [[]{<<\"wrap.lua\">>,<<\"[0-9a-f]+\">>},{<<\"[.]/helper.lua\">>,<<\"[0-9a-f]+\">>}[]],memory_max => <<\"0\">>,options => [[][]],path => <<\"wrap.lua\">>,seed => <<\"7\">>,version => <<\"[0-9.]+\">>}\n +0[.]000000000s  node ")
crashlab(run threshold.lua --seed 17 --max-time 50ms --crashes=count --trace opts.trace --quiet)
crashlab(trace opts.trace --kind run_info)
expect(0 "options => [[]<<\"--max-time\">>,<<\"50000000ns\">>,<<\"--crashes=count\">>[]]")

# ---- replay ----------------------------------------------------------------------------------
crashlab(replay wrap.trace)
string(REPLACE "hash=" "" want "${traced_hash}")
expect(0 "replaying: crashlab run wrap.lua --seed 7\n.*PASS scenario=wrap seed=7 [^\n]*hash=${want}\nreplay: reproduced: hash ${want} is the trace's\n")
execute_process(COMMAND "${CRASHLAB}" replay ../wrap.trace --quiet WORKING_DIRECTORY "${WORK}/sub"
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE code)
set(cmd "crashlab replay ../wrap.trace (from sub/)")
expect(0 "replay: reproduced")
crashlab(run threshold.lua --seed 17 --trace fail.trace --quiet)
expect(1 "FAIL scenario=threshold seed=17")
crashlab(replay fail.trace --quiet)
expect(0 "FAIL scenario=threshold seed=17 [^\n]*\nreplay: reproduced")
crashlab(replay fail.trace --max-time 3ms --quiet)
expect(1 "replay: NOT reproduced: hash [0-9a-f]+, the trace has [0-9a-f]+\n  options: recorded [[][]], given here [[]--max-time 3ms[]]\n")
# Options that change only what is shown are never named as changed, wherever they stand.
crashlab(replay fail.trace --quiet --stats --trace again.trace --max-time 3ms)
expect(1 "replay: NOT reproduced: hash [0-9a-f]+, the trace has [0-9a-f]+\n  options: recorded [[][]], given here [[]--max-time 3ms[]]\n")
crashlab(replay fail.trace --quiet --stats --trace again.trace)
expect(0 "replay: reproduced")
file(REMOVE "${WORK}/flaky.marker")
crashlab(run flaky.lua --unsafe --trace flaky.trace --quiet)
crashlab(replay flaky.trace --quiet)
expect(1 "replaying: crashlab run flaky.lua --seed 1 --unsafe --quiet\n.*replay: NOT reproduced.*nothing recorded changed [(]files, version, options[)]: the run is not deterministic")

# Bad input.
file(APPEND "${WORK}/helper.lua" "-- changed\n")
crashlab(replay wrap.trace)
expect_bad("helper.lua changed since the trace wrap.trace was recorded [(]contents hash [0-9a-f]+, the trace has [0-9a-f]+[)]")
file(APPEND "${WORK}/wrap.lua" "-- changed\n")
crashlab(replay wrap.trace)
expect_bad("wrap.lua changed since the trace wrap.trace was recorded")
file(REMOVE "${WORK}/wrap.lua")
crashlab(replay wrap.trace)
expect_bad("wrap.lua: cannot open")
crashlab(demo pingpong --trace demo.trace --quiet)
crashlab(replay demo.trace)
expect_bad("demo.trace: no run_info record: the trace was written by a crashlab older than the replay command, or by a demo")
file(READ "${WORK}/fail.trace" bytes HEX)
string(LENGTH "${bytes}" n)
math(EXPR half "${n} / 2")
string(SUBSTRING "${bytes}" 0 ${half} bytes)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "\\\\x\\1" escaped "${bytes}")
execute_process(COMMAND printf "${escaped}" OUTPUT_FILE "${WORK}/cut.trace")
crashlab(replay cut.trace)
expect_bad("cut.trace: offset [0-9]+: ")
crashlab(replay)
expect_bad("replay needs a trace file")
crashlab(replay fail.trace --bogus)
expect_bad("unknown option '--bogus'")

# ---- diff ------------------------------------------------------------------------------------
crashlab(run threshold.lua --seed 17 --trace again.trace --quiet)
crashlab(diff fail.trace again.trace)
expect(0 "^identical: [0-9]+ records, hash [0-9a-f]+\n$")
crashlab(run threshold.lua --seed 18 --trace other.trace --quiet)
crashlab(diff fail.trace other.trace)
# Both runs spawn the worker at 0 and then differ in when it wakes.
expect(1 "^the traces diverge at record 3:\n    +0[.]000000000s  node [^\n]*\n    +0[.]000000000s  spawn [^\n]*\n  A +0[.]060000000s  timeout +<0[.]1[.]0> *\n  B +0[.][0-9]+s  timeout +<0[.]1[.]0> *\nA: fail.trace, B: other.trace\n")
crashlab(run threshold.lua --seed 17 --max-time 30ms --trace short.trace --quiet)
crashlab(diff short.trace fail.trace)
expect(1 "diverge at record 3:")
crashlab(diff fail.trace cut.trace)
expect_bad("cut.trace: offset")
crashlab(diff fail.trace)
expect_bad("usage: crashlab diff A.trace B.trace")
crashlab(diff fail.trace nothere.trace)
expect_bad("nothere.trace")

# ---- trace filters (pingpong: ponger <0.1.0> registered as "ponger", pinger spawned at 1ms) -----
crashlab(run "${SRC}/scenarios/library/pingpong.lua" --trace pp.trace --quiet)
crashlab(trace pp.trace --name ponger --kind register,unregister)
expect(0 "^# trace of 'pingpong'[^\n]*\n +0[.]000000000s  register +<0[.]1[.]0> ponger\n +0[.]501000000s  unregister +<0[.]1[.]0> ponger\n# 2 of [0-9]+ records shown, hash=[0-9a-f]+ verified\n$")
crashlab(trace pp.trace --pid <0.2.0> --kind spawn,exit)
expect(0 "\n +0[.]001000000s  spawn +<0[.]0[.]1> -> <0[.]2[.]0> pinger [(]lua[)]\n +0[.][0-9]+s  exit +<0[.]2[.]0> normal\n# 2 of ")
crashlab(trace pp.trace --from 300ms --to 0.301s --grep pong --kind send)
expect(0 "\n +0[.]301000000s  send +<0[.]1[.]0> -> <0[.]2[.]0> #0[.][0-9]+ {pong,4}\n# 1 of ")
crashlab(trace pp.trace --node a --kind node,run_end)
expect(0 "\n +0[.]000000000s  node +0 a [(]machine 0[)]\n# 1 of ")
crashlab(trace pp.trace --kind run_end)
expect(0 "run_end +[^\n]*\n# 1 of ")
crashlab(trace pp.trace --kind spawn,bogus)
expect_bad("--kind: unknown event kind 'bogus' [(]kinds: spawn exit send")
crashlab(trace pp.trace --pid 12)
expect_bad("--pid needs a pid as the trace prints it, such as <0.12.0>, got '12'")
crashlab(trace pp.trace --name nobody)
expect_bad("--name nobody: no process registered that name in pp.trace")
crashlab(trace pp.trace --node zz)
if(NOT code STREQUAL "2" OR NOT err MATCHES "--node zz: no node of that name")
  fail("an unknown node is not refused")
endif()
crashlab(trace pp.trace --from 2s --to 1s)
expect_bad("--from is after --to")
crashlab(trace pp.trace --from soon)
expect_bad("--from needs a virtual time with a unit")
crashlab(trace pp.trace --grep)
expect_bad("--grep needs a value")
# Each new command has its own --help; trace's lists its filters.
foreach(sub replay diff report)
  crashlab(${sub} --help)
  expect(0 "^usage: crashlab ${sub} ")
endforeach()
crashlab(trace --help)
expect(0 "usage: crashlab trace FILE [[]filters[]].*--node NAME.*--grep TEXT")
crashlab(run x.lua --help)
expect(0 "--seeds A..B.*--shard K/N")
message(STATUS "replay.cmake: all checks passed")
