/*
 * The simulated world: a virtual clock, a seeded scheduler, timers, nodes and the trace.
 *
 * A world owns its nodes (core/ runtimes) and implements their host interface. Two queues
 * drive it: the run queue of processes runnable now, and a timer heap ordered by (time,
 * sequence) for everything in the future. At each step the scheduler draws, from the "sched"
 * stream of the seed, one item among the runnable processes and the timers due now, so
 * same-instant interleavings differ between seeds and repeat exactly for one seed. When nothing
 * is due, the clock jumps to the earliest timer. A run is a pure function of its inputs and
 * its seed: nothing here reads a wall clock or depends on an address.
 */
#ifndef CRASHLAB_SIM_WORLD_H
#define CRASHLAB_SIM_WORLD_H

#include <stdbool.h>
#include <stdint.h>

#include "node.h"
#include "latency.h"
#include "rng.h"
#include "trace.h"

typedef struct sim_world sim_world;

typedef struct sim_config {
  uint64_t seed;          /* the run's seed */
  const char *name;       /* scenario name, recorded in the trace header */
  const char *trace_path; /* write the trace here, or NULL to only hash it */
  /* Or stream the trace to this open descriptor (a pipe to a live viewer): flushed every
   * 64 KiB and at the end, never renamed nor closed. -1 for none; 0 counts as none too, so
   * that a zero-initialised config never writes to standard input. Wins over trace_path.
   * If the reader goes away, writing fails (ignore SIGPIPE in that process to get EPIPE
   * rather than be killed): the error is sticky, the run goes on only hashed, and
   * sim_finish returns AC_EIO. */
  int trace_fd;
  /* The run stops (SIM_STOP_TRACE_LIMIT) after the step in which the trace written passes
   * this many bytes; 0 for no limit. */
  uint64_t trace_limit_bytes;
} sim_config;

/* Why sim_run returned. */
typedef enum sim_stop_reason {
  SIM_STOP_QUIESCENT = 1, /* nothing runnable and no timer left */
  SIM_STOP_TIME_LIMIT,    /* the next event lies past the time limit */
  SIM_STOP_STEP_LIMIT,    /* the step limit was reached */
  SIM_STOP_REQUESTED,     /* sim_request_stop was called */
  SIM_STOP_TRACE_LIMIT,   /* the trace written passed sim_config.trace_limit_bytes */
} sim_stop_reason;

/* Why a run ended: the flags of its run_end record (trace format version 2). */
enum {
  SIM_END_STOP_TIME = 1,   /* the scenario's stop time was reached */
  SIM_END_QUIESCENT = 2,   /* nothing can happen any more */
  SIM_END_TIME_CAP = 3,    /* the --max-time cap (or the default one) */
  SIM_END_PROPERTY = 4,    /* a property failed */
  SIM_END_ERROR = 5,       /* a scenario error */
  SIM_END_INTERRUPTED = 6, /* SIGINT or SIGTERM */
  SIM_END_MEMORY = 7,      /* the memory limit */
  SIM_END_TRACE_LIMIT = 8, /* the --trace-limit */
  SIM_END_FINISHED = 9,    /* a program or demo finished */
};

typedef struct sim_limits {
  uint64_t time_ns_max;   /* 0: none. Events at exactly this time still run. */
  uint64_t step_count_max; /* 0: none */
} sim_limits;

/* A function the world calls at a virtual time (sim_at). */
typedef void (*sim_callback)(sim_world *w, void *arg);

/* Creates a world. AC_ENOMEM, or AC_EIO when the trace file cannot be created. */
int sim_world_create(sim_world **out, const sim_config *cfg);
/* Destroys the world and its nodes. If the trace was not finished, the partial file is removed
 * (a trace that exists is always complete). NULL is ignored. */
void sim_world_destroy(sim_world *w);

