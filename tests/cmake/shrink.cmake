# crashlab shrink: a failing run cut down to the faults that matter.
#
# Goal: a storm of 50 or more faults with a planted bug shrinks to the one to three faults the
# bug needs; each fault left is necessary (the run with the plan minus that fault passes); the
# written scenario fails on its own (no --seed, no --faults) with the same signature, and its
# plan is the text trace --plan prints for the run it makes (one writer); the result
# does not depend on --jobs; bad input gets one clear message, exit 2, and no file.
#
# Method: scenarios/library/ledger_storm_naive.lua (a three-fault bug: a partition that cuts a
# from b, a kill of the ledger while it holds, a heal) and tests/shrink/temporary_registry.lua
# (a one-fault bug: the kill of a temporary child), each on its first seed that fails after
# 50 faults or more (2 and 1 today); changing_topology_naive.lua, whose expected failure (expect = "fail") is the one
# kept. The plans minus one fault are cut from the written file's cl.fault_plan lines, one
# fault per line as shrink writes them.
#
# Usage: cmake -DCRASHLAB=... -DSRC=<source dir> -DWORK=<scratch dir> [-DSCRIPT=script]
#        -P shrink.cmake
foreach(var CRASHLAB SRC WORK)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "shrink.cmake: -D${var}=... is required")
  endif()
endforeach()
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
file(COPY "${SRC}/tests/shrink/temporary_registry.lua" DESTINATION "${WORK}")
set(ledger "${SRC}/scenarios/library/ledger_storm_naive.lua")

include("${CMAKE_CURRENT_LIST_DIR}/check_lib.cmake")

# check_lib's expect_bad (one line on stderr, exit 2), and no file left behind.
function(expect_bad_no_file regex)
  expect_bad("${regex}")
  file(GLOB left "${WORK}/*.shrunk.lua" "${WORK}/*.partial" "${WORK}/out*.lua")
  if(left)
    fail("a file was left behind: ${left}")
  endif()
endfunction()

# The signature of a failure line: its " at T" dropped.
function(signature line var)
  string(REGEX REPLACE " at [0-9.]+(ns|us|ms|s|m|h)$" "" line "${line}")
  set(${var} "${line}" PARENT_SCOPE)
endfunction()

# Shrinks FILE on SEED into DEST and checks what the summary says: at least 50 faults before,
# 1 to MAX after. Sets faults_before, faults_after, runs and first_line in the caller's scope.
function(shrink_checked file seed dest max)
  crashlab(run "${file}" --seed ${seed} --quiet)
  expect_code(1)
  string(REGEX MATCH "^[^\n]*" line "${out}")
  signature("${line}" want)
  crashlab(shrink "${file}" --seed ${seed} --out "${dest}" --jobs 2)
  expect_code(0)
  if(NOT out MATCHES "before: ([0-9]+) faults, failure at ([^\n]+)\n")
    fail("no 'before:' line")
  endif()
  set(before ${CMAKE_MATCH_1})
  set(time_before ${CMAKE_MATCH_2})
  if(NOT out MATCHES "after: +([0-9]+) faults?, failure at ([^\n]+)\n")
    fail("no 'after:' line")
  endif()
  set(after ${CMAKE_MATCH_1})
  set(time_after ${CMAKE_MATCH_2})
  if(NOT out MATCHES "runs: +([0-9]+)")
    fail("no 'runs:' line")
  endif()
  set(runs ${CMAKE_MATCH_1})
  if(before LESS 50 OR after LESS 1 OR after GREATER ${max})
    fail("expected at least 50 faults before and 1 to ${max} after")
  endif()
  if(NOT out MATCHES "crashlab run [^\n]* fails the same way")
    fail("the written file was not checked")
  endif()
  message(STATUS "shrink ${file} seed ${seed}: ${before} faults (failure at ${time_before}) -> "
                 "${after} (failure at ${time_after}) in ${runs} runs")
  set(faults_before ${before} PARENT_SCOPE)
  set(faults_after ${after} PARENT_SCOPE)
  set(first_line "${want}" PARENT_SCOPE)
endfunction()

