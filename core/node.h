/*
 * The actor runtime of one node: processes, mailboxes, links, monitors, exit signals,
 * registered names and timers, with Erlang's semantics.
 *
 * A process is a small struct plus a behaviour: C callbacks that the node calls when the process
 * starts (init), when its current receive matches a message or times out (handle), and when it
 * exits (terminate). There is no thread or C stack per process; a callback runs to completion
 * and then declares its next receive with ac_receive*(). All calls are single-threaded.
 *
 * Two kinds of calls:
 *  - process calls take `ac_proc *self`, the process whose callback is running, and act on its
 *    behalf (ac_send, ac_link, ...). Calling them with a process that is not the one running is
 *    a programmer error (asserted).
 *  - node calls take `ac_node *` and act from outside any process: the host, a test, a fault
 *    injector. Signals they send come from the node's own pid <N.0.1>.
 * Every call returns 0 or a negative AC_E code (status.h); on error nothing was changed.
 */
#ifndef CRASHLAB_NODE_H
#define CRASHLAB_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alloc.h"
#include "event.h"
#include "status.h"
#include "term.h"
#include "host.h"

typedef struct ac_node ac_node;

/* A message in a mailbox: one block, header then the encoded term. */
typedef struct ac_msg {
  struct ac_msg *next; /* mailbox order */
  uint64_t id;         /* unique per node, links send/deliver/receive in the trace */
  ac_pid from;         /* the sender (the node's pid for node calls) */
  uint32_t size;       /* bytes of the encoded term */
  uint32_t reserved;
  uint8_t data[];      /* the term */
} ac_msg;

static inline ac_term ac_msg_term(const ac_msg *m) {
  ac_term t = {m->data};
  return t;
}

/* A receive's match predicate: pure, must not call the runtime. */
typedef bool (*ac_match_fn)(const ac_msg *msg, const void *arg);

/*
 * A behaviour. Callbacks return 0 to go on; a negative AC_E code makes the process exit with
 * the Erlang reason for it (AC_ENOPROC -> noproc; AC_ENONAME, AC_ENAMETAKEN, AC_EHASNAME,
 * AC_EBADNAME, AC_EINVAL -> badarg; AC_ETOOBIG, AC_ETOODEEP, AC_ENOMEM, AC_ELIMIT ->
 * system_limit; any other -> {c_error,'AC_E...'}), so `return ac_link(self, pid);` behaves like
 * Erlang's link/1 raising in a process that does not catch it.
 */
typedef struct ac_behaviour {
  const char *name;  /* shown in the trace; an atom, at most 255 bytes */
  size_t state_size; /* bytes of zeroed state per process (ac_state), 0 for none */
  /* Runs once, as the process's first step (not inside ac_spawn). May be NULL. */
  int (*init)(ac_proc *self, ac_term arg);
  /* The current receive matched `msg` (removed from the mailbox, freed after the call), or
   * timed out (msg == NULL). Required. */
  int (*handle)(ac_proc *self, const ac_msg *msg);
  /* Runs exactly once when the process exits, for any reason, including being killed. Only
   * ac_state/ac_self may be used here: it is cleanup, not gen_server's terminate. May be NULL. */
  void (*terminate)(ac_proc *self, ac_term reason);
} ac_behaviour;

typedef struct ac_node_config {
  uint32_t mailbox_len_max;   /* a delivery past this kills the receiver (mailbox_overflow) */
  uint32_t message_size_max;  /* larger messages are refused with AC_ETOOBIG */
  uint32_t process_count_max; /* spawns past this fail with AC_ELIMIT */
  uint64_t memory_bytes_max;  /* allocator limit; 0 for none */
} ac_node_config;

/* mailbox 1,000,000 messages; message 64 MiB; processes AC_PID_SLOT_MAX; memory unlimited. */
ac_node_config ac_node_config_default(void);

#define AC_INFINITY (-1)