/*
 * Nodes. A node has a name and a number (its machine number: the order of sim_node_add, from
 * 0), which the network and the clocks use, and a current incarnation: the core node that runs
 * now, whose index is the node field of its pids. A crash destroys the incarnation; a restart
 * creates a new one with a new index, so pids of the old one never name a new process (as a
 * restarted Erlang node gets a new creation). The first incarnation of machine m has index m
 * as long as no node restarted before m was added.
 */
/* Adds a node named `name` (unique, an atom); cfg may be NULL (also for its restarts).
 * AC_EINVAL for a bad or duplicate name, AC_ELIMIT past AC_NODE_MAX. */
int sim_node_add(sim_world *w, const char *name, const ac_node_config *cfg, ac_node **out);
/* The current incarnation of machine m, or NULL while it is crashed (or unknown). */
ac_node *sim_node(sim_world *w, uint32_t machine);
uint32_t sim_node_count(const sim_world *w);
/* The machine named `name` (>= 0), AC_ENOTFOUND when there is none, AC_EINVAL for NULL. */
int sim_node_find(const sim_world *w, const char *name);
const char *sim_node_name(const sim_world *w, uint32_t machine);
/* The machine of node index `index` (any incarnation, crashed or not), or AC_ENOTFOUND. */
int sim_node_of_index(const sim_world *w, uint32_t index);
/* The node index of machine m's current (or last) incarnation. */
uint32_t sim_node_incarnation(const sim_world *w, uint32_t machine);
/* Called when a node has restarted, with its new incarnation (to boot it). */
typedef void (*sim_boot_fn)(sim_world *w, uint32_t machine, ac_node *node, void *arg);
void sim_set_boot_hook(sim_world *w, sim_boot_fn fn, void *arg);
/* The node crashes: every process on it is gone at once, silently (no exit signals leave it);
 * the other nodes find out through their connection ticks. AC_ESTATE if it is down already. */
int sim_node_crash(sim_world *w, uint32_t machine);
/* A crashed node boots again as a new incarnation, then the boot hook runs. AC_ESTATE if up. */
int sim_node_restart(sim_world *w, uint32_t machine);

/*
 * Clocks. Each node reads its own clock (ac_now, receive timeouts, send_after): local time =
 * base + (virtual time - then) * (1 + drift). sim_clock_set makes the clock jump by jump_ns
 * (never below 0) and run at the new drift from now on; timers already armed keep their time.
 * AC_EINVAL for a drift not in (-1, 1e6).
 */
int sim_clock_set(sim_world *w, uint32_t machine, int64_t jump_ns, double drift);
uint64_t sim_node_now(const sim_world *w, uint32_t machine);

/* Process faults, each one fault record (sim/fault.h: kinds pause, slow, resume; a = the
 * pid): a paused process is not scheduled (messages wait in its mailbox) until it is resumed; a
 * slowed one runs each step slow_ns after it became runnable (extra virtual CPU time per
 * message). paused false and slow_ns 0 make it normal again. AC_ENOMEM. */
int sim_proc_fault_set(sim_world *w, ac_pid pid, bool paused, uint64_t slow_ns);

/* The classes of injected faults: the flags of an AC_EV_FAULT record. Its payload names the
 * fault (docs/architecture.md, "Faults"); every fault is made by sim_fault_apply (fault.h). */
enum {
  SIM_FAULT_PARTITION = 1, /* {partition, [[Node...]...]}, {isolate, N}, {cut, From, To},
                              {flaky_down | flaky_up, A, B} */
  SIM_FAULT_HEAL = 2,      /* heal, {heal, Node} */
  SIM_FAULT_LINK = 3,      /* {link, From, To, Settings}: a link changed */
  SIM_FAULT_CRASH = 4,     /* {crash_node, Node} */
  SIM_FAULT_RESTART = 5,   /* {restart_node, Node} */
  SIM_FAULT_CLOCK = 6,     /* {clock, Node, JumpNs, Drift} */
  SIM_FAULT_KILL = 7,      /* {kill, Pid, Reason, Target} */
  SIM_FAULT_PROCESS = 8,   /* {pause | resume, Pid, Target}, {slow, Pid, Ns, Target} */
  SIM_FAULT_OTHER = 9,     /* none any more (kept so that the numbers stay) */
};
/* Kills a process from outside: one fault record {kill, Pid, Reason, Target}, then exit(Pid,
 * Reason) from its node (whose effects follow as usual records). AC_ENOPROC if its node is gone. */
