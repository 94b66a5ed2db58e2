/*
 * Supervisors: a behaviour that traps exits and restarts the children it started from a static
 * specification, with Erlang/OTP's strategies, restart types, restart intensity, shutdown
 * order and escalation.
 *
 * A supervisor is an ordinary process. It starts its children in spec order, each one
 * synchronously (AC_SPAWN_ACK: the next child starts when the previous one's init is done),
 * and stops them in reverse order. When a child exits it applies the child's restart type
 * (permanent: always restarted; transient: unless the reason is normal, shutdown or
 * {shutdown, _}; temporary: never, and forgotten) and its strategy:
 *   one_for_one         restart the child alone;
 *   one_for_all         terminate the others (reverse order), restart all (spec order);
 *   rest_for_one        terminate the children started after it, restart it and them;
 *   simple_one_for_one  one template, children added with start_child; like one_for_one.
 * Each restart (a one_for_all or rest_for_one cascade counts once, a failed restart attempt
 * again) is timestamped; when more than `intensity` restarts fall in [now - period, now] the
 * supervisor gives up: it terminates every child in reverse start order and exits with reason
 * `shutdown`, which its own supervisor then handles.
 *
 * Terminating a child: brutal_kill is exit(Child, kill); a timeout sends `shutdown` and then
 * `kill` when the time runs out; infinity waits for as long as it takes. The supervisor
 * monitors and unlinks the child first, so the child's exit is seen as a DOWN, as in OTP.
 *
 * Every supervisor report is a trace event AC_EV_SUPERVISOR with a=supervisor, b=child pid (or
 * 0), and a payload term saying what happened (see the AC_SUP_* report kinds below).
 */
#ifndef CRASHLAB_SUP_H
#define CRASHLAB_SUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "node.h"

typedef enum ac_sup_strategy {
  AC_ONE_FOR_ONE,
  AC_ONE_FOR_ALL,
  AC_REST_FOR_ONE,
  AC_SIMPLE_ONE_FOR_ONE,
} ac_sup_strategy;

typedef enum ac_restart_type { AC_PERMANENT, AC_TRANSIENT, AC_TEMPORARY } ac_restart_type;
typedef enum ac_child_type { AC_WORKER, AC_SUPERVISOR } ac_child_type;

/* OTP's auto_shutdown: when a significant child ends for good (it is not restarted). */
typedef enum ac_auto_shutdown {
  AC_AUTO_SHUTDOWN_NEVER,
  AC_AUTO_SHUTDOWN_ANY_SIGNIFICANT,
  AC_AUTO_SHUTDOWN_ALL_SIGNIFICANT,
} ac_auto_shutdown;

/* Shutdown values besides a time in nanoseconds: */
#define AC_SHUTDOWN_BRUTAL_KILL (-2) /* exit(Child, kill) at once */
/* AC_INFINITY (-1): send shutdown and wait forever. */

/*
 * How a child is started, if not by spawning `beh` with `arg`: a function that spawns the child
 * on behalf of the supervisor `sup` with AC_SPAWN_LINK | AC_SPAWN_ACK and returns its pid, or
 * an AC_E code. `extra` is the argument list of a simple_one_for_one start_child (else the
 * empty list). The Lua binding and nested supervisors start their children this way.
 */
typedef int (*ac_start_fn)(ac_proc *sup, const void *ctx, ac_term arg, ac_pid *pid_out);

typedef struct ac_child_spec {
  const char *id;             /* an atom (at most 255 bytes), unique among the children */
  const ac_behaviour *beh;    /* the child's behaviour, when start is NULL */
  ac_term arg;                /* its init argument (copied); NULL term: the empty list */
  ac_start_fn start;          /* or this (with start_ctx, which must outlive the supervisor) */
  const void *start_ctx;
  ac_restart_type restart;
  int64_t shutdown_ns;        /* AC_SHUTDOWN_BRUTAL_KILL, AC_INFINITY or a time */
  ac_child_type type;
  bool significant;
} ac_child_spec;

typedef struct ac_sup_flags {
  ac_sup_strategy strategy;
  uint32_t intensity;         /* OTP's MaxR: restarts allowed in a period (default 1) */
  uint64_t period_ns;         /* OTP's MaxT (default 5 s) */
  ac_auto_shutdown auto_shutdown;
} ac_sup_flags;

/* OTP's defaults: one_for_one, intensity 1, period 5 s, auto_shutdown never. */
ac_sup_flags ac_sup_flags_default(void);
/* A worker spec with OTP's defaults: permanent, shutdown 5 s, not significant. */
ac_child_spec ac_child_spec_worker(const char *id, const ac_behaviour *beh, ac_term arg);

