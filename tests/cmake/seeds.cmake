# Runs one scenario on seeds FIRST..LAST (each in its own process) and fails on the first seed
# whose verdict is not PASS, naming it and showing its output.
# Usage: cmake -DCRASHLAB=... -DFILE=... -DFIRST=1 -DLAST=100 -P seeds.cmake
foreach(seed RANGE ${FIRST} ${LAST})
  execute_process(COMMAND ${CRASHLAB} run ${FILE} --quiet --seed ${seed}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "seed ${seed}: exit ${rc}\n${out}${err}")
  endif()
endforeach()
message(STATUS "seeds ${FIRST}..${LAST}: all PASS")
