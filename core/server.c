/* Servers: gen_server for C processes, with sys's upgrade steps (see server.h). */
#include "server.h"

#include <stdlib.h>
#include <string.h>

#include "code.h"
#include "internal.h"

_Static_assert(sizeof(void *) >= sizeof(uint64_t), "a tag travels in a match argument");

typedef struct server_state {
  const ac_server_callbacks *cb; /* the version it runs */
  void *user;                    /* state_size bytes, zeroed at start */
  size_t state_size;             /* of user: a version must have this size to run on it */
  const char *module;            /* started from a module (the store's name), else NULL */
  uint32_t version;              /* the module version of its start or last code_change */
  uint32_t cb_version;           /* the module version whose callbacks cb are */
  bool suspended;                /* sys:suspend: only system messages until sys:resume */
} server_state;

static int server_init(ac_proc *self, ac_term arg) {
  server_state *st = ac_state(self);
  if (!st->cb) return AC_EINVAL; /* spawned without ac_server_start */
  return st->cb->init ? st->cb->init(self, st->user, arg) : AC_OK;
}

static bool tag_is(ac_term t, const char *tag, uint32_t arity) {
  return ac_term_type(t) == AC_T_TUPLE && ac_term_count(t) == arity &&
         ac_term_is_atom(ac_term_first(t), tag);
}

/* A call's From, {Pid, Tag} or {Pid, {alias, Tag}}: false when it is not one. */
static bool from_of(ac_term from, ac_from *f) {
  ac_term e, a;
  *f = (ac_from){AC_PID_NONE, {0}, false};
  if (ac_term_type(from) != AC_T_TUPLE || ac_term_count(from) != 2 || ac_term_elem(from, 0, &e) ||
      ac_term_get_pid(e, &f->pid) || ac_term_elem(from, 1, &e))
    return false;
  if (tag_is(e, "alias", 2) && ac_term_elem(e, 1, &a) == AC_OK) { /* {alias, Ref} */
    f->alias = true;
    e = a;
  }
  return ac_term_get_ref(e, &f->tag) == AC_OK;
}

/* The callbacks of the next callback: a module server's are the current version's (a
 * fully-qualified call), when that version can run on the state it has; NULL: the module has
 * no current version (undef). */
static const ac_server_callbacks *callbacks(ac_proc *self, server_state *st) {
  if (!st->module) return st->cb;
  const ac_code_version *v = ac_code_current(ac_proc_node(self), st->module);
  const ac_server_callbacks *cb = v ? v->def.callbacks : NULL;
  if (!cb) return NULL;
  if (cb != st->cb && cb->state_size == st->state_size) {
    ac_code_call(self, st->module); /* it runs that version from now on */
    st->cb = cb;
    st->cb_version = v->version;
  }
  return st->cb;
}

static bool system_match(const ac_msg *m, const void *arg) {
  (void)arg;
  return tag_is(ac_msg_term(m), "system", 3);
}

static int system_step(ac_proc *self, server_state *st, ac_pid caller, uint16_t op,
                       uint32_t version, ac_term detail) {
  return ac_code_server_step(self, caller, op, st->module ? st->module : "undefined", version,
                             detail);
}

/* sys:change_code: the code_change of the version the server moves to. *reply gets ok or
 * {error, {'EXIT', Reason}}, built in b (fb holds the failure meanwhile); the caller frees both. */
static int change_code(ac_proc *self, server_state *st, ac_pid caller, ac_term req, ac_tbuf *fb,
                       ac_tbuf *b, ac_term *reply) {
  ac_term old_vsn, extra, why = {NULL};
  ac_tbuf wb;
  ac_tb_init(&wb);
  const ac_code_version *v = st->module ? ac_code_current(ac_proc_node(self), st->module) : NULL;
  const ac_server_callbacks *cb = st->module ? (v ? v->def.callbacks : NULL) : st->cb;
  uint32_t to = v ? v->version : st->version;
  int rc = AC_OK, status = AC_OK;
  void *fresh = NULL;
  if (ac_term_elem(req, 2, &old_vsn) || ac_term_elem(req, 3, &extra)) return AC_EINVAL;
  if (!cb || !cb->code_change) {
    rc = ac_term_build(&wb, &why, "a", "undef");
  } else if (!(fresh = ac_calloc(1, cb->state_size ? cb->state_size : 1))) {
    rc = ac_term_build(&wb, &why, "a", "system_limit");
  } else if ((status = cb->code_change(self, st->user, fresh, old_vsn, extra)) != AC_OK) {
    free(fresh);
    rc = ac_status_reason(status, &wb, &why);
  } else {
    free(st->user);
    st->user = fresh;
    st->state_size = cb->state_size;
    st->cb = cb;
    st->version = to;
    st->cb_version = to;
    rc = system_step(self, st, caller, AC_CODE_CHANGE_OK, to, (ac_term){NULL});
    if (rc == AC_OK) rc = ac_term_build(b, reply, "a", "ok");
    ac_tb_free(&wb);
    return rc;
  }
  ac_term failure;
  if (rc == AC_OK) rc = ac_term_build(fb, &failure, "{a,t}", "EXIT", why);
  ac_tb_free(&wb);
  if (rc == AC_OK) rc = system_step(self, st, caller, AC_CODE_CHANGE_FAILED, to, failure);
  if (rc == AC_OK) rc = ac_term_build(b, reply, "{a,t}", "error", failure);
  return rc;
}