enum {
  AC_SPAWN_LINK = 1u << 0,    /* spawn_link */
  AC_SPAWN_MONITOR = 1u << 1, /* spawn_monitor: *mon_out receives the reference */
  AC_SPAWN_ACK = 1u << 2,     /* proc_lib's start: once init is done (its first step ends in a
                                 receive, not in ac_yield or an exit), the child sends its
                                 spawner {ack, ChildPid, ok}. Supervisors start children so. */
};
enum { AC_DEMONITOR_FLUSH = 1u << 0 };

/* ---- Host calls -------------------------------------------------------------------------- */

/*
 * Creates node number `index` (0..AC_NODE_MAX) called `name`, driven by `host` (copied).
 * cfg may be NULL for the defaults. AC_EINVAL for a bad index or name, AC_ENOMEM.
 */
int ac_node_create(ac_node **out, uint32_t index, const char *name, const ac_node_config *cfg,
                   const ac_host *host);
/* Destroys the node and everything in it, silently (no exit events): the terminate callback of
 * each live process runs with the reason shutdown, for its cleanup. NULL is ignored. */
void ac_node_destroy(ac_node *node);
/* Runs one step of p, which the host was told about with host->ready: init, or one matched
 * message, or one receive timeout. */
void ac_node_run(ac_node *node, ac_proc *p);
/* A timer armed through host->timer_start has fired. */
void ac_node_timer(ac_node *node, const ac_timer *t);
/* Whether firing t would still do something: false for the timeout of a receive that already
 * completed and for a cancelled send_after. The host drops dead timers without advancing its
 * clock to them, so stale timeouts never stretch a run's virtual time. */
bool ac_node_timer_live(const ac_node *node, const ac_timer *t);
/* Releases what a timer holds without firing it (the host is shutting down, or it is dead). */
void ac_node_timer_drop(ac_node *node, const ac_timer *t);
/* A message or signal from another node arrives (what host->route sent, at its destination).
 * Whatever it is for may be gone by now: that is not an error. AC_EINVAL for a bad op. */
int ac_node_arrive(ac_node *node, const ac_dist *d);
/* The host has set up a connection to node `index` (nodeup for monitor_nodes subscribers). */
void ac_node_nodeup(ac_node *node, uint32_t index);
/* The connection to node `index` is lost: every link to a process there breaks with an exit
 * signal `noconnection`, every monitor of one fires {'DOWN', Ref, process, Pid, noconnection},
 * node monitors get {nodedown, Name} and pending spawn requests {spawn_reply, Ref, error,
 * noconnection}. In slot order, then in the order the relations were made. */
void ac_node_nodedown(ac_node *node, uint32_t index);
/*
 * How this node serves spawn requests from other nodes: fn starts a process for `requester`
 * from the request's argument term (typically with ac_node_spawn_as) and returns 0 and its pid,
 * or an AC_E code that the requester receives as the error reason. Without one, requests fail
 * with `notsup`.
 */
typedef int (*ac_spawn_handler)(ac_node *node, ac_pid requester, ac_term arg, ac_pid *pid_out);
void ac_node_set_spawn_handler(ac_node *node, ac_spawn_handler fn);

/* What the next spawn on this node is called in its trace record ({Behaviour, Label}): an atom
 * text that must stay valid until that spawn; used once, then the behaviour's name again.
 * For bindings whose processes all share one behaviour (a Lua function's name). */
void ac_node_set_spawn_label(ac_node *node, const char *label);

/* A pointer the embedder keeps with the node (e.g. its scripting state); NULL until set. */
void ac_node_set_user(ac_node *node, void *user);
void *ac_node_user(const ac_node *node);

uint32_t ac_node_index(const ac_node *node);
const char *ac_node_name(const ac_node *node);
/* The node's own pid, <N.0.1>: the sender of node calls (never a live process). */
ac_pid ac_node_pid(const ac_node *node);
const ac_alloc_stats *ac_node_alloc_stats(const ac_node *node);

