# Trace format version 2 through the CLI: what `crashlab run --trace` records and how runs that
# end early leave their trace.
#
# Goal: a viewer reads only the trace, so each fact it needs must be there: one message id from
# a send on node a to its deliver and receive on node b; the name of a {Name, Node} send; spawn
# labels (a global function, a local one, an anonymous one as FILE:LINE); one fault record per
# cl.kill and per kill_random; a fault and a links record per partition; and a run_end record
# last, however the run ended (the --max-time cap, --trace-limit, SIGINT). A damaged file prints
# every good record, then one error line naming the offset, exit 2; a version-1 file is refused
# by its version.
#
# Method: runs tests/trace/*.lua with --trace, reads the file back with `crashlab trace` and
# matches its lines. Files are damaged with head and dd. The SIGINT case runs in bash: the run
# starts in the background, the script polls until its .partial file exists (the run is under
# way), sends SIGINT and waits for it.
#
# Usage: cmake -DCRASHLAB=... -DSRC=<source dir> -DWORK=<scratch dir> -P trace_v2.cmake
foreach(var CRASHLAB SRC WORK)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "trace_v2.cmake: -D${var}=... is required")
  endif()
endforeach()
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
set(DIR "${SRC}/tests/trace")
set(PID "<[0-9]+[.][0-9]+[.][0-9]+>")

include("${CMAKE_CURRENT_LIST_DIR}/check_lib.cmake")


function(expect regex what)
  if(NOT out MATCHES "${regex}")
    fail("expected ${what} (/${regex}/)")
  endif()
endfunction()

function(count_matches text regex var)
  string(REGEX MATCHALL "${regex}" found "${text}")
  list(LENGTH found n)
  set(${var} ${n} PARENT_SCOPE)
endfunction()

# `crashlab trace FILE` must verify it, and its last record must be run_end with `why`.
function(expect_valid_trace_ending file why)
  crashlab(trace "${file}")
  expect_code(0)
  if(NOT out MATCHES "\n +[0-9.]+s  run_end +${why}[^\n]*\n# [0-9]+ records, hash=[0-9a-f]+ verified\n$")
    fail("expected a verified trace whose last record is run_end ${why}")
  endif()
  if(EXISTS "${file}.partial")
    fail("a .partial file was left behind")
  endif()
endfunction()

# ---- (a) two nodes: message ids, named sends, spawn labels, faults, links ------------------
crashlab(run "${DIR}/two_nodes.lua" --trace two.trace --quiet)
expect_code(0)
crashlab(trace two.trace)
expect_code(0)
set(two "${out}")
# The first ping goes from a process on node 0 to the echo server on node 1.
if(NOT two MATCHES "send +(<0[.][0-9]+[.][0-9]+>) -> (<1[.][0-9]+[.][0-9]+>) #([0-9]+[.][0-9]+) [{]ping,[^\n]*,1[}]\n")
  fail("no send record of the first ping from node 0 to node 1")
endif()
set(from "${CMAKE_MATCH_1}")
set(to "${CMAKE_MATCH_2}")
set(id "${CMAKE_MATCH_3}")
string(REPLACE "." "[.]" id_re "${id}")
string(REPLACE "." "[.]" from_re "${from}")
string(REPLACE "." "[.]" to_re "${to}")
expect("deliver +${from_re} -> ${to_re} #${id_re}\n" "the deliver record on node 1 with the send's id ${id}")
expect("receive +${to_re} <- ${from_re} #${id_re}\n" "the receive record with the send's id ${id}")
count_matches("${two}" "#${id_re}\n" uses)
count_matches("${two}" "#${id_re} " uses_send)
math(EXPR total "${uses} + ${uses_send}")
if(NOT total EQUAL 3)
  fail("message id ${id} appears on ${total} records, expected 3 (send, deliver, receive)")