int sim_proc_kill(sim_world *w, ac_pid pid, ac_term reason);

/* Calls fn(w, arg) at virtual time at_ns (>= now), ordered with everything else due then. */
int sim_at(sim_world *w, uint64_t at_ns, sim_callback fn, void *arg);
/* Called after every step (e.g. to check properties); NULL to remove. */
void sim_set_step_hook(sim_world *w, sim_callback fn, void *arg);
/* Called with every trace record as it happens (after it is hashed): live views, readable
 * output. The record's payload is valid during the call only. NULL to remove. */
typedef void (*sim_event_fn)(const sim_record *rec, void *arg);
void sim_set_event_hook(sim_world *w, sim_event_fn fn, void *arg);
/* Makes sim_run return SIM_STOP_REQUESTED after the current step. */
void sim_request_stop(sim_world *w);

/* Runs steps until a stop condition; may be called again to continue. */
sim_stop_reason sim_run(sim_world *w, const sim_limits *limits);
/* Records why the run ended: the run_end record (flags = why, a SIM_END_*; a = verdict, 0 pass
 * 1 fail 2 error; payload = detail as a binary). Only the first call records; sim_finish
 * records SIM_END_FINISHED if no one did. */
void sim_end(sim_world *w, uint16_t why, uint32_t verdict, const char *detail);
/* Records a failed property: a property record {Name, Message} (binaries), flags 1. */
void sim_property_failed(sim_world *w, const char *name, const char *message);
/* Whether the trace written has passed its limit (the run then stops). */
bool sim_trace_limit_reached(const sim_world *w);
/* Completes the trace (run_end if not recorded yet, trailer, rename). Returns AC_EIO on a
 * write error. Idempotent. */
int sim_finish(sim_world *w);

uint64_t sim_now(const sim_world *w);
uint64_t sim_hash(const sim_world *w);
/* Trace records so far, and per event kind. */
uint64_t sim_event_count(const sim_world *w);
uint64_t sim_event_kind_count(const sim_world *w, uint16_t kind);
uint64_t sim_step_count(const sim_world *w);
uint64_t sim_seed(const sim_world *w);
/* A stream of the seed, created on first use by name (e.g. "fault"); lives as long as w. */
sim_rng *sim_stream(sim_world *w, const char *name);
/* Seeds *out as process pid's own stream: stream id FNV-1a-64("proc") XOR (pid bits times
 * 0x9e3779b97f4a7c15). Each process draws independently of every other and of the scheduler,
 * and the same pid in the same run always gets the same stream. */
void sim_process_rng(const sim_world *w, ac_pid pid, sim_rng *out);
/* Keeps the last n events for reports (0 turns it off). AC_ENOMEM. */
int sim_keep_recent(sim_world *w, uint32_t n);
/* Copies up to cap of the last events, oldest first (payloads valid until the next step). */
uint32_t sim_recent_events(const sim_world *w, sim_record *out, uint32_t cap);
/* ---- The network between nodes ----------------------------------------------------------- */
/*
 * A message to a pid of another node travels over the link from its node to the other's,
 * one link per ordered pair. By default a link is up, reliable, in connection mode and has no
 * latency. Connection mode is Erlang's distribution: per pair, messages arrive in the order
 * they were sent (each at its own delay, but at least 1 ns after the previous one), and
 * nothing is lost while the link is up. Datagram mode, for protocols of a scenario's own:
 * each message has its own delay (so they may overtake each other), may be lost (`loss`) or
 * delivered twice (`dup`). A message sent over a link that is down is lost, in both modes.
 * Every loss and duplicate is a trace record (net_drop, net_dup). Delays and losses are drawn
 * from the seed's "network" stream.
 */
