# Faults as data: a run's faults read back from its trace as a plan (crashlab trace TRACE
# --plan), and a run made with a plan instead of the scenario's own faults (crashlab run FILE
# --faults PLAN, cl.fault_plan, --! seed N).
#
# Goal: a plan taken from a run's own trace reproduces that run, verdict and hash, for library
# scenarios, fallacies with fixed-time faults, process faults and cl.chaos storms; every fault
# kind survives trace -> plan -> run -> trace with the same records, also when the plan runs on
# the same system without faults of its own (every planned fault is then made at the end of its
# instant, and a supervisor's child is found by its id though its pid differs); a plan with
# faults removed is made as planned and is deterministic; the setup's link settings and clocks
# are made under any plan; taking every fault away changes the
# verdict (the plan matters); the in-file form equals --faults; a pinned seed is the default;
# replay re-runs a --faults run and refuses a plan that changed; each kind of bad plan is one
# line and exit 2.
#
# Method: runs in the scratch directory; traces compared through `crashlab trace --kind fault`
# and the plans read back from them.
#
# Usage: cmake -DCRASHLAB=... -DSRC=<source dir> -DWORK=<scratch dir> -P faults.cmake
foreach(var CRASHLAB SRC WORK)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "faults.cmake: -D${var}=... is required")
  endif()
endforeach()
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
include("${CMAKE_CURRENT_LIST_DIR}/check_lib.cmake")

# The verdict line (the last line of stdout).
function(verdict var)
  string(REGEX MATCH "(PASS|FAIL) scenario=[^\n]*hash=[0-9a-f]+" line "${out}")
  if(NOT line)
    fail("no verdict line")
  endif()
  set(${var} "${line}" PARENT_SCOPE)
endfunction()

# The fault records of a trace, one per line (the header and summary lines taken out).
function(fault_records trace var)
  crashlab(trace "${trace}" --kind fault)
  expect_code(0)
  string(REGEX REPLACE "(^|\n)#[^\n]*" "" records "${out}")
  set(${var} "${records}" PARENT_SCOPE)
endfunction()

# The plan of a trace, written to FILE; its faults (without the header comment naming the
# trace) in var.
function(plan_of trace file var)
  crashlab(trace "${trace}" --plan)
  expect_code(0)
  file(WRITE "${WORK}/${file}" "${out}")
  string(REGEX REPLACE "^-- A crashlab fault plan, read from [^\n]*\n" "" body "${out}")
  set(${var} "${body}" PARENT_SCOPE)
endfunction()

# ---- A plan from a run's own trace gives the run back --------------------------------------
set(lib "${SRC}/scenarios/library")
set(scenarios
  "${lib}/worker_pool.lua" "${lib}/intensity_storm.lua" "${lib}/restart_by_hand.lua"
  "${lib}/hidden_dependency.lua" "${lib}/wrong_strategy.lua" "${lib}/right_strategy.lua"
  "${lib}/fallacies/changing_topology_naive.lua" "${lib}/fallacies/changing_topology_fixed.lua"
  "${lib}/fallacies/reliable_network_naive.lua" "${lib}/fallacies/zero_latency_fixed.lua"
  "${lib}/fallacies/infinite_bandwidth_naive.lua" "${lib}/fallacies/one_administrator_naive.lua"
  "${SRC}/tests/lua/process_faults.lua" "${SRC}/tests/faults/every_kind.lua")
foreach(file IN LISTS scenarios)
  get_filename_component(name "${file}" NAME_WE)
  crashlab(run "${file}" --trace "${name}.trace" --quiet)
  verdict(plain)
  set(plain_code "${code}")
  fault_records("${name}.trace" plain_faults)
  if(NOT plain_faults MATCHES "fault")
    fail("${name}: the run has no fault: nothing to check")
  endif()
  plan_of("${name}.trace" "${name}.plan.lua" plan)
  crashlab(run "${file}" --faults "${name}.plan.lua" --trace "${name}.planned.trace" --quiet)
  verdict(planned)
  if(NOT code STREQUAL plain_code OR NOT planned STREQUAL plain)
    fail("${name}: with its own plan: '${planned}' (exit ${code}), without: '${plain}' (exit ${plain_code})")
  endif()
  fault_records("${name}.planned.trace" planned_faults)
  if(NOT planned_faults STREQUAL plain_faults)
    fail("${name}: the planned run's fault records differ from the run's")
  endif()
  string(REGEX MATCHALL "\n  [{] at = " entries "${plan}")
  list(LENGTH entries n)
  message(STATUS "ok  ${name}: ${n} faults, same verdict and hash: ${plain}")
