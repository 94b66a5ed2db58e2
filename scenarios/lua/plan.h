/*
 * Fault plans: the one in-memory form of a plan (scn_plan: sim_planned values, sim/fault.h),
 * its one reader (a plan file given with --faults, or the in-file form cl.fault_plan{...}) and
 * its one writer (the text `crashlab trace --plan` prints and `crashlab shrink` writes). The
 * runner puts the world under a plan read here; the command line makes one from a trace's fault
 * records (cli/faults.c) and the shrinker edits one (cli/shrink.c). Also the seed a scenario
 * file pins with a leading `--! seed N` line. The format is docs/sweeps.md, "Fault plans".
 */
#ifndef CRASHLAB_SCN_PLAN_H
#define CRASHLAB_SCN_PLAN_H

#include <lua.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "fault.h"
#include "latency.h"
#include "runner.h"

/* A plan. Everything its faults point to (names, groups, child ids, reasons) and the faults
 * array itself are blocks of one owned list (scn_own_on): the run's for a plan the runner reads
 * (owner = &run->owned), else the plan's own (owner NULL: `own`, freed by scn_plan_free). A
 * copy of a sim_planned value shares what it points to. */
typedef struct scn_plan {
  const char *scenario;     /* the scenario's path as the plan names it, or NULL */
  bool has_seed;
  uint64_t seed;
  sim_planned *faults;      /* in time order */
  uint32_t count;
  struct owned **owner;     /* where its memory is allocated: NULL for `own` */
  struct owned *own;
} scn_plan;

/* Zeroed memory for *p's faults, freed with the plan; NULL when out of memory. */
void *scn_plan_own(scn_plan *p, size_t size);
/* Frees what a plan with its own memory (owner NULL) holds and zeroes it; safe twice. */
void scn_plan_free(scn_plan *p);

/* Reads the plan file at path into *p (zeroed first, own memory unless p->owner was set
 * before). 0, or -1 with one line in err: "--faults FILE: cannot open the plan: why",
 * FILE:LINE: ... for a file that does not parse, FILE: fault N (KIND): field: why. */
int scn_plan_load(scn_plan *p, const char *path, char *err, size_t cap);

/* Writes one fault as a Lua table on one line: { at = "1.25s", kind = "kill", ... }. */
void scn_plan_write_fault(FILE *f, const sim_planned *planned);
/* Writes `faults = {` and the faults, one a line behind two spaces and a comma, then `}`. */
void scn_plan_write_faults(FILE *f, const sim_planned *faults, uint32_t count);
/* Writes the plan file: return { scenario = ..., seed = ..., faults = { ... } } (scenario and
 * seed when the plan has them). 0, or -1 on a write error (errno set). */
int scn_plan_write(FILE *f, const scn_plan *p);

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
/* At the end of a run: the note on the plan's faults the run ended before (never made, so a
 * plan naming an unknown node there would otherwise pass unseen), one line without a newline
 * in buf: "1 fault of the plan was never made: fault 1 (crash_node at 1s): the run ended at
 * 350ms", with "; no node 'q' exists in this run" for the names of nodes that never existed.
 * buf is "" when every fault was made or there is no plan. */
void scn_plan_unmade_note(scn_run *run, char *buf, size_t cap);

/* cl.fault_plan{faults = {...}}: the in-file form of --faults, at the top level before any
 * process ran or fault was made; ignored when --faults is given. */
int scn_l_fault_plan(lua_State *L);

/* Shared with bind_net.c: a latency (a duration, or {dist = ..., ...}) and a signed duration
 * ("-5s") at idx, or a raised error. */
sim_dist scn_check_latency(lua_State *L, int idx);
int64_t scn_check_signed_duration(lua_State *L, int idx);

#endif
