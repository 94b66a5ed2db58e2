# Seed sweeps through the CLI: crashlab run FILE --seeds A..B, its summary, JSON and JUnit files,
# shards merged by crashlab report, the nondeterminism check, and bad input.
#
# Goal: a sweep's summary must tell the truth about every seed: which failed, grouped by what
# failed (one group per bug, not per pid or time), the smallest failing seed of each group and
# a command that replays it; the JSON and JUnit files hold one entry per seed; shards merged
# give the summary one sweep gives; a seed whose second run differs is named nondeterministic;
# bad arguments get one line and exit 2 and leave no file.
#
# Method: tests/sweep/threshold.lua fails on some seeds in two ways. The expected failures are
# not written down here: every seed of the range is first run alone (`crashlab run --seed N
# --quiet`), and the sweep's groups, counts and smallest seeds must agree with those runs.
# tests/sweep/flaky.lua (--unsafe) changes behaviour on its second run through a file. With
# -DPARALLEL=<GNU parallel>, the shards also run through parallel, as docs/sweeps.md shows.
#
# Usage: cmake -DCRASHLAB=... -DSRC=<source dir> -DWORK=<scratch dir> [-DPARALLEL=...] -P sweep.cmake
foreach(var CRASHLAB SRC WORK)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "sweep.cmake: -D${var}=... is required")
  endif()
endforeach()
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
# The scenario is copied so that the summary's paths are short and the same in every checkout.
file(COPY "${SRC}/tests/sweep/threshold.lua" "${SRC}/tests/sweep/flaky.lua" DESTINATION "${WORK}")
set(FIRST 1)
set(LAST 60)

include("${CMAKE_CURRENT_LIST_DIR}/check_lib.cmake")


function(expect_out regex)
  if(NOT out MATCHES "${regex}")
    fail("stdout does not match '${regex}'")
  endif()
endfunction()

function(expect_err regex)
  if(NOT err MATCHES "${regex}")
    fail("stderr does not match '${regex}'")
  endif()
endfunction()

# ---- The truth, seed by seed ----------------------------------------------------------------
set(crash_seeds "")
set(draw_seeds "")
foreach(seed RANGE ${FIRST} ${LAST})
  crashlab(run threshold.lua --seed ${seed} --quiet)
  if(code EQUAL 1)
    if(out MATCHES "crashed with a Lua error")
      list(APPEND crash_seeds ${seed})
    elseif(out MATCHES "property 'the draw is small enough'")
      list(APPEND draw_seeds ${seed})
    else()
      fail("a failure of an unknown kind")
    endif()
  elseif(NOT code EQUAL 0)
    fail("a single run neither passed nor failed")
  endif()
endforeach()
list(LENGTH crash_seeds crash_count)
list(LENGTH draw_seeds draw_count)
if(crash_count LESS 2 OR draw_count LESS 1)
  message(FATAL_ERROR "sweep.cmake: threshold.lua should fail both ways on seeds ${FIRST}..${LAST} "
                      "(crash: ${crash_seeds}; draw: ${draw_seeds})")
endif()
list(GET crash_seeds 0 crash_smallest)
list(GET draw_seeds 0 draw_smallest)
math(EXPR fail_count "${crash_count} + ${draw_count}")
math(EXPR pass_count "${LAST} - ${FIRST} + 1 - ${fail_count}")

# ---- One sweep: summary, per-seed lines, JSON, JUnit ----------------------------------------
crashlab(run threshold.lua --seeds ${FIRST}..${LAST} --jobs 2 --json all.json --junit all.xml)
expect_code(1)
set(single "${out}")
expect_out("^sweep of threshold.lua, seeds ${FIRST}..${LAST}: 60 run, ${pass_count} passed, ${fail_count} failed\n")
expect_out("2 failure signatures:\n")
# The crash group: the pid and the time are taken out of its signature.
expect_out("  ${crash_count} seeds: process <pid> crashed with a Lua error: attempt to perform arithmetic on a nil value [(]local 'budget'[)] [(]crashes = \"fail\"[)]\n    smallest seed ${crash_smallest}: crashlab run threshold.lua --seed ${crash_smallest}\n")
expect_out("  ${draw_count} seeds?: property 'the draw is small enough' [(]at_end[)] is false\n    smallest seed ${draw_smallest}: crashlab run threshold.lua --seed ${draw_smallest}\n")
if(out MATCHES "nondeterministic")
  fail("a deterministic scenario was reported nondeterministic")
