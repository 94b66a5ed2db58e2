/*
 * C servers (gen_server): calls, casts, deferred replies, info, stop, and the caller's exits
 * for a timeout, a dead server and a server that dies during the call, with Erlang's reasons;
 * a reply that comes after the caller's timeout is dropped (the call's alias is inactive);
 * a server started from a module is upgraded as sys does it: suspended (a cast waits), its
 * state changed by the new version's code_change (to a state of another size), resumed; a
 * code_change that fails is {error, {'EXIT', Reason}} and changes nothing; a change asked of a
 * running server, or get_state, is {error, {unknown_system_msg, _}}; each step is a code
 * record; a new version of the same state size serves at the next callback (fully qualified);
 * a supervisor's child named by module restarts into the version current at the restart.
 * Method: a caller process runs a script of calls and logs each result (a reply, or its own
 * exit reason, from the trace) as text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "code.h"
#include "probe.h"
#include "server.h"
#include "sup.h"

const probe_script probe_scripts[] = {{NULL, NULL}};

/* ---- The server: a counter ---------------------------------------------------------------- */

typedef struct counter {
  int64_t n;
  ac_from pending;
  bool has_pending;
} counter;

static int c_init(ac_proc *self, void *state, ac_term arg) {
  (void)self;
  return ac_term_get_int(arg, &((counter *)state)->n);
}

static int reply_int(ac_proc *self, ac_from from, int64_t v) {
  ac_tbuf b;
  int rc = ac_server_reply(self, from, T(&b, "i", v));
  ac_tb_free(&b);
  return rc;
}

static int c_call(ac_proc *self, void *state, ac_term req, ac_from from) {
  counter *c = state;
  if (ac_term_is_atom(req, "get")) return reply_int(self, from, c->n);
  if (ac_term_is_atom(req, "later")) { /* answered by the cast 'answer' */
    c->pending = from;
    c->has_pending = true;
    return AC_OK;
  }
  if (ac_term_is_atom(req, "never")) return AC_OK;
  if (ac_term_is_atom(req, "crash")) return ac_stop_atom(self, "crashed");
  int64_t add;
  if (ac_term_get_int(req, &add) == AC_OK) {
    c->n += add;
    return reply_int(self, from, c->n);
  }
  return ac_stop_atom(self, "bad_request");
}

static int c_cast(ac_proc *self, void *state, ac_term msg) {
  counter *c = state;
  if (ac_term_is_atom(msg, "answer") && c->has_pending) {
    c->has_pending = false;
    return reply_int(self, c->pending, c->n * 2);
  }
  if (ac_term_is_atom(msg, "reset")) c->n = 0;
  return AC_OK;
}

static int c_info(ac_proc *self, void *state, const ac_msg *m) {
  (void)self;
  (void)m;
  ((counter *)state)->n += 100;
  return AC_OK;
}

static int terminated;
static void c_terminate(ac_proc *self, void *state, ac_term reason) {
  (void)self;
  (void)state;
  (void)reason;
  terminated++;
}

static const ac_server_callbacks counter_cb = {"counter", sizeof(counter), c_init, c_call,
                                               c_cast, c_info, c_terminate, NULL};

/* Version 2 of module ctr: another state (a total and a stamp), got by code_change from
 * version 1's counter; `get` answers total + 1000. Version 3: the same state as 2, `get`
 * answers total + 3000, and its code_change fails (badarg). */
typedef struct counter2 {
  int64_t total;
  int64_t stamp;
  char pad[40]; /* not the size of version 1's counter */
} counter2;

_Static_assert(sizeof(counter2) != sizeof(counter), "version 2 changes the state's size");