# The fault lines of a written file's cl.fault_plan, one list item each.
function(plan_lines path var)
  file(STRINGS "${path}" all)
  set(in_plan FALSE)
  set(found "")
  foreach(l IN LISTS all)
    if(l MATCHES "^cl\\.fault_plan")
      set(in_plan TRUE)
    elseif(in_plan AND l MATCHES "^  \\{ at = ")
      list(APPEND found "${l}")
    elseif(in_plan)
      set(in_plan FALSE)
    endif()
  endforeach()
  set(${var} "${found}" PARENT_SCOPE)
endfunction()

# Every fault left is necessary: the run with the plan minus that fault passes.
function(each_necessary file seed shrunk)
  plan_lines("${shrunk}" lines)
  list(LENGTH lines n)
  if(n EQUAL 0)
    message(FATAL_ERROR "shrink.cmake: no fault lines in ${shrunk}")
  endif()
  math(EXPR last "${n} - 1")
  foreach(i RANGE ${last})
    set(rest "${lines}")
    list(REMOVE_AT rest ${i})
    list(JOIN rest "\n" body)
    file(WRITE "${WORK}/minus${i}.plan" "return { faults = {\n${body}\n} }\n")
    crashlab(run "${file}" --seed ${seed} --quiet --faults "${WORK}/minus${i}.plan")
    if(NOT code EQUAL 0)
      list(GET lines ${i} dropped)
      fail("dropping fault ${i} (${dropped}) should make the run pass")
    endif()
  endforeach()
  message(STATUS "each of the ${n} faults left is necessary")
endfunction()

# The written file fails on its own, with the signature of the original run.
function(fails_alone shrunk want)
  crashlab(run "${shrunk}" --quiet)
  expect_code(1)
  string(REGEX MATCH "^[^\n]*" line "${out}")
  signature("${line}" got)
  if(NOT got STREQUAL want)
    fail("expected the failure '${want}'")
  endif()
  file(STRINGS "${shrunk}" head LIMIT_COUNT 1)
  if(NOT head MATCHES "^--! seed [0-9]+$")
    fail("the written file should open with its seed (--! seed N), not '${head}'")
  endif()
endfunction()

# The first seed from 1 on whose run of FILE fails no earlier than MIN_S virtual seconds (the
# storms make one fault every 50 ms from 0.5 s, so a failure at 3 s or later comes after 50
# faults or more). Found rather than written down, so that a change to the runtime that moves
# the failures to other seeds does not break the test.
function(pick_seed file min_s var)
  foreach(seed RANGE 1 60)
    crashlab(run "${file}" --seed ${seed} --quiet)
    if(code EQUAL 1 AND out MATCHES "^[^\n]* at ([0-9.]+)(ms|s)\n")
      set(t ${CMAKE_MATCH_1})
      if(CMAKE_MATCH_2 STREQUAL "ms")
        set(t 0)
      endif()
      string(REGEX REPLACE "\\..*" "" whole "${t}")
      if(NOT whole LESS min_s)
        set(${var} ${seed} PARENT_SCOPE)
        return()
      endif()
    endif()
  endforeach()
  message(FATAL_ERROR "shrink.cmake: no seed of 1..60 fails ${file} at ${min_s}s or later")
endfunction()

# ---- The three-fault bug of the ledger ----------------------------------------------------
pick_seed("${ledger}" 3 seed)
shrink_checked("${ledger}" ${seed} "${WORK}/ledger.shrunk.lua" 3)
set(ledger_want "${first_line}")
each_necessary("${ledger}" ${seed} "${WORK}/ledger.shrunk.lua")
fails_alone("${WORK}/ledger.shrunk.lua" "${ledger_want}")

# The plan is written by the plan writer trace --plan uses: the written file's fault lines are
# the lines trace --plan prints for the shrunk run's own trace, to the byte.
crashlab(run ledger.shrunk.lua --quiet --trace ledger.shrunk.trace)
crashlab(trace ledger.shrunk.trace --plan)
expect_code(0)
string(REGEX MATCHALL "\n  [{] at = [^\n]*" printed "${out}")
string(REPLACE "\n" "" printed "${printed}")
plan_lines("${WORK}/ledger.shrunk.lua" written)
if(NOT printed STREQUAL written)
  fail("the written plan is not what trace --plan prints for its run: '${written}'")
endif()
file(REMOVE "${WORK}/ledger.shrunk.trace")

# The same file with one job: the result does not depend on how many runs went at once.
crashlab(shrink "${ledger}" --seed ${seed} --out "${WORK}/ledger1.lua" --jobs 1)
expect_code(0)
if(NOT err MATCHES "shrink: run [0-9]+: dropped [0-9]+ faults?; [0-9]+ of [0-9]+ faults left\n")
  fail("no plain progress lines on stderr when it is not a terminal")
