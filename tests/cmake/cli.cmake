# The `crashlab` command line, seen from outside: verdict lines, exit codes, error messages,
# trace files.
#
# Goal: what scenarios/cli/main.c documents holds for a user at a shell: exit status 0 for a pass,
# 2 (with one "crashlab: ..." line on stderr and nothing on stdout) for bad usage or input; the
# verdict line has its documented shape; a trace written with --trace reads back verified with
# the verdict's hash, a truncated one prints its good records and is refused with the offset of
# the damage (tests/cmake/trace_v2.cmake checks the records printed), and a trace that
# cannot be written leaves no file behind. The readable trace of the supervise demo shows each
# crash, its trapped exit signal, each restart and the final give-up.
#
# Method: each case runs the binary as a separate process with execute_process and checks the
# exit code and the captured stdout and stderr. The first failing check stops the script with
# the command and what it printed.
#
# Usage: cmake -DCRASHLAB=<path of the crashlab binary> -DWORK=<scratch dir> -P cli.cmake
cmake_minimum_required(VERSION 3.25)

foreach(var CRASHLAB WORK)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "cli.cmake: -D${var}=... is required")
  endif()
endforeach()
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")

# CMake's regular expressions have no {n} repetition.
string(REPEAT "[0-9a-f]" 16 HEX16)

include("${CMAKE_CURRENT_LIST_DIR}/check_lib.cmake")


# The last line of the text in `text` (without its newline), into the variable named `var`.
function(last_line text var)
  string(REGEX REPLACE "\n+$" "" text "${text}")
  string(REGEX MATCH "[^\n]*$" line "${text}")
  set(${var} "${line}" PARENT_SCOPE)
endfunction()

# How many times `regex` matches in `text`, into the variable named `var`.
function(count_matches text regex var)
  string(REGEX MATCHALL "${regex}" found "${text}")
  list(LENGTH found n)
  set(${var} ${n} PARENT_SCOPE)
endfunction()

# A usage or input error: exit 2, exactly one line on stderr starting "crashlab:", and no
# stdout (a script reading stdout must not mistake the error for output).
function(expect_usage_error)
  crashlab(${ARGN})
  expect_code(2)
  if(NOT err MATCHES "^crashlab: [^\n]+\n$")
    fail("expected exactly one stderr line starting with 'crashlab:'")
  endif()
  if(NOT out STREQUAL "")
    fail("expected nothing on stdout")
  endif()
  string(STRIP "${err}" line)
  message(STATUS "ok  ${cmd} -> 2: ${line}")
endfunction()

# ---- (a) --version, (b) --help ------------------------------------------------------------

crashlab(--version)
expect_code(0)
if(NOT out MATCHES "^crashlab [0-9]+\\.[0-9]+\\.[0-9]+\n$")
  fail("expected 'crashlab X.Y.Z'")
endif()

crashlab(--help)
expect_code(0)
if(NOT out MATCHES "demo" OR NOT out MATCHES "trace")
  fail("expected the usage text to mention the demo and trace commands")
endif()

# ---- (c) the verdict line ------------------------------------------------------------------

crashlab(demo pingpong --seed 42 --quiet)
expect_code(0)
last_line("${out}" verdict)
if(NOT verdict MATCHES
   "^PASS demo=pingpong seed=42 events=[0-9]+ sim_time=[0-9.]+[a-z]+ hash=${HEX16}$")
  fail("unexpected verdict line '${verdict}'")
endif()
if(NOT out STREQUAL "${verdict}\n")
  fail("--quiet must print the verdict line only")
endif()

# ---- (d) bad usage and bad input -----------------------------------------------------------

expect_usage_error(frobnicate)
expect_usage_error(demo ring --frobnicate)
expect_usage_error(demo no_such_demo)
expect_usage_error(demo ring --seed abc)
expect_usage_error(demo ring --seed -1)
expect_usage_error(demo ring --seed)
expect_usage_error(demo ring --trace)
expect_usage_error(demo)
expect_usage_error(trace)
expect_usage_error(trace "${WORK}/no-such-file.bin")

# ---- (e) a trace file reads back verified, with the verdict's hash -------------------------

set(trace "${WORK}/t.bin")
crashlab(demo ring --trace "${trace}" --quiet)
expect_code(0)
last_line("${out}" verdict)
if(NOT verdict MATCHES "^PASS demo=ring seed=1 events=([0-9]+) .* hash=(${HEX16})$")
  fail("unexpected verdict line '${verdict}'")
endif()
set(run_events "${CMAKE_MATCH_1}")
set(run_hash "${CMAKE_MATCH_2}")
if(NOT EXISTS "${trace}" OR EXISTS "${trace}.partial")
  fail("expected ${trace} and no ${trace}.partial")
endif()

crashlab(trace "${trace}")
expect_code(0)
if(NOT out MATCHES "^# trace of 'ring' seed=1 written by crashlab ")
  fail("expected the trace's header line first")
endif()
last_line("${out}" verified)
if(NOT verified MATCHES "^# ([0-9]+) records, hash=(${HEX16}) verified$")
  fail("expected a last line '# N records, hash=H verified', got '${verified}'")
endif()
if(NOT CMAKE_MATCH_2 STREQUAL run_hash)
  fail("the trace's verified hash ${CMAKE_MATCH_2} differs from the run's hash ${run_hash}")
