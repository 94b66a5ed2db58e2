# Determinism across OS processes: a seed names one run, whatever the process.
#
# Goal: the run hash depends on the demo and the seed only, not on the process that computes
# it (address layout, allocator state, environment). And the seed really is what orders
# same-instant events: different seeds give different orders of the ties demo's arrivals, and
# one seed always the same order.
#
# Method: every command runs as its own process through execute_process. For each demo and
# seed, two --quiet runs must print the same hash= field; `--check-determinism` (which compares
# three processes of its own) must report OK. Then the ties demo, whose 8 senders all send at
# virtual time 0, prints its collector's arrival order for seeds 1 to 10: at least two distinct
# orders must appear, and a second run of a seed must repeat its order exactly.
#
# Usage: cmake -DCRASHLAB=<path of the crashlab binary> -P check.cmake
cmake_minimum_required(VERSION 3.25)

if(NOT DEFINED CRASHLAB OR CRASHLAB STREQUAL "")
  message(FATAL_ERROR "check.cmake: -DCRASHLAB=... is required")
endif()

string(REPEAT "[0-9a-f]" 16 HEX16)

# Runs crashlab with the arguments; the command must exit 0. Output into `out`.
function(crashlab)
  execute_process(COMMAND "${CRASHLAB}" ${ARGN}
    RESULT_VARIABLE result OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr)
  list(JOIN ARGN " " args)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "check.cmake: crashlab ${args} exited with ${result}\n"
                        "--- stdout\n${stdout}\n--- stderr\n${stderr}")
  endif()
  set(out "${stdout}" PARENT_SCOPE)
  set(cmd "crashlab ${args}" PARENT_SCOPE)
endfunction()

# The hash= field of the verdict line (the last line of `out`), into the variable named `var`.
function(verdict_hash var)
  string(REGEX REPLACE "\n+$" "" text "${out}")
  string(REGEX MATCH "[^\n]*$" verdict "${text}")
  if(NOT verdict MATCHES "^PASS demo=[a-z]+ seed=[0-9]+ .* hash=(${HEX16})$")
    message(FATAL_ERROR "check.cmake: ${cmd}: the last line is no PASS verdict with a hash:\n"
                        "${out}")
  endif()
  set(${var} "${CMAKE_MATCH_1}" PARENT_SCOPE)
endfunction()

# ---- The same seed, the same hash, in separate processes -----------------------------------

foreach(demo pingpong ring supervise ties)
  set(hashes "")
  foreach(seed 1 2 3)
    crashlab(demo ${demo} --seed ${seed} --quiet)
    verdict_hash(first)
    crashlab(demo ${demo} --seed ${seed} --quiet)
    verdict_hash(second)
    if(NOT first STREQUAL second)
      message(FATAL_ERROR "check.cmake: demo ${demo} seed ${seed}: two processes gave different "
                          "hashes, ${first} and ${second}")
    endif()
    list(APPEND hashes "${first}")
  endforeach()
  message(STATUS "ok  ${demo}: seeds 1 2 3 repeat across processes (${hashes})")
endforeach()

foreach(seed 1 2 3)
  crashlab(demo ties --seed ${seed} --check-determinism)
  if(NOT out MATCHES "\ndeterminism: OK ")
    message(FATAL_ERROR "check.cmake: ${cmd}: expected 'determinism: OK':\n${out}")
  endif()
endforeach()
message(STATUS "ok  ties: --check-determinism reports OK for seeds 1 2 3")

# ---- Same-instant ties are ordered by the seed ---------------------------------------------

# The ties demo's "ties: arrival order: ..." line, into the variable named `var`.
function(arrival_order seed var)
  crashlab(demo ties --n 8 --seed ${seed})
  if(NOT out MATCHES "\nties: arrival order:(( [0-9]+)+)\n")
    message(FATAL_ERROR "check.cmake: ${cmd}: no 'ties: arrival order:' line in:\n${out}")
  endif()
  string(STRIP "${CMAKE_MATCH_1}" order)
  set(${var} "${order}" PARENT_SCOPE)
endfunction()

set(orders "")
foreach(seed RANGE 1 10)
  arrival_order(${seed} order)
  arrival_order(${seed} again)
  if(NOT order STREQUAL again)
    message(FATAL_ERROR "check.cmake: ties seed ${seed}: the arrival order differs between two "
                        "processes: '${order}' and '${again}'")
  endif()
  # All 8 senders arrive, each once.
  string(REPLACE " " ";" arrivals "${order}")
  list(SORT arrivals COMPARE NATURAL)
  if(NOT arrivals STREQUAL "0;1;2;3;4;5;6;7")
    message(FATAL_ERROR "check.cmake: ties seed ${seed}: arrival order '${order}' is not a "
                        "permutation of the 8 senders")
  endif()
  message(STATUS "    ties seed ${seed}: ${order}")
  list(APPEND orders "${order}")
endforeach()
list(REMOVE_DUPLICATES orders)
list(LENGTH orders distinct)
if(distinct LESS 2)
  message(FATAL_ERROR "check.cmake: seeds 1 to 10 all gave the arrival order '${orders}': the "
                      "seed does not order same-instant events")
endif()
message(STATUS "ok  ties: ${distinct} distinct arrival orders over 10 seeds, each repeatable")
