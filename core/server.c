/* Servers: gen_server for C processes (see server.h). */
#include "server.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"

_Static_assert(sizeof(void *) >= sizeof(uint64_t), "a tag travels in a match argument");

typedef struct server_state {
  const ac_server_callbacks *cb;
  void *user; /* cb->state_size zeroed bytes */
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

static int server_handle(ac_proc *self, const ac_msg *m) {
  server_state *st = ac_state(self);
  const ac_server_callbacks *cb = st->cb;
  if (!m) return AC_OK;
  ac_term t = ac_msg_term(m), from, req, e;
  if (tag_is(t, "$gen_call", 3) && ac_term_elem(t, 1, &from) == AC_OK &&
      ac_term_elem(t, 2, &req) == AC_OK && ac_term_type(from) == AC_T_TUPLE &&
      ac_term_count(from) == 2) {
    ac_from f = {AC_PID_NONE, {0}, false};
    if (ac_term_elem(from, 0, &e) || ac_term_get_pid(e, &f.pid) || ac_term_elem(from, 1, &e))
      return AC_OK; /* not a call after all: ignored, as gen_server ignores bad calls */
    ac_term a;
    if (tag_is(e, "alias", 2) && ac_term_elem(e, 1, &a) == AC_OK) { /* {alias, Ref} */
      f.alias = true;
      e = a;
    }
    if (ac_term_get_ref(e, &f.tag)) return AC_OK;
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

int ac_server_start(ac_node *node, ac_proc *self, const ac_server_callbacks *cb, ac_term arg,
                    const char *name, ac_pid *pid_out) {
  if (!node || !cb || !pid_out || (self && ac_proc_node(self) != node)) return AC_EINVAL;
  if (name && !ac_pid_is_none(ac_whereis(node, name))) return AC_ENAMETAKEN;
  void *user = ac_calloc(1, cb->state_size ? cb->state_size : 1);
  if (!user) return AC_ENOMEM;
  ac_pid pid;
  int rc = self ? ac_spawn(self, &ac_server, arg, AC_SPAWN_LINK | AC_SPAWN_ACK, &pid, NULL)
                : ac_node_spawn(node, &ac_server, arg, &pid);
  server_state *st = rc == AC_OK ? ac_node_state(node, pid, &ac_server) : NULL;
  if (!st) {
    free(user);
    return rc ? rc : AC_ENOPROC;
  }
  st->cb = cb;
  st->user = user;
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

int ac_server_start_fn(ac_proc *sup, const void *ctx, ac_term arg, ac_pid *pid_out) {
  const ac_server_spec *s = ctx;
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

int ac_server_call(ac_proc *self, ac_pid server, ac_term request, int64_t timeout_ns,
                   ac_ref *tag_out) {
  if (!tag_out || (timeout_ns < 0 && timeout_ns != AC_INFINITY)) return AC_EINVAL;
  if (ac_pid_eq(server, ac_self(self))) /* gen_server: exit({calling_self, ...}) at once */
    return call_exit(self, "calling_self", (ac_term){NULL}, server, request, timeout_ns);
  ac_ref tag;
  int rc = ac_monitor(self, server, &tag);
  if (rc) return rc;
  ac_tbuf b;
  ac_tb_init(&b);
  ac_term t;
  rc = ac_tb_fmt(&b, "{a,{p,{a,r}},t}", "$gen_call", ac_self(self), "alias", tag, request);
  if (rc == AC_OK) rc = ac_tb_finish(&b, &t);
  if (rc == AC_OK) rc = ac_send(self, server, t);
  ac_tb_free(&b);
  if (rc == AC_OK) rc = ac_receive(self, answer_match, (const void *)(uintptr_t)tag.bits, timeout_ns);
  if (rc == AC_OK) *tag_out = tag;
  return rc;
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
