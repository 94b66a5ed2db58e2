/*
 * Built-in demo systems written as C behaviours: what `crashlab demo` runs, the workloads of
 * the benchmarks, and an example of driving core/ and sim/ from C. Each demo builds its system
 * in a world, runs it, and checks what it is expected to show.
 */
#ifndef CRASHLAB_DEMOS_H
#define CRASHLAB_DEMOS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "world.h"

typedef struct scn_demo_params {
  uint32_t n;  /* size parameter (processes, rounds...); 0 for the demo's default */
  uint32_t m;  /* second size parameter; 0 for the default */
} scn_demo_params;

/* What one run of a demo counts for its check (hops, pongs, restarts, an arrival order): its
 * processes reach it through their node's user pointer (ac_node_user), so two runs in one
 * process never share it. */
typedef struct scn_demo_run scn_demo_run;

typedef struct scn_demo {
  const char *name;
  const char *summary;
  /* Called by scn_demo_open and scn_demo_check. */
  int (*setup)(scn_demo_run *run, sim_world *w);
  bool (*check)(const scn_demo_run *run, char *why, size_t why_cap);
} scn_demo;

/* The demos, terminated by an entry with name NULL. */
extern const scn_demo scn_demos[];
const scn_demo *scn_demo_find(const char *name);

/* Builds demo d in w (nodes, processes, timers) for one run, sized by params (0: the demo's
 * defaults). On success *out is the run (the caller frees it with scn_demo_close, after the
 * world is destroyed or no longer run); otherwise an AC_E code and *out is NULL (what the
 * setup added to w stays there, and w must not be run). */
int scn_demo_open(scn_demo_run **out, const scn_demo *d, sim_world *w, const scn_demo_params *params);
/* After the world has run: true when the demo showed what it should; writes why to `why`. */
bool scn_demo_check(const scn_demo_run *run, char *why, size_t why_cap);
void scn_demo_close(scn_demo_run *run);

/* What a ring counts: hops of its token, and tokens that reached 0. */
typedef struct scn_ring_tally {
  uint64_t hops;
  uint32_t finished;
} scn_ring_tally;

/* The ring behaviour, shared with the benchmark: a process holds the next pid and passes an
 * integer token on, decremented, until it reaches 0, counting on its node's scn_ring_tally.
 * {next, Pid} sets the next pid. */
extern const ac_behaviour scn_ring_node;
/* Spawns an n-process ring on node and returns its first process; the ring counts on *tally
 * (zeroed here), which becomes node's user pointer and must outlive the ring's runs. */
int scn_ring_build(ac_node *node, uint32_t n, scn_ring_tally *tally, ac_pid *first);

/* A process that waits in receive forever (the spawn benchmark's idle process). */
extern const ac_behaviour scn_idle;

#endif
