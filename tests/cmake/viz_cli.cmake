# `crashlab viz` without a display, seen from outside: headless frames, the exports, bad input.
#
# Goal: what viz/app.h promises a user at a shell holds on traces of shipped scenarios:
#   - `--png out.png --at 1s --size 800x500` exits 0 and writes a PNG of that size (the width
#     and height in the PNG header), not of one uniform colour, and no .partial file;
#   - `--dot out.dot --at T` is a graph Graphviz's `dot -Tsvg` renders, with one arrow from the
#     supervisor to each child labelled with the child id;
#   - `--perfetto out.json` exits 0 and is JSON (parsed with `python3 -m json.tool` when python3
#     is there; tests/viz/test_perfetto.c parses exports strictly in any case);
#   - bad input (a corrupt, truncated or older-version trace, --at past the end, an unwritable
#     output, no display for a window, --size nonsense, a missing trace, an unknown option):
#     exit 2, exactly one stderr line starting "crashlab:" that names the problem, nothing on
#     stdout, and neither the output file nor its .partial left behind.
#
# Method: traces are recorded with `crashlab run` from scenarios/library/worker_pool.lua (a supervisor
# restarting workers), scenarios/library/fallacies/changing_topology_naive.lua (node b crashes at 2 s
# and restarts at 3 s) and tests/lua/cluster.lua (a partition {a} | {b, c} from 1 s to 6 s; no
# scenario under scenarios/library/ makes a partition). Damaged copies are made by overwriting bytes in
# place with printf and dd. Each case runs the binary as its own process (execute_process) and
# checks the exit code, the captured output and the files; the first failing check stops the
# script with the command and what it printed.
#
# Usage: cmake -DCRASHLAB=<crashlab binary> -DSRC=<source dir> -DWORK=<scratch dir>
#              -DPNG_CHECK=<png_check binary> -P viz_cli.cmake
cmake_minimum_required(VERSION 3.25)

foreach(var CRASHLAB SRC WORK PNG_CHECK)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "viz_cli.cmake: -D${var}=... is required")
  endif()
endforeach()
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")

# Runs crashlab with the given arguments; sets code, out, err and cmd in the caller's scope.
include("${CMAKE_CURRENT_LIST_DIR}/check_lib.cmake")


function(expect_no_file path)
  if(EXISTS "${path}" OR EXISTS "${path}.partial")
    fail("left ${path} or ${path}.partial behind")
  endif()
endfunction()

# Records the trace of a scenario into WORK/NAME.trace; the run must exit 0.
function(record name scenario)
  crashlab(run "${scenario}" --quiet --trace "${WORK}/${name}.trace")
  expect_code(0)
  if(NOT EXISTS "${WORK}/${name}.trace")
    fail("wrote no trace")
  endif()
endfunction()

# The width and height fields of a PNG file's IHDR chunk (big-endian, bytes 16 to 23).
function(png_size path w_var h_var)
  file(READ "${path}" magic LIMIT 8 HEX)
  if(NOT magic STREQUAL "89504e470d0a1a0a")
    fail("${path} does not start with the PNG signature (got ${magic})")
  endif()
  file(READ "${path}" w_hex OFFSET 16 LIMIT 4 HEX)
  file(READ "${path}" h_hex OFFSET 20 LIMIT 4 HEX)
  math(EXPR w "0x${w_hex}")
  math(EXPR h "0x${h_hex}")
  set(${w_var} ${w} PARENT_SCOPE)
  set(${h_var} ${h} PARENT_SCOPE)
endfunction()

