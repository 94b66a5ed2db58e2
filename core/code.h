/*
 * Code with versions, per node, as Erlang's code server keeps it: modules by name, each with a
 * current version and at most one old version.
 *
 * A module version is what its loader gives: a behaviour that processes spawned "in" the
 * module run, a table of callbacks (the loader's own struct, e.g. an ac_server_callbacks) and
 * a user pointer (the Lua binding keeps its handle on the module's functions there). core/
 * never calls into the table; it keeps the versions and knows which processes run which:
 *
 *  - load makes the new version current and the current one old; it is refused with
 *    AC_ENOTPURGED while an old version exists (code:load_file's {error, not_purged});
 *  - delete makes the current version old (code:delete);
 *  - purge kills (reason killed) every process of the node that runs the old version, then
 *    removes it (code:purge); soft_purge removes it only when no process runs it
 *    (code:soft_purge);
 *  - a fully-qualified call (Module:Function) always reaches the current version: a C process
 *    makes one with ac_code_call, which also records that it now runs that version.
 *
 * Which processes run a version: a process spawned in a module (ac_code_spawn,
 * ac_code_set_next_spawn) is recorded with the version it starts in, and ac_code_call moves the
 * record to the version it calls. A binding whose processes have a real stack (Lua) installs a
 * check (ac_code_set_check) that looks at the stack instead, and a server started from a
 * module (core/server.h) runs the version its next callback will be; the record is used for
 * every other process.
 *
 * The versions live in an ac_code store that outlives a node's incarnations: the world keeps
 * one per machine and attaches it to each new incarnation (a restarted node comes back with
 * the code its machine had). A node without an attached store makes its own on first use.
 *
 * Every change is traced as an AC_EV_CODE record (core/event.h, AC_CODE_* ops); a spawn in a
 * module records {Behaviour, Label, Module, Version}. All calls are single-threaded, return 0
 * or a negative AC_E code, and change nothing on error.
 */
#ifndef CRASHLAB_CODE_H
#define CRASHLAB_CODE_H

#include <stdbool.h>
#include <stdint.h>

#include "node.h"

typedef struct ac_code ac_code;

/* One version of a module, as its loader gives it. Nothing it points to is copied. */
typedef struct ac_code_def {
  const ac_behaviour *behaviour; /* what ac_code_spawn starts; NULL if the module has none */
  const void *callbacks;         /* the loader's table of callbacks; opaque to core/ */
  void *user;                    /* the loader's data (a binding's handle), opaque */
  /* Called once with `user` when the version is removed during a run (purge, soft_purge, a
   * new incarnation attaching the store), never by ac_code_destroy. May be NULL. */
  void (*release)(void *user);
} ac_code_def;

/* A loaded version. Valid (same address) until the version is removed. */
typedef struct ac_code_version {
  const char *module; /* the module's name, NUL-terminated */
  uint32_t version;   /* 1, 2, ... in load order, per module and store (machine) */
  ac_code_def def;
} ac_code_version;

/* ---- The store ---------------------------------------------------------------------------- */

/* A new, empty store. AC_ENOMEM. */
int ac_code_create(ac_code **out);
/* Frees the store and its versions without calling any release (the embedder's state may be
 * gone by then). Detach it from every node first. NULL is ignored. */
void ac_code_destroy(ac_code *code);
/* The node uses `code` from now on (not owned: the caller destroys it after the node). Meant
 * for a new incarnation: no process of it can run an old version, so old versions are dropped
 * (release called, no trace record). NULL detaches. */
void ac_node_set_code(ac_node *node, ac_code *code);

/* ---- Operations (node calls; `caller` is recorded in the trace, AC_PID_NONE for none) ----- */

/*
 * code:load_binary: `def` becomes the current version of `module` (created if needed), the
 * current one becomes old; *version_out (may be NULL) gets the new number. AC_EBADNAME for a
 * name that is not an atom (empty, over 255 bytes), AC_EINVAL for a NULL def, AC_ENOTPURGED
 * while an old version exists (recorded: an AC_CODE_LOAD_REFUSED record naming the old
 * version), AC_ENOMEM.
 */
int ac_code_load(ac_node *node, ac_pid caller, const char *module, const ac_code_def *def,
                 uint32_t *version_out);