/* ---- Node calls (from outside any process) ----------------------------------------------- */

int ac_node_spawn(ac_node *node, const ac_behaviour *b, ac_term arg, ac_pid *pid_out);
/* The same with `parent` (a pid of any node) recorded as the spawner: for spawn handlers. */
int ac_node_spawn_as(ac_node *node, ac_pid parent, const ac_behaviour *b, ac_term arg,
                     ac_pid *pid_out);
int ac_node_send(ac_node *node, ac_pid to, ac_term msg);
int ac_node_send_name(ac_node *node, const char *name, ac_term msg);
/* exit(To, Reason) sent by the node itself; `kill` is untrappable. AC_ENOPROC if To is dead. */
int ac_node_exit(ac_node *node, ac_pid to, ac_term reason);
/* The pid registered as `name`, or AC_PID_NONE. */
ac_pid ac_whereis(const ac_node *node, const char *name);
/* Registers / unregisters from outside (same errors as the process calls). */
int ac_node_register(ac_node *node, const char *name, ac_pid pid);
int ac_node_unregister(ac_node *node, const char *name);

/* ---- Inspection (for properties and tests) ----------------------------------------------- */

typedef struct ac_proc_info {
  const char *behaviour;   /* behaviour name */
  const char *name;        /* registered name or NULL */
  uint32_t mailbox_len;    /* messages waiting */
  uint32_t link_count;     /* links */
  uint32_t monitor_count;  /* monitors it holds on others */
  uint32_t monitored_by;   /* monitors others hold on it */
  bool trap_exit;
  bool runnable;
} ac_proc_info;

bool ac_node_alive(const ac_node *node, ac_pid pid);
int ac_node_info(const ac_node *node, ac_pid pid, ac_proc_info *out);
uint32_t ac_node_process_count(const ac_node *node);
/* Fills up to cap live pids in slot order; returns how many live processes there are. */
uint32_t ac_node_processes(const ac_node *node, ac_pid *pids, uint32_t cap);
/* Registered names in byte order: fills up to cap entries, returns how many there are. */
uint32_t ac_node_registered(const ac_node *node, const char **names, ac_pid *pids, uint32_t cap);
/* The other ends of one kind of a process's relations, as Erlang's process_info reports them:
 * AC_REL_LINKS (linked pids), AC_REL_MONITORS (pids it monitors), AC_REL_MONITORED_BY (pids
 * monitoring it). Fills up to cap pids in ascending pid order and returns how many there are;
 * 0 for a dead or unknown pid. */
typedef enum ac_rel_kind { AC_REL_LINKS = 1, AC_REL_MONITORS = 2, AC_REL_MONITORED_BY = 3 } ac_rel_kind;
uint32_t ac_node_relations(const ac_node *node, ac_pid pid, ac_rel_kind kind, ac_pid *out,
                           uint32_t cap);
/* The state of a live process that runs behaviour `beh`, or NULL (dead, unknown, or another
 * behaviour). For bindings that keep per-process data in the state, e.g. to prefetch the
 * receiver of a message just sent. */
void *ac_node_state(const ac_node *node, ac_pid pid, const ac_behaviour *beh);
/* Whether a and b are linked (false if either is dead). */
bool ac_node_linked(const ac_node *node, ac_pid a, ac_pid b);

/* ---- Process calls (inside a callback, on behalf of self) -------------------------------- */

ac_pid ac_self(const ac_proc *self);
ac_node *ac_proc_node(ac_proc *self);
/* The process's state block (behaviour state_size bytes, zeroed at spawn), or NULL. */
void *ac_state(ac_proc *self);
/* Virtual time of the process's node. */
uint64_t ac_now(const ac_proc *self);
/* A new reference, unique in the run. */
ac_ref ac_make_ref(ac_proc *self);