typedef struct sim_link {
  sim_dist latency;
  double loss;   /* datagram mode: probability that a message is lost */
  double dup;    /* datagram mode: probability that it is delivered twice */
  bool down;     /* a partition: everything sent is lost */
  bool datagram; /* per-message delays, loss and duplicates (else connection mode) */
  uint64_t bandwidth; /* bytes per second, 0 for unlimited: a message of n bytes occupies the
                         link for n / bandwidth seconds after the previous one left, then
                         travels its latency (messages queue behind each other) */
} sim_link;
/* The link for every pair without one of its own. AC_EINVAL for bad parameters. */
int sim_net_default(sim_world *w, const sim_link *link);
/* The link from node `from` to node `to` (one direction; machine numbers). AC_EINVAL for bad
 * parameters or unknown nodes. */
int sim_net_link(sim_world *w, uint32_t from, uint32_t to, const sim_link *link);
/* The link in force from `from` to `to`. */
sim_link sim_net_get(const sim_world *w, uint32_t from, uint32_t to);
/* Back to the default link for that pair. */
int sim_net_reset(sim_world *w, uint32_t from, uint32_t to);
/*
 * Connections (connection mode). The first signal from a node to another sets up their
 * connection, at once, if the other node is up and the links both ways are; else the signal is
 * lost and its sender gets noconnection. While a connection is up each side sends a tick every
 * tick/4 and counts as lost a connection it has heard nothing on for the whole tick time (its
 * node gets nodedown, 1 to 1.25 tick times after the last arrival); it then tells the other
 * side, if the link carries it. Default tick time: 60 s, Erlang's net_ticktime. A datagram link
 * has no connection: nothing there ever gives noconnection or nodedown.
 */
#define SIM_NET_TICK_DEFAULT (UINT64_C(60) * 1000000000u)
int sim_net_tick(sim_world *w, uint64_t tick_ns);
uint64_t sim_net_tick_time(const sim_world *w);
/* Whether machine `from` believes it is connected to machine `to`. */
bool sim_net_connected(const sim_world *w, uint32_t from, uint32_t to);
/* Partitions: nodes[i] belongs to group[i]; every link between nodes of different groups
 * goes down (both directions), the others are left as they are. heal() brings every link
 * up again. Both keep each link's other settings. */
int sim_net_partition(sim_world *w, const uint32_t *group, uint32_t node_count);
int sim_net_heal(sim_world *w);
/* Both are faults: sim_net_partition records {partition, [[Name...], ...]} (groups in the order
 * of their first node) and heal `heal`, each followed by a links record. */
/* Marks the direction from -> to as covered by a flaky setting (for the links record). */
int sim_net_flaky(sim_world *w, uint32_t from, uint32_t to, bool flaky);
/* If the set of links that are down, or that are flaky, changed since the last links record,
 * records a new one: {Down, Flaky}, sorted lists of {From, To} node-name pairs. The world
 * calls it after each step and at the start of sim_run; a caller that has just recorded a
 * fault calls it at once so that the links record follows its fault. */
void sim_net_links_check(sim_world *w);
/* Messages the network lost so far (links down, losses), and messages in flight now. */
uint64_t sim_net_lost(const sim_world *w);
uint64_t sim_net_in_flight(const sim_world *w);

/* Emits a user annotation (AC_EV_NOTE) into the trace. */
void sim_note(sim_world *w, ac_term t);
/* Writes the run_info record (AC_EV_RUN_INFO, a map term: what replay needs) to the trace, if
 * one is written; it is not part of the run hash nor of the event count. Call it first. */
void sim_run_info(sim_world *w, ac_term info);

#endif