endif()
# Not a terminal: one line per seed on stderr, in seed order, and the speed.
expect_err("seed 1 (PASS|FAIL)[^\n]*\nseed 2 (PASS|FAIL)")
expect_err("seed ${draw_smallest} FAIL property 'the draw is small enough' [(]at_end[)] is false at [0-9]+ms\n")
expect_err("60 seeds in [0-9.]+s: [0-9.]+ seeds/s on 2 jobs")
if(EXISTS "${WORK}/all.json.partial" OR EXISTS "${WORK}/all.xml.partial")
  fail("a .partial file was left")
endif()
file(STRINGS "${WORK}/all.json" records REGEX "\"seed\": ")
list(LENGTH records n)
if(NOT n EQUAL 60)
  fail("all.json has ${n} seed records, not 60")
endif()
file(READ "${WORK}/all.json" json)
if(NOT json MATCHES "^\\[\n{\"seed\": 1, \"verdict\": \"(pass|fail)\"")
  fail("all.json does not open with the record of seed 1")
endif()
if(NOT json MATCHES "{\"seed\": ${draw_smallest}, \"verdict\": \"fail\", \"property\": \"the draw is small enough\", \"message\": \"property 'the draw is small enough' [(]at_end[)] is false at [0-9]+ms\", \"sim_time\": \"[0-9]+ms\", \"events\": [0-9]+, \"hash\": \"[0-9a-f]+\", \"wall_s\": [0-9.]+, \"nondeterministic\": false, \"rerun_hash\": \"[0-9a-f]+\", \"file\": \"threshold.lua\", \"options\": \"\", \"range\": \"1[.][.]60\"}")
  fail("all.json lacks the full record of seed ${draw_smallest}")
endif()
if(NOT json MATCHES "{\"seed\": ${crash_smallest}, \"verdict\": \"fail\", \"property\": \"\", \"message\": \"process <[0-9.]+> crashed with a Lua error[^\n]*crashes = \\\\\"fail\\\\\"[)] at [0-9]+ms\"")
  fail("all.json lacks the escaped message of seed ${crash_smallest}")
endif()
file(READ "${WORK}/all.xml" xml)
if(NOT xml MATCHES "<testsuite name=\"threshold.lua\" tests=\"60\" failures=\"${fail_count}\"")
  fail("all.xml: wrong testsuite counts")
endif()
string(REGEX MATCHALL "<testcase " cases "${xml}")
list(LENGTH cases n)
if(NOT n EQUAL 60)
  fail("all.xml has ${n} testcases, not 60")
endif()
if(NOT xml MATCHES "name=\"seed ${draw_smallest}\" time=\"[0-9.]+\">\n      <failure message=\"property 'the draw is small enough' [(]at_end[)] is false at [0-9]+ms\">hash [0-9a-f]+; replay: crashlab run threshold.lua --seed ${draw_smallest}</failure>")
  fail("all.xml: the failing testcase of seed ${draw_smallest} is not as expected")
endif()
if(NOT xml MATCHES "process &lt;[0-9.]+&gt; crashed")
  fail("all.xml: < and > are not escaped")
endif()

# The summary does not depend on the number of workers.
crashlab(run threshold.lua --seeds ${FIRST}..${LAST} --jobs 1)
expect_code(1)
if(NOT out STREQUAL single)
  fail("--jobs 1 printed another summary than --jobs 2:\n${single}")
endif()
# The replay command of a group replays that failure.
crashlab(run threshold.lua --seed ${draw_smallest})
expect_code(1)
expect_out("property 'the draw is small enough' [(]at_end[)] is false")

