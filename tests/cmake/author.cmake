# What the command line tells a scenario author, so that a run never misleads them (issue 13,
# points 8, 9 and 11).
#
# Goal: --crashes=fail makes a process's Lua error fail the run (and the replay line keeps the
# flag); a run cut by --max-time or by the default one-hour cap says so before its verdict; a
# scenario without properties says it checks nothing; the verdict is the last line, also with
# --stats (stdout and stderr together); run, demo and trace each have their own --help (viz
# keeps its own); --seed out of range, a --trace path that cannot be written and `run DIR` each
# get one line naming what is wrong.
#
# Method: small scenarios written into WORK, run as separate processes with execute_process;
# each check stops the script with the command and what it printed.
#
# Usage: cmake -DCRASHLAB=<crashlab binary> -DWORK=<scratch dir> -P author.cmake
cmake_minimum_required(VERSION 3.25)
foreach(var CRASHLAB WORK)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "author.cmake: -D${var}=... is required")
  endif()
endforeach()
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")

include("${CMAKE_CURRENT_LIST_DIR}/check_lib.cmake")

# Runs crashlab; sets code, out, err (and all: stdout and stderr merged in order) and cmd.
function(crashlab)
  execute_process(COMMAND "${CRASHLAB}" ${ARGN} WORKING_DIRECTORY "${WORK}"
    RESULT_VARIABLE result OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr)
  execute_process(COMMAND "${CRASHLAB}" ${ARGN} WORKING_DIRECTORY "${WORK}"
    OUTPUT_VARIABLE merged ERROR_VARIABLE merged)
  list(JOIN ARGN " " args)
  set(code "${result}" PARENT_SCOPE)
  set(out "${stdout}" PARENT_SCOPE)
  set(err "${stderr}" PARENT_SCOPE)
  set(all "${merged}" PARENT_SCOPE)
  set(cmd "crashlab ${args}" PARENT_SCOPE)
endfunction()

function(expect_in text want)
  string(FIND "${text}" "${want}" at)
  if(at EQUAL -1)
    fail("expected '${want}'")
  endif()
endfunction()

function(last_line text var)
  string(REGEX REPLACE "\n+$" "" text "${text}")
  string(REGEX MATCH "[^\n]*$" line "${text}")
  set(${var} "${line}" PARENT_SCOPE)
endfunction()

# A usage error: exit 2, one stderr line containing `want`, nothing on stdout.
function(expect_usage_error want)
  crashlab(${ARGN})
  expect_code(2)
  if(NOT err MATCHES "^crashlab: [^\n]+\n$")
    fail("expected exactly one stderr line starting with 'crashlab:'")
  endif()
  expect_in("${err}" "${want}")
  if(NOT out STREQUAL "")
    fail("expected nothing on stdout")
  endif()
  string(STRIP "${err}" line)
  message(STATUS "ok  ${cmd} -> 2: ${line}")
endfunction()

# ---- Point 8: --crashes=fail -------------------------------------------------------------
file(WRITE "${WORK}/crash.lua" [=[
local cl = require "crashlab"
cl.scenario { name = "crash", stop = "1s" }
cl.spawn(function() cl.sleep(5); local t; return t.x end)
cl.at_end("fine", function() return true end)
]=])
crashlab(run crash.lua)
expect_code(0)
expect_in("${out}" "1 process crashed with a Lua error: attempt to index a nil value (local 't') at crash.lua:3 (process <0.1.0>)")
crashlab(run crash.lua --crashes=fail)
expect_code(1)
expect_in("${out}" "process <0.1.0> crashed with a Lua error: attempt to index a nil value (local 't') (crashes = \"fail\") at 5ms")
expect_in("${out}" "replay: crashlab run crash.lua --seed 1 --crashes=fail\n")
crashlab(run crash.lua --crashes fail --check-determinism)
expect_code(1)
expect_in("${out}" "determinism: OK")
message(STATUS "ok  --crashes=fail fails the run at the crash, the replay keeps the flag")
expect_usage_error("--crashes takes fail or count, got 'often'" run crash.lua --crashes=often)

# ---- Point 9: why the run ended ----------------------------------------------------------
file(WRITE "${WORK}/ticks.lua" [=[
local cl = require "crashlab"
cl.scenario { name = "ticks" }
local n = 0
cl.every("10m", function() n = n + 1 end)
cl.at_end("ticked", function() return n > 0 end)
]=])
crashlab(run ticks.lua)
expect_code(0)
expect_in("${out}" "stopped by the 1h default cap: the scenario sets no stop (set cl.scenario{stop = ...} or --max-time)\nPASS scenario=ticks ")
crashlab(run ticks.lua --max-time 30m)
expect_code(0)
expect_in("${out}" "stopped by --max-time 30m (the scenario sets no stop)\nPASS scenario=ticks ")
file(WRITE "${WORK}/ticks_stop.lua" [=[
local cl = require "crashlab"
cl.scenario { name = "ticks_stop", stop = "50m" }
cl.every("10m", function() end)
cl.at_end("ok", function() return true end)
]=])
crashlab(run ticks_stop.lua --max-time 20m)
expect_in("${out}" "stopped by --max-time 20m (before the scenario's stop at 50m)\n")
crashlab(run ticks_stop.lua)
if(out MATCHES "stopped by")
  fail("a run that reached its own stop says nothing about caps")
endif()
message(STATUS "ok  runs cut by --max-time or the default cap say so")

# ---- Point 11 ----------------------------------------------------------------------------
file(WRITE "${WORK}/noprops.lua" [=[
local cl = require "crashlab"
cl.spawn(function() cl.sleep(1) end)
]=])
crashlab(run noprops.lua)
expect_code(0)
expect_in("${out}" "no properties: this run checks nothing")
crashlab(run noprops.lua --quiet)
if(NOT out MATCHES "^PASS scenario=noprops [^\n]*\n$")
  fail("--quiet prints only the verdict")
endif()
message(STATUS "ok  a scenario with no property says it checks nothing")

crashlab(run noprops.lua --stats)
expect_code(0)
last_line("${all}" verdict)
if(NOT verdict MATCHES "^PASS scenario=noprops ")
  fail("the verdict must be the last line with --stats, got '${verdict}'\n--- merged\n${all}")
endif()
expect_in("${all}" "stats: wall=")
message(STATUS "ok  --stats comes before the verdict line")

foreach(sub run demo trace)
  crashlab(${sub} --help)
  expect_code(0)
  expect_in("${out}" "usage: crashlab ${sub}")
endforeach()
crashlab(run x.lua --help)
expect_in("${out}" "usage: crashlab run FILE.lua")
crashlab(viz --help)
expect_code(0)
expect_in("${out}" "crashlab viz")
crashlab(--help)
expect_in("${out}" "crashlab run FILE.lua [options]")
message(STATUS "ok  run, demo, trace and viz each have their own --help")

expect_usage_error("--seed 99999999999999999999999 is out of range (0 to 18446744073709551615)"
                   run noprops.lua --seed 99999999999999999999999)
expect_usage_error("--seed 99999999999999999999999 is out of range"
                   demo ring --seed 99999999999999999999999)
expect_usage_error("cannot write the trace ${WORK}/no/such/dir/t.trace: No such file or directory"
                   run noprops.lua --trace "${WORK}/no/such/dir/t.trace")
file(MAKE_DIRECTORY "${WORK}/adir")
expect_usage_error("adir: is a directory" run adir)