/* code:delete: the current version becomes old; *done_out false (nothing changed) when there is
 * no current version or an old one exists. AC_ENOTFOUND for a module never loaded here. */
int ac_code_delete(ac_node *node, ac_pid caller, const char *module, bool *done_out);
/* code:purge: kills every process that runs the old version (exit(Pid, kill): they exit with
 * killed, in slot order), then removes it. *killed_out (may be NULL): whether any process was
 * killed (Erlang's result). No old version: nothing happens, false. AC_ENOTFOUND for a module
 * never loaded here, AC_ENOMEM (nothing killed). */
int ac_code_purge(ac_node *node, ac_pid caller, const char *module, bool *killed_out);
/* code:soft_purge: removes the old version unless a process runs it; *done_out false (and a
 * refusal record) then. No old version: true. AC_ENOTFOUND, AC_ENOMEM. */
int ac_code_soft_purge(ac_node *node, ac_pid caller, const char *module, bool *done_out);

/* ---- Queries ------------------------------------------------------------------------------ */

/* The current / old version of `module` on this node, or NULL. */
const ac_code_version *ac_code_current(ac_node *node, const char *module);
const ac_code_version *ac_code_old(ac_node *node, const char *module);
/* Version numbers (0 for none) of the current and old versions; either pointer may be NULL.
 * AC_ENOTFOUND for a module never loaded on this node. */
int ac_code_versions(ac_node *node, const char *module, uint32_t *current_out, uint32_t *old_out);
/* Whether process `pid` runs `v` (the check, else its record). False for a dead pid. */
bool ac_code_runs(ac_node *node, ac_pid pid, const ac_code_version *v);

/* ---- Processes ---------------------------------------------------------------------------- */

/* spawn(Module, ...) from a process: starts the current version's behaviour with `arg` (opts and
 * results as ac_spawn) and records that the child runs that version. AC_ENOTFOUND when the
 * module has no current version, AC_EINVAL when it has no behaviour. */
int ac_code_spawn(ac_proc *self, const char *module, ac_term arg, unsigned opts, ac_pid *pid_out,
                  ac_ref *mon_out);
/* The same from outside any process (the node's pid is the parent). */
int ac_node_code_spawn(ac_node *node, const char *module, ac_term arg, ac_pid *pid_out);
/*
 * For bindings that spawn with their own behaviour: the next spawn on this node starts in the
 * current version of `module` (recorded for the process, and in its spawn record). Used by one
 * spawn, or cleared by passing NULL. AC_ENOTFOUND without a current version, AC_ENOMEM (room
 * for the record is taken here, so the spawn cannot fail on it).
 */
int ac_code_set_next_spawn(ac_node *node, const char *module);
/* Module:Function from a C process: the current version (NULL when there is none: undef), and
 * self is recorded as running it from now on. */
const ac_code_version *ac_code_call(ac_proc *self, const char *module);

/*
 * A server's upgrade step (sys:suspend, sys:resume, sys:change_code), recorded by the server
 * itself while it handles the request of `caller`: op AC_CODE_SUSPEND, AC_CODE_RESUME,
 * AC_CODE_CHANGE_OK or AC_CODE_CHANGE_FAILED, about `module` version `version` (for a change,
 * the version whose code_change ran), with `detail` (a null term for none) the reason of a
 * failed change. After AC_CODE_CHANGE_OK self is recorded as running the current version of
 * `module` (as ac_code_call does). AC_EINVAL for another op, AC_EBADNAME for a module name
 * that is not an atom; the record is dropped when its payload cannot be built (no memory).
 */
int ac_code_server_step(ac_proc *self, ac_pid caller, uint16_t op, const char *module,
                        uint32_t version, ac_term detail);

/* Whether process `pid` runs version `v`: 1 yes, 0 no, -1 "not mine" (the record decides). It is
 * called for every live process of the node during purge and soft_purge, and must not change
 * the node. */
typedef int (*ac_code_check_fn)(ac_node *node, ac_pid pid, const ac_code_version *v);
/* Installs the node's check (NULL: records only). */
void ac_code_set_check(ac_node *node, ac_code_check_fn fn);

#endif