endif()
message(STATUS "ok  message ${id} from ${from} to ${to}: one id on send, deliver and receive")
# The {Name, Node} send names its receiver; the deliver on node 1 gives the resolved pid.
if(NOT two MATCHES "send +${from_re} -> [{]echo,b[}] #([0-9]+[.][0-9]+) [{]ping,[^\n]*,2[}]\n")
  fail("the {echo, b} send does not record the name")
endif()
string(REPLACE "." "[.]" named_re "${CMAKE_MATCH_1}")
expect("deliver +${from_re} -> ${to_re} #${named_re}\n" "the named send delivered to the resolved pid")
message(STATUS "ok  {echo, b} send recorded with the name, delivered to ${to}")
# Spawn labels: the line of the anonymous function is found by its marker comment.
file(STRINGS "${DIR}/two_nodes.lua" lines)
set(n 0)
foreach(line IN LISTS lines)
  math(EXPR n "${n} + 1")
  if(line MATCHES "-- ANONYMOUS")
    set(anon_line ${n})
  endif()
endforeach()
expect("spawn +${PID} -> ${PID} global_worker [(]lua[)]\n" "the spawn label of a global function")
expect("spawn +${PID} -> ${PID} local_worker [(]lua[)]\n" "the spawn label of a local function")
expect("spawn +${PID} -> ${PID} echo [(]lua[)]\n" "the spawn label of a local of the boot function")
expect("spawn +${PID} -> ${PID} two_nodes[.]lua:${anon_line} [(]lua[)]\n" "FILE:LINE for an anonymous function")
message(STATUS "ok  spawn labels: global_worker, local_worker, echo, two_nodes.lua:${anon_line}")
# cl.kill at 100ms and kill_random at 200ms: one fault record each, aimed at the pid (with its
# stable target: an unregistered process outside any supervisor is named by its pid).
count_matches("${two}" "  fault +${PID} [{]kill,${PID},kill,[[][{]node,a[}],[{]pid,${PID}[}][]][}]\n" kills)
count_matches("${two}" "\n +0[.]1000+s  fault " at_100)
count_matches("${two}" "\n +0[.]2000+s  fault " at_200)
if(NOT kills EQUAL 2 OR NOT at_100 EQUAL 1 OR NOT at_200 EQUAL 1)
  fail("expected one kill fault record for cl.kill and one for kill_random (${kills}, ${at_100}, ${at_200})")
endif()
expect("fault +[{]partition,[[][[]a[]],[[]b[]][]][}]\n[^\n]*links +down, flaky: [{][[][{]a,b[}],[{]b,a[}][]],[[][]][}]\n"
       "the partition's fault record followed by its links record")
expect("fault +heal\n[^\n]*links +down, flaky: [{][[][]],[[][]][}]\n" "heal, then every link up")
message(STATUS "ok  kill and kill_random: one fault each; partition and heal: fault then links")

# ---- (b) runs that end early leave a complete trace ending in run_end ----------------------
crashlab(run "${DIR}/long_run.lua" --trace cap.trace --max-time 1s --quiet)
expect_code(0)
expect_valid_trace_ending(cap.trace "time cap, pass")
message(STATUS "ok  --max-time: complete trace ending in run_end (time cap)")

crashlab(run "${DIR}/long_run.lua" --trace limit.trace --trace-limit 10K --quiet)
expect_code(2)
if(NOT err MATCHES "^crashlab: the trace reached its limit of 10240 bytes [(]--trace-limit[)][^\n]*\n$")
  fail("expected one stderr line naming the trace limit")
endif()
expect_valid_trace_ending(limit.trace "trace limit, error")
file(SIZE "${WORK}/limit.trace" size)
if(size GREATER 11000)
  fail("the trace of a 10K limit is ${size} bytes")
endif()
message(STATUS "ok  --trace-limit 10K: exit 2, ${size} bytes, complete trace ending in run_end")

crashlab(run "${DIR}/long_run.lua" --trace-limit 10Q)
expect_code(2)
if(NOT err MATCHES "--trace-limit needs a size")
  fail("a bad --trace-limit is not refused clearly")
