# The header test: every public header compiles alone, with -Werror (libgit2's headertest).
#
# A header that leans on something its includer happened to include first (a missing
# <stdint.h>, a type from a sibling header) breaks users who include it first; this catches it.
# For each header a one-line .c file that includes only that header is checked with
# -fsyntax-only under the strictest flags the project builds with.
#
# Usage: cmake -DCC=<compiler> -DSRC=<source dir> -DWORK=<scratch dir> -P headers.cmake
cmake_minimum_required(VERSION 3.25)

foreach(var CC SRC WORK)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "headers.cmake: -D${var}=... is required")
  endif()
endforeach()

# The public headers are the ones each library folder installs: read them from its
# install(FILES ... DESTINATION ...) call, so a header added, renamed or removed there is
# tested without editing this file.
set(headers "")
foreach(folder core sim)
  file(READ "${SRC}/${folder}/CMakeLists.txt" listfile)
  string(REGEX MATCHALL "install\\(FILES[^)]*DESTINATION" calls "${listfile}")
  foreach(call IN LISTS calls)
    string(REGEX REPLACE "^install\\(FILES[ \t\r\n]+" "" call "${call}")
    string(REGEX REPLACE "[ \t\r\n]*DESTINATION$" "" call "${call}")
    string(REGEX REPLACE "[ \t\r\n]+" ";" names "${call}")
    foreach(name IN LISTS names)
      if(name MATCHES "\\.h$")
        list(APPEND headers "${folder}/${name}")
      endif()
    endforeach()
  endforeach()
endforeach()
# viz/ installs nothing (it is built into the crashlab command), but its headers are the
# contracts between the model, the layout, the drawing and the renderer: each compiles alone.
file(GLOB viz_headers RELATIVE "${SRC}" "${SRC}/viz/*.h")
list(APPEND headers ${viz_headers})
list(LENGTH headers count)
foreach(required core/status.h core/term.h core/node.h sim/trace.h sim/world.h viz/model.h)
  if(NOT required IN_LIST headers)
    message(FATAL_ERROR "headers.cmake: ${required} is not among the installed headers found "
                        "(${headers}): the install(FILES ...) calls were not understood")
  endif()
endforeach()

file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")

set(failed "")
foreach(header IN LISTS headers)
  if(NOT EXISTS "${SRC}/${header}")
    message(FATAL_ERROR "headers.cmake: public header ${header} is missing from ${SRC}")
  endif()
  get_filename_component(base "${header}" NAME_WE)
  get_filename_component(folder "${header}" DIRECTORY)
  set(source "${WORK}/${folder}_${base}.c")
  # By full path: sim/world.h and core/world.h share a name, and "world.h" would always find
  # core's first. The header's own includes then resolve as they do for users, through the
  # directory of the header and the -I list.
  file(WRITE "${source}" "#include \"${SRC}/${header}\"\n")
  execute_process(
    COMMAND "${CC}" -std=c11 -Wall -Wextra -Werror -fsyntax-only
            "-I${SRC}/core" "-I${SRC}/sim" "-I${SRC}/viz" "${source}"
    RESULT_VARIABLE result
    OUTPUT_VARIABLE out
    ERROR_VARIABLE err)
  if(result EQUAL 0)
    message(STATUS "ok      ${header}")
  else()
    message(STATUS "FAILED  ${header}\n${out}${err}")
    list(APPEND failed "${header}")
  endif()
endforeach()

if(failed)
  list(JOIN failed ", " failed_text)
  message(FATAL_ERROR "headers.cmake: these headers do not compile alone: ${failed_text}")
endif()
message(STATUS "all ${count} public headers compile alone")
