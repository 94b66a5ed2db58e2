/*
 * What the files of sim/ share and nobody else sees: the world's structure and the calls
 * between the scheduler (world.c) and the network model (net.c). Prefix sim__.
 *
 * The scheduler owns the clock, the run queue, the timer heap and the nodes; the network owns
 * the pair matrix and the connections. The network pushes its packets and ticks on the
 * scheduler's heap (sim__heap_push) and records through its event path (sim__event); the
 * scheduler hands it the items it fires (sim__net_arrive, sim__net_tick) and routes the nodes'
 * host calls to it (sim__net_route, sim__net_connect).
 */
#ifndef CRASHLAB_SIM_INTERNAL_H
#define CRASHLAB_SIM_INTERNAL_H

#include <signal.h>

#include "code.h"
#include "fault.h"
#include "world.h"

enum { ITEM_NONE = 0, ITEM_TIMER = 1, ITEM_CALLBACK = 2, ITEM_DELIVER = 3, ITEM_TICK = 4,
       ITEM_WAKE = 5 };

/* A process fault: paused (it is not scheduled), or slowed (each time it becomes runnable it
 * runs only after `slow_ns`: extra virtual CPU time per message). */
typedef struct sim_proc_fault {
  ac_pid pid;
  bool paused;
  uint64_t slow_ns;
  ac_proc *parked;   /* runnable, held back by the fault (or NULL) */
  uint64_t wake_seq; /* the ITEM_WAKE that will release it (a later ready bumps it) */
} sim_proc_fault;

/* Packet ops of the world's own, beside the ac_dist ops: connection upkeep, never traced. */
enum { PK_TICK = 100, PK_CLOSE = 101 };

/* A message or signal crossing the network, from machine `src` to incarnation `dest`. */
typedef struct sim_packet {
  uint32_t op, flags;
  uint32_t src, dest;   /* machine it left, node index it is for */
  uint64_t epoch;       /* connection it travels on (0: datagram) */
  ac_pid from, to;
  uint64_t ref;
  uint64_t msg_id;      /* the message's id (its send record's c), 0 for other signals */
  uint32_t size;        /* bytes of the term */
  uint32_t name_len;    /* bytes of the name after it (REG_SEND), 0 else */
  uint8_t data[];       /* term, then name and its NUL */
} sim_packet;

/*
 * Machine `from`'s side of everything toward machine `to`: the link's settings, the order and
 * bandwidth bookkeeping of what it sends, and its view of the connection (Erlang's
 * distribution: set up by the first signal, kept alive by ticks, lost when nothing has been
 * heard for the tick time).
 */
typedef struct sim_pair {
  bool has_link;
  sim_link link;
  uint64_t last_at;
  bool has_last;
  uint64_t busy_until; /* bandwidth: when the link has sent what it was given */
  bool conn_up;        /* `from` believes it is connected to `to` */
  uint32_t peer;       /* the incarnation of `to` it is connected to */
  uint64_t epoch;      /* the connection's serial, unique in the run */
  uint64_t last_heard; /* last arrival from `to` on this connection */
  bool flaky;          /* a flaky setting covers this direction (sim_net_flaky) */
  uint32_t isolations; /* isolate faults of either end in force (sim__net_isolate) ... */
  bool down_before;    /* ... and whether the link was down before the first of them */
} sim_pair;

/* A named node: its current incarnation (a core node), its clock and its settings. */
typedef struct sim_machine {
  char name[AC_ATOM_LEN_MAX + 1];
  ac_node *node;        /* NULL while crashed */
  ac_code *code;        /* the machine's code, kept across incarnations (core/code.h) */
  uint32_t index;       /* the incarnation: the node index its pids carry */
  bool has_cfg;
  ac_node_config cfg;
  uint64_t clock_base_global, clock_base_local;
  double drift;         /* the clock runs at (1 + drift) times virtual time */
} sim_machine;

typedef struct sim_item {
  uint64_t at_ns;
  uint16_t kind;
  uint16_t cancellable; /* a timer the core cancels when it dies: live until then */
  uint32_t node;
  union {
    ac_timer timer;
    struct {
      sim_callback fn;
      void *arg;
    } cb;
    sim_packet *packet;
    struct {
      uint32_t from, to; /* machines */
      uint64_t epoch;
    } tick;
    struct {
      ac_pid pid;
      uint64_t seq;
    } wake;
  } u;
} sim_item;

/* The heap orders small entries; the items stay in slots, so that a timer can be taken out
 * of the heap when it is cancelled (a receive that got its message), through its handle:
 * slot | generation << 32. */
typedef struct heap_entry {
  uint64_t at_ns;
  uint64_t seq;  /* insertion order: ties in time keep a deterministic heap order */
  uint32_t slot;
} heap_entry;

typedef struct heap_slot {
  uint32_t pos;  /* the entry's place in the heap; when free, the next free slot + 1 */
  uint32_t gen;  /* bumped each time the slot is taken: a stale handle matches no item */
} heap_slot;

typedef struct sim_named_stream {
  char *name;
  sim_rng rng;
} sim_named_stream;

struct sim_world {
  uint64_t seed;
  uint64_t now_ns;
  uint64_t steps;
  uint64_t seq;
  char *name;
  sim_rng sched;

  sim_machine *machines;
  uint32_t machine_count, machine_cap;
  ac_node **nodes;          /* by node index (incarnation): NULL once it crashed */
  uint32_t *node_machine;   /* by node index: its machine */
  uint32_t node_count, node_cap;
  sim_boot_fn boot;
  void *boot_arg;

