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

/*
 * What crosses between nodes: a message or one of the signals of Erlang's distribution
 * protocol. The host carries it, whole, to node d->dest and hands it to ac_node_arrive there.
 */
typedef enum ac_dist_op {
  AC_DIST_SEND = 1,       /* from, to, term = message */
  AC_DIST_REG_SEND,       /* from, name, term = message: {Name, Node} ! Msg */
  AC_DIST_LINK,           /* from links to `to` */
  AC_DIST_UNLINK,         /* from unlinks `to` */
  AC_DIST_EXIT,           /* linked `from` exited: term = reason */
  AC_DIST_EXIT2,          /* exit(To, Reason) from `from`: term = reason */
  AC_DIST_MONITOR,        /* from (watcher) monitors `to`, ref */
  AC_DIST_DEMONITOR,      /* from (watcher) drops its monitor ref of `to` */
  AC_DIST_DOWN,           /* monitored `from` went down: to = watcher, ref, term = reason */
  AC_DIST_SPAWN_REQUEST,  /* from asks node dest to spawn: ref, flags AC_SPAWN_*, term = arg */
  AC_DIST_SPAWN_REPLY,    /* to = requester, ref, flags, from = new pid (none on error),
                             term = ok or the error reason */
} ac_dist_op;

typedef struct ac_dist {
  uint32_t op;        /* ac_dist_op */
  uint32_t dest;      /* index of the node it is for */
  ac_pid from, to;
  uint64_t ref;       /* monitor or spawn request reference, 0 when unused */
  uint32_t flags;     /* spawn requests and replies: AC_SPAWN_LINK | AC_SPAWN_MONITOR */
  const char *name;   /* AC_DIST_REG_SEND: the registered name; else NULL */
  ac_term term;       /* see the op; a valid term for every op (the atom [] when unused) */
  uint64_t msg_id;    /* AC_DIST_SEND, AC_DIST_REG_SEND: the id of the send record (the
                         receiving node's deliver or send_dead record carries it too) */
} ac_dist;

typedef struct ac_host {
  void *ctx; /* passed back to every callback */
  /* Virtual time of `node`'s clock, in nanoseconds. */
  uint64_t (*now_ns)(void *ctx, uint32_t node);
  /* p has become runnable: schedule one ac_node_run(node, p) call. Called once per transition. */
  void (*ready)(void *ctx, ac_proc *p);
  /* p was runnable and is exiting: forget it (no ac_node_run must follow). */
  void (*unready)(void *ctx, ac_proc *p);
  /* Call ac_node_timer(node, t) when delay_ns has passed on the node's clock. 0 or AC_ENOMEM.
   * Without a handle, the host asks ac_node_timer_live whether a timer still matters (before
   * letting it take a turn or move the clock). With one, the host sets *handle (never 0) and,
   * if it has timer_cancel, may take the timer as live: the core then calls timer_cancel as
   * soon as the timer stops mattering (a receive got its message, its process is exiting). */
  int (*timer_start)(void *ctx, uint64_t delay_ns, const ac_timer *t, uint64_t *handle);
  /* Forget the timer started with this handle. A handle whose timer has fired already must be
   * ignored. May be NULL: then every timer is checked with ac_node_timer_live. */
  void (*timer_cancel)(void *ctx, uint64_t handle);
  /* A message or signal for another node (see ac_dist). AC_OK once it is on its way (it may
   * still be lost), AC_ENOCONN when no connection to d->dest can be had now: the caller then
   * acts as Erlang does without one (a link or monitor gets noconnection at once, a message is
   * dropped). May be NULL: then every other node is unreachable. */
  int (*route)(void *ctx, uint32_t from_node, const ac_dist *d);
  /* The name of node index `index` (an atom), for {nodedown, Name}; NULL if unknown. */
  const char *(*node_name)(void *ctx, uint32_t index);
  /* Makes sure a connection from node `from` to node `to` is up (monitor_node): AC_OK, or
   * AC_ENOCONN. May be NULL: no other node can be reached. */
  int (*connect)(void *ctx, uint32_t from, uint32_t to);
  /* An observable event. The payload is only valid during the call. */
  void (*event)(void *ctx, const ac_event *ev);
  /* Node `node` is about to use one more process slot: the host makes room for one more
   * ready process now (a run queue as long as all the slots there are), so that `ready`
   * never needs memory. AC_OK, or AC_ENOMEM: the spawn that needed the slot fails, and the
   * same slot is asked for again by the next spawn. Called once per new slot (slots are
   * reused), never per spawn. May be NULL: the host's `ready` then manages on its own. */
  int (*reserve)(void *ctx, uint32_t node);
} ac_host;

#endif