static int c2_call(ac_proc *self, void *state, ac_term req, ac_from from) {
  (void)req;
  return reply_int(self, from, ((counter2 *)state)->total + 1000);
}
static int c3_call(ac_proc *self, void *state, ac_term req, ac_from from) {
  (void)req;
  return reply_int(self, from, ((counter2 *)state)->total + 3000);
}
static int c2_cast(ac_proc *self, void *state, ac_term msg) {
  (void)self;
  if (ac_term_is_atom(msg, "reset")) ((counter2 *)state)->total = 0;
  return AC_OK;
}
static int c2_change(ac_proc *self, const void *old, void *fresh, ac_term old_vsn, ac_term extra) {
  (void)self;
  int64_t v, k;
  if (ac_term_get_int(old_vsn, &v) || v != 1 || ac_term_get_int(extra, &k)) return AC_EINVAL;
  ((counter2 *)fresh)->total = ((const counter *)old)->n + k;
  return AC_OK;
}
static int c3_change(ac_proc *self, const void *old, void *fresh, ac_term old_vsn, ac_term extra) {
  (void)self, (void)old, (void)fresh, (void)old_vsn, (void)extra;
  return AC_EINVAL;
}
static const ac_server_callbacks counter2_cb = {"counter", sizeof(counter2), NULL, c2_call,
                                                c2_cast, NULL, NULL, c2_change};
static const ac_server_callbacks counter3_cb = {"counter", sizeof(counter2), NULL, c3_call,
                                                c2_cast, NULL, NULL, c3_change};
/* Version "1b" of ctr: version 1's state, `get` answers n + 500. */
static int c1b_call(ac_proc *self, void *state, ac_term req, ac_from from) {
  (void)req;
  return reply_int(self, from, ((counter *)state)->n + 500);
}
static const ac_server_callbacks counter1b_cb = {"counter", sizeof(counter), c_init, c1b_call,
                                                 c_cast, NULL, NULL, NULL};

static const ac_server_callbacks *const ctr_versions[] = {NULL, &counter_cb, &counter2_cb,
                                                          &counter3_cb, &counter1b_cb};

/* ---- The caller: a script of steps -------------------------------------------------------- */

#define LOGN 64
static char out[LOGN][200];
static int outn;
static ac_pid server;
static const char *script[24];

typedef struct caller_state {
  int step;
  ac_ref tag;
  int64_t timeout;
  ac_tbuf req;
} caller_state;

static int step(ac_proc *self) {
  caller_state *s = ac_state(self);
  for (;;) {
    const char *op = script[s->step];
    if (!op) return ac_stop_atom(self, "normal");
    if (strncmp(op, "cast ", 5) == 0) {
      ac_tbuf b;
      int rc = ac_server_cast(self, server, T(&b, "a", op + 5));
      ac_tb_free(&b);
      if (rc) return rc;
      s->step++;
      continue;
    }
    if (strcmp(op, "info") == 0) {
      ac_tbuf b;
      int rc = ac_send(self, server, T(&b, "a", "hello"));
      ac_tb_free(&b);
      if (rc) return rc;
      s->step++;
      continue;
    }
    if (strncmp(op, "load ", 5) == 0) { /* version N of module ctr, by this process */
      ac_code_def def = {NULL, ctr_versions[op[5] - '0'], NULL, NULL};
      int rc = ac_code_load(ac_proc_node(self), ac_self(self), "ctr", &def, NULL);
      snprintf(out[outn++], sizeof out[0], "%s -> %s", op, rc ? ac_errname(rc) : "ok");
      s->step++;
      continue;
    }
    if (strcmp(op, "purge") == 0) {
      bool killed = false;
      int rc = ac_code_purge(ac_proc_node(self), ac_self(self), "ctr", &killed);
      snprintf(out[outn++], sizeof out[0], "purge -> %s", rc ? ac_errname(rc) : killed ? "true" : "false");
      s->step++;
      continue;
    }
    if (strncmp(op, "sys ", 4) == 0) {
      long long old_vsn, extra;
      ac_tb_free(&s->req);
      if (sscanf(op, "sys change_code %lld %lld", &old_vsn, &extra) == 2)
        T(&s->req, "{a,a,i,i}", "change_code", "ctr", (int64_t)old_vsn, (int64_t)extra);
      else
        T(&s->req, "a", op + 4);
      s->timeout = 5000000000;
      return ac_server_system(self, server, (ac_term){s->req.data}, s->timeout, &s->tag);
    }
    /* "call REQ [TIMEOUT_MS]" */
    char req[32];
    long long ms = 5000;
    if (sscanf(op, "call %31s %lld", req, &ms) < 1) return AC_EINVAL;
    s->timeout = ms < 0 ? AC_INFINITY : ms * 1000000;
    ac_tb_free(&s->req);
    char *end;
    long long v = strtoll(req, &end, 10);
    if (*end == 0) T(&s->req, "i", (int64_t)v);
    else T(&s->req, "a", req);
    ac_term r = {s->req.data};
    return ac_server_call(self, server, r, s->timeout, &s->tag);
  }
}

