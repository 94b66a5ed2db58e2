/*
 * What the parts of the scenario runner share (runner.h is the public face):
 *   sandbox.c        the Lua state, its counting allocator and the sandboxed environment
 *                    (deterministic pairs/next/random/os/tostring, require and load, the guard
 *                    on the cl tables), each process's random stream
 *   bind_scenario.c  cl.scenario, timers, cl.kill, observation (alive, processes, info, exits,
 *                    ...), and the argument helpers every binding uses (durations, fields,
 *                    nodes)
 *   properties.c     cl.always, cl.eventually, cl.at_end, and a failed property
 *   errors.c         scenario errors, calling Lua from the run loop, errors inside processes
 *   run.c            the run: the world's hooks, the signal registry, the status line, the
 *                    run loop, the report and the verdict
 * Nothing here is for the binding files (bind_proc.c, bind_sup.c, bind_net.c): they use
 * runner.h.
 */
#ifndef CRASHLAB_SCN_INTERNAL_H
#define CRASHLAB_SCN_INTERNAL_H

#include "runner.h"

#define API_SET_KEY "crashlab.api"   /* registry: every C function of the cl tables -> true */
#define ERROR_FN_KEY "crashlab.error" /* registry: the base library's error */

/* A cl.at or cl.every timer (bind_scenario.c); every timer of a run is on run->timers. */
typedef struct scn_timer {
  scn_run *run;
  int fn_ref;
  uint64_t period_ns; /* 0: once */
  struct scn_timer *next;
} scn_timer;

/* ---- sandbox.c --------------------------------------------------------------------------- */

/* Creates the run's Lua state (the counting allocator, the sandboxed environment, the
 * predicate thread, cl.exits' table): 0, or -1 (run->L is NULL then). */
int scn__open_state(scn_run *run);
/* lua_CFunction: loads the scenario file (run->opts->path) under the sandbox and returns it
 * as a function; raises on a syntax error or when the file cannot be read. */
int scn__load_scenario(lua_State *L);

/* ---- bind_scenario.c --------------------------------------------------------------------- */

/* Registers cl.scenario, cl.at, cl.every, cl.kill and the observation calls into the table at
 * the top. */
void scn__bind_scenario(lua_State *L);
/* The duration argument at idx in nanoseconds; raises an argument error if it is bad. */
uint64_t scn__check_duration(lua_State *L, int idx);
/* Makes cl.exits' table and its read-only view (in the registry). */
void scn__exits_open(lua_State *L);
/* Appends an exit record to cl.exits' table (the first 100,000 exits of the run). */
void scn__record_exit(scn_run *run, const sim_record *rec);

/* ---- properties.c ------------------------------------------------------------------------ */

/* Registers cl.always, cl.eventually and cl.at_end into the table at the top. */
void scn__bind_props(lua_State *L);
/* After each step: evaluates the always properties and the eventually ones not yet true. */
void scn__check_props_step(scn_run *run);
/* When the run ends: evaluates the at_end properties and the eventually ones whose deadline
 * has not passed. */
void scn__check_at_end(scn_run *run);
/* A property failed (or a crash with crashes = "fail"): recorded in the trace (a property
 * record named `name`) at the time it was found, and the world asked to stop. The first
 * failure wins. */
__attribute__((format(printf, 3, 4))) void scn__fail(scn_run *run, const char *name, const char *fmt, ...);

/* ---- errors.c ---------------------------------------------------------------------------- */

/* lua_pcall message handler: the error as its message alone ("file:line: what"), one line;
 * a non-string error value says what type it is (never its address). */
int scn__traceback(lua_State *L);
/* Calls the function in registry slot ref with no arguments; 1 result (pushed) when
 * want_result. On error records a scenario error prefixed with `what` and returns -1. */
int scn__call_ref(scn_run *run, int ref, bool want_result, const char *what);

#endif