/* spawn / spawn_link / spawn_monitor (opts AC_SPAWN_*). mon_out may be NULL without MONITOR. */
int ac_spawn(ac_proc *self, const ac_behaviour *b, ac_term arg, unsigned opts, ac_pid *pid_out,
             ac_ref *mon_out);
/* For a process spawned with AC_SPAWN_ACK: its init's end does not acknowledge it; it calls
 * ac_ack when it is ready (a supervisor, once its children are up). No effect otherwise. */
int ac_defer_ack(ac_proc *self);
/* The process waiting for this process's acknowledgement (its supervisor: proc_lib's parent),
 * while the acknowledgement is still due; AC_ESTATE once sent or when none is due. */
int ac_ack_parent(const ac_proc *self, ac_pid *parent_out);
/* Sends the acknowledgement now. AC_ESTATE when there is none to send. */
int ac_ack(ac_proc *self);
/* Pid ! Msg. Sending to a dead pid succeeds and drops the message, as in Erlang.
 * AC_ETOOBIG over the message size limit. */
int ac_send(ac_proc *self, ac_pid to, ac_term msg);
/*
 * Alias ! Msg (OTP 24's process aliases, for gen_server replies): the message reaches `to`
 * only while `to` still holds the monitor whose reference is `alias` (a call's monitor is its
 * alias); once `to` has removed it (demonitor after a timeout) or its DOWN came, the message is
 * dropped, as a message to an inactive alias is, and traced as a send to the dead.
 */
int ac_send_alias(ac_proc *self, ac_pid to, ac_ref alias, ac_term msg);
/* Name ! Msg. AC_ENONAME when nothing is registered under name. */
int ac_send_name(ac_proc *self, const char *name, ac_term msg);
/* exit(To, Reason): an exit signal, asynchronous in Erlang, applied here at once. To = self is
 * allowed (and `normal` then ends a non-trapping process). Dead To: no effect, returns 0. */
int ac_exit(ac_proc *self, ac_pid to, ac_term reason);
/* exit(Reason): the process exits with reason when the current callback returns. */
int ac_stop(ac_proc *self, ac_term reason);
/* The Erlang reason a callback's status raises (the process exits with it when the callback
 * returns the status): noproc, badarg, system_limit, else {c_error, 'AC_E...'}; built with b
 * (ac_term_build: the caller frees b). 0 or the builder's error. */
int ac_status_reason(int status, ac_tbuf *b, ac_term *out);
/* Shorthands taking an atom name for the reason. */
int ac_exit_atom(ac_proc *self, ac_pid to, const char *reason);
int ac_stop_atom(ac_proc *self, const char *reason);
/*
 * link(Pid). Linking to self does nothing. A dead or unknown Pid: AC_ENOPROC for a process that
 * does not trap exits (return it from the callback to raise noproc), and for one that does, 0
 * and an {'EXIT', Pid, noproc} message.
 */
int ac_link(ac_proc *self, ac_pid other);
/* unlink(Pid): removes the link if any (never fails for a valid pid). */
int ac_unlink(ac_proc *self, ac_pid other);
/* monitor(process, Pid): a dead Pid gives at once {'DOWN', Ref, process, Pid, noproc}. */
int ac_monitor(ac_proc *self, ac_pid target, ac_ref *ref_out);
/*
 * monitor(process, Name) (node_index: this node) or monitor(process, {Name, Node}): the DOWN
 * reads {'DOWN', Ref, process, {Name, Node}, Reason}; a name nobody holds gives one at once with
 * noproc. On another node the name is looked up when the request arrives there. AC_EINVAL for
 * an empty or too long name.
 */
int ac_monitor_name(ac_proc *self, const char *name, uint32_t node_index, ac_ref *ref_out);
/* demonitor(Ref [, [flush]]): AC_DEMONITOR_FLUSH also removes a {'DOWN', Ref, ...} message. */
int ac_demonitor(ac_proc *self, ac_ref ref, unsigned flags);
/* demonitor(Ref, [info | ...]): the same, and *found_out says whether the monitor was still
 * there (Erlang's true), or had already fired or never existed (false). */
