# The live status line of a long run (issue 13, point 10).
#
# Goal: on a terminal, a run shows a status line on stderr (virtual time of the stop, events,
# speed) and erases it before the verdict, so nothing of it is left on the screen; with --quiet,
# or when stderr is not a terminal, nothing of it is written; and it never changes the run (the
# hash is the same with and without it).
#
# Method: `script` (util-linux) runs crashlab on a pseudo-terminal and records what it wrote.
# CRASHLAB_STATUS_AFTER_MS=0 makes the line appear at the first check (every 1,024 scheduler
# steps) instead of after a second of wall time, so the test does not depend on the machine's
# speed: the scenario has about 80,000 steps.
#
# Usage: cmake -DCRASHLAB=<crashlab binary> -DSCRIPT=<script binary> -DWORK=<dir> -P status_line.cmake
cmake_minimum_required(VERSION 3.25)
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
string(ASCII 27 ESC)
set(ERASE "\r${ESC}[K")
file(WRITE "${WORK}/busy.lua" [=[
local cl = require "crashlab"
cl.scenario { name = "busy", stop = "10s" }
local n = 0
local a = cl.spawn(function()
  while true do local m = cl.receive(); n = n + 1; cl.send(m, cl.self()) end
end)
cl.spawn(function()
  for i = 1, 20000 do cl.send(a, cl.self()); cl.receive(); if i % 1000 == 0 then cl.sleep(100) end end
end)
cl.at_end("ping", function() return n == 20000 end)
]=])

# Runs `crashlab run busy.lua ARGS` on a terminal; the transcript goes to `var`.
function(on_terminal var)
  list(JOIN ARGN " " args)
  execute_process(COMMAND ${CMAKE_COMMAND} -E env CRASHLAB_STATUS_AFTER_MS=0
    "${SCRIPT}" -qec "'${CRASHLAB}' run busy.lua ${args}" /dev/null
    WORKING_DIRECTORY "${WORK}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 120)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "status_line.cmake: run ${args} on a terminal: exit ${rc}\n${out}${err}")
  endif()
  set(${var} "${out}" PARENT_SCOPE)
endfunction()

function(hash_of text var)
  string(REGEX MATCH "hash=[0-9a-f]+" h "${text}")
  set(${var} "${h}" PARENT_SCOPE)
endfunction()

on_terminal(tty)
string(FIND "${tty}" "${ERASE}[" first)
string(FIND "${tty}" " events, " last_status REVERSE)
if(first EQUAL -1 OR last_status EQUAL -1)
  message(FATAL_ERROR "status_line.cmake: no status line on the terminal:\n${tty}")
endif()
if(NOT tty MATCHES "\\[[0-9.]+[a-z]+ of 10s, [0-9]+%\\] [0-9]+ events, [0-9.e+]+x real time")
  message(FATAL_ERROR "status_line.cmake: the status line lacks time, stop, events or speed:\n${tty}")
endif()
string(SUBSTRING "${tty}" ${last_status} -1 rest)
string(FIND "${rest}" "${ERASE}PASS scenario=busy " erased)
string(FIND "${rest}" "\n" newline)
if(erased EQUAL -1 OR newline LESS erased)
  message(FATAL_ERROR "status_line.cmake: the last status line is not erased before the verdict:\n${rest}")
endif()
message(STATUS "ok  a status line on a terminal, erased before the verdict")

on_terminal(quiet --quiet)
if(quiet MATCHES "${ESC}" OR quiet MATCHES "events, ")
  message(FATAL_ERROR "status_line.cmake: --quiet still drew a status line:\n${quiet}")
endif()
message(STATUS "ok  none with --quiet")

execute_process(COMMAND ${CMAKE_COMMAND} -E env CRASHLAB_STATUS_AFTER_MS=0 "${CRASHLAB}" run busy.lua
  WORKING_DIRECTORY "${WORK}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 120)
if(NOT rc EQUAL 0 OR NOT err STREQUAL "" OR out MATCHES "${ESC}")
  message(FATAL_ERROR "status_line.cmake: without a terminal there must be no status line (exit ${rc}):\n${out}\n--- stderr\n${err}")
endif()
message(STATUS "ok  none when stderr is not a terminal")

hash_of("${tty}" h1)
hash_of("${out}" h2)
if(h1 STREQUAL "" OR NOT h1 STREQUAL h2)
  message(FATAL_ERROR "status_line.cmake: the status line changed the run: ${h1} vs ${h2}")
endif()
message(STATUS "ok  the same ${h1} with and without it")