# A headless frame: exit 0, a PNG of W x H with some drawing on it, no .partial.
function(expect_frame trace at w h png)
  crashlab(viz "${WORK}/${trace}.trace" --png "${WORK}/${png}" --at ${at} --size ${w}x${h})
  expect_code(0)
  if(NOT EXISTS "${WORK}/${png}" OR EXISTS "${WORK}/${png}.partial")
    fail("expected ${png} and no ${png}.partial")
  endif()
  png_size("${WORK}/${png}" got_w got_h)
  if(NOT got_w EQUAL w OR NOT got_h EQUAL h)
    fail("the PNG header says ${got_w}x${got_h}, expected ${w}x${h}")
  endif()
  execute_process(COMMAND "${PNG_CHECK}" "${WORK}/${png}" ${w} ${h}
    RESULT_VARIABLE check_code OUTPUT_VARIABLE check_out ERROR_VARIABLE check_err)
  if(NOT check_code EQUAL 0)
    fail("png_check: ${check_out}${check_err}")
  endif()
  message(STATUS "ok  ${cmd} -> ${png} ${got_w}x${got_h}")
endfunction()

# Bad input: exit 2, one stderr line "crashlab: ..." matching `regex`, no stdout, and no file
# `output` (nor its .partial) afterwards. The remaining arguments are crashlab's.
function(expect_refused output regex)
  crashlab(${ARGN})
  expect_code(2)
  if(NOT err MATCHES "^crashlab: [^\n]+\n$")
    fail("expected exactly one stderr line starting with 'crashlab:'")
  endif()
  if(NOT err MATCHES "${regex}")
    fail("expected the error to match '${regex}'")
  endif()
  if(NOT out STREQUAL "")
    fail("expected nothing on stdout")
  endif()
  if(NOT output STREQUAL "")
    expect_no_file("${output}")
  endif()
  string(STRIP "${err}" line)
  message(STATUS "ok  ${cmd} -> 2: ${line}")
endfunction()

# Overwrites the byte at `offset` of `path` with `hex` (two hex digits), in place.
function(patch_byte path offset hex)
  execute_process(COMMAND printf "\\x${hex}" OUTPUT_FILE "${WORK}/byte.bin" RESULT_VARIABLE r1)
  execute_process(COMMAND dd "if=${WORK}/byte.bin" "of=${path}" bs=1 seek=${offset} conv=notrunc
    RESULT_VARIABLE r2 OUTPUT_QUIET ERROR_QUIET)
  file(SIZE "${WORK}/byte.bin" n)
  if(NOT r1 EQUAL 0 OR NOT r2 EQUAL 0 OR NOT n EQUAL 1)
    message(FATAL_ERROR "viz_cli.cmake: could not patch byte ${offset} of ${path} "
                        "(needs printf and dd)")
  endif()
endfunction()

# ---- Traces of shipped scenarios -----------------------------------------------------------

record(pool "${SRC}/scenarios/library/worker_pool.lua")
record(topology "${SRC}/scenarios/library/fallacies/changing_topology_naive.lua")
record(cluster "${SRC}/tests/lua/cluster.lua")
record(upgrade "${SRC}/scenarios/library/rolling_upgrade_fixed.lua")

# ---- (a) headless frames -------------------------------------------------------------------

expect_frame(pool 1s 800 500 pool.png)
expect_frame(topology 2.5s 800 500 topology_down.png)  # node b crashed
expect_frame(topology 3.5s 640 400 topology_back.png)  # b's second incarnation
expect_frame(cluster 3s 1024 640 cluster.png)          # the partition
expect_frame(pool end 1280 800 pool_end.png)

# ---- (b) the DOT export, rendered by Graphviz ----------------------------------------------

find_program(DOT_PROGRAM dot)
if(NOT DOT_PROGRAM)
  message(FATAL_ERROR "viz_cli.cmake: Graphviz's dot not found: install graphviz "
                      "(bash .ci/deps graphviz)")