/* A supervisor's whole configuration (for ac_supervisor_start and nested supervisors). */
typedef struct ac_sup_config {
  ac_sup_flags flags;
  const ac_child_spec *children; /* copied at start */
  size_t child_count;
} ac_sup_config;

/* The supervisor behaviour (name "supervisor"). Start one with the functions below. */
extern const ac_behaviour ac_supervisor;

/*
 * Starts a supervisor: from a process (self, linked to it, with AC_SPAWN_ACK so that a parent
 * supervisor waits for it), or from the node (self NULL, unlinked). Its children start when
 * its init runs. AC_EINVAL for a bad configuration (a duplicate or bad id, a
 * simple_one_for_one without exactly one child spec, ...).
 */
int ac_supervisor_start(ac_node *node, ac_proc *self, const ac_sup_config *cfg, ac_pid *pid_out);
/* An ac_start_fn for a child that is itself a supervisor: ctx is its ac_sup_config. */
int ac_supervisor_start_fn(ac_proc *sup, const void *ctx, ac_term arg, ac_pid *pid_out);

/* ---- The runtime API: calls from a process ---------------------------------------------- */
/*
 * Each sends the supervisor a request and returns its reference in *ref_out; the reply comes
 * back to the caller as the message {Ref, Reply}, as a gen_server call's would (wait for it
 * with ac_receive_pattern on {Ref, '_'}). Replies, as OTP's:
 *   start_child      {ok, Pid} | {error, already_present} | {error, {already_started, Pid}}
 *                    | {error, Reason}
 *   terminate_child  ok | {error, not_found}
 *   restart_child    {ok, Pid} | {error, running} | {error, restarting} | {error, not_found}
 *   delete_child     ok | {error, running} | {error, restarting} | {error, not_found}
 *   which_children   [{Id, Pid | undefined | restarting, worker | supervisor, [Behaviour]}],
 *                    the newest child first (OTP's order)
 *   count_children   [{specs, N}, {active, N}, {supervisors, N}, {workers, N}]
 * A call to a dead supervisor gets no reply (monitor it to notice).
 */
/* spec: for simple_one_for_one, NULL (extra is the argument list appended to the template's). */
int ac_sup_start_child(ac_proc *self, ac_pid sup, const ac_child_spec *spec, ac_term extra,
                       ac_ref *ref_out);
int ac_sup_terminate_child(ac_proc *self, ac_pid sup, const char *id, ac_ref *ref_out);
/* simple_one_for_one children are terminated by pid. */
int ac_sup_terminate_child_pid(ac_proc *self, ac_pid sup, ac_pid child, ac_ref *ref_out);
int ac_sup_restart_child(ac_proc *self, ac_pid sup, const char *id, ac_ref *ref_out);
int ac_sup_delete_child(ac_proc *self, ac_pid sup, const char *id, ac_ref *ref_out);
int ac_sup_which_children(ac_proc *self, ac_pid sup, ac_ref *ref_out);
int ac_sup_count_children(ac_proc *self, ac_pid sup, ac_ref *ref_out);

/* ---- Inspection (for properties and tests; no message) ---------------------------------- */

typedef struct ac_sup_child_info {
  const char *id;       /* NULL for a simple_one_for_one child */
  ac_pid pid;           /* AC_PID_NONE when not running */
  ac_child_type type;
  ac_restart_type restart;
  bool restarting;      /* between its exit and its restart */
} ac_sup_child_info;

/* The children of a live supervisor in start order: fills up to cap, returns how many there
 * are, or a negative AC_ENOPROC when sup is not a live supervisor. */
int ac_sup_children(const ac_node *node, ac_pid sup, ac_sup_child_info *out, size_t cap);
/* Restarts in the supervisor's window [now - period, now], as of now. */
int ac_sup_restart_count(const ac_node *node, ac_pid sup, uint32_t *out);

/* Report kinds: the first element of the AC_EV_SUPERVISOR payload. */
/*   {supervisor_started, Strategy, Intensity, PeriodNs}  b = 0 (init, before any child)
 *   {child_started, Id}                  b = the child
 *   {child_terminated, Id, Reason}       b = the child (it exited; Reason as its links saw)
 *   {restarting, Id}                     b = 0 (a restart is about to be attempted)
 *   {start_failed, Id, Reason}           b = 0
 *   {intensity_reached, Restarts}        b = 0 (the supervisor gives up)
 *   {shutdown, Reason}                   b = 0 (the supervisor terminates its children) */

#endif
