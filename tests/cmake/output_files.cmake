# Output files through a symbolic link or onto something that is not a regular file.
#
# Goal: every option that writes a file (run --trace, a sweep's --json and --junit, viz --png,
# --dot and --perfetto, shrink --out) writes it through sim_outfile (sim/outfile.h):
#   - given a symbolic link, the link stays a link and its target gets the whole content, with
#     no .partial file left beside either;
#   - given a path that exists and is not a regular file, the content is written into it, and
#     the path is never replaced by a regular file. The cases are a FIFO (made with mkfifo, read
#     by `cat` running alongside) and /dev/stdout when stdout is a pipe. Before, the output was
#     written to PATH.partial and renamed onto PATH: a link became a regular file, a FIFO was
#     replaced (and its reader waited for ever), /dev/stdout failed (no room for a .partial in
#     /dev) or, run as root, was replaced by a regular file.
#
# Method: scenarios/library/worker_pool.lua (a quick passing run) and
# scenarios/library/fallacies/changing_topology_naive.lua (fails at seed 1 with 2 faults: a
# small shrink) are run by the binary in WORK; each file is checked with IS_SYMLINK, EXISTS and
# its content. The FIFO and /dev/stdout cases run crashlab and cat as one execute_process
# pipeline, with a timeout so a writer that replaced the FIFO fails rather than hangs.
#
# Usage: cmake -DCRASHLAB=<crashlab binary> -DSRC=<source dir> -DWORK=<scratch dir> -P output_files.cmake
cmake_minimum_required(VERSION 3.25)

foreach(var CRASHLAB SRC WORK)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "output_files.cmake: -D${var}=... is required")
  endif()
endforeach()
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/real")
include("${CMAKE_CURRENT_LIST_DIR}/check_lib.cmake")

set(pool "${SRC}/scenarios/library/worker_pool.lua")

# A link in WORK to WORK/real/NAME (relative, as people make them), the target absent or old.
function(make_link name)
  file(CREATE_LINK "real/${name}" "${WORK}/${name}" SYMBOLIC)
endfunction()

# The link is still a link, its target exists and holds what `want` matches, no .partial.
function(expect_through_link name want)
  if(NOT IS_SYMLINK "${WORK}/${name}")
    fail("${name} is no longer a symbolic link")
  endif()
  if(NOT EXISTS "${WORK}/real/${name}")
    fail("the link's target real/${name} was not written")
  endif()
  file(READ "${WORK}/real/${name}" body)
  if(NOT body MATCHES "${want}")
    fail("real/${name} does not hold the output (want ${want})")
  endif()
  if(EXISTS "${WORK}/${name}.partial" OR EXISTS "${WORK}/real/${name}.partial")
    fail("a .partial file was left behind for ${name}")
  endif()
endfunction()

# ---- Through a symbolic link --------------------------------------------------------------
make_link(pool.trace)
file(WRITE "${WORK}/real/pool.trace" "an older file under the link's target\n")
crashlab(run "${pool}" --quiet --trace "${WORK}/pool.trace")
expect_code(0)
expect_through_link(pool.trace "^CRASHLAB")
crashlab(trace "${WORK}/pool.trace")
expect_code(0)

make_link(sweep.json)
make_link(sweep.xml)
crashlab(run "${pool}" --seeds 1..2 --jobs 1 --json "${WORK}/sweep.json" --junit "${WORK}/sweep.xml")
expect_code(0)
expect_through_link(sweep.json "\"seed\"")
expect_through_link(sweep.xml "<testsuites>")

make_link(pool.dot)
make_link(pool.perfetto.json)
make_link(pool.png)
crashlab(viz "${WORK}/pool.trace" --at 1s --dot "${WORK}/pool.dot" --png "${WORK}/pool.png" --size 200x150)
expect_code(0)
expect_through_link(pool.dot "digraph")
expect_through_link(pool.png "PNG")
crashlab(viz "${WORK}/pool.trace" --perfetto "${WORK}/pool.perfetto.json")
expect_code(0)
expect_through_link(pool.perfetto.json "traceEvents")

file(COPY "${SRC}/scenarios/library/fallacies/changing_topology.lua"
  "${SRC}/scenarios/library/fallacies/changing_topology_naive.lua" DESTINATION "${WORK}")
make_link(shrunk.lua)
crashlab(shrink changing_topology_naive.lua --seed 1 --out "${WORK}/shrunk.lua")
expect_code(0)
expect_through_link(shrunk.lua "cl.fault_plan")

# ---- Onto something that is not a regular file --------------------------------------------
# crashlab ARGS... | cat SOURCE -: sets code (crashlab's), out (cat's stdout), err, cmd. cat
# reads SOURCE, then its stdin (crashlab's stdout) to the end: were it to exit after SOURCE,
# crashlab's verdict line could meet a closed pipe (SIGPIPE), depending on which ran first.
function(piped source)
  execute_process(COMMAND "${CRASHLAB}" ${ARGN} COMMAND cat ${source} - WORKING_DIRECTORY "${WORK}"
    RESULTS_VARIABLE results OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr TIMEOUT 60)
  list(GET results 0 first)
  list(JOIN ARGN " " args)
  set(code "${first}" PARENT_SCOPE)
  set(out "${stdout}" PARENT_SCOPE)
  set(err "${stderr}" PARENT_SCOPE)
  set(cmd "crashlab ${args} | cat ${source} -" PARENT_SCOPE)
endfunction()

find_program(MKFIFO mkfifo)
if(MKFIFO)
  execute_process(COMMAND "${MKFIFO}" "${WORK}/fifo" RESULT_VARIABLE made)
  if(NOT made EQUAL 0)
    message(FATAL_ERROR "output_files.cmake: mkfifo ${WORK}/fifo failed")
  endif()
  piped("${WORK}/fifo" run "${pool}" --quiet --trace "${WORK}/fifo")
  expect_code(0)
  if(NOT out MATCHES "^CRASHLAB")
    fail("the trace did not come out of the FIFO")
  endif()
  if(NOT IS_DIRECTORY "${WORK}" OR EXISTS "${WORK}/fifo.partial")
    fail("a fifo.partial was left behind")
  endif()
  execute_process(COMMAND test -p "${WORK}/fifo" RESULT_VARIABLE still_fifo)
  if(NOT still_fifo EQUAL 0)
    fail("the FIFO was replaced by a regular file")
  endif()
else()
  message(STATUS "no mkfifo: the FIFO case is skipped")
endif()

piped("" viz "${WORK}/pool.trace" --at 1s --dot /dev/stdout)
expect_code(0)
if(NOT out MATCHES "^digraph")
  fail("--dot /dev/stdout on a pipe should print the graph")
endif()
message(STATUS "outputs through links, into a FIFO and onto /dev/stdout: all written in place")
