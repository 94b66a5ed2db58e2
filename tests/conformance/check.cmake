# One conformance case: CASE.erl runs on Erlang/OTP (erl -noshell) and CASE.lua on crashlab;
# the "LOG ..." lines of both must be the same, in the same order.
#   cmake -DCRASHLAB=... -DERLC=... -DERL=... -DDIR=tests/conformance -DCASE=name -DWORK=dir -P check.cmake
file(MAKE_DIRECTORY ${WORK})
execute_process(COMMAND ${ERLC} -o ${WORK} ${DIR}/conf.erl ${DIR}/${CASE}.erl
  RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "erlc failed (${rc}):\n${out}${err}")
endif()
execute_process(COMMAND ${ERL} -noshell +S 1 -pa ${WORK} -eval "${CASE}:main()"
  RESULT_VARIABLE rc OUTPUT_VARIABLE erl_out ERROR_VARIABLE erl_err TIMEOUT 60)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the Erlang side failed (${rc}):\n${erl_out}${erl_err}")
endif()
execute_process(COMMAND ${CRASHLAB} run ${DIR}/${CASE}.lua --check-determinism
  RESULT_VARIABLE rc OUTPUT_VARIABLE cl_out ERROR_VARIABLE cl_err TIMEOUT 120)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the crashlab side failed (${rc}):\n${cl_out}${cl_err}")
endif()

# The LOG lines, one per list element (crashlab's print adds "[time] " in front).
function(log_lines text out)
  string(REPLACE ";" "\\;" text "${text}")
  string(REPLACE "\n" ";" lines "${text}")
  set(kept "")
  foreach(line IN LISTS lines)
    string(REGEX REPLACE "^\\[[^]]*\\] " "" line "${line}")
    if(line MATCHES "^LOG ")
      list(APPEND kept "${line}")
    endif()
  endforeach()
  set(${out} "${kept}" PARENT_SCOPE)
endfunction()

log_lines("${erl_out}" erl_log)
log_lines("${cl_out}" cl_log)
list(LENGTH erl_log n)
if(n LESS 3)
  message(FATAL_ERROR "the Erlang side logged too little:\n${erl_out}${erl_err}")
endif()
if(NOT "${erl_log}" STREQUAL "${cl_log}")
  string(REPLACE ";" "\n  " e "${erl_log}")
  string(REPLACE ";" "\n  " c "${cl_log}")
  message(FATAL_ERROR "${CASE}: the logs differ\nErlang/OTP:\n  ${e}\ncrashlab:\n  ${c}")
endif()
string(REPLACE ";" "\n  " e "${erl_log}")
message(STATUS "${CASE}: ${n} lines, the same on Erlang/OTP and crashlab:\n  ${e}")
