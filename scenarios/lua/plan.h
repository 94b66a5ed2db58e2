/*
 * Fault plans on the runner's side: a plan file given with --faults, or the in-file form
 * cl.fault_plan{faults = {...}}, read into sim_planned values (sim/fault.h) that the world then
 * makes instead of the scenario's own faults; and the seed a scenario file pins with a leading
 * `--! seed N` line. The format is docs/sweeps.md, "Fault plans".
 */
#ifndef CRASHLAB_SCN_PLAN_H
#define CRASHLAB_SCN_PLAN_H

#include <lua.h>

#include <stdbool.h>
#include <stdint.h>

#include "latency.h"
#include "runner.h"

/* Whether the scenario file at path pins its seed with a `--! seed N` line among its leading
 * comment lines (before its first line of code); *seed is N then. A malformed directive is not
 * one (false). */
bool scn_seed_directive(const char *path, uint64_t *seed);

/* Before the world exists: reads the --faults file, if there is one, and takes its seed unless
 * --seed was given. 0, or -1 with a scenario error set (the file cannot be read or does not
 * parse: FILE:LINE; a bad fault: its index and field). */
int scn_plan_read(scn_run *run);
/* Once the world exists: puts it under the plan read, if any. 0, or -1 with a scenario error. */
int scn_plan_start(scn_run *run);

/* cl.fault_plan{faults = {...}}: the in-file form of --faults, at the top level before any
 * process ran or fault was made; ignored when --faults is given. */
int scn_l_fault_plan(lua_State *L);

/* Shared with bind_net.c: a latency (a duration, or {dist = ..., ...}) and a signed duration
 * ("-5s") at idx, or a raised error. */
sim_dist scn_check_latency(lua_State *L, int idx);
int64_t scn_check_signed_duration(lua_State *L, int idx);

#endif