endif()
function(expect_dot trace at dotfile)
  crashlab(viz "${WORK}/${trace}.trace" --dot "${WORK}/${dotfile}" --at ${at})
  expect_code(0)
  expect_no_file("${WORK}/${dotfile}.partial")
  execute_process(COMMAND "${DOT_PROGRAM}" -Tsvg "${WORK}/${dotfile}" -o "${WORK}/${dotfile}.svg"
    RESULT_VARIABLE dot_code ERROR_VARIABLE dot_err)
  if(NOT dot_code EQUAL 0)
    fail("dot -Tsvg ${dotfile} failed (${dot_code}): ${dot_err}")
  endif()
  file(READ "${WORK}/${dotfile}.svg" svg)
  if(NOT svg MATCHES "<svg")
    fail("dot -Tsvg ${dotfile} wrote no SVG")
  endif()
  file(READ "${WORK}/${dotfile}" text)
  set(dot_text "${text}" PARENT_SCOPE)
  message(STATUS "ok  ${cmd}; dot -Tsvg renders it")
endfunction()

expect_dot(pool 1s pool.dot)
# The supervisor (a double octagon) and an arrow to each of its eight children, labelled with
# the child id: `p0 -> p6 [label="worker3"];`, `... [label="worker7 (2 restarts)"];`.
if(NOT dot_text MATCHES "\n    (p[0-9]+) \\[label=\"supervisor\\\\n<[0-9.]+>\", shape=doubleoctagon\\];")
  fail("expected the supervisor as a double octagon in pool.dot:\n${dot_text}")
endif()
set(sup "${CMAKE_MATCH_1}")
foreach(i RANGE 1 8)
  if(NOT dot_text MATCHES "\n  ${sup} -> p[0-9]+ \\[label=\"worker${i}( \\([0-9]+ restarts?\\))?\"\\];")
    fail("expected an arrow ${sup} -> worker${i} labelled with its child id in pool.dot")
  endif()
endforeach()
expect_dot(cluster 3s cluster.dot)
foreach(node a b c)
  if(NOT dot_text MATCHES "subgraph cluster_n[0-9]+ {\n    label=\"${node}\";")
    fail("expected a cluster for node ${node} in cluster.dot")
  endif()
endforeach()
# At 2.5 s node b is down: its cluster is gone; at 3.5 s its second incarnation is back.
expect_dot(topology 2.5s topology_down.dot)
if(dot_text MATCHES "label=\"b")
  fail("node b is down at 2.5s but topology_down.dot still draws it")
endif()
expect_dot(topology 3.5s topology_back.dot)
if(NOT dot_text MATCHES "label=\"b \\(incarnation 2\\)\";")
  fail("expected node b's second incarnation in topology_back.dot")
endif()

# During the rolling upgrade (2.2 s: b and c upgraded, a not yet), each replica names the
# version of kv it runs under its pid.
expect_dot(upgrade 2.2s upgrade.dot)
foreach(pair "a;1" "b;2" "c;2")
  list(GET pair 0 node)
  list(GET pair 1 vsn)
  if(NOT dot_text MATCHES "label=\"${node}\";\n(    p[0-9]+ \\[[^\n]*\n)*    p[0-9]+ \\[label=\"kv\\\\n<[0-9.]+>\\\\nkv v${vsn}\"\\];")
    fail("expected node ${node}'s replica to run kv v${vsn} in upgrade.dot:\n${dot_text}")
  endif()
endforeach()

# ---- (c) the Perfetto export ---------------------------------------------------------------

crashlab(viz "${WORK}/pool.trace" --perfetto "${WORK}/pool.json")
expect_code(0)
expect_no_file("${WORK}/pool.json.partial")
crashlab(viz "${WORK}/upgrade.trace" --perfetto "${WORK}/upgrade.json")
expect_code(0)
file(READ "${WORK}/upgrade.json" json)
if(NOT json MATCHES "\"cat\":\"code\",\"name\":\"code_change <1\\.[0-9]+\\.[0-9]+> kv v2\"")
  fail("expected the code_change of b's replica as a code instant in upgrade.json")
endif()
file(READ "${WORK}/pool.json" json LIMIT 4096)
if(NOT json MATCHES "^{[^\n]*\n\"traceEvents\":\\[" OR NOT json MATCHES "\"worker3 <")
  fail("pool.json is not {..., \"traceEvents\": [...]} naming the processes")