endif()
file(READ "${WORK}/ledger.shrunk.lua" two_jobs)
file(READ "${WORK}/ledger1.lua" one_job)
if(NOT two_jobs STREQUAL one_job)
  fail("--jobs 1 wrote another file than --jobs 2")
endif()
file(REMOVE "${WORK}/ledger1.lua")

# ---- The one-fault bug, written beside the scenario by default ----------------------------
pick_seed("${WORK}/temporary_registry.lua" 3 seed)
set(registry_seed ${seed})
shrink_checked("${WORK}/temporary_registry.lua" ${seed} "${WORK}/temporary_registry.shrunk.lua" 1)
set(registry_want "${first_line}")
each_necessary("${WORK}/temporary_registry.lua" ${seed} "${WORK}/temporary_registry.shrunk.lua")
fails_alone("${WORK}/temporary_registry.shrunk.lua" "${registry_want}")
file(REMOVE "${WORK}/temporary_registry.shrunk.lua")
crashlab(shrink temporary_registry.lua --seed ${seed} --max-runs 5)
expect_code(0)
if(NOT EXISTS "${WORK}/temporary_registry.shrunk.lua" OR NOT out MATCHES "stopped at --max-runs")
  fail("the default output is NAME.shrunk.lua beside the scenario, and --max-runs says it stopped")
endif()
file(REMOVE "${WORK}/temporary_registry.shrunk.lua" "${WORK}/ledger.shrunk.lua")

# ---- A scenario that expects its failure (expect = "fail"): that failure is the one kept ------
file(COPY "${SRC}/scenarios/library/fallacies/changing_topology.lua"
  "${SRC}/scenarios/library/fallacies/changing_topology_naive.lua" DESTINATION "${WORK}")
crashlab(shrink changing_topology_naive.lua --seed 1)
expect_code(0)
if(NOT out MATCHES "\\(expected: the scenario says expect = \"fail\"\\)\n  before: 2 faults, failure at 8s\n  after:  1 fault, failure at 8s"
   OR NOT out MATCHES "kind = \"crash_node\", node = \"b\"")
  fail("the expected failure of changing_topology_naive should shrink to the crash of b")
endif()
# The two counts docs/sweeps.md explains: the summary's runs are the search's (the first run
# and the tries), the stderr line adds the check of the written file.
if(NOT out MATCHES "\n  runs:   ([0-9]+)\n")
  fail("no runs: line in the summary")
endif()
set(search_runs "${CMAKE_MATCH_1}")
math(EXPR with_check "${search_runs} + 1")
if(NOT err MATCHES "(^|\n)${with_check} runs in [0-9.]+s on ")
  fail("the stderr count should be the summary's ${search_runs} runs and the check")
endif()
message(STATUS "shrink changing_topology_naive.lua seed 1 (expect = \"fail\"): 2 faults -> 1")
file(REMOVE "${WORK}/changing_topology_naive.shrunk.lua")