endif()

execute_process(COMMAND bash "${SRC}/tests/cmake/trace_sigint.sh" "${CRASHLAB}" "${DIR}/long_run.lua"
  "${WORK}/sigint.trace" RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 120)
set(cmd "trace_sigint.sh")
expect_code(130)
if(NOT out MATCHES "INTERRUPTED scenario=long_run ")
  fail("the interrupted run printed no INTERRUPTED verdict line")
endif()
expect_valid_trace_ending(sigint.trace "interrupted, pass <<\"SIGINT\">>")
message(STATUS "ok  SIGINT: exit 130, complete trace ending in run_end (interrupted)")

# ---- (c) damaged files: the good records, then one error line --------------------------------
crashlab(trace cap.trace)
count_matches("${out}" "\n +[0-9.]+s  " all_records)
file(SIZE "${WORK}/cap.trace" size)
math(EXPR half "${size} / 2")
execute_process(COMMAND head -c ${half} "${WORK}/cap.trace" OUTPUT_FILE "${WORK}/truncated.trace")
crashlab(trace truncated.trace)
expect_code(2)
count_matches("${out}" "\n +[0-9.]+s  " good)
if(good LESS 100 OR NOT good LESS all_records)
  fail("expected the good records before the damage (${good} of ${all_records})")
endif()
if(NOT err MATCHES "^crashlab: truncated[.]trace: offset [0-9]+: truncated[^\n]*\n$")
  fail("expected one error line 'crashlab: FILE: offset N: truncated ...'")
endif()
if(out MATCHES "verified")
  fail("a truncated trace was said to be verified")
endif()
message(STATUS "ok  truncated trace: ${good} good records, then the error")

math(EXPR hash_at "${size} - 16") # the trailer's hash field
file(COPY_FILE "${WORK}/cap.trace" "${WORK}/badhash.trace")
execute_process(COMMAND bash -c "printf '\\xff\\xee' | dd of='${WORK}/badhash.trace' bs=1 seek=${hash_at} conv=notrunc status=none")
crashlab(trace badhash.trace)
expect_code(2)
count_matches("${out}" "\n +[0-9.]+s  " good)
if(NOT good EQUAL all_records OR NOT err MATCHES "^crashlab: badhash[.]trace: offset [0-9]+: hash does not match[^\n]*\n$")
  fail("a bad hash: expected every record (${good} of ${all_records}) then the hash error")
endif()
message(STATUS "ok  bad hash: every record, then the error")

math(EXPR mid "${half} + 11") # inside some record: a corrupt payload, kind or sizes
file(COPY_FILE "${WORK}/cap.trace" "${WORK}/corrupt.trace")
execute_process(COMMAND bash -c "printf '\\x7f\\x7f\\x7f\\x7f' | dd of='${WORK}/corrupt.trace' bs=1 seek=${mid} conv=notrunc status=none")
crashlab(trace corrupt.trace)
expect_code(2)
count_matches("${out}" "\n +[0-9.]+s  " good)
if(good LESS 100 OR NOT err MATCHES "^crashlab: corrupt[.]trace: offset [0-9]+: [^\n]+\n$")
  fail("a corrupt record: expected the good records (${good}) then one error line")
endif()
message(STATUS "ok  corrupt record: ${good} good records, then: ${err}")

file(COPY_FILE "${WORK}/cap.trace" "${WORK}/v1.trace")
execute_process(COMMAND bash -c "printf '\\x01' | dd of='${WORK}/v1.trace' bs=1 seek=8 conv=notrunc status=none")
crashlab(trace v1.trace)
expect_code(2)
if(NOT err MATCHES "^crashlab: v1[.]trace: offset 8: trace format version 1: this crashlab reads version 2; record the run again\n$")
  fail("a version-1 trace must be refused naming the version")
endif()
message(STATUS "ok  version 1 refused: ${err}")
