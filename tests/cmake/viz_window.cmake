# The visualiser's window under Xvfb, driven by --script files: a replay and a live run.
#
# Goal: the window a person uses works end to end on a real X server:
#   - replay: `crashlab viz TRACE --script S` opens a window, steps forward and back (. and ,),
#     seeks by clicking the timeline (seek 2s), searches (/ worker3 Return), saves a screenshot
#     and checks the window title, then quits with exit 0; the screenshot is a PNG of the
#     window's size whose canvas and timeline are not blank;
#   - a failing `expect-title` line exits 1 naming the title, a bad script line exits 2 naming
#     FILE:LINE (so the checks above can fail);
#   - live: `crashlab run FILE.lua --viz-script S2` exits with the same status and prints the
#     same verdict line (same events, same hash) as the run without a window, and its
#     screenshot, taken after the run's trace has ended, is a PNG of the window's size.
#
# Method: each command runs under tests/viz/with_xvfb.sh (a private Xvfb server per command,
# on a display the server picks itself) as its own process. The scripts wait for frames and for the live run's end (`wait-end`), never for wall
# time, so the checks do not depend on the machine's speed. Screenshots are read back with
# png_check (SDL2_image): size, and a region that is not one uniform colour.
#
# Usage: cmake -DCRASHLAB=<crashlab binary> -DSRC=<source dir> -DWORK=<scratch dir>
#              -DPNG_CHECK=<png_check binary> -DWITH_XVFB=<tests/viz/with_xvfb.sh> -P viz_window.cmake
cmake_minimum_required(VERSION 3.25)

foreach(var CRASHLAB SRC WORK PNG_CHECK WITH_XVFB)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "viz_window.cmake: -D${var}=... is required")
  endif()
endforeach()
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")

# Runs the arguments as a command; sets code, out, err and cmd in the caller's scope.
function(run)
  execute_process(COMMAND ${ARGN} WORKING_DIRECTORY "${WORK}"
    RESULT_VARIABLE result OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr)
  list(JOIN ARGN " " args)
  set(code "${result}" PARENT_SCOPE)
  set(out "${stdout}" PARENT_SCOPE)
  set(err "${stderr}" PARENT_SCOPE)
  set(cmd "${args}" PARENT_SCOPE)
endfunction()

# Runs crashlab in a window on a fresh Xvfb screen larger than any window below.
function(windowed)
  run("${WITH_XVFB}" 1280x1024x24 "${CRASHLAB}" ${ARGN})
  foreach(v code out err cmd)
    set(${v} "${${v}}" PARENT_SCOPE)
  endforeach()
endfunction()

include("${CMAKE_CURRENT_LIST_DIR}/check_lib.cmake")

# png_check FILE W H [X Y W H]: a PNG of that size whose region is not uniform.
function(expect_png)
  execute_process(COMMAND "${PNG_CHECK}" ${ARGN} RESULT_VARIABLE r OUTPUT_VARIABLE o
    ERROR_VARIABLE e)
  if(NOT r EQUAL 0)
    fail("png_check ${ARGN}: ${o}${e}")
  endif()
  string(STRIP "${o}" o)
  message(STATUS "ok  ${o}")
endfunction()

# The last line of `text`, into the variable named `var`.
function(last_line text var)
  string(REGEX REPLACE "\n+$" "" text "${text}")
  string(REGEX MATCH "[^\n]*$" line "${text}")
  set(${var} "${line}" PARENT_SCOPE)
endfunction()

# ---- (a) replay: open, step, seek, search, screenshot, title, quit ---------------------------

run("${CRASHLAB}" run "${SRC}/scenarios/library/worker_pool.lua" --quiet --trace "${WORK}/pool.trace")
expect_code(0)

file(WRITE "${WORK}/replay.script" [=[
# The window opens (the first line runs after the first frame); two steps forward, one back.
frames 2
text .
text .
text ,
# A click on the timeline at 2 s, then a search for worker3, which selects it.
seek 2s
frames 2
text /
text worker3
key return
frames 2
screenshot replay.png
expect-title worker_pool
expect-title seed 1
# Help on and off again, links off and on: the keys reach the window.
text ?
text ?
text l
text l
frames 1
quit
]=])
windowed(viz "${WORK}/pool.trace" --size 1000x700 --script "${WORK}/replay.script")
expect_code(0)
if(NOT EXISTS "${WORK}/replay.png" OR EXISTS "${WORK}/replay.png.partial")
  fail("expected replay.png and no replay.png.partial")
endif()
message(STATUS "ok  ${cmd}")
# The whole window, then the canvas (its top left quarter: panels and boxes) and the timeline
# strip along the bottom, each not one uniform colour.
expect_png("${WORK}/replay.png" 1000 700)
expect_png("${WORK}/replay.png" 1000 700 0 40 500 300)
expect_png("${WORK}/replay.png" 1000 700 0 640 1000 50)

# A title check that does not hold: exit 1, naming the title.
file(WRITE "${WORK}/title.script" "frames 1\nexpect-title no-such-scenario\nquit\n")
windowed(viz "${WORK}/pool.trace" --size 640x400 --script "${WORK}/title.script")
expect_code(1)
if(NOT err MATCHES "crashlab: [^\n]*title\\.script:2: the title is '[^']*worker_pool[^']*', without 'no-such-scenario'")
  fail("expected the failed expect-title line to name the script line and the title")
endif()
message(STATUS "ok  ${cmd} -> 1")

# A bad script line: exit 2, naming FILE:LINE.
file(WRITE "${WORK}/bad.script" "frames 1\n\n# a comment\njump 2s\nquit\n")
windowed(viz "${WORK}/pool.trace" --size 640x400 --script "${WORK}/bad.script")
expect_code(2)
if(NOT err MATCHES "crashlab: [^\n]*bad\\.script:4: unknown script line")
  fail("expected the bad line named as bad.script:4")
endif()
message(STATUS "ok  ${cmd} -> 2")

# ---- (b) live: the same verdict and exit status as without a window ------------------------

file(WRITE "${WORK}/live.script" [=[
# A few frames of the run as it arrives, then wait (frames, never wall time) for its end.
frames 3
wait-end
frames 2
screenshot live.png
quit
]=])
foreach(scenario pingpong fallacies/changing_topology_naive)
  get_filename_component(name "${scenario}" NAME)
  run("${CRASHLAB}" run "${SRC}/scenarios/library/${scenario}.lua")
  set(plain_code "${code}")
  last_line("${out}" plain_verdict)
  if(NOT plain_verdict MATCHES "^(PASS|FAIL) scenario=${name} seed=[0-9]+ events=[0-9]+ .*hash=")
    fail("expected a verdict line, got '${plain_verdict}'")
  endif()
  file(REMOVE "${WORK}/live.png")
  windowed(run "${SRC}/scenarios/library/${scenario}.lua" --viz-script "${WORK}/live.script")
  last_line("${out}" live_verdict)
  if(NOT code STREQUAL plain_code)
    fail("exit status ${code} with --viz-script, ${plain_code} without")
  endif()
  if(NOT live_verdict STREQUAL plain_verdict)
    fail("the verdict with --viz-script differs:\n  without: ${plain_verdict}\n"
         "  with:    ${live_verdict}")
  endif()
  message(STATUS "ok  ${cmd} -> ${code}: ${live_verdict}")
  expect_png("${WORK}/live.png" 1280 800)
  expect_png("${WORK}/live.png" 1280 800 0 0 1280 40)
endforeach()

message(STATUS "viz_window: all checks passed")