endforeach()

# ---- Every kind, in place and at the end of its instant --------------------------------------
plan_of(every_kind.trace every_kind.plan.lua every_plan)
foreach(kind kill pause resume slow partition isolate cut heal flaky_down flaky_up link net_default
             crash_node restart_node clock)
  if(NOT every_plan MATCHES "kind = \"${kind}\"")
    fail("every_kind.lua made no '${kind}' fault")
  endif()
endforeach()
if(NOT every_plan MATCHES "sup = \"top\", child = [{] \"mid\", \"leaf\" [}]" OR
   NOT every_plan MATCHES "kind = \"heal\", node = ")
  fail("expected a nested supervisor child target and a heal of a node in the plan")
endif()
# The plan read back from the planned run is the plan it was given.
plan_of(every_kind.planned.trace every_kind.again.lua again)
if(NOT again STREQUAL every_plan)
  fail("trace -> plan -> run -> plan: the plans differ")
endif()
# On the same system without faults of its own, every fault is made by the plan alone.
crashlab(run "${SRC}/tests/faults/quiet.lua" --faults every_kind.plan.lua --trace quiet.trace --quiet)
expect_code(0)
plan_of(quiet.trace quiet.plan.lua quiet_plan)
string(REPLACE "tests/faults/every_kind.lua" "" a "${every_plan}")
string(REGEX REPLACE "scenario = \"[^\"]*quiet.lua\"" "scenario = \"\"" b "${quiet_plan}")
string(REGEX REPLACE "scenario = \"[^\"]*\"" "scenario = \"\"" a "${a}")
if(NOT a STREQUAL b)
  fail("quiet.lua with every_kind's plan: the plan read back differs from the one given")
endif()
message(STATUS "ok  every kind: trace -> plan -> run -> same records; on quiet.lua the same plan back")

# ---- A plan with faults taken out: made as planned, deterministic ----------------------------
string(REGEX MATCH "^(.*faults = [{]\n)(.*)(\n[}] [}]\n)$" m "${every_plan}")
set(head "${CMAKE_MATCH_1}")
string(REPLACE "\n" ";" lines "${CMAKE_MATCH_2}")
set(kept "")
set(i 0)
foreach(line IN LISTS lines)
  math(EXPR odd "${i} % 2")
  if(line MATCHES "at = \"0ns\"" OR # the setup's link settings and clock, made anyway
     (odd EQUAL 0 AND line MATCHES "at = \"([0-9]+ms|1[.][0-9]+s|1s)\"")) # half the first 2 s
    string(APPEND kept "${line}\n")
  endif()
  math(EXPR i "${i} + 1")
endforeach()
file(WRITE "${WORK}/half.lua" "${head}${kept}} }\n")
crashlab(run "${SRC}/tests/faults/every_kind.lua" --faults half.lua --trace half.trace --quiet)
verdict(half1)
crashlab(run "${SRC}/tests/faults/every_kind.lua" --faults half.lua --check-determinism --quiet)
verdict(half2)
if(NOT half1 STREQUAL half2 OR NOT code STREQUAL "0")
  fail("half a plan: '${half1}', then '${half2}'")
endif()
plan_of(half.trace half.back.lua half_back)
if(NOT half_back STREQUAL "${head}${kept}} }\n")
  fail("half a plan: the faults made are not the faults planned")
endif()
message(STATUS "ok  half the faults of the first 2 s: made as planned, same hash twice")

# ---- The setup's network and clocks stay; the plan matters --------------------------------------
file(WRITE "${WORK}/none.lua" "return { faults = {} }\n")
crashlab(run "${SRC}/tests/faults/every_kind.lua" --faults none.lua --trace none.trace --quiet)
expect_code(0)
plan_of(none.trace none.back.lua none_back)
string(REGEX MATCHALL "\n  [{] at = \"[^\"]*\", kind = \"[a-z_]+\"" made "${none_back}")
string(REPLACE "\n  { at = " "" made "${made}")
if(NOT made STREQUAL "\"0ns\", kind = \"clock\";\"0ns\", kind = \"net_default\";\"0ns\", kind = \"link\";\"0ns\", kind = \"link\"")
  fail("an empty plan: expected the setup's clock and link settings alone, made: ${made}")
