# Hot code in the trace: a run of tests/lua/code_reload.lua records every load, refused load
# (not_purged), delete, purge (one record per process it kills, then the removal) and
# soft_purge refusal as a code record
# (kind 38), and a process spawned in a module records {Behaviour, Label, Module, Version};
# `crashlab trace` prints them, and the reader accepts both spawn shapes in one file; a server
# start that raised leaves no spawn prepared in its module.
#   cmake -DCRASHLAB=... -DSRC=tree -DWORK=dir -P code_trace.cmake
include(${CMAKE_CURRENT_LIST_DIR}/check_lib.cmake)
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})

crashlab(run ${SRC}/tests/lua/code_reload.lua --quiet --trace code.trace)
expect_code(0)
crashlab(trace code.trace)
expect_code(0)
foreach(want
    "code         load {kv,1} by <0."
    "loop (lua) in kv v1"
    "local_loop (lua) in kv v1"
    "code         load refused (not_purged) {two,1} by <0."
    "code         load {two,3} by"
    "code         delete {cp,1} by"
    "code         soft_purge refused {kv,1} by"
    "code         soft_purge {cpc,1} by"
    "code         purge {kv,1} kills <0."
    "code         purge {kv,1} by")
  string(FIND "${out}" "${want}" at)
  if(at EQUAL -1)
    fail("the trace does not print \"${want}\"")
  endif()
endforeach()
# A purge's kill: its record comes before the killed process's exit.
if(NOT out MATCHES "purge {kv,1} kills (<[0-9.]+>)[^\n]*\n")
  fail("no purge kill record")
endif()
set(victim "${CMAKE_MATCH_1}")
string(FIND "${out}" "purge {kv,1} kills ${victim}" kill_at)
string(FIND "${out}" "exit         ${victim} killed" exit_at)
if(exit_at EQUAL -1 OR exit_at LESS kill_at)
  fail("the exit of ${victim} (killed) does not follow its purge record")
endif()
# Plain spawns keep their two-element payload in the same file.
if(NOT out MATCHES "spawn        <0.0.1> -> <0.[0-9]+.0> [^\n]*code_reload.lua:[0-9]+ \\(lua\\)\n")
  fail("no plain spawn record")
endif()
# A server start from a module that raised (its argument could not be sent) leaves no spawn
# prepared: the caller's next spawn is a plain one, not one in kv.
crashlab(run ${SRC}/tests/lua/server_start_fails_cleanly.lua --quiet --trace start.trace)
expect_code(0)
crashlab(trace start.trace)
expect_code(0)
if(NOT out MATCHES "-> <0.[0-9]+.0> after_failed_start \\(lua\\)\n")
  fail("the spawn after a failed server start is not a plain one")
endif()
# cl.code.spawn_on: the spawn record of a process started on b by module names b's version,
# both for a spawn request from a process of a and for one from the setup.
crashlab(run ${SRC}/tests/lua/code_spawn_on.lua --quiet --trace spawn_on.trace)
expect_code(0)
crashlab(trace spawn_on.trace)
expect_code(0)
if(NOT out MATCHES "spawn        <0.1.0> -> <1.[0-9]+.0> run \\(lua\\) in job v2\n")
  fail("the spawn request of cl.code.spawn_link_on does not record b's version of job")
endif()
if(NOT out MATCHES "spawn        <1.0.1> -> <1.[0-9]+.0> run \\(lua\\) in job v2\n")
  fail("the setup's cl.code.spawn_on does not record b's version of job")
endif()
message(STATUS "code records and module spawns print as expected")