static int caller_init(ac_proc *self, ac_term arg) {
  (void)arg;
  caller_state *s = ac_state(self);
  ac_tb_init(&s->req);
  return step(self);
}

static int caller_handle(ac_proc *self, const ac_msg *m) {
  caller_state *s = ac_state(self);
  ac_term reply, r = {s->req.data};
  int rc = ac_server_call_result(self, m, s->tag, server, r, s->timeout, &reply);
  if (rc != AC_OK) return rc; /* it exits: the trace hook logs the reason */
  char text[120];
  ac_term_print(reply, text, sizeof text);
  snprintf(out[outn++], sizeof out[0], "%s -> %s", script[s->step], text);
  s->step++;
  return step(self);
}

static void caller_terminate(ac_proc *self, ac_term reason) {
  (void)reason;
  caller_state *s = ac_state(self);
  ac_tb_free(&s->req);
}

static const ac_behaviour caller = {"caller", sizeof(caller_state), caller_init, caller_handle,
                                    caller_terminate};

static ac_pid caller_pid;
static void on_event(const sim_record *r, void *arg) {
  (void)arg;
  if (r->kind == AC_EV_CODE && r->b == server.bits && outn < LOGN) {
    char text[160];
    ac_term_print((ac_term){r->payload}, text, sizeof text);
    snprintf(out[outn++], sizeof out[0], "code %u %s", r->flags, text);
  }
  if (r->kind == AC_EV_EXIT && r->a == caller_pid.bits && outn < LOGN) {
    char text[180];
    ac_term t = {r->payload};
    ac_term_print(t, text, sizeof text);
    snprintf(out[outn++], sizeof out[0], "caller exit %s", text);
  }
}

/* {'$gen_cast', answer} from the node, 10 ms into the run: the deferred reply's trigger. */
static bool send_answer;
static void answer_later(sim_world *w, void *arg) {
  (void)arg;
  ac_tbuf b;
  ac_node_send(sim_node(w, 0), server, T(&b, "{a,a}", "$gen_cast", "answer"));
  ac_tb_free(&b);
}

static bool from_module;
static void run(const char *const *steps, size_t n, bool start_server) {
  ac_node *node;
  sim_world *w = world_new(&node);
  sim_set_event_hook(w, on_event, NULL);
  outn = 0;
  terminated = 0;
  memset(script, 0, sizeof script);
  memcpy(script, steps, n * sizeof *steps);
  ac_tbuf b;
  if (start_server && from_module) {
    ac_code_def def = {NULL, &counter_cb, NULL, NULL};
    assert_int_equal(ac_server_start_module(node, NULL, "ctr", T(&b, "i", INT64_C(40)), "ctr", &server),
                     AC_ENOTFOUND);
    ac_tb_free(&b);
    assert_int_equal(ac_code_load(node, AC_PID_NONE, "ctr", &def, NULL), AC_OK);
    assert_int_equal(ac_server_start_module(node, NULL, "ctr", T(&b, "i", INT64_C(40)), "ctr", &server), AC_OK);
    ac_tb_free(&b);
  } else if (start_server) {
    assert_int_equal(ac_server_start(node, NULL, &counter_cb, T(&b, "i", INT64_C(40)), "ctr", &server), AC_OK);
    ac_tb_free(&b);
    assert_int_equal(ac_server_start(node, NULL, &counter_cb, T(&b, "i", INT64_C(1)), "ctr", &(ac_pid){0}),
                     AC_ENAMETAKEN);
    ac_tb_free(&b);
  } else {
    server = ac_pid_make(0, 77, 0); /* nobody */
  }
  assert_int_equal(ac_node_spawn(node, &caller, T(&b, "n"), &caller_pid), AC_OK);
  ac_tb_free(&b);
  if (send_answer) sim_at(w, 10000000u, answer_later, NULL);
  sim_run(w, NULL);
  for (int i = 0; i < outn; i++) fprintf(stderr, "  %s\n", out[i]);
  sim_world_destroy(w);
}