endif()
crashlab(run "${lib}/fallacies/changing_topology_naive.lua" --faults none.lua --quiet)
expect_code(1) # the naive client never loses its server: the expected failure is not seen
file(WRITE "${WORK}/moved.lua" [[
return { seed = 1, faults = {
  { at = "2.5s", kind = "crash_node", node = "b" },
  { at = "2.5s", kind = "restart_node", node = "b" },
} }
]])
crashlab(run "${lib}/fallacies/changing_topology_naive.lua" --faults moved.lua --quiet)
expect_code(0)
message(STATUS "ok  an empty plan keeps the setup's link settings and clock; changing_topology_naive: no faults fail it, the crash moved to 2.5s passes it")

# ---- cl.fault_plan and --! seed -----------------------------------------------------------------
file(COPY "${SRC}/tests/faults/system.lua" DESTINATION "${WORK}")
file(READ "${SRC}/tests/faults/every_kind.lua" source)
string(FIND "${source}" "local sys = " at)
string(SUBSTRING "${source}" 0 ${at} top)
string(SUBSTRING "${source}" ${at} -1 rest)
file(READ "${WORK}/every_kind.plan.lua" plan_text)
string(REPLACE "return {" "cl.fault_plan {" in_file "${plan_text}")
file(WRITE "${WORK}/inline.lua" "${top}${in_file}${rest}")
crashlab(run inline.lua --trace inline.trace --quiet)
verdict(inline)
# The same file with --faults (which wins over cl.fault_plan): the same run. (Another file would
# not do: spawn labels carry FILE:LINE.)
crashlab(run inline.lua --faults every_kind.plan.lua --quiet)
verdict(flag)
if(NOT inline STREQUAL flag)
  fail("cl.fault_plan: '${inline}', --faults: '${flag}'")
endif()
fault_records(inline.trace inline_faults)
fault_records(every_kind.trace every_faults)
if(NOT inline_faults STREQUAL every_faults)
  fail("cl.fault_plan: the fault records differ from every_kind.lua's own")
endif()
file(WRITE "${WORK}/pinned.lua" "-- pinned\n--! seed 48113\n${source}")
crashlab(run pinned.lua --quiet)
if(NOT out MATCHES "seed=48113 ")
  fail("--! seed 48113: not the run's seed")
endif()
crashlab(run pinned.lua --seed 5 --quiet)
if(NOT out MATCHES "seed=5 ")
  fail("--seed 5 does not win over --! seed")
endif()
string(REPLACE "cl.scenario { name = \"every_kind\"" "cl.scenario { seed = 7, name = \"every_kind\"" seeded "${source}")
file(WRITE "${WORK}/pinned_over_scenario.lua" "--! seed 48113\n${seeded}")
crashlab(run pinned_over_scenario.lua --quiet)
if(NOT out MATCHES "seed=48113 ")
  fail("--! seed does not win over cl.scenario{seed = 7}")
endif()
# The whole order, as docs/sweeps.md lists it: --seed, then a --faults plan's seed, then the
# --! seed line, then cl.scenario{seed = ...}.
file(WRITE "${WORK}/seeded_plan.lua" "return { seed = 9, faults = {} }\n")
crashlab(run pinned_over_scenario.lua --faults seeded_plan.lua --quiet)
if(NOT out MATCHES "seed=9 ")
  fail("a plan's seed should win over --! seed and cl.scenario{seed = 7}")
endif()
crashlab(run pinned_over_scenario.lua --faults seeded_plan.lua --seed 5 --quiet)
if(NOT out MATCHES "seed=5 ")
  fail("--seed should win over a plan's seed")
endif()
message(STATUS "ok  cl.fault_plan equals --faults; the seed: --seed, plan, --! seed, cl.scenario")

# ---- docs/sweeps.md's example: the crash and the restart both at 2.5s ------------------------
# Another run than the traced one, failing the same way at the same time: its eventually
# property is still false at its 8 s deadline (the docs once said "at another time").
file(COPY "${SRC}/scenarios/library/fallacies/changing_topology.lua"
  "${SRC}/scenarios/library/fallacies/changing_topology_naive.lua" DESTINATION "${WORK}")