endif()
find_program(PYTHON3 python3)
if(PYTHON3)
  execute_process(COMMAND "${PYTHON3}" -m json.tool "${WORK}/pool.json"
    RESULT_VARIABLE json_code OUTPUT_QUIET ERROR_VARIABLE json_err)
  if(NOT json_code EQUAL 0)
    fail("python3 -m json.tool cannot parse pool.json: ${json_err}")
  endif()
  message(STATUS "ok  ${cmd}; python3 -m json.tool parses it")
else()
  message(STATUS "skip: python3 not found, pool.json not parsed here "
                 "(tests/viz/test_perfetto.c parses exports strictly)")
endif()
# All three outputs from one command line.
crashlab(viz "${WORK}/cluster.trace" --at 3s --png "${WORK}/all.png" --dot "${WORK}/all.dot"
  --perfetto "${WORK}/all.json")
expect_code(0)
foreach(f all.png all.dot all.json)
  if(NOT EXISTS "${WORK}/${f}")
    fail("expected ${f}")
  endif()
endforeach()

# ---- (d) bad input -------------------------------------------------------------------------

set(pool "${WORK}/pool.trace")
file(SIZE "${pool}" pool_size)
math(EXPR middle "${pool_size} / 2")

# Copies `from` to `to` with every bit of the byte at `offset` flipped.
function(flip_copy from to offset)
  file(COPY_FILE "${from}" "${to}")
  file(READ "${from}" byte OFFSET ${offset} LIMIT 1 HEX)
  math(EXPR flipped "0x${byte} ^ 0xff" OUTPUT_FORMAT HEXADECIMAL)
  string(REGEX REPLACE "^0x" "" flipped "${flipped}")
  string(LENGTH "${flipped}" n)
  if(n EQUAL 1)
    set(flipped "0${flipped}")
  endif()
  patch_byte("${to}" ${offset} ${flipped})
endfunction()

# A corrupt trace: one byte in the middle changed (here a record's kind). A byte inside a
# record's payload is found by the trace's hash at its end instead: the error is the same kind.
flip_copy("${pool}" "${WORK}/corrupt.trace" ${middle})
math(EXPR quarter "${pool_size} / 4")
flip_copy("${pool}" "${WORK}/payload.trace" ${quarter})
expect_refused("${WORK}/o.png" "payload\\.trace: offset [0-9]+: "
  viz "${WORK}/payload.trace" --png "${WORK}/o.png")
expect_refused("${WORK}/o.png" "corrupt\\.trace: offset [0-9]+: "
  viz "${WORK}/corrupt.trace" --png "${WORK}/o.png")
expect_refused("${WORK}/o.dot" "corrupt\\.trace: offset [0-9]+: "
  viz "${WORK}/corrupt.trace" --dot "${WORK}/o.dot")
expect_refused("${WORK}/o.json" "corrupt\\.trace: offset [0-9]+: "
  viz "${WORK}/corrupt.trace" --perfetto "${WORK}/o.json")

# A truncated trace: the first half.
execute_process(COMMAND head -c ${middle} "${pool}" OUTPUT_FILE "${WORK}/half.trace"
  RESULT_VARIABLE r)
file(SIZE "${WORK}/half.trace" half_size)
if(NOT r EQUAL 0 OR NOT half_size EQUAL middle)
  message(FATAL_ERROR "viz_cli.cmake: could not write the first ${middle} bytes of ${pool}")
endif()
expect_refused("${WORK}/o.png" "half\\.trace: offset [0-9]+: [^\n]*truncated"
  viz "${WORK}/half.trace" --png "${WORK}/o.png")
expect_refused("${WORK}/o.json" "half\\.trace: offset [0-9]+: [^\n]*truncated"
  viz "${WORK}/half.trace" --perfetto "${WORK}/o.json")