static bool has(const char *line) {
  for (int i = 0; i < outn; i++)
    if (strcmp(out[i], line) == 0) return true;
  return false;
}

static void test_calls_casts_and_deferred_replies(void **state) {
  (void)state;
  const char *t[] = {"call get", "call 2", "cast reset", "info", "call get", "call crash"};
  run(t, 6, true);
  assert_true(has("call get -> 40"));
  assert_true(has("call 2 -> 42"));
  assert_true(has("call get -> 100")); /* reset by the cast, then +100 by the info message */
  char crash[160];
  snprintf(crash, sizeof crash, "caller exit {crashed,{gen_server,call,[<0.%u.0>,crash,5000]}}",
           ac_pid_slot(server));
  assert_true(has(crash));
  assert_int_equal(terminated, 1); /* the server's terminate ran (destroyed or crashed) */
}

/* handle_call keeps `from` and answers when a cast comes (gen_server:reply/2). */
static void test_deferred_reply(void **state) {
  (void)state;
  const char *t[] = {"call later", "call get"};
  send_answer = true;
  run(t, 2, true);
  send_answer = false;
  assert_true(has("call later -> 80"));
  assert_true(has("call get -> 40"));
}

static void test_timeout_exits_the_caller(void **state) {
  (void)state;
  const char *t[] = {"call never 200"};
  run(t, 1, true);
  char line[160];
  snprintf(line, sizeof line, "caller exit {timeout,{gen_server,call,[<0.%u.0>,never,200]}}",
           ac_pid_slot(server));
  assert_true(has(line));
}

static void test_dead_server_is_noproc(void **state) {
  (void)state;
  const char *t[] = {"call get -1"};
  run(t, 1, false);
  assert_true(has("caller exit {noproc,{gen_server,call,[<0.77.0>,get,infinity]}}"));
}

/* A caller that catches its call's timeout (what `catch gen_server:call(...)` does: the
 * monitor, which is the call's alias, is removed) and then waits 50 ms for any message. The
 * server answers at 10 ms (the cast 'answer'): that reply must never arrive. */
static int late_phase;
static int late_init(ac_proc *self, ac_term arg) {
  (void)arg;
  caller_state *s = ac_state(self);
  ac_tb_init(&s->req);
  ac_term r = T(&s->req, "a", "later");
  return ac_server_call(self, server, r, 5000000, &s->tag);
}

static int late_handle(ac_proc *self, const ac_msg *m) {
  caller_state *s = ac_state(self);
  if (late_phase == 0) {
    assert_null(m); /* the timeout, at 5 ms */
    late_phase = 1;
    assert_int_equal(ac_demonitor(self, s->tag, AC_DEMONITOR_FLUSH), AC_OK);
    return ac_receive(self, NULL, NULL, 50000000);
  }
  snprintf(out[outn++], sizeof out[0], "%s", m ? "late reply arrived" : "nothing arrived");
  return ac_stop_atom(self, "normal");
}

static const ac_behaviour late_caller = {"late_caller", sizeof(caller_state), late_init,
                                         late_handle, caller_terminate};

