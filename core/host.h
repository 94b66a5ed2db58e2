/*
 * The host ("world") interface: everything core/ needs from outside and nothing more.
 *
 * core/ has no clock, no scheduler and no network. A node asks its world for the time, tells it
 * when a process becomes runnable or stops being runnable, asks it to arm timers, hands it
 * messages for pids of other nodes, and reports every observable event. sim/ implements this
 * interface with a virtual clock and a seeded scheduler; a test may implement it with a plain
 * FIFO. Callbacks are called synchronously from inside core calls and must not re-enter the
 * node except through the calls documented as host calls in node.h.
 */
#ifndef CRASHLAB_HOST_H
#define CRASHLAB_HOST_H

#include <stdint.h>

#include "event.h"
#include "term.h"

typedef struct ac_proc ac_proc;

/* The first fields of every process, readable by the host without knowing the rest. */
typedef struct ac_proc_head {
  ac_pid pid;          /* never changes while the process lives */
  uint32_t host_index; /* free for the host's use (e.g. the run-queue position) */
  uint32_t flags;      /* core's; opaque to the host */
} ac_proc_head;

static inline ac_proc_head *ac_proc_head_of(ac_proc *p) { return (ac_proc_head *)(void *)p; }

/* What a timer does when it fires; the host only stores it and hands it back. */
typedef struct ac_timer {
  uint32_t kind;  /* core-private kind */
  uint32_t node;  /* node index that armed it */
  ac_pid owner;   /* process that armed it */
  ac_pid dest;    /* destination, for timers that send */
  uint64_t arg;   /* kind-specific (receive generation, timer reference) */
  void *ptr;      /* kind-specific (a message block) */
} ac_timer;

typedef struct ac_host {
  void *ctx; /* passed back to every callback */
  /* Virtual time of `node`'s clock, in nanoseconds. */
  uint64_t (*now_ns)(void *ctx, uint32_t node);
  /* p has become runnable: schedule one ac_node_run(node, p) call. Called once per transition. */
  void (*ready)(void *ctx, ac_proc *p);
  /* p was runnable and is exiting: forget it (no ac_node_run must follow). */
  void (*unready)(void *ctx, ac_proc *p);
  /* Call ac_node_timer(node, t) when delay_ns has passed on the node's clock. 0 or AC_ENOMEM. */
  int (*timer_start)(void *ctx, uint64_t delay_ns, const ac_timer *t);
  /* A message to a pid of another node. May be NULL: such sends then fail with AC_ENOTLOCAL. */
  int (*route)(void *ctx, uint32_t from_node, ac_pid from, ac_pid to, ac_term msg);
  /* An observable event. The payload is only valid during the call. */
  void (*event)(void *ctx, const ac_event *ev);
} ac_host;

#endif