  ac_proc **runq;
  uint32_t runq_len, runq_cap;
  uint32_t runq_slots;      /* process slots of all nodes (ac_host.reserve): runq_cap >= it */
  heap_entry *heap;   /* 4-ary min-heap on (at_ns, seq) of the items in `slots` */
  uint32_t heap_len, heap_cap;
  sim_item *items;    /* the items themselves, where they stay while their entries move */
  heap_slot *slots;   /* beside them, small: every move of an entry writes its slot's pos */
  uint32_t slot_cap, slot_free; /* free slots are chained through pos (index + 1, 0: none) */
  sim_item *due;
  uint32_t due_len, due_cap;

  sim_named_stream **streams; /* each allocated alone: the rng pointers handed out stay valid */
  uint32_t stream_count, stream_cap;

  sim_callback step_hook;
  void *step_hook_arg;
  sim_event_fn event_hook;
  void *event_hook_arg;
  volatile sig_atomic_t stop_requested; /* set from a signal handler too */
  bool finished;
  sim_trace trace;

  sim_link net_default;
  sim_pair *pairs;          /* pairs[from * pair_dim + to] */
  uint32_t pair_dim;
  sim_rng *net_rng;
  uint64_t net_lost, net_in_flight;
  uint64_t tick_ns;         /* the net tick time */
  sim_proc_fault *faults;   /* paused or slowed processes (a handful: a scan is enough) */
  uint32_t fault_count, fault_cap;
  uint64_t epoch_seq;
  bool links_dirty;         /* a link setting changed since the last links check */
  uint8_t *links_last;      /* payload of the last links record (NULL: none yet) */
  size_t links_last_size;
  bool ended;               /* the run_end record was written */
  bool planned;             /* faults come from a plan (fault.c), not from the scenario */
  bool started;             /* sim_run was called: what comes now is no longer the setup */
  const sim_planned *plan;  /* the plan, in time order (the caller's) */
  uint32_t plan_count, plan_next; /* its length, and the first one not made yet */
  uint8_t *plan_done;       /* per planned fault: made (or failed) already */
  sim_plan_error_fn plan_error;
  void *plan_error_arg;
};

/* ---- world.c, for net.c -------------------------------------------------------------------- */

/* Pushes an item on the timer heap. AC_ENOMEM; the item is not queued then. */
int sim__heap_push(sim_world *w, sim_item *item);
/* The virtual time at which `delay_ns` from now has passed. */
uint64_t sim__after(const sim_world *w, uint64_t delay_ns);
/* The machine whose current or an earlier incarnation has node index `index`, or NULL. */
sim_machine *sim__machine_of_index(const sim_world *w, uint32_t index);
/* Records an event (ac_host.event): trace, hash, hook. `ctx` is the world. */
void sim__event(void *ctx, const ac_event *ev);

/* The fault mechanisms, which record nothing (fault.c records, then calls them): as
 * sim_node_crash, sim_node_restart, sim_clock_set and sim_proc_fault_set. */
int sim__node_crash(sim_world *w, uint32_t machine);
int sim__node_restart(sim_world *w, uint32_t machine);
int sim__clock_set(sim_world *w, uint32_t machine, int64_t jump_ns, double drift);
int sim__proc_fault_set(sim_world *w, ac_pid pid, bool paused, uint64_t slow_ns);

/* ---- fault.c, for world.c ------------------------------------------------------------------ */

/* Called when nothing is ready now (next_ns: the next item's time, UINT64_MAX for none; time_max
 * the run's limit, 0 none). Under a plan: makes the planned faults of the instant that is over
 * and returns 2, or moves the clock to the next planned fault before next_ns and returns 1;
 * else returns 0. */
int sim__plan_idle(sim_world *w, uint64_t next_ns, uint64_t time_max);

/* ---- net.c, for fault.c -------------------------------------------------------------------- */

/* Isolation of machine m (an isolate fault): every link to and from it goes down; each keeps
 * a count of the isolations in force, and what it was before the first. sim__net_rejoin ends
 * one (a heal of the node): a link whose count drops to 0 goes back to what it was. */
void sim__net_isolate(sim_world *w, uint32_t m);
void sim__net_rejoin(sim_world *w, uint32_t m);
/* Every link up (a heal); isolation counts stay as they are. */
void sim__net_heal_all(sim_world *w);

/* ---- net.c, for world.c -------------------------------------------------------------------- */

/* Makes room in the pair matrix for `count` machines. AC_ENOMEM, nothing changed then. */
int sim__net_reserve(sim_world *w, uint32_t count);
/* ac_host.connect and ac_host.route of every node; `ctx` is the world. */
int sim__net_connect(void *ctx, uint32_t from, uint32_t to);
int sim__net_route(void *ctx, uint32_t from_node, const ac_dist *d);
/* An ITEM_TICK of connection side a->b fires. */
void sim__net_tick(sim_world *w, uint32_t a, uint32_t b, uint64_t epoch);
/* An ITEM_DELIVER's packet reaches its node (the caller frees the packet). */
void sim__net_arrive(sim_world *w, sim_packet *pk);
/* Whether connection `epoch` between a and b will go on as it is for ever. */
bool sim__net_steady(const sim_world *w, uint32_t a, uint32_t b, uint64_t epoch);
/* Machine `machine` crashed: its own side of every connection goes, silently. */
void sim__net_node_crashed(sim_world *w, uint32_t machine);
/* Frees the pair matrix and the last links record. */
void sim__net_free(sim_world *w);

#endif