/* {system, From, Request}: suspend, resume, change_code (see server.h). */
static int handle_system(ac_proc *self, server_state *st, ac_term t) {
  ac_term from, req, first;
  ac_from f;
  if (ac_term_elem(t, 1, &from) || ac_term_elem(t, 2, &req) || !from_of(from, &f)) return AC_OK;
  ac_tbuf b, fb;
  ac_tb_init(&b);
  ac_tb_init(&fb);
  ac_term reply = {NULL};
  int rc = AC_OK;
  bool change = ac_term_type(req) == AC_T_TUPLE && ac_term_count(req) == 4 &&
                ac_term_elem(req, 0, &first) == AC_OK && ac_term_is_atom(first, "change_code");
  if (ac_term_is_atom(req, "suspend") || ac_term_is_atom(req, "resume")) {
    st->suspended = ac_term_is_atom(req, "suspend");
    rc = system_step(self, st, f.pid, st->suspended ? AC_CODE_SUSPEND : AC_CODE_RESUME,
                     st->version, (ac_term){NULL});
    if (rc == AC_OK) rc = ac_term_build(&b, &reply, "a", "ok");
  } else if (change && st->suspended) {
    rc = change_code(self, st, f.pid, req, &fb, &b, &reply);
  } else {
    rc = ac_term_build(&b, &reply, "{a,{a,t}}", "error", "unknown_system_msg", req);
  }
  if (rc == AC_OK) rc = ac_server_reply(self, f, reply);
  ac_tb_free(&b);
  ac_tb_free(&fb);
  if (rc == AC_OK && st->suspended) rc = ac_receive(self, system_match, NULL, AC_INFINITY);
  return rc;
}

static int server_handle(ac_proc *self, const ac_msg *m) {
  server_state *st = ac_state(self);
  if (!m) return AC_OK;
  ac_term t = ac_msg_term(m), from, req, e;
  if (tag_is(t, "system", 3)) return handle_system(self, st, t);
  const ac_server_callbacks *cb = callbacks(self, st);
  if (!cb) return ac_stop_atom(self, "undef");
  if (tag_is(t, "$gen_call", 3) && ac_term_elem(t, 1, &from) == AC_OK &&
      ac_term_elem(t, 2, &req) == AC_OK) {
    ac_from f;
    if (!from_of(from, &f)) return AC_OK; /* not a call after all: ignored, as gen_server does */
    return cb->handle_call ? cb->handle_call(self, st->user, req, f) : ac_stop_atom(self, "bad_call");
  }
  if (tag_is(t, "$gen_cast", 2) && ac_term_elem(t, 1, &e) == AC_OK)
    return cb->handle_cast ? cb->handle_cast(self, st->user, e) : AC_OK;
  return cb->handle_info ? cb->handle_info(self, st->user, m) : AC_OK;
}

static void server_terminate(ac_proc *self, ac_term reason) {
  server_state *st = ac_state(self);
  if (st->cb && st->cb->terminate) st->cb->terminate(self, st->user, reason);
  free(st->user);
  st->user = NULL;
}

const ac_behaviour ac_server = {"server", sizeof(server_state), server_init, server_handle,
                                server_terminate};

/* A module server runs the version its next callback will be (a fully-qualified call): its
 * module's current one when the state it has fits it, else the one of the callbacks it has.
 * So a server waiting for its next message does not run an old version that a load has just
 * replaced, as a gen_server waiting in gen_server's loop does not. */
int ac__server_runs(const ac_proc *p, const ac_code_version *v) {
  const server_state *st = p->beh == &ac_server ? p->state : NULL;
  if (!st || !st->module || strcmp(st->module, v->module) != 0) return -1;
  const ac_code_version *cur = ac_code_current(p->node, st->module);
  const ac_server_callbacks *next = cur ? cur->def.callbacks : NULL;
  uint32_t runs = next && next->state_size == st->state_size ? cur->version : st->cb_version;
  return runs == v->version;
}