# An older trace: the version field (the u32 after the 8-byte magic) says 1.
file(COPY_FILE "${pool}" "${WORK}/v1.trace")
patch_byte("${WORK}/v1.trace" 8 01)
expect_refused("${WORK}/o.png" "v1\\.trace: [^\n]*version 1"
  viz "${WORK}/v1.trace" --png "${WORK}/o.png")

# The time and the size.
expect_refused("${WORK}/o.png" "--at 99s is past the end of the trace \\(it ends at 5s\\)"
  viz "${pool}" --png "${WORK}/o.png" --at 99s)
expect_refused("${WORK}/o.dot" "--at 99s is past the end"
  viz "${pool}" --dot "${WORK}/o.dot" --at 99s)
expect_refused("${WORK}/o.png" "--at needs a time" viz "${pool}" --png "${WORK}/o.png" --at soon)
expect_refused("${WORK}/o.png" "--at fail: the run did not fail"
  viz "${pool}" --png "${WORK}/o.png" --at fail)
foreach(size 800 800x 0x0 10x10 800x500x3 -800x500 abcxdef 99999x500)
  expect_refused("${WORK}/o.png" "--size needs WIDTHxHEIGHT[^\n]*'${size}'"
    viz "${pool}" --png "${WORK}/o.png" --size ${size})
endforeach()

# Unwritable outputs: a directory that does not exist.
foreach(opt png dot perfetto)
  expect_refused("/nonexistent-dir/o.${opt}" "/nonexistent-dir/o\\.${opt}"
    viz "${pool}" --${opt} "/nonexistent-dir/o.${opt}")
endforeach()

# No trace, a missing trace, an unknown option, an option without its value.
expect_refused("" "viz needs a trace file" viz)
expect_refused("${WORK}/o.png" "no-such\\.trace: cannot open"
  viz "${WORK}/no-such.trace" --png "${WORK}/o.png")
expect_refused("" "unknown option '--frobnicate'" viz "${pool}" --frobnicate)
expect_refused("" "--png needs a file name" viz "${pool}" --png)
expect_refused("" "cannot open the script" viz "${pool}" --script "${WORK}/no-such-script")

# A window that cannot open: no display. First with the X11 driver forced, then as a new
# user's shell has it: no DISPLAY, no WAYLAND_DISPLAY, no SDL_VIDEODRIVER, where SDL falls back
# to its offscreen driver; a window there is invisible and the viewer would never end, so it is
# refused like no display, and the line libwayland prints about XDG_RUNTIME_DIR while SDL looks
# for a display is not shown (exactly one stderr line). A replay and a live run are refused,
# with a script too (it would run unseen); the live run before it starts (nothing on stdout: no
# verdict line). A regression would hang in a window nobody sees: each run is stopped after
# 60 s, and a stopped run fails the exit code check.
set(CRASHLAB_TIMEOUT 60)
set(no_display "^crashlab: cannot open a window: [^\n]*\\(is DISPLAY set\\? use --png for headless frames\\)\n$")
file(WRITE "${WORK}/quit.script" "quit\n")
foreach(driver "SDL_VIDEODRIVER=x11" "--unset=SDL_VIDEODRIVER")
  set(ENV_PREFIX "${CMAKE_COMMAND}" -E env --unset=DISPLAY --unset=WAYLAND_DISPLAY ${driver})
  expect_refused("" "${no_display}" viz "${pool}")
  expect_refused("" "${no_display}" viz "${pool}" --script "${WORK}/quit.script")
  expect_refused("" "${no_display}" run "${SRC}/scenarios/library/pingpong.lua" --viz)
  expect_refused("" "${no_display}" run "${SRC}/scenarios/library/pingpong.lua" --viz
    --viz-script "${WORK}/quit.script")
endforeach()
unset(ENV_PREFIX)
unset(CRASHLAB_TIMEOUT)

message(STATUS "viz_cli: all checks passed")