file(WRITE "${WORK}/ct25.lua" "return { seed = 1, faults = {\n"
  "  { at = \"2.5s\", kind = \"crash_node\", node = \"b\" },\n"
  "  { at = \"2.5s\", kind = \"restart_node\", node = \"b\" },\n} }\n")
crashlab(run changing_topology_naive.lua --faults ct25.lua)
expect_code(0)
if(NOT out MATCHES "did not become true at 8s [(]expected: the scenario says expect = \"fail\"[)]\nPASS scenario=changing_topology_naive seed=1 events=[0-9]+ sim_time=8s "
   OR out MATCHES "hash=18731d505fa18046")
  fail("with both faults at 2.5s the run should differ from the traced one and fail at 8s as it does")
endif()
message(STATUS "ok  both faults at 2.5s: another run, the same failure at 8s")

# ---- Replay of a --faults run ------------------------------------------------------------------
crashlab(run "${SRC}/tests/faults/every_kind.lua" --faults every_kind.plan.lua --trace replayed.trace --quiet)
expect_code(0)
crashlab(replay replayed.trace --quiet)
if(NOT code STREQUAL "0" OR NOT out MATCHES "replay: reproduced")
  fail("replay of a --faults run")
endif()
file(APPEND "${WORK}/every_kind.plan.lua" "-- changed\n")
crashlab(replay replayed.trace --quiet)
expect_bad("every_kind[.]plan[.]lua, the fault plan of the run [(]--faults[)], changed since the trace replayed[.]trace was recorded [(]contents hash [0-9a-f]+, the trace has [0-9a-f]+[)]: the trace is of a run with another plan")
message(STATUS "ok  replay re-runs a --faults run and refuses a changed plan")

# ---- Bad input -----------------------------------------------------------------------------------
set(pool "${lib}/worker_pool.lua")
file(WRITE "${WORK}/syntax.lua" "return { faults = {\n  { at = \"1s\", kind = \"kill\"\n} }\n")
crashlab(run "${pool}" --faults syntax.lua --quiet)
expect_bad("^crashlab: syntax[.]lua:4: '[}]' expected [(]to close '[{]' at line 1[)] near <eof>")
file(WRITE "${WORK}/kind.lua" "return { faults = { { at = \"1s\", kind = \"kil\" } } }\n")
crashlab(run "${pool}" --faults kind.lua --quiet)
expect_bad("^crashlab: kind[.]lua: fault 1: kind: unknown kind 'kil' [(]kill, pause,")
file(WRITE "${WORK}/field.lua" "return { faults = { { at = \"1s\", kind = \"cut\", from = \"a\", too = \"b\" } } }\n")
crashlab(run "${pool}" --faults field.lua --quiet)
expect_bad("^crashlab: field[.]lua: fault 1 [(]cut[)]: unknown field 'too' [(]at, kind, from, to[)]")
file(WRITE "${WORK}/at.lua" "return { faults = { { at = \"soon\", kind = \"heal\" } } }\n")
crashlab(run "${pool}" --faults at.lua --quiet)
expect_bad("^crashlab: at[.]lua: fault 1 [(]heal[)]: at: a virtual time such as")
file(WRITE "${WORK}/drift.lua" "return { faults = { { at = \"1s\", kind = \"clock\", node = \"a\", drift = -1 } } }\n")
crashlab(run "${pool}" --faults drift.lua --quiet)
expect_bad("^crashlab: drift[.]lua: fault 1 [(]clock[)]: drift: a number above -1 and below 1e6 expected")
file(WRITE "${WORK}/node.lua" "return { faults = { { at = \"1s\", kind = \"isolate\", node = \"z\" } } }\n")
crashlab(run "${pool}" --faults node.lua --quiet)
expect_bad("^crashlab: node[.]lua: fault 1 [(]isolate at 1s[)]: unknown node 'z'")
file(WRITE "${WORK}/proc.lua" "return { faults = { { at = \"1s\", kind = \"kill\", target = { node = \"a\", sup = \"pool\", child = \"w1\" } } } }\n")
crashlab(run "${pool}" --faults proc.lua --quiet)
expect_bad("^crashlab: proc[.]lua: fault 1 [(]kill at 1s[)]: no supervisor is registered as 'pool' on node 'a'")
file(WRITE "${WORK}/top.lua" "return 42\n")
crashlab(run "${pool}" --faults top.lua --quiet)
expect_bad("^crashlab: top[.]lua: a plan is a table")
file(WRITE "${WORK}/loop.lua" "while true do end\n")
crashlab(run "${pool}" --faults loop.lua --quiet)
expect_bad("^crashlab: loop[.]lua: .*the plan runs too long")
file(WRITE "${WORK}/global.lua" "return { faults = { { at = string.format(\"%ds\", 1), kind = \"heal\" } } }\n")
crashlab(run "${pool}" --faults global.lua --quiet)
expect_bad("^crashlab: global[.]lua:1: attempt to index a nil value [(]global 'string'[)]") # no globals
crashlab(run "${pool}" --faults missing.lua --quiet)
expect_bad("^crashlab: --faults missing[.]lua: cannot open the plan: No such file or directory")
crashlab(run "${pool}" --faults)
expect_bad("--faults needs a file name")
crashlab(trace every_kind.trace --plan --kind fault)
expect_bad("--plan takes the trace alone")
execute_process(COMMAND head -c 1000 "${WORK}/every_kind.trace" OUTPUT_FILE "${WORK}/cut.trace") # truncated
crashlab(trace cut.trace --plan)
expect_bad("cut[.]trace")
if(NOT out STREQUAL "")
  fail("a damaged trace: part of a plan was printed")