/* ac_server_start, and from a module's current version v (NULL: none). */
static int start(ac_node *node, ac_proc *self, const ac_server_callbacks *cb,
                 const ac_code_version *v, ac_term arg, const char *name, ac_pid *pid_out) {
  if (!node || !cb || !pid_out || (self && ac_proc_node(self) != node)) return AC_EINVAL;
  if (name && !ac_pid_is_none(ac_whereis(node, name))) return AC_ENAMETAKEN;
  void *user = ac_calloc(1, cb->state_size ? cb->state_size : 1);
  if (!user) return AC_ENOMEM;
  ac_pid pid;
  int rc = v ? ac_code_set_next_spawn(node, v->module) : AC_OK; /* its spawn names the version */
  if (rc == AC_OK)
    rc = self ? ac_spawn(self, &ac_server, arg, AC_SPAWN_LINK | AC_SPAWN_ACK, &pid, NULL)
              : ac_node_spawn(node, &ac_server, arg, &pid);
  if (v) ac_code_set_next_spawn(node, NULL);
  server_state *st = rc == AC_OK ? ac_node_state(node, pid, &ac_server) : NULL;
  if (!st) {
    free(user);
    return rc ? rc : AC_ENOPROC;
  }
  st->cb = cb;
  st->user = user;
  st->state_size = cb->state_size;
  st->module = v ? v->module : NULL;
  st->version = v ? v->version : 0;
  st->cb_version = st->version;
  if (name) { /* checked free above: this cannot fail but for a bad name */
    rc = ac_node_register(node, name, pid);
    if (rc) {
      ac_tbuf b;
      ac_tb_init(&b);
      ac_term reason;
      if (ac_tb_fmt(&b, "a", "badarg") == AC_OK && ac_tb_finish(&b, &reason) == AC_OK)
        ac_node_exit(node, pid, reason);
      ac_tb_free(&b);
      return rc;
    }
  }
  *pid_out = pid;
  return AC_OK;
}

int ac_server_start(ac_node *node, ac_proc *self, const ac_server_callbacks *cb, ac_term arg,
                    const char *name, ac_pid *pid_out) {
  return start(node, self, cb, NULL, arg, name, pid_out);
}

int ac_server_start_module(ac_node *node, ac_proc *self, const char *module, ac_term arg,
                           const char *name, ac_pid *pid_out) {
  if (!node || !module) return AC_EINVAL;
  const ac_code_version *v = ac_code_current(node, module);
  if (!v) return AC_ENOTFOUND;
  if (!v->def.callbacks) return AC_EINVAL;
  return start(node, self, v->def.callbacks, v, arg, name, pid_out);
}

int ac_server_start_fn(ac_proc *sup, const void *ctx, ac_term arg, ac_pid *pid_out) {
  const ac_server_spec *s = ctx;
  if (s->module) return ac_server_start_module(ac_proc_node(sup), sup, s->module, arg, s->name, pid_out);
  return ac_server_start(ac_proc_node(sup), sup, s->cb, arg, s->name, pid_out);
}

int ac_server_reply(ac_proc *self, ac_from from, ac_term reply) {
  ac_tbuf b;
  ac_tb_init(&b);
  ac_term t;
  int rc = ac_tb_fmt(&b, "{r,t}", from.tag, reply);
  if (rc == AC_OK) rc = ac_tb_finish(&b, &t);
  if (rc == AC_OK) rc = from.alias ? ac_send_alias(self, from.pid, from.tag, t) : ac_send(self, from.pid, t);
  ac_tb_free(&b);
  return rc;
}

int ac_server_cast(ac_proc *self, ac_pid server, ac_term msg) {
  ac_tbuf b;
  ac_tb_init(&b);
  ac_term t;
  int rc = ac_tb_fmt(&b, "{a,t}", "$gen_cast", msg);
  if (rc == AC_OK) rc = ac_tb_finish(&b, &t);
  if (rc == AC_OK) rc = ac_send(self, server, t);
  ac_tb_free(&b);
  return rc;
}

/* The reply {Tag, _} or the server's {'DOWN', Tag, process, _, _}: the tag is the monitor's
 * reference, carried in the argument's own bits. */
