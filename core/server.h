/*
 * Servers: Erlang/OTP's gen_server for C processes.
 *
 * A server is a process (behaviour `ac_server`) running callbacks on a state of its own:
 * handle_call answers {'$gen_call', {From, {alias, Tag}}, Request} (now with ac_server_reply, or later
 * with a kept ac_from), handle_cast takes {'$gen_cast', Msg}, handle_info everything else.
 * A callback ends the server with ac_stop(self, Reason), as any process does.
 *
 * A call is a message and a wait: ac_server_call sends the request, monitors the server and
 * declares the receive of its reply; the caller's next handle gets the reply, the server's
 * DOWN, or a timeout, and ac_server_call_result turns that into the reply or into the exit
 * Erlang gives the caller: {timeout | noproc | Reason, {gen_server, call, [Server, Request,
 * Timeout]}}. (The Lua binding's cl.server has the same protocol, so C and Lua servers and
 * callers mix.)
 *
 * Upgrades (OTP's sys): a server takes {system, From, Request} messages, From as a call's,
 * answered {Tag, Reply}: `suspend` (until `resume` it handles only system messages; the others
 * stay queued), `resume`, and, while suspended, {change_code, Module, OldVsn, Extra}, which
 * runs the code_change of the version the server moves to (the module's current version for a
 * server started from a module, else its own callbacks) and answers ok or {error, Reason};
 * anything else is {error, {unknown_system_msg, Request}} (also get_state: a C state is bytes
 * the server alone can read). Each step is a code record (core/code.h, ac_code_server_step).
 * A server started from a module (ac_server_start_module) calls its callbacks fully
 * qualified: each callback is the module's current version's, on the state the server has,
 * as long as that version's state_size is the running one's (a version with another state
 * layout runs only after its code_change made the state; until then the server keeps its
 * version, and a purge of it kills the server, as it kills any process running old code).
 * Waiting for its next message, a server whose state fits the current version runs that one
 * already (its next callback is that version's), so a purge just after a load leaves it be, as
 * it leaves a gen_server waiting in gen_server's loop.
 *
 * Departure: `terminate` here is the behaviour's destructor (node.h): it may read its state
 * and free memory, not send messages, where gen_server's terminate may do anything.
 */
#ifndef CRASHLAB_SERVER_H
#define CRASHLAB_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "node.h"

/* Who called: kept to reply later (ac_server_reply). */
typedef struct ac_from {
  ac_pid pid;
  ac_ref tag;
  bool alias; /* the call came as {Pid, {alias, Tag}}: the reply goes to the alias */
} ac_from;

typedef struct ac_server_callbacks {
  const char *name;  /* an atom: the trace shows the server's behaviour as "server" */
  size_t state_size; /* zeroed bytes of state handed to every callback */
  int (*init)(ac_proc *self, void *state, ac_term arg);                       /* may be NULL */
  int (*handle_call)(ac_proc *self, void *state, ac_term request, ac_from from); /* may be NULL */
  int (*handle_cast)(ac_proc *self, void *state, ac_term msg);                 /* may be NULL */
  int (*handle_info)(ac_proc *self, void *state, const ac_msg *msg);            /* may be NULL */
  void (*terminate)(ac_proc *self, void *state, ac_term reason);               /* may be NULL */
  /* code_change(OldVsn, State, Extra) of this version, during sys:change_code: fills new_state
   * (this version's state_size zeroed bytes) from old_state (the running version's). AC_OK:
   * the server runs this version on new_state; another status: the change fails with
   * {'EXIT', Reason} (Reason as the status would raise) and nothing changes. NULL: the change
   * fails with {'EXIT', undef}. It must not stop the server. */
  int (*code_change)(ac_proc *self, const void *old_state, void *new_state, ac_term old_vsn,
                     ac_term extra);
} ac_server_callbacks;

extern const ac_behaviour ac_server;

/*
 * Starts a server with callbacks `cb` (which must outlive it) and init argument `arg`: from a
 * process (linked, started with AC_SPAWN_ACK: a supervisor can start it) or from the node
 * (self NULL). `name` (may be NULL) is registered before init runs.
 */
int ac_server_start(ac_node *node, ac_proc *self, const ac_server_callbacks *cb, ac_term arg,
                    const char *name, ac_pid *pid_out);
/*
 * The same for a server of module `module` (core/code.h): its current version's
 * ac_code_def.callbacks is the ac_server_callbacks the server starts with, and its spawn is
 * recorded in that version. AC_ENOTFOUND when the module has no current version, AC_EINVAL
 * when that version has no callbacks.
 */
int ac_server_start_module(ac_node *node, ac_proc *self, const char *module, ac_term arg,
                           const char *name, ac_pid *pid_out);
/* An ac_start_fn-shaped helper for supervisors: ctx is an ac_server_spec. A spec naming a
 * module starts each time from the module's current version (ac_server_start_module), so a
 * restart after an upgrade starts the new code. */
typedef struct ac_server_spec {
  const ac_server_callbacks *cb;
  const char *name;   /* or NULL */
  const char *module; /* or NULL; when set, cb is not used */
} ac_server_spec;
int ac_server_start_fn(ac_proc *sup, const void *ctx, ac_term arg, ac_pid *pid_out);

int ac_server_reply(ac_proc *self, ac_from from, ac_term reply);
/* gen_server:cast: never fails for a dead server (the message is dropped). */
int ac_server_cast(ac_proc *self, ac_pid server, ac_term msg);
/*
 * Sends the call and declares the receive for its answer (timeout_ns or AC_INFINITY; OTP's
 * default is 5 s). The callback must return right after; the next handle(self, msg) brings
 * the answer: pass it to ac_server_call_result with the same tag, server, request and timeout.
 * A dead server is noticed by its monitor (a DOWN with noproc for one already dead). A call
 * to itself makes the caller exit {calling_self, ...} at once (AC_ESTATE: return it).
 * The call's monitor is its alias, as in OTP 24+: the request carries From = {Pid, {alias,
 * Tag}}, the reply is sent with ac_send_alias, so a reply that comes after the timeout (once
 * the caller has removed the monitor) is dropped and never reaches the caller's mailbox.
 */
int ac_server_call(ac_proc *self, ac_pid server, ac_term request, int64_t timeout_ns,
                   ac_ref *tag_out);
/*
 * What the call returned: AC_OK and *reply (valid while msg is) for a reply; otherwise the
 * caller is made to exit with Erlang's reason and the function returns AC_ESTATE (return it
 * from the callback). msg NULL is the timeout.
 */
int ac_server_call_result(ac_proc *self, const ac_msg *msg, ac_ref tag, ac_pid server,
                          ac_term request, int64_t timeout_ns, ac_term *reply);
/*
 * A system request (sys:suspend, sys:resume, sys:change_code: `request` is suspend, resume or
 * {change_code, Module, OldVsn, Extra}), sent and awaited as ac_server_call does; the answer
 * goes through ac_server_call_result too. Departure: a failed wait exits the caller with
 * gen_server call's shape, where sys gives {Reason, {sys, Function, Args}}.
 */
int ac_server_system(ac_proc *self, ac_pid server, ac_term request, int64_t timeout_ns,
                     ac_ref *tag_out);

#endif
