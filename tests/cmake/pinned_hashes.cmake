# Pinned run hashes: a deliberate check of the trace format and of run semantics across
# releases. The determinism checks compare two processes of one build; only a pin notices that a
# change (a record's payload, an embedded prelude's line numbers, an event order) altered every
# run. When a change alters them on purpose, update the pins here and say why in the commit.
include(${CMAKE_CURRENT_LIST_DIR}/check_lib.cmake)
file(MAKE_DIRECTORY "${WORK}")

# name|command words, comma-separated|hash
set(pins
  "pingpong|run,${SRC}/scenarios/library/pingpong.lua|27de4b9e9c9c1f01"
  "right_strategy|run,${SRC}/scenarios/library/right_strategy.lua|7fc27a081979d4ad"
  "worker_pool|run,${SRC}/scenarios/library/worker_pool.lua|bbf2c05ebc408683"
  "changing_topology_fixed|run,${SRC}/scenarios/library/fallacies/changing_topology_fixed.lua|9c65af788d233135"
  "demo_ring|demo,ring|83b7fd3245a362b2")
foreach(pin IN LISTS pins)
  string(REPLACE "|" ";" parts "${pin}")
  list(GET parts 0 name)
  list(GET parts -1 want)
  list(GET parts 1 words)
  string(REPLACE "," ";" words "${words}")
  crashlab(${words} --quiet)
  expect_code(0)
  if(NOT out MATCHES "hash=([0-9a-f]+)")
    fail("no hash in the verdict line")
  endif()
  if(NOT CMAKE_MATCH_1 STREQUAL want)
    fail("${name}: hash ${CMAKE_MATCH_1}, pinned ${want}: the run changed (if on purpose, update the pin)")
  endif()
  message(STATUS "ok  ${name}: hash ${want} as pinned")
endforeach()