endif()
if(NOT CMAKE_MATCH_1 STREQUAL run_events)
  fail("the trace holds ${CMAKE_MATCH_1} records, the run reported events=${run_events}")
endif()
message(STATUS "ok  trace of ring verified: ${run_events} records, hash ${run_hash}")

# The readable trace printed by the demo itself is the same as `crashlab trace` prints.
set(printed "${out}")
crashlab(demo ring)
expect_code(0)
string(REGEX MATCHALL "\n +[0-9]+\\.[0-9]+s [^\n]*" demo_lines "\n${out}")
string(REGEX MATCHALL "\n +[0-9]+\\.[0-9]+s [^\n]*" trace_lines "\n${printed}")
list(LENGTH trace_lines trace_line_count)
if(NOT demo_lines STREQUAL trace_lines OR NOT trace_line_count EQUAL run_events)
  fail("the demo's readable trace differs from `crashlab trace` of the same run")
endif()

# ---- (f) a truncated trace is refused with the offset --------------------------------------

find_program(HEAD head)
if(NOT HEAD)
  message(FATAL_ERROR "cli.cmake: needs `head` to truncate a file")
endif()
file(SIZE "${trace}" trace_size)
math(EXPR half "${trace_size} / 2")
set(truncated "${WORK}/half.bin")
execute_process(COMMAND "${HEAD}" -c ${half} "${trace}" OUTPUT_FILE "${truncated}"
  RESULT_VARIABLE result)
file(SIZE "${truncated}" truncated_size)
if(NOT result EQUAL 0 OR NOT truncated_size EQUAL half)
  message(FATAL_ERROR "cli.cmake: could not write the first ${half} bytes of ${trace}")
endif()
crashlab(trace "${truncated}")
expect_code(2)
if(NOT err MATCHES "^crashlab: [^\n]*half\\.bin: offset [0-9]+: [^\n]+\n$")
  fail("expected one error line naming the file and the offset of the damage")
endif()
string(STRIP "${err}" line)
message(STATUS "ok  truncated trace refused: ${line}")

# ---- (g) a trace that cannot be written: exit 2 and no file --------------------------------

crashlab(demo ring --trace /nonexistent-dir/x.bin)
expect_code(2)
if(EXISTS /nonexistent-dir/x.bin OR EXISTS /nonexistent-dir/x.bin.partial)
  fail("left a file behind")
endif()
if(NOT err MATCHES "^crashlab: [^\n]*/nonexistent-dir/x\\.bin[^\n]*\n$")
  fail("expected one error line naming the trace file")
endif()
# ---- (h) the readable trace of supervise shows crashes, restarts and the give-up -----------

crashlab(demo supervise)
expect_code(0)
# Lines look like:
#      0.050000000s  exit         <0.3.0> {crash,50000000}
#      0.050000000s  signal       <0.3.0> -> <0.1.0> {crash,50000000} (link) trapped
#      0.050000000s  spawn        <0.1.0> -> <0.3.1> worker
#      0.200000000s  exit         <0.1.0> gave_up
#      0.200000000s  down         <0.2.0> -> <0.1.0> ref 2 gave_up
set(T "\n +[0-9]+\\.[0-9]+s  ")
set(PID "<[0-9]+\\.[0-9]+\\.[0-9]+>")
count_matches("\n${out}" "${T}spawn +${PID} -> ${PID} worker\n" spawns)
count_matches("\n${out}" "${T}exit +${PID} [{]crash,[0-9]+[}]\n" crashes)
count_matches("\n${out}" "${T}signal +${PID} -> ${PID} [{]crash,[0-9]+[}] [(]link[)] trapped\n"
              trapped)
count_matches("\n${out}" "${T}exit +${PID} gave_up\n" gave_up)
count_matches("\n${out}" "${T}down +${PID} -> ${PID} ref [0-9]+ gave_up\n" downs)
# Three restarts: the first worker and three more are spawned, and all four crash.
if(NOT spawns EQUAL 4 OR NOT crashes EQUAL 4 OR NOT trapped EQUAL 4 OR NOT gave_up EQUAL 1
   OR NOT downs EQUAL 1)
  fail("expected 4 worker spawns, 4 crashes, 4 trapped link signals, 1 gave_up exit and "
       "1 DOWN with gave_up; saw ${spawns}, ${crashes}, ${trapped}, ${gave_up}, ${downs}")
endif()
if(NOT out MATCHES "\nsupervise: 3 restarts of 3, 1 DOWN with gave_up seen\n")
  fail("expected the demo's own summary line")
endif()
last_line("${out}" verdict)
if(NOT verdict MATCHES "^PASS demo=supervise seed=1 ")
  fail("unexpected verdict line '${verdict}'")
endif()
message(STATUS "ok  supervise: ${spawns} worker spawns, ${crashes} crashes, give-up seen")

# ---- (g') a trace whose final name is taken by a directory ----------------------------------
# The run writes t.partial, then cannot rename it into place: it must fail and, as trace.h
# promises ("on any write error removes the partial file"), leave no .partial behind. Last in
# the script so that a failure here does not hide the checks above.
file(MAKE_DIRECTORY "${WORK}/taken.bin")
crashlab(demo ring --trace "${WORK}/taken.bin" --quiet)
if(code EQUAL 0)
  fail("expected a failure when the trace path is a directory")
endif()
if(EXISTS "${WORK}/taken.bin.partial")
  fail("left ${WORK}/taken.bin.partial behind")
endif()
