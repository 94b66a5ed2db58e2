/*
 * Built-in demo systems written as C behaviours: the small driver's scenarios until the Lua
 * runner lands, the workloads of the benchmarks, and an example of driving core/ and sim/ from
 * C. Each demo builds its system in a world, runs it, and checks what it is expected to show.
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

typedef struct scn_demo {
  const char *name;
  const char *summary;
  /* Builds the system in w (nodes, processes, timers). */
  int (*setup)(sim_world *w, const scn_demo_params *params);
  /* After the run: true when the demo showed what it should; writes why to `why`. */
  bool (*check)(sim_world *w, char *why, size_t why_cap);
} scn_demo;

/* The demos, terminated by an entry with name NULL. */
extern const scn_demo scn_demos[];
const scn_demo *scn_demo_find(const char *name);

/* The ring behaviour, shared with the benchmark: a process holds the next pid and passes an
 * integer token on, decremented, until it reaches 0. {next, Pid} sets the next pid. */
extern const ac_behaviour scn_ring_node;
/* Spawns an n-process ring on node and returns its first process. */
int scn_ring_build(ac_node *node, uint32_t n, ac_pid *first);
/* Hops the last ring run made until the token reached 0 (for checks). */
uint64_t scn_ring_hops(void);

/* A process that waits in receive forever (the spawn benchmark's idle process). */
extern const ac_behaviour scn_idle;

#endif
