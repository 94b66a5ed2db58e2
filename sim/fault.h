/*
 * Faults as data: a fault is a value (a kind, a target, parameters), and sim_fault_apply is the
 * one place that applies it to the world and records it as one trace record (AC_EV_FAULT,
 * flags = its SIM_FAULT_* class, payload a term that names it, docs/architecture.md "Faults").
 * Every way to inject a fault goes through it: the Lua binding's calls, cl.chaos, the world's
 * own C API (sim_node_crash, sim_net_partition, ...) and a fault plan.
 *
 * Targets are stable where they can be: nodes by name; a process by its registered name on its
 * node, else by the registered supervisor above it and the child ids down to it, else (nothing
 * better) by pid. A fault given by pid is recorded with the stable target of that pid, so a
 * schedule read from a trace still names the same process once other faults are removed.
 *
 * A plan (sim_fault_plan) switches the world to planned faults: from then on, the faults a
 * scenario asks for through sim_fault_apply are not made (but for link settings and clocks set
 * before the run starts, the setup's network and machines); each planned fault is made at its
 * virtual time instead. A planned fault equal to one the scenario asks for at that very time
 * (same record) is made at that point of the run, in place of the scenario's; the others at the
 * end of their instant (when nothing else is left to run at that time). So a plan read from a
 * run's own trace gives that run back, record for record.
 */
#ifndef CRASHLAB_SIM_FAULT_H
#define CRASHLAB_SIM_FAULT_H

#include <stdint.h>

#include "world.h"

/* What a fault does: the `kind` of a plan entry is the name (sim_fault_kind_name). */
typedef enum sim_fault_kind {
  SIM_FK_KILL = 1,      /* kill: an exit signal with `reason` to `target` */
  SIM_FK_PAUSE,         /* pause: `target` is not scheduled until resumed */
  SIM_FK_RESUME,        /* resume: `target` is normal again */
  SIM_FK_SLOW,          /* slow: each step of `target` runs `slow_ns` late (0: normal again) */
  SIM_FK_PARTITION,     /* partition: links between nodes of different groups go down */
  SIM_FK_ISOLATE,       /* isolate: every link to and from `node` goes down */
  SIM_FK_CUT,           /* cut: the link `from` -> `to` goes down (one direction) */
  SIM_FK_HEAL,          /* heal: every link up (`node` NULL), or the end of one isolation of
                           `node`: its links go back to what they were before it */
  SIM_FK_FLAKY_DOWN,    /* flaky_down: both links between `from` and `to` go down */
  SIM_FK_FLAKY_UP,      /* flaky_up: ... and up again */
  SIM_FK_LINK,          /* link: the link `from` -> `to` gets the settings `link` */
  SIM_FK_NET_DEFAULT,   /* net_default: the default link gets the settings `link` */
  SIM_FK_CRASH_NODE,    /* crash_node: every process of `node` is gone at once */
  SIM_FK_RESTART_NODE,  /* restart_node: a crashed `node` boots again */
  SIM_FK_CLOCK,         /* clock: `node`'s clock jumps by jump_ns and runs at 1 + drift */
  SIM_FK_COUNT
} sim_fault_kind;

/* The name of a kind ("kill", ...) or NULL; the kind of a name, or 0 when none. */
const char *sim_fault_kind_name(int kind);
int sim_fault_kind_of(const char *name);

/* A process: by pid (node NULL), or on node `node` by its registered `name`, or by the child
 * ids `child[0..child_count)` down from the supervisor registered as `sup`. */
typedef struct sim_target {
  ac_pid pid;
  const char *node;
  const char *name;
  const char *sup;
  const char *const *child;
  uint32_t child_count;
} sim_target;

/* Which settings of sim_fault.link a link fault sets (the others stay as they are). */
enum {
  SIM_LINK_LATENCY = 1, SIM_LINK_LOSS = 2, SIM_LINK_DUP = 4, SIM_LINK_BANDWIDTH = 8,
  SIM_LINK_MODE = 16, SIM_LINK_DOWN = 32, SIM_LINK_ALL = 63
};

/* A fault. Names are node names; pointers are borrowed for the call (or, in a plan, for as
 * long as the plan is in force). Fields a kind does not use are ignored. */
typedef struct sim_fault {
  uint16_t kind;              /* a sim_fault_kind */
  sim_target target;          /* kill, pause, resume, slow */
  ac_term reason;             /* kill: the exit reason; p NULL: `kill` */
  uint64_t slow_ns;           /* slow */
  const char *node;           /* isolate, heal (NULL: every link), crash_node, restart_node, clock */
  const char *from, *to;      /* cut, flaky_down, flaky_up, link */
  const char *const *members; /* partition: the nodes of each group, one group after another */
  const uint32_t *group_size; /* ... how many nodes each group has */
  uint32_t group_count;       /* ... and how many groups */
  sim_link link;              /* link, net_default: the settings ... */
  uint32_t link_fields;       /* ... of these (SIM_LINK_*; 0 counts as SIM_LINK_ALL) */
  int64_t jump_ns;            /* clock: the jump (may be negative) ... */
  double drift;               /* ... and the rate from now on */
} sim_fault;

/*
 * Applies a fault and records it (the record first, then its effects, which follow as their
 * own records). Returns AC_OK; AC_EINVAL for a bad fault (unknown kind, bad parameters, a
 * node in two groups); AC_ENOTFOUND for an unknown node or a process target that names nothing
 * now (nothing recorded nor made then); AC_ESTATE to crash a node that is down or restart one
 * that is up (nothing recorded); AC_ENOPROC for a process fault on a pid whose node is gone
 * (recorded all the same, as the attempt it was); AC_ENOMEM (nothing recorded nor made).
 * Under a plan, the fault is checked the same way and the same status returned, but it is made
 * only if the plan holds an equal fault for now (see the top of this file).
 */
int sim_fault_apply(sim_world *w, const sim_fault *f);

/* A planned fault: made at virtual time at_ns. */
typedef struct sim_planned {
  uint64_t at_ns;
  sim_fault fault;
} sim_planned;

/* Called when a planned fault cannot be made (its node or process does not exist at its
 * time, ...): index is its place in the plan, status the AC_E code, why a short text. */
typedef void (*sim_plan_error_fn)(sim_world *w, uint32_t index, int status, const char *why,
                                  void *arg);

/*
 * Puts the world under a plan: the scenario's own faults are no longer made, and plan[i] is
 * made at plan[i].at_ns, in the order given. plan must be in time order and outlive the world
 * (or the next call). AC_EINVAL if it is not in time order or a time has already passed,
 * AC_ENOMEM. count 0 is a plan without faults (the scenario's are still not made).
 */
int sim_fault_plan(sim_world *w, const sim_planned *plan, uint32_t count, sim_plan_error_fn on_error,
                   void *arg);
/* Whether the world is under a plan. */
bool sim_fault_planned(const sim_world *w);
/* How many faults of the plan were never made nor reported (sim_plan_error_fn): at the end of
 * a run, those whose time the run did not reach. *first_index is set to the first of them
 * (when there is one). 0 without a plan. */
uint32_t sim_fault_plan_unmade(const sim_world *w, uint32_t *first_index);

/* The stable target of a process, as recorded: the term [{node, N}, {name, Name}],
 * [{node, N}, {sup, Sup}, {child, [Id, ...]}] or [{node, N}, {pid, Pid}] appended to b. */
int sim_fault_target_term(sim_world *w, ac_pid pid, ac_tbuf *b);

#endif