static int dropped;
static void count_dropped(const sim_record *r, void *arg) {
  (void)arg;
  if (r->kind == AC_EV_SEND_DEAD && r->b == caller_pid.bits) dropped++;
}

static void test_late_reply_is_dropped(void **state) {
  (void)state;
  ac_node *node;
  sim_world *w = world_new(&node);
  sim_set_event_hook(w, count_dropped, NULL);
  outn = 0;
  late_phase = 0;
  dropped = 0;
  ac_tbuf b;
  assert_int_equal(ac_server_start(node, NULL, &counter_cb, T(&b, "i", INT64_C(4)), NULL, &server), AC_OK);
  ac_tb_free(&b);
  assert_int_equal(ac_node_spawn(node, &late_caller, T(&b, "n"), &caller_pid), AC_OK);
  ac_tb_free(&b);
  sim_at(w, 10000000u, answer_later, NULL);
  sim_run(w, NULL);
  sim_world_destroy(w);
  assert_int_equal(outn, 1);
  assert_string_equal(out[0], "nothing arrived");
  assert_int_equal(dropped, 1); /* the reply was sent, and dropped at the inactive alias */
}

static void test_upgrade_from_a_module_with_suspend_change_code_resume(void **state) {
  (void)state;
  const char *t[] = {"call get",  "load 2",          "call get",  "sys suspend",
                     "cast reset", "sys change_code 1 2", "sys resume", "call get",
                     "purge",     "load 3",          "call get",  "sys suspend",
                     "sys change_code 2 0", "sys resume", "sys change_code 2 0", "sys get_state"};
  from_module = true;
  run(t, 16, true);
  from_module = false;
  /* Version 2 has another state size: the server keeps version 1 until its code_change. */
  assert_true(has("call get -> 40"));
  assert_false(has("call get -> 1040"));
  assert_true(has("sys suspend -> ok"));
  assert_true(has("code 6 {ctr,1}"));
  assert_true(has("sys change_code 1 2 -> ok"));
  assert_true(has("code 8 {ctr,2}"));
  assert_true(has("sys resume -> ok"));
  assert_true(has("code 7 {ctr,2}"));
  /* The cast sent while it was suspended waited, and version 2 handled it after the resume. */
  assert_true(has("call get -> 1000"));
  assert_true(has("purge -> false")); /* nothing runs version 1 any more */
  assert_true(has("load 3 -> ok"));
  /* Version 3 has version 2's state size: the next callback is version 3's (fully qualified). */
  assert_true(has("call get -> 3000"));
  assert_true(has("sys change_code 2 0 -> {error,{'EXIT',badarg}}"));
  assert_true(has("code 9 {ctr,3,{'EXIT',badarg}}"));
  assert_true(has("sys change_code 2 0 -> {error,{unknown_system_msg,{change_code,ctr,2,0}}}"));
  assert_true(has("sys get_state -> {error,{unknown_system_msg,get_state}}"));
}

static char spawns[4][120];
static int nspawns;
static void on_spawn(const sim_record *r, void *arg) {
  on_event(r, arg);
  if (r->kind == AC_EV_SPAWN && nspawns < 4 && r->payload_size)
    ac_term_print((ac_term){r->payload}, spawns[nspawns++], sizeof spawns[0]);
}

static void kill_and_upgrade(sim_world *w, void *arg) {
  (void)arg;
  ac_node *node = sim_node(w, 0);
  ac_code_def def = {NULL, &counter1b_cb, NULL, NULL};
  assert_int_equal(ac_code_load(node, AC_PID_NONE, "ctr", &def, NULL), AC_OK);
  ac_tbuf b;
  assert_int_equal(ac_node_exit(node, ac_whereis(node, "ctr"), T(&b, "a", "kill")), AC_OK);
  ac_tb_free(&b);
}

static void start_caller(sim_world *w, void *arg) {
  (void)arg;
  ac_node *node = sim_node(w, 0);
  ac_tbuf b;
  server = ac_whereis(node, "ctr");
  assert_int_equal(ac_node_spawn(node, &caller, T(&b, "n"), &caller_pid), AC_OK);
  ac_tb_free(&b);
}