# On a terminal (script(1) gives one): a progress bar on stderr, erased before the summary,
# and no per-seed lines.
if(SCRIPT)
  execute_process(COMMAND "${SCRIPT}" -qec "'${CRASHLAB}' run threshold.lua --seeds ${FIRST}..${LAST} --jobs 2"
      /dev/null WORKING_DIRECTORY "${WORK}" RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
  set(cmd "script crashlab run threshold.lua --seeds ... (a terminal)")
  string(ASCII 27 esc)
  string(REPLACE "\r\n" "\n" out "${out}")
  if(NOT out MATCHES "\r${esc}\\[K\\[[#.]+\\] [0-9]+/60 passed [0-9]+ failed [0-9]+ [0-9.]+ seeds/s ETA ")
    fail("no progress bar on the terminal")
  endif()
  if(NOT out MATCHES "\r${esc}\\[Ksweep of threshold.lua, seeds 1..60: ")
    fail("the progress bar is not erased before the summary")
  endif()
  if(out MATCHES "seed 2 FAIL")
    fail("per-seed lines on a terminal")
  endif()
else()
  message(STATUS "skipped: the terminal checks (script not found; Debian package bsdutils)")
endif()

# ---- Shards merged ---------------------------------------------------------------------------
foreach(k 1 2 3)
  crashlab(run threshold.lua --seeds ${FIRST}..${LAST} --shard ${k}/3 --jobs 2 --json shard${k}.json)
  if(NOT code EQUAL 0 AND NOT code EQUAL 1)
    fail("a shard neither passed nor failed")
  endif()
  expect_err("shard ${k}/3: seeds ")
endforeach()
crashlab(report shard1.json shard2.json shard3.json)
expect_code(1)
if(NOT out STREQUAL single)
  fail("the merged shards print another summary than one sweep:\n${single}")
endif()
crashlab(report shard3.json shard1.json shard2.json)
if(NOT out STREQUAL single)
  fail("the order of the shard files changed the merged summary")
endif()
# A merge with a shard missing is not a pass: exit 2 and one line on stderr, the summary still
# printed; also when the missing shard is the last one (each record carries the sweep's range).
crashlab(report shard1.json shard3.json)
expect_code(2)
expect_out("note: 20 seeds of 1..60 were not run [(]a shard missing[?][)]")
expect_err("^crashlab: report: incomplete: 40 of the 60 seeds 1[.][.]60 were run [(]a shard missing[?][)]; the summary counts only those, exit 2\n$")
crashlab(report shard1.json shard2.json)
expect_code(2)
expect_out("seeds 1[.][.]60: 40 run")
expect_err("^crashlab: report: incomplete: 40 of the 60 seeds 1[.][.]60 were run")
crashlab(report shard1.json shard1.json)
expect_code(2)
expect_err("seed 1 appears twice")
crashlab(report missing.json)
expect_code(2)
expect_err("missing.json: cannot open")
file(WRITE "${WORK}/cut.json" "[\n{\"seed\": 1, \"verdict\": \"pass\"")
crashlab(report cut.json)
expect_code(2)
expect_err("cut.json:2: not a seed record")
file(WRITE "${WORK}/open.json" "[\n")
crashlab(report open.json)
expect_code(2)
expect_err("open.json: incomplete")
crashlab(report)
expect_code(2)

if(PARALLEL)
  # The GNU parallel form of docs/sweeps.md, on this machine (-S host1,host2 spreads it).
  execute_process(COMMAND "${PARALLEL}" --will-cite "${CRASHLAB}" run threshold.lua
      --seeds ${FIRST}..${LAST} --shard {}/4 --jobs 1 --json par{}.json ::: 1 2 3 4
    WORKING_DIRECTORY "${WORK}" RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
  set(cmd "parallel crashlab run threshold.lua --shard {}/4 ...")
  if(code GREATER 4) # parallel exits with the number of failed jobs (each shard may fail: 1..4)
    fail("GNU parallel could not run the shards")
  endif()
  crashlab(report par1.json par2.json par3.json par4.json)
  if(NOT out STREQUAL single)
    fail("the shards run by GNU parallel merge into another summary:\n${single}")
  endif()
else()
  message(STATUS "skipped: the GNU parallel form (parallel not found; bash .ci/deps parallel)")
endif()

# expect = "fail": the verdict line says PASS when the expected failure is seen, and a sweep
# follows the verdict line.
crashlab(run "${SRC}/scenarios/library/wrong_strategy.lua" --seeds 1..4 --jobs 2)
expect_code(0)
expect_out(": 4 run, 4 passed, 0 failed\n$")

# A seed whose run ends in a scenario error is a failure with the verdict error.
file(WRITE "${WORK}/broken.lua" [[
local cl = require "crashlab"
cl.scenario { name = "broken", stop = "1s" }
if math.random() < 0.5 then error("setup broke") end
cl.at_end("fine", function() return true end)
]])
crashlab(run broken.lua --seeds 1..12 --jobs 2 --junit broken.xml --json broken.json)
expect_code(1)
expect_out("  [0-9]+ seeds?: scenario error: broken.lua:3: setup broke\n    smallest seed [0-9]+: crashlab run broken.lua --seed [0-9]+\n")
file(READ "${WORK}/broken.xml" xml)
if(NOT xml MATCHES "failures=\"0\" errors=\"[1-9][0-9]*\"" OR NOT xml MATCHES "<error message=\"broken.lua:3: setup broke\">")
  fail("broken.xml does not count the scenario errors as JUnit errors")
endif()
file(READ "${WORK}/broken.json" json)
if(NOT json MATCHES "\"verdict\": \"error\", \"property\": \"\", \"message\": \"broken.lua:3: setup broke\"")
  fail("broken.json lacks an error record")
endif()

# ---- Nondeterminism -------------------------------------------------------------------------
file(REMOVE "${WORK}/flaky.marker")
crashlab(run flaky.lua --seeds 1..1 --unsafe --json flaky.json)
expect_code(1)
expect_out("nondeterministic: seed 1 gave hash [0-9a-f]+, then [0-9a-f]+ on a second run [(]a crashlab bug")
expect_out("smallest seed 1: crashlab run flaky.lua --seed 1 --unsafe\n")
file(READ "${WORK}/flaky.json" json)
if(NOT json MATCHES "\"nondeterministic\": true")
  fail("flaky.json does not mark seed 1 nondeterministic")
endif()
crashlab(report flaky.json)
expect_code(1)
expect_out("nondeterministic: seed 1 gave hash")

# ---- Bad input: one line, exit 2, no file ---------------------------------------------------
foreach(bad "--seeds;5..3" "--seeds;a..b" "--seeds;1-5" "--seeds;0..99999999999"
            "--seeds;1..10;--shard;0/3" "--seeds;1..10;--shard;4/3" "--seeds;1..10;--shard;x"
            "--seeds;1..2;--shard;3/3" "--seeds;1..10;--jobs;0" "--seeds;1..10;--trace;t.trace"
            "--seeds;1..10;--bogus" "--jobs;2" "--seeds")
  crashlab(run threshold.lua ${bad} --json bad.json)
  expect_code(2)
  string(REGEX MATCHALL "\n" lines "${err}")
  list(LENGTH lines n)
  if(NOT n EQUAL 1 OR NOT err MATCHES "^crashlab: ")
    fail("not one line of error")
  endif()
  if(EXISTS "${WORK}/bad.json" OR EXISTS "${WORK}/bad.json.partial")
    fail("a JSON file was left by a usage error")
  endif()
endforeach()
crashlab(run threshold.lua --seeds 5..3)
expect_err("--seeds 5..3: the range is empty")
crashlab(run threshold.lua --seeds 1..10000001)
expect_err("more than 10000000 seeds")
crashlab(run nothere.lua --seeds 1..3)
expect_code(2)
expect_err("nothere.lua: cannot open")
message(STATUS "sweep.cmake: all checks passed (crash seeds ${crash_seeds}; draw seeds ${draw_seeds})")