endif()
message(STATUS "ok  bad plans and bad uses: one line each, exit 2")

# ---- Planned faults the run never reached: a note, not silence --------------------------------
# fails_early.lua fails at 350 ms; a plan fault at 1 s is never made, so a plan naming a node
# that does not exist would pass unseen. The run says which faults were never made (and that
# the node does not exist), its replay line keeps --faults, and shrink --faults says it too.
set(early "${SRC}/tests/faults/fails_early.lua")
file(WRITE "${WORK}/late.lua" "return { faults = { { at = \"1s\", kind = \"crash_node\", node = \"q\" } } }\n")
crashlab(run "${early}" --faults late.lua --quiet)
expect_code(1)
if(NOT err STREQUAL "crashlab: note: 1 fault of the plan was never made: fault 1 (crash_node at 1s): the run ended at 350ms; node 'q' (fault 1) does not exist in this run\n")
  fail("a plan fault after the end of the run should be named in one note line")
endif()
crashlab(run "${early}" --faults late.lua)
if(NOT out MATCHES "\nreplay: crashlab run [^\n]*fails_early[.]lua --seed 1 --faults late[.]lua\n")
  fail("the replay line of a --faults run should keep --faults")
endif()
file(WRITE "${WORK}/late2.lua" "return { faults = { { at = \"100ms\", kind = \"crash_node\", node = \"b\" },\n"
  "  { at = \"1s\", kind = \"restart_node\", node = \"b\" }, { at = \"2s\", kind = \"heal\" } } }\n")
crashlab(run "${early}" --faults late2.lua --quiet)
expect_code(1)
if(NOT err STREQUAL "crashlab: note: 2 faults of the plan were never made, from fault 2 (restart_node at 1s) on: the run ended at 350ms\n")
  fail("two faults after the end: one note naming the first")
endif()
file(WRITE "${WORK}/early.lua" "return { faults = { { at = \"100ms\", kind = \"crash_node\", node = \"b\" } } }\n")
crashlab(run "${early}" --faults early.lua --quiet)
expect_code(1)
if(NOT err STREQUAL "")
  fail("every planned fault was made: no note")
endif()
crashlab(shrink "${early}" --seed 1 --faults late.lua --out "${WORK}/early.shrunk.lua")
expect_code(0)
if(NOT err MATCHES "crashlab: note: 1 fault of the plan was never made: fault 1 [(]crash_node at 1s[)]")
  fail("shrink --faults should pass on the note of its first run")
endif()
crashlab(run "${early}" --faults late.lua --seeds 1..3 --jobs 2)
expect_code(1)
if(NOT err MATCHES "\ncrashlab: note: 3 seeds printed a note; the smallest, seed 1: 1 fault of the plan was never made: fault 1 [(]crash_node at 1s[)]: the run ended at 350ms")
  fail("a sweep under such a plan should pass the note on once")
endif()
message(STATUS "ok  planned faults after the end of the run: one note line")
