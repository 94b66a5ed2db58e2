# The package test: install crashlab, then build and run docs/examples/ against the installed
# package only, as a user would (find_package(crashlab) and crashlab::sim).
#
# It catches what the in-tree build cannot: a public header that is not installed, an include
# path that only works from the source tree, a target missing from the export set, a config
# file that does not load. The example must then run and report its exchanges.
#
# Usage: cmake -DBUILD=<crashlab build dir> -DSRC=<source dir> -DWORK=<scratch dir>
#              -DGENERATOR=<CMake generator> -P example.cmake
cmake_minimum_required(VERSION 3.25)

foreach(var BUILD SRC WORK GENERATOR)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "example.cmake: -D${var}=... is required")
  endif()
endforeach()

# Runs a command; on failure stops with the step's name, the command and its output.
function(run step)
  execute_process(COMMAND ${ARGN}
    RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT result EQUAL 0)
    list(JOIN ARGN " " command)
    message(FATAL_ERROR "example.cmake: ${step} failed (${result}):\n  ${command}\n"
                        "--- stdout\n${out}\n--- stderr\n${err}")
  endif()
  set(run_out "${out}" PARENT_SCOPE)
endfunction()

set(prefix "${WORK}/prefix")
set(build "${WORK}/build")
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")

# Multi-config generators need a configuration for building; single-config ones install the
# configuration the main tree was built with, so none is forced on them.
set(config_args "")
if(GENERATOR MATCHES "Multi-Config|Visual Studio|Xcode")
  set(config_args --config Debug)
endif()

run("install" "${CMAKE_COMMAND}" --install "${BUILD}" --prefix "${prefix}" ${config_args})
# The library directory may be lib, lib64 or lib/<multiarch> (GNUInstallDirs), hence the glob.
file(GLOB_RECURSE config "${prefix}/*/crashlabConfig.cmake")
if(NOT config OR NOT EXISTS "${prefix}/include/crashlab/sim/world.h"
   OR NOT EXISTS "${prefix}/include/crashlab/core/node.h")
  file(GLOB_RECURSE installed RELATIVE "${prefix}" "${prefix}/*")
  list(JOIN installed "\n  " installed)
  message(FATAL_ERROR "example.cmake: the install lacks crashlabConfig.cmake or the headers; "
                      "it has:\n  ${installed}")
endif()

# The package registry is off so that only the fresh install can be found.
run("configure" "${CMAKE_COMMAND}" -S "${SRC}/docs/examples" -B "${build}" -G "${GENERATOR}"
    "-DCMAKE_PREFIX_PATH=${prefix}" -DCMAKE_BUILD_TYPE=Debug
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
file(STRINGS "${build}/CMakeCache.txt" found REGEX "^crashlab_DIR:")
string(FIND "${found}" "crashlab_DIR:PATH=${prefix}/" at)
if(NOT at EQUAL 0)
  message(FATAL_ERROR "example.cmake: the example found a crashlab other than the install "
                      "in ${prefix}: ${found}")
endif()

run("build" "${CMAKE_COMMAND}" --build "${build}" ${config_args})

set(program "${build}/pingpong")
if(config_args)
  set(program "${build}/Debug/pingpong")
endif()
if(NOT EXISTS "${program}")
  message(FATAL_ERROR "example.cmake: the build made no ${program}")
endif()

run("running the example" "${program}" 42 10)
message(STATUS "example output:\n${run_out}")
if(NOT run_out MATCHES "exchanges")
  message(FATAL_ERROR "example.cmake: the example's output does not mention its exchanges:\n"
                      "${run_out}")
endif()
if(NOT run_out MATCHES "10 of 10 exchanges")
  message(FATAL_ERROR "example.cmake: not all exchanges happened:\n${run_out}")
endif()