/* A module server whose state fits the new version's runs it from its next callback on: it does
 * not run the old version while it waits (as a gen_server waits in gen_server's loop), so a
 * purge right after the load leaves it alive. One whose state does not fit keeps the old
 * version, and the purge kills it. */
static void test_idle_module_server_does_not_run_the_old_version(void **state) {
  (void)state;
  const char *t[] = {"call get", "load 4", "purge", "call get", "load 1", "purge", "call get"};
  from_module = true;
  run(t, 7, true);
  from_module = false;
  assert_true(has("call get -> 40"));
  assert_true(has("load 4 -> ok"));
  assert_false(has("purge -> true"));
  assert_true(has("call get -> 540")); /* version 1b's get, on the state it had */
  assert_true(has("load 1 -> ok"));
  assert_true(has("call get -> 40"));
  assert_true(has("caller exit normal"));
  /* A version whose state does not fit: the server keeps the old one, and the purge kills it. */
  const char *k[] = {"call get", "load 2", "purge", "call get"};
  from_module = true;
  run(k, 4, true);
  from_module = false;
  assert_true(has("purge -> true"));
  assert_true(has("caller exit {noproc,{gen_server,call,[<0.1.0>,get,5000]}}"));
}

/* A supervisor's child named by module restarts into the version current at the restart. */
static void test_supervised_module_server_restarts_into_the_current_version(void **state) {
  (void)state;
  ac_node *node;
  sim_world *w = world_new(&node);
  sim_set_event_hook(w, on_spawn, NULL);
  outn = 0;
  nspawns = 0;
  memset(script, 0, sizeof script);
  script[0] = "call get";
  server = ac_pid_make(0, 99, 0);
  caller_pid = AC_PID_NONE; /* not a pid of this run until the caller starts */
  ac_code_def def = {NULL, &counter_cb, NULL, NULL};
  assert_int_equal(ac_code_load(node, AC_PID_NONE, "ctr", &def, NULL), AC_OK);
  static const ac_server_spec spec = {NULL, "ctr", "ctr"};
  ac_tbuf b;
  ac_child_spec child = ac_child_spec_worker("ctr", NULL, T(&b, "i", INT64_C(40)));
  child.start = ac_server_start_fn;
  child.start_ctx = &spec;
  ac_sup_config cfg = {ac_sup_flags_default(), &child, 1};
  ac_pid sup;
  assert_int_equal(ac_supervisor_start(node, NULL, &cfg, &sup), AC_OK);
  ac_tb_free(&b);
  sim_at(w, 10000000u, kill_and_upgrade, NULL);
  sim_at(w, 20000000u, start_caller, NULL);
  sim_run(w, NULL);
  for (int i = 0; i < nspawns; i++) fprintf(stderr, "  spawn %s\n", spawns[i]);
  for (int i = 0; i < outn; i++) fprintf(stderr, "  %s\n", out[i]);
  sim_world_destroy(w);
  assert_int_equal(nspawns, 4); /* supervisor, ctr, ctr again, the caller */
  assert_string_equal(spawns[1], "{server,server,ctr,1}");
  assert_string_equal(spawns[2], "{server,server,ctr,2}");
  assert_true(has("call get -> 540")); /* version 1b's get on a fresh state */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_calls_casts_and_deferred_replies),
      cmocka_unit_test(test_deferred_reply),
      cmocka_unit_test(test_timeout_exits_the_caller),
      cmocka_unit_test(test_dead_server_is_noproc),
      cmocka_unit_test(test_late_reply_is_dropped),
      cmocka_unit_test(test_upgrade_from_a_module_with_suspend_change_code_resume),
      cmocka_unit_test(test_idle_module_server_does_not_run_the_old_version),
      cmocka_unit_test(test_supervised_module_server_restarts_into_the_current_version),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
