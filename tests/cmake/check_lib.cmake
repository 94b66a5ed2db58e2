# What the command-line test scripts share: running crashlab and stopping with all it printed.
#
# include() it after CRASHLAB and WORK are set. crashlab(ARGS...) runs the binary in WORK
# (behind ENV_PREFIX, a `cmake -E env ...` command, when the script sets one) and sets code,
# out, err and cmd in the caller's scope (a run is stopped after CRASHLAB_TIMEOUT seconds, 300
# unless the script sets fewer, so that a hang fails its check instead of the whole test);
# fail(WHAT) stops the test naming the script, the last command, its exit code and its output;
# expect_code(N) fails unless the last command exited N.

get_filename_component(check_script "${CMAKE_SCRIPT_MODE_FILE}" NAME)

function(crashlab)
  if(NOT DEFINED CRASHLAB_TIMEOUT)
    set(CRASHLAB_TIMEOUT 300)
  endif()
  execute_process(COMMAND ${ENV_PREFIX} "${CRASHLAB}" ${ARGN} WORKING_DIRECTORY "${WORK}"
    RESULT_VARIABLE result OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr
    TIMEOUT ${CRASHLAB_TIMEOUT})
  list(JOIN ARGN " " args)
  set(code "${result}" PARENT_SCOPE)
  set(out "${stdout}" PARENT_SCOPE)
  set(err "${stderr}" PARENT_SCOPE)
  set(cmd "crashlab ${args}" PARENT_SCOPE)
endfunction()

function(fail what)
  message(FATAL_ERROR "${check_script}: ${cmd}: ${what}\n  exit code: ${code}\n"
                      "--- stdout\n${out}\n--- stderr\n${err}")
endfunction()

function(expect_code want)
  if(NOT "${code}" STREQUAL "${want}")
    fail("expected exit code ${want}")
  endif()
endfunction()

function(expect_bad regex)
  expect_code(2)
  string(REGEX MATCHALL "\n" lines "${err}")
  list(LENGTH lines n)
  if(NOT n EQUAL 1 OR NOT err MATCHES "^crashlab: " OR NOT err MATCHES "${regex}")
    fail("expected one error line matching '${regex}'")
  endif()
endfunction()