static bool answer_match(const ac_msg *m, const void *arg) {
  ac_ref tag = {(uint64_t)(uintptr_t)arg}, r;
  ac_term t = ac_msg_term(m), e;
  if (ac_term_type(t) != AC_T_TUPLE) return false;
  uint32_t n = ac_term_count(t);
  if (n == 2) return ac_term_elem(t, 0, &e) == AC_OK && ac_term_get_ref(e, &r) == AC_OK && ac_ref_eq(r, tag);
  return n == 5 && ac_term_is_atom(ac_term_first(t), "DOWN") && ac_term_elem(t, 1, &e) == AC_OK &&
         ac_term_get_ref(e, &r) == AC_OK && ac_ref_eq(r, tag);
}

static int call_exit(ac_proc *self, const char *atom, ac_term why, ac_pid server, ac_term request,
                     int64_t timeout_ns);

/* A call ($gen_call) or a system request (system): send, monitor, declare the receive. */
static int send_request(ac_proc *self, const char *kind, ac_pid server, ac_term request,
                        int64_t timeout_ns, ac_ref *tag_out) {
  if (!tag_out || (timeout_ns < 0 && timeout_ns != AC_INFINITY)) return AC_EINVAL;
  if (ac_pid_eq(server, ac_self(self))) /* gen_server: exit({calling_self, ...}) at once */
    return call_exit(self, "calling_self", (ac_term){NULL}, server, request, timeout_ns);
  ac_ref tag;
  int rc = ac_monitor(self, server, &tag);
  if (rc) return rc;
  ac_tbuf b;
  ac_tb_init(&b);
  ac_term t;
  rc = ac_tb_fmt(&b, "{a,{p,{a,r}},t}", kind, ac_self(self), "alias", tag, request);
  if (rc == AC_OK) rc = ac_tb_finish(&b, &t);
  if (rc == AC_OK) rc = ac_send(self, server, t);
  ac_tb_free(&b);
  if (rc == AC_OK) rc = ac_receive(self, answer_match, (const void *)(uintptr_t)tag.bits, timeout_ns);
  if (rc == AC_OK) *tag_out = tag;
  return rc;
}

int ac_server_call(ac_proc *self, ac_pid server, ac_term request, int64_t timeout_ns,
                   ac_ref *tag_out) {
  return send_request(self, "$gen_call", server, request, timeout_ns, tag_out);
}

int ac_server_system(ac_proc *self, ac_pid server, ac_term request, int64_t timeout_ns,
                     ac_ref *tag_out) {
  return send_request(self, "system", server, request, timeout_ns, tag_out);
}

/* Makes the caller exit with {Why, {gen_server, call, [Server, Request, Timeout]}} (Why an
 * atom, or the term `why` when the atom is NULL); returns AC_ESTATE for its callback. */
static int call_exit(ac_proc *self, const char *atom, ac_term why, ac_pid server, ac_term request,
                     int64_t timeout_ns) {
  ac_tbuf b;
  ac_tb_init(&b);
  ac_tb_tuple_begin(&b);
  if (atom) ac_tb_atom(&b, atom);
  else ac_tb_term(&b, why);
  ac_tb_tuple_begin(&b);
  ac_tb_atom(&b, "gen_server");
  ac_tb_atom(&b, "call");
  ac_tb_list_begin(&b);
  ac_tb_pid(&b, server);
  ac_tb_term(&b, request);
  if (timeout_ns == AC_INFINITY) ac_tb_atom(&b, "infinity");
  else ac_tb_int(&b, timeout_ns / 1000000);
  ac_tb_end(&b);
  ac_tb_end(&b);
  ac_tb_end(&b);
  ac_term reason;
  int rc = ac_tb_finish(&b, &reason); /* the builder's first error, if any */
  if (rc == AC_OK) rc = ac_stop(self, reason);
  ac_tb_free(&b);
  return rc == AC_OK ? AC_ESTATE : rc;
}

int ac_server_call_result(ac_proc *self, const ac_msg *msg, ac_ref tag, ac_pid server,
                          ac_term request, int64_t timeout_ns, ac_term *reply) {
  ac_term t = msg ? ac_msg_term(msg) : (ac_term){NULL}, why = {NULL};
  if (msg && ac_term_count(t) == 2) { /* {Tag, Reply} */
    ac_demonitor(self, tag, AC_DEMONITOR_FLUSH);
    return ac_term_elem(t, 1, reply);
  }
  if (!msg) { /* the timeout */
    ac_demonitor(self, tag, AC_DEMONITOR_FLUSH);
    return call_exit(self, "timeout", why, server, request, timeout_ns);
  }
  ac_term_elem(t, 4, &why); /* {'DOWN', Tag, process, Pid, Reason}: the server's reason */
  return call_exit(self, NULL, why, server, request, timeout_ns);
}