# ---- Progress on a terminal: a status line, not the plain lines ---------------------------
if(SCRIPT)
  execute_process(COMMAND "${SCRIPT}" -qec "'${CRASHLAB}' shrink temporary_registry.lua --seed ${registry_seed} --out out1.lua"
      /dev/null WORKING_DIRECTORY "${WORK}" RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
  set(cmd "script crashlab shrink temporary_registry.lua --seed ${registry_seed} (a terminal)")
  string(ASCII 27 esc)
  if(NOT out MATCHES "\r${esc}\\[Kshrink: [0-9]+ runs, [0-9]+ of [0-9]+ faults left \\(dropping faults\\)")
    fail("no status line on the terminal")
  endif()
  if(out MATCHES "shrink: run [0-9]+:")
    fail("plain progress lines on a terminal")
  endif()
  file(REMOVE "${WORK}/out1.lua")
else()
  message(STATUS "skipped: the terminal checks (script not found; Debian package bsdutils)")
endif()

# ---- Bad input ----------------------------------------------------------------------------
crashlab(shrink "${ledger}" --seed 3 --out "${WORK}/out.lua")
expect_bad_no_file("passes with seed 3: nothing to shrink")
crashlab(shrink "${WORK}/missing.lua" --seed 1)
expect_bad_no_file("missing.lua: cannot open: No such file or directory")
crashlab(shrink temporary_registry.lua --seed x1)
expect_bad_no_file("--seed needs a whole number")
crashlab(shrink temporary_registry.lua)
expect_bad_no_file("shrink needs the failing seed")
crashlab(shrink temporary_registry.lua --seed 1 --out temporary_registry.lua)
expect_bad_no_file("is the scenario itself: shrink never overwrites the original")
crashlab(shrink temporary_registry.lua --seed 1 --out /nonexistent/out.lua)
expect_bad_no_file("cannot write /nonexistent/out.lua: No such file or directory")
crashlab(shrink temporary_registry.lua --seed 1 --jobs 0)
expect_bad_no_file("--jobs needs a whole number from 1")
crashlab(shrink temporary_registry.lua --seed 1 --bogus)
expect_bad_no_file("unknown option '--bogus'")
file(WRITE "${WORK}/broken.plan" "return { faults = {\n  { at = \"1s\", kind = \"heal\" },\n  { at = \n} }\n")
crashlab(shrink temporary_registry.lua --seed 1 --faults broken.plan --out out.lua)
expect_bad_no_file("broken.plan:4:")
file(WRITE "${WORK}/unknown_node.plan"
  "return { faults = {\n  { at = \"1s\", kind = \"partition\", groups = { { \"a\" }, { \"zz\" } } },\n} }\n")
crashlab(shrink temporary_registry.lua --seed 1 --faults unknown_node.plan --out out.lua)
expect_bad_no_file("zz")
file(WRITE "${WORK}/unknown_name.plan"
  "return { faults = {\n  { at = \"1s\", kind = \"kill\", target = { node = \"a\", name = \"nobody\" } },\n} }\n")
crashlab(shrink temporary_registry.lua --seed 1 --faults unknown_name.plan --out out.lua)
expect_bad_no_file("nobody")
crashlab(shrink temporary_registry.lua --seed 1 --faults missing.plan --out out.lua)
expect_bad_no_file("missing.plan: cannot open")
crashlab(shrink --help)
expect_code(0)
if(NOT out MATCHES "usage: crashlab shrink FILE.lua --seed N" OR NOT out MATCHES "--max-runs")
  fail("shrink --help")
endif()
crashlab(--help)
if(NOT out MATCHES "crashlab shrink FILE --seed N")
  fail("crashlab --help should list shrink")
endif()

# ---- Counts in words, and a plan where nothing can go -------------------------------------
# tests/faults/both_needed.lua fails only when both of its crashes are made: the summary says
# that none could be dropped. fails_early.lua under a one-fault plan: "1 fault", not "1 faults".
crashlab(shrink "${SRC}/tests/faults/both_needed.lua" --seed 1 --out "${WORK}/both.lua")
expect_code(0)
if(NOT out MATCHES "\n  before: 2 faults, failure at 200ms\n  after:  2 faults, failure at 200ms\n  none of the 2 faults could be dropped: each is needed\n")
  fail("a plan where each fault is needed: the summary should say none could be dropped")
endif()
file(WRITE "${WORK}/one.lua" "return { faults = { { at = \"100ms\", kind = \"crash_node\", node = \"b\" } } }\n")
crashlab(shrink "${SRC}/tests/faults/fails_early.lua" --seed 1 --faults "${WORK}/one.lua" --out "${WORK}/one.shrunk.lua" --jobs 1024)
expect_code(0)
if(NOT out MATCHES "\n  before: 1 fault, failure at 350ms\n" OR NOT err MATCHES "fails with 1 fault: "
   OR out MATCHES "1 faults" OR err MATCHES "1 faults")
  fail("one fault is '1 fault'")
endif()
file(READ "${WORK}/one.shrunk.lua" shrunk)
if(NOT shrunk MATCHES ": 1 fault -> 0, failure at")
  fail("the shrunk file's header should say '1 fault -> 0'")
endif()
file(REMOVE "${WORK}/one.shrunk.lua" "${WORK}/both.lua")
# One limit on --jobs, the sweep's: 1..1024 (shrink took only 1..256).
crashlab(shrink "${SRC}/tests/faults/fails_early.lua" --seed 1 --jobs 1025)
expect_bad_no_file("--jobs needs a whole number from 1 to 1024, got '1025'")

message(STATUS "shrink.cmake: all checks passed")