int ac_demonitor_info(ac_proc *self, ac_ref ref, unsigned flags, bool *found_out);
/* process_flag(trap_exit, On); old may be NULL. */
int ac_trap_exit(ac_proc *self, bool on, bool *old);
/* register(Name, Pid): AC_EBADNAME, AC_ENOPROC (dead or not local), AC_ENAMETAKEN,
 * AC_EHASNAME. */
int ac_register(ac_proc *self, const char *name, ac_pid pid);
/* unregister(Name): AC_ENONAME if not registered. */
int ac_unregister(ac_proc *self, const char *name);
/* ---- Between nodes ---------------------------------------------------------------------- */
/* Pids of other nodes work with ac_send, ac_exit, ac_link, ac_unlink, ac_monitor and
 * ac_demonitor as in distributed Erlang: the signal travels over the host's network, and a node
 * that cannot be reached gives noconnection (link: an exit signal; monitor: a DOWN at once). */

/* {Name, Node} ! Msg: dropped silently if nothing is registered there or Node is unreachable. */
int ac_send_remote_name(ac_proc *self, uint32_t node_index, const char *name, ac_term msg);
/*
 * erlang:spawn_request(Node, ...): asks node `node_index` to spawn a process from `arg` (its
 * spawn handler decides what that means). opts AC_SPAWN_LINK / AC_SPAWN_MONITOR (the monitor's
 * reference is the request's). The answer is a message {spawn_reply, Ref, ok, Pid} or
 * {spawn_reply, Ref, error, Reason}; Reason noconnection if the node cannot be reached or goes
 * down first. AC_EINVAL for the process's own node.
 */
int ac_spawn_request(ac_proc *self, uint32_t node_index, ac_term arg, unsigned opts,
                     ac_ref *ref_out);
/* monitor_node(Node, Flag): {nodedown, Name} when the connection to the node is lost (at once
 * if it cannot be made). Each `true` adds one monitor, each `false` removes one. */
int ac_monitor_node(ac_proc *self, uint32_t node_index, bool on);
/* net_kernel:monitor_nodes(Flag): {nodeup, Name} and {nodedown, Name} for every node. */
int ac_monitor_nodes(ac_proc *self, bool on);

/* erlang:send_after(Delay, Dest, Msg): *timer_out (may be NULL) can cancel it. */
int ac_send_after(ac_proc *self, uint64_t delay_ns, ac_pid to, ac_term msg, ac_ref *timer_out);
/* erlang:cancel_timer(Ref): AC_ENOTFOUND if it already fired or was cancelled. */
int ac_cancel_timer(ac_proc *self, ac_ref timer);

/*
 * Declares the receive that follows the current callback: the first message in the mailbox
 * (oldest first) for which match(msg, arg) is true, or, when none arrives within timeout_ns,
 * a timeout (AC_INFINITY: never; 0: only what is already there). match NULL matches anything.
 * `arg` must outlive the receive. Without a call, a callback is followed by "receive any".
 */
int ac_receive(ac_proc *self, ac_match_fn match, const void *arg, int64_t timeout_ns);
/* The same with a pattern (ac_term_match: atom '_' is a wildcard), copied by the runtime. */
int ac_receive_pattern(ac_proc *self, ac_term pattern, int64_t timeout_ns);
/*
 * Instead of a receive, the process is runnable again at once and its next step calls
 * handle(self, NULL) without taking a message: a long computation split into slices (the Lua
 * binding preempts runaway code this way, as Erlang does with reductions). Messages that arrive
 * meanwhile wait in the mailbox. Overrides an ac_receive* of the same callback.
 */
int ac_yield(ac_proc *self);

#endif
