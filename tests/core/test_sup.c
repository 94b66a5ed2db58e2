/*
 * Supervisors: strategies, restart types, intensity, shutdown, escalation and the runtime API.
 *
 * Method: every test builds a supervision tree of "worker" processes, injects exits from the
 * node (as a fault injector would), runs the world, and compares the supervisor's reports (the
 * AC_EV_SUPERVISOR trace events, as text such as "{child_started,w1}") and exits with what
 * Erlang/OTP's supervisor does in the same situation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "probe.h"
#include "sup.h"

const probe_script probe_scripts[] = {{NULL, NULL}};

/* ---- A worker: mode "plain", "stubborn" (traps exits, ignores shutdown), "fail" (its init
 * fails with init_failed), "fail_later" (fails once its supervisor restarts it: it reads a
 * global switch). A message {stop, Reason} ends it with Reason. ---------------------------- */

static bool fail_restarts;

static int worker_init(ac_proc *self, ac_term arg) {
  if (ac_term_is_atom(arg, "fail") || (ac_term_is_atom(arg, "fail_later") && fail_restarts))
    return ac_stop_atom(self, "init_failed");
  if (ac_term_is_atom(arg, "stubborn")) return ac_trap_exit(self, true, NULL);
  return AC_OK;
}

static int worker_handle(ac_proc *self, const ac_msg *m) {
  ac_term t = ac_msg_term(m), e;
  if (ac_term_type(t) == AC_T_TUPLE && ac_term_count(t) == 2 &&
      ac_term_is_atom(ac_term_first(t), "stop") && ac_term_elem(t, 1, &e) == AC_OK)
    return ac_stop(self, e);
  return AC_OK; /* a stubborn worker ignores {'EXIT', _, shutdown} */
}

static const ac_behaviour worker = {"worker", 0, worker_init, worker_handle, NULL};

/* ---- The log: supervisor reports and supervisor exits, in order --------------------------- */

#define LOG_MAX 512
static char sup_log[LOG_MAX][160];
static int sup_log_n;
static ac_pid watched[8]; /* supervisors whose exits are logged */
static int watched_n;

static void on_event(const sim_record *r, void *arg) {
  (void)arg;
  if (sup_log_n >= LOG_MAX || !r->payload) return;
  char text[140];
  ac_term t = {r->payload};
  ac_term_print(t, text, sizeof text);
  if (r->kind == AC_EV_SUPERVISOR) {
    snprintf(sup_log[sup_log_n++], sizeof sup_log[0], "%s", text);
  } else if (r->kind == AC_EV_EXIT) {
    for (int i = 0; i < watched_n; i++)
      if (watched[i].bits == r->a) snprintf(sup_log[sup_log_n++], sizeof sup_log[0], "sup%d exit %s", i, text);
  }
}

static void log_dump(void) {
  for (int i = 0; i < sup_log_n; i++) fprintf(stderr, "  sup log %d: %s\n", i, sup_log[i]);
}

/* The log from position *at on must contain these lines in this order (others may come
 * between); *at moves past the last one. */
static void expect_seq(int *at, const char *const *lines, size_t n) {
  for (size_t k = 0; k < n; k++) {
    int found = -1;
    for (int i = *at; i < sup_log_n; i++)
      if (strcmp(sup_log[i], lines[k]) == 0) {
        found = i;
        break;
      }
    if (found < 0) {
      fprintf(stderr, "expected '%s' after log line %d\n", lines[k], *at);
      log_dump();
      fail();
    }
    *at = found + 1;
  }
}
#define EXPECT(at, ...)                                                  \
  do {                                                                   \
    const char *const lines_[] = {__VA_ARGS__};                          \
    expect_seq(at, lines_, sizeof lines_ / sizeof lines_[0]);            \
  } while (0)

static int log_count(const char *text) {
  int n = 0;
  for (int i = 0; i < sup_log_n; i++) n += strcmp(sup_log[i], text) == 0;
  return n;
}

static sim_world *sup_world(ac_node **node) {
  sim_world *w = world_new(node);
  sup_log_n = 0;
  watched_n = 0;
  fail_restarts = false;
  sim_set_event_hook(w, on_event, NULL);
  return w;
}

static ac_tbuf arg_bufs[16];
static int arg_bufs_n;

static ac_child_spec spec(const char *id, const char *mode, ac_restart_type restart) {
  ac_tbuf *b = &arg_bufs[arg_bufs_n++ % 16];
  ac_tb_free(b);
  ac_child_spec s = ac_child_spec_worker(id, &worker, T(b, "a", mode));
  s.restart = restart;
  return s;
}

static ac_pid start_sup(sim_world *w, ac_node *node, ac_sup_flags flags, const ac_child_spec *c,
                        size_t n) {
  ac_sup_config cfg = {flags, c, n};
  ac_pid sup;
  assert_int_equal(ac_supervisor_start(node, NULL, &cfg, &sup), AC_OK);
  watched[watched_n++] = sup;
  sim_run(w, NULL);
  return sup;
}

static ac_pid child_pid(ac_node *node, ac_pid sup, const char *id) {
  ac_sup_child_info info[16];
  int n = ac_sup_children(node, sup, info, 16);
  for (int i = 0; i < n && i < 16; i++)
    if (info[i].id && strcmp(info[i].id, id) == 0) return info[i].pid;
  return AC_PID_NONE;
}

static void kill_child(sim_world *w, ac_node *node, ac_pid sup, const char *id, const char *reason) {
  ac_pid p = child_pid(node, sup, id);
  assert_false(ac_pid_is_none(p));
  ac_tbuf b;
  assert_int_equal(ac_node_exit(node, p, T(&b, "a", reason)), AC_OK);
  ac_tb_free(&b);
  sim_run(w, NULL);
}

static ac_sup_flags flags(ac_sup_strategy s, uint32_t intensity, uint64_t period_ms) {
  ac_sup_flags f = ac_sup_flags_default();
  f.strategy = s;
  f.intensity = intensity;
  f.period_ns = period_ms * 1000000u;
  return f;
}

/* ---- Strategies -------------------------------------------------------------------------- */

static void test_children_start_in_order_and_stop_in_reverse(void **state) {
  (void)state;
  ac_node *node;
  sim_world *w = sup_world(&node);
  ac_child_spec c[] = {spec("w1", "plain", AC_PERMANENT), spec("w2", "plain", AC_PERMANENT),
                       spec("w3", "plain", AC_PERMANENT)};
  ac_pid sup = start_sup(w, node, flags(AC_ONE_FOR_ONE, 1, 5000), c, 3);
  int at = 0;
  EXPECT(&at, "{child_started,w1}", "{child_started,w2}", "{child_started,w3}");
  ac_pid p1 = child_pid(node, sup, "w1"), p2 = child_pid(node, sup, "w2");
  if (getenv("SUP_DEBUG")) log_dump();
  assert_true(ac_pid_slot(p1) < ac_pid_slot(p2));
  ac_tbuf b;
  assert_int_equal(ac_node_exit(node, sup, T(&b, "a", "shutdown")), AC_OK);
  ac_tb_free(&b);
  sim_run(w, NULL);
  /* A trapping supervisor takes an exit signal from the node as a message from a stranger;
   * the node is not its parent, so it carries on. Killing it takes the children with it. */
  assert_true(ac_node_alive(node, sup));
  assert_int_equal(ac_node_exit(node, sup, T(&b, "a", "kill")), AC_OK);
  ac_tb_free(&b);
  sim_run(w, NULL);
  assert_false(ac_node_alive(node, p1));
  assert_int_equal(ac_node_process_count(node), 0);
  sim_world_destroy(w);
}

static void test_one_for_one_restarts_only_the_child(void **state) {
  (void)state;
  ac_node *node;
  sim_world *w = sup_world(&node);
  ac_child_spec c[] = {spec("w1", "plain", AC_PERMANENT), spec("w2", "plain", AC_PERMANENT),
                       spec("w3", "plain", AC_PERMANENT)};
  ac_pid sup = start_sup(w, node, flags(AC_ONE_FOR_ONE, 1, 5000), c, 3);
  ac_pid p1 = child_pid(node, sup, "w1"), p2 = child_pid(node, sup, "w2"),
         p3 = child_pid(node, sup, "w3");
  int at = 3;
  kill_child(w, node, sup, "w2", "boom");
  EXPECT(&at, "{child_terminated,w2,boom}", "{restarting,w2}", "{child_started,w2}");
  assert_true(ac_pid_eq(child_pid(node, sup, "w1"), p1));
  assert_true(ac_pid_eq(child_pid(node, sup, "w3"), p3));
  assert_false(ac_pid_eq(child_pid(node, sup, "w2"), p2));
  assert_true(ac_node_alive(node, child_pid(node, sup, "w2")));
  assert_int_equal(sup_log_n, at);
  sim_world_destroy(w);
}

static void test_one_for_all_restarts_everyone(void **state) {
  (void)state;
  ac_node *node;
  sim_world *w = sup_world(&node);
  ac_child_spec c[] = {spec("w1", "plain", AC_PERMANENT), spec("w2", "plain", AC_PERMANENT),
                       spec("w3", "plain", AC_PERMANENT)};
  ac_pid sup = start_sup(w, node, flags(AC_ONE_FOR_ALL, 1, 5000), c, 3);
  ac_pid p1 = child_pid(node, sup, "w1"), p3 = child_pid(node, sup, "w3");
  int at = 3;
  kill_child(w, node, sup, "w2", "boom");
  EXPECT(&at, "{child_terminated,w2,boom}", "{restarting,w2}", "{child_terminated,w3,shutdown}",
         "{child_terminated,w1,shutdown}", "{child_started,w1}", "{child_started,w2}",
         "{child_started,w3}");
  assert_false(ac_node_alive(node, p1));
  assert_false(ac_node_alive(node, p3));
  for (int i = 0; i < 3; i++) assert_true(ac_node_alive(node, child_pid(node, sup, (const char *[]){"w1", "w2", "w3"}[i])));
  sim_world_destroy(w);
}

static void test_rest_for_one_restarts_the_later_ones(void **state) {
  (void)state;
  ac_node *node;
  sim_world *w = sup_world(&node);
  ac_child_spec c[] = {spec("w1", "plain", AC_PERMANENT), spec("w2", "plain", AC_PERMANENT),
                       spec("w3", "plain", AC_PERMANENT), spec("w4", "plain", AC_PERMANENT)};
  ac_pid sup = start_sup(w, node, flags(AC_REST_FOR_ONE, 1, 5000), c, 4);
  ac_pid p1 = child_pid(node, sup, "w1"), p3 = child_pid(node, sup, "w3");
  int at = 4;
  kill_child(w, node, sup, "w2", "boom");
  EXPECT(&at, "{child_terminated,w2,boom}", "{restarting,w2}", "{child_terminated,w4,shutdown}",
         "{child_terminated,w3,shutdown}", "{child_started,w2}", "{child_started,w3}",
         "{child_started,w4}");
  assert_true(ac_pid_eq(child_pid(node, sup, "w1"), p1));
  assert_false(ac_node_alive(node, p3));
  assert_int_equal(log_count("{child_started,w1}"), 1);
  sim_world_destroy(w);
}

/* ---- Restart types ----------------------------------------------------------------------- */

typedef struct type_row {
  ac_restart_type type;
  const char *reason;
  bool restarted;
} type_row;

static void test_restart_types(void **state) {
  (void)state;
  static const type_row rows[] = {
      {AC_PERMANENT, "normal", true},    {AC_PERMANENT, "shutdown", true},
      {AC_PERMANENT, "boom", true},      {AC_TRANSIENT, "normal", false},
      {AC_TRANSIENT, "shutdown", false}, {AC_TRANSIENT, "boom", true},
      {AC_TEMPORARY, "normal", false},   {AC_TEMPORARY, "shutdown", false},
      {AC_TEMPORARY, "boom", false},
  };
  for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
    ac_node *node;
    sim_world *w = sup_world(&node);
    ac_child_spec c[] = {spec("w", "plain", rows[r].type)};
    ac_pid sup = start_sup(w, node, flags(AC_ONE_FOR_ONE, 3, 5000), c, 1);
    ac_pid p = child_pid(node, sup, "w");
    ac_tbuf b;
    /* The child ends itself with the reason (a stop message, not an exit signal). */
    assert_int_equal(ac_node_send(node, p, T(&b, "{a,a}", "stop", rows[r].reason)), AC_OK);
    ac_tb_free(&b);
    sim_run(w, NULL);
    int restarted = log_count("{restarting,w}");
    if (restarted != (int)rows[r].restarted) {
      fprintf(stderr, "row %zu: type %d reason %s\n", r, rows[r].type, rows[r].reason);
      log_dump();
    }
    assert_int_equal(restarted, rows[r].restarted);
    ac_sup_child_info info[2];
    int n = ac_sup_children(node, sup, info, 2);
    /* A temporary child is forgotten; the others keep their spec. */
    assert_int_equal(n, rows[r].type == AC_TEMPORARY ? 0 : 1);
    if (n == 1) assert_int_equal(ac_pid_is_none(info[0].pid), !rows[r].restarted);
    sim_world_destroy(w);
  }
}

/* ---- Intensity --------------------------------------------------------------------------- */

static void test_intensity_exceeded_gives_up(void **state) {
  (void)state;
  ac_node *node;
  sim_world *w = sup_world(&node);
  ac_child_spec c[] = {spec("w1", "plain", AC_PERMANENT), spec("w2", "plain", AC_PERMANENT)};
  ac_pid sup = start_sup(w, node, flags(AC_ONE_FOR_ONE, 2, 5000), c, 2);
  kill_child(w, node, sup, "w1", "boom");
  kill_child(w, node, sup, "w1", "boom");
  assert_true(ac_node_alive(node, sup)); /* two restarts: within intensity 2 */
  ac_pid p2 = child_pid(node, sup, "w2");
  int at = 0;
  kill_child(w, node, sup, "w1", "boom");
  EXPECT(&at, "{restarting,w1}", "{restarting,w1}", "{child_terminated,w1,boom}",
         "{intensity_reached,3}", "{shutdown,shutdown}", "{child_terminated,w2,shutdown}",
         "sup0 exit shutdown");
  assert_false(ac_node_alive(node, sup));
  assert_false(ac_node_alive(node, p2));
  sim_world_destroy(w);
}

static void fault_at(sim_world *w, void *arg) {
  ac_node *node = sim_node(w, 0);
  ac_pid *sup = arg;
  ac_pid p = child_pid(node, *sup, "w1");
  ac_tbuf b;
  if (!ac_pid_is_none(p)) ac_node_exit(node, p, T(&b, "a", "boom"));
  ac_tb_free(&b);
}

/* Restarts that fall out of the window [now - period, now] no longer count. */
static void test_restarts_outside_the_period_do_not_count(void **state) {
  (void)state;
  ac_node *node;
  sim_world *w = sup_world(&node);
  ac_child_spec c[] = {spec("w1", "plain", AC_PERMANENT)};
  static ac_pid sup;
  sup = start_sup(w, node, flags(AC_ONE_FOR_ONE, 2, 1000), c, 1);
  /* One kill every 600 ms: never more than two in any second. */
  for (int i = 1; i <= 10; i++) sim_at(w, sim_now(w) + (uint64_t)i * 600000000u, fault_at, &sup);
  sim_run(w, NULL);
  assert_true(ac_node_alive(node, sup));
  assert_int_equal(log_count("{restarting,w1}"), 10);
  uint32_t in_window;
  assert_int_equal(ac_sup_restart_count(node, sup, &in_window), AC_OK);
  assert_int_equal(in_window, 2); /* 5.4 s and 6.0 s: 4.8 s fell out */
  /* Three within 1 s: the third is one too many. */
  for (int i = 1; i <= 3; i++) sim_at(w, sim_now(w) + 5000000000u + (uint64_t)i * 300000000u, fault_at, &sup);
  sim_run(w, NULL);
  assert_false(ac_node_alive(node, sup));
  assert_int_equal(log_count("{intensity_reached,3}"), 1);
  sim_world_destroy(w);
}

/* A cascade (one_for_all) counts as one restart, however many children it restarts. */
static void test_a_cascade_counts_once(void **state) {
  (void)state;
  ac_node *node;
  sim_world *w = sup_world(&node);
  ac_child_spec c[] = {spec("w1", "plain", AC_PERMANENT), spec("w2", "plain", AC_PERMANENT),
                       spec("w3", "plain", AC_PERMANENT)};
  ac_pid sup = start_sup(w, node, flags(AC_ONE_FOR_ALL, 1, 5000), c, 3);
  kill_child(w, node, sup, "w2", "boom");
  assert_true(ac_node_alive(node, sup));
  uint32_t n;
  assert_int_equal(ac_sup_restart_count(node, sup, &n), AC_OK);
  assert_int_equal(n, 1);
  kill_child(w, node, sup, "w3", "boom");
  assert_false(ac_node_alive(node, sup));
  sim_world_destroy(w);
}

/* A restart that fails counts again; the supervisor tries again until intensity is reached. */
static void test_a_failed_restart_counts_again(void **state) {
  (void)state;
  ac_node *node;
  sim_world *w = sup_world(&node);
  ac_child_spec c[] = {spec("w1", "fail_later", AC_PERMANENT)};
  ac_pid sup = start_sup(w, node, flags(AC_ONE_FOR_ONE, 3, 5000), c, 1);
  fail_restarts = true;
  int at = 0;
  kill_child(w, node, sup, "w1", "boom");
  /* 1 (the exit) + 3 (failed attempts) = 4 > 3. */
  EXPECT(&at, "{child_terminated,w1,boom}", "{restarting,w1}", "{start_failed,w1,init_failed}",
         "{restarting,w1}", "{start_failed,w1,init_failed}", "{restarting,w1}",
         "{start_failed,w1,init_failed}", "{intensity_reached,4}", "sup0 exit shutdown");
  assert_int_equal(log_count("{restarting,w1}"), 3);
  sim_world_destroy(w);
}

/* ---- Shutdown ---------------------------------------------------------------------------- */

static void test_shutdown_timeout_then_kill(void **state) {
  (void)state;
  ac_node *node;
  sim_world *w = sup_world(&node);
  ac_child_spec c[] = {spec("w1", "plain", AC_PERMANENT), spec("w2", "stubborn", AC_PERMANENT)};
  c[1].shutdown_ns = INT64_C(300000000); /* 300 ms */
  ac_pid sup = start_sup(w, node, flags(AC_ONE_FOR_ALL, 0, 5000), c, 2);
  uint64_t t0 = sim_now(w);
  int at = 0;
  kill_child(w, node, sup, "w1", "boom"); /* intensity 0: gives up at once */
  EXPECT(&at, "{intensity_reached,1}", "{shutdown,shutdown}", "{child_terminated,w2,killed}",
         "sup0 exit shutdown");
  assert_int_equal(sim_now(w) - t0, 300000000u); /* it waited exactly the shutdown time */
  sim_world_destroy(w);
}

static void test_brutal_kill(void **state) {
  (void)state;
  ac_node *node;
  sim_world *w = sup_world(&node);
  ac_child_spec c[] = {spec("w1", "plain", AC_PERMANENT), spec("w2", "stubborn", AC_PERMANENT)};
  c[1].shutdown_ns = AC_SHUTDOWN_BRUTAL_KILL;
  ac_pid sup = start_sup(w, node, flags(AC_ONE_FOR_ALL, 0, 5000), c, 2);
  uint64_t t0 = sim_now(w);
  int at = 0;
  kill_child(w, node, sup, "w1", "boom");
  EXPECT(&at, "{shutdown,shutdown}", "{child_terminated,w2,killed}", "sup0 exit shutdown");
  assert_int_equal(sim_now(w), t0);
  sim_world_destroy(w);
}

/* ---- Escalation -------------------------------------------------------------------------- */

static void test_escalation_through_two_levels(void **state) {
  (void)state;
  ac_node *node;
  sim_world *w = sup_world(&node);
  static ac_child_spec inner_children[1];
  inner_children[0] = spec("w", "plain", AC_PERMANENT);
  static ac_sup_config inner;
  inner.flags = flags(AC_ONE_FOR_ONE, 0, 5000); /* gives up at the first exit */
  inner.children = inner_children;
  inner.child_count = 1;
  ac_child_spec outer_children[2] = {spec("first", "plain", AC_PERMANENT), {0}};
  outer_children[1] = (ac_child_spec){.id = "inner", .start = ac_supervisor_start_fn,
                                      .start_ctx = &inner, .restart = AC_PERMANENT,
                                      .shutdown_ns = AC_INFINITY, .type = AC_SUPERVISOR};
  ac_pid outer = start_sup(w, node, flags(AC_ONE_FOR_ONE, 1, 5000), outer_children, 2);
  int at = 0;
  /* The inner supervisor is started only when its own child is: started in order. */
  EXPECT(&at, "{child_started,first}", "{child_started,w}", "{child_started,inner}");
  ac_pid in = child_pid(node, outer, "inner");
  watched[watched_n++] = in;
  kill_child(w, node, in, "w", "boom");
  EXPECT(&at, "{child_terminated,w,boom}", "{intensity_reached,1}", "sup1 exit shutdown",
         "{child_terminated,inner,shutdown}", "{restarting,inner}", "{child_started,w}",
         "{child_started,inner}");
  assert_true(ac_node_alive(node, outer));
  ac_pid in2 = child_pid(node, outer, "inner");
  watched[1] = in2;
  kill_child(w, node, in2, "w", "boom");
  /* Second escalation within the outer's period: the outer gives up too. */
  EXPECT(&at, "{intensity_reached,1}", "sup1 exit shutdown", "{child_terminated,inner,shutdown}",
         "{intensity_reached,2}", "{child_terminated,first,shutdown}", "sup0 exit shutdown");
  assert_int_equal(ac_node_process_count(node), 0);
  sim_world_destroy(w);
}

static void test_failed_start_at_init(void **state) {
  (void)state;
  ac_node *node;
  sim_world *w = sup_world(&node);
  ac_child_spec c[] = {spec("w1", "plain", AC_PERMANENT), spec("w2", "fail", AC_PERMANENT),
                       spec("w3", "plain", AC_PERMANENT)};
  start_sup(w, node, flags(AC_ONE_FOR_ONE, 1, 5000), c, 3);
  int at = 0;
  EXPECT(&at, "{child_started,w1}", "{start_failed,w2,init_failed}",
         "{child_terminated,w1,shutdown}",
         "sup0 exit {shutdown,{failed_to_start_child,w2,init_failed}}");
  assert_int_equal(log_count("{child_started,w3}"), 0);
  assert_int_equal(ac_node_process_count(node), 0);
  sim_world_destroy(w);
}

static void test_bad_configurations(void **state) {
  (void)state;
  ac_node *node;
  sim_world *w = sup_world(&node);
  ac_child_spec dup[] = {spec("w", "plain", AC_PERMANENT), spec("w", "plain", AC_PERMANENT)};
  ac_sup_config cfg = {flags(AC_ONE_FOR_ONE, 1, 5000), dup, 2};
  ac_pid sup;
  assert_int_equal(ac_supervisor_start(node, NULL, &cfg, &sup), AC_EINVAL);
  cfg.child_count = 1;
  cfg.flags.strategy = (ac_sup_strategy)9;
  assert_int_equal(ac_supervisor_start(node, NULL, &cfg, &sup), AC_EINVAL);
  cfg.flags = flags(AC_SIMPLE_ONE_FOR_ONE, 1, 5000);
  cfg.child_count = 2; /* simple_one_for_one takes exactly one template */
  assert_int_equal(ac_supervisor_start(node, NULL, &cfg, &sup), AC_EINVAL);
  ac_child_spec bad = spec("", "plain", AC_PERMANENT);
  ac_sup_config cfg2 = {flags(AC_ONE_FOR_ONE, 1, 5000), &bad, 1};
  assert_int_equal(ac_supervisor_start(node, NULL, &cfg2, &sup), AC_EINVAL);
  bad = spec("w", "plain", AC_PERMANENT);
  bad.shutdown_ns = -7;
  assert_int_equal(ac_supervisor_start(node, NULL, &cfg2, &sup), AC_EINVAL);
  assert_int_equal(ac_node_process_count(node), 0); /* nothing was spawned */
  /* A supervisor spawned without its configuration exits with badarg. */
  ac_tbuf b;
  ac_pid raw;
  assert_int_equal(ac_node_spawn(node, &ac_supervisor, T(&b, "n"), &raw), AC_OK);
  ac_tb_free(&b);
  watched[watched_n++] = raw;
  sim_run(w, NULL);
  assert_int_equal(log_count("sup0 exit badarg"), 1);
  sim_world_destroy(w);
}

/* A supervisor with no child to start (simple_one_for_one) acknowledges its start at once,
 * inside its own init: started under a parent, the parent sees it up. */
static void test_empty_child_supervisor_starts(void **state) {
  (void)state;
  ac_node *node;
  sim_world *w = sup_world(&node);
  static ac_child_spec tpl[1];
  ac_tbuf b;
  tpl[0] = ac_child_spec_worker("tpl", &worker, T(&b, "n"));
  static ac_sup_config inner;
  inner.flags = flags(AC_SIMPLE_ONE_FOR_ONE, 1, 5000);
  inner.children = tpl;
  inner.child_count = 1;
  ac_child_spec outer[2] = {{.id = "pool", .start = ac_supervisor_start_fn, .start_ctx = &inner,
                             .restart = AC_PERMANENT, .shutdown_ns = AC_INFINITY,
                             .type = AC_SUPERVISOR},
                            spec("next", "plain", AC_PERMANENT)};
  ac_pid sup = start_sup(w, node, flags(AC_ONE_FOR_ONE, 1, 5000), outer, 2);
  int at = 0;
  EXPECT(&at, "{child_started,pool}", "{child_started,next}");
  assert_true(ac_node_alive(node, child_pid(node, sup, "pool")));
  ac_tb_free(&b);
  sim_world_destroy(w);
}

/* auto_shutdown: a significant child that ends for good (a transient one ending normally)
 * shuts its supervisor down; with all_significant only once the last one has. */
static void test_auto_shutdown(void **state) {
  (void)state;
  for (int all = 0; all <= 1; all++) {
    ac_node *node;
    sim_world *w = sup_world(&node);
    ac_child_spec c[] = {spec("w", "plain", AC_PERMANENT), spec("s1", "plain", AC_TRANSIENT),
                         spec("s2", "plain", AC_TRANSIENT)};
    c[1].significant = c[2].significant = true;
    ac_sup_flags f = flags(AC_ONE_FOR_ONE, 3, 5000);
    f.auto_shutdown = all ? AC_AUTO_SHUTDOWN_ALL_SIGNIFICANT : AC_AUTO_SHUTDOWN_ANY_SIGNIFICANT;
    ac_pid sup = start_sup(w, node, f, c, 3);
    ac_tbuf b;
    assert_int_equal(ac_node_send(node, child_pid(node, sup, "s1"), T(&b, "{a,a}", "stop", "normal")), AC_OK);
    ac_tb_free(&b);
    sim_run(w, NULL);
    assert_int_equal(ac_node_alive(node, sup), all); /* any: gone; all: s2 is still there */
    if (all) {
      assert_int_equal(ac_node_send(node, child_pid(node, sup, "s2"), T(&b, "{a,a}", "stop", "normal")), AC_OK);
      ac_tb_free(&b);
      sim_run(w, NULL);
      assert_false(ac_node_alive(node, sup));
    }
    int at = 0;
    EXPECT(&at, "{shutdown,shutdown}", "{child_terminated,w,shutdown}", "sup0 exit shutdown");
    assert_int_equal(ac_node_process_count(node), 0);
    sim_world_destroy(w);
  }
}

/* ---- The runtime API --------------------------------------------------------------------- */

/* A caller process: its init makes the call given as {Op, Sup, Id}, logs the reply as
 * "reply Op Term", and makes the next call of the script when there is one. */
typedef struct caller_state {
  int step;
  ac_pid sup;
  ac_ref ref;
} caller_state;

static ac_child_spec extra_spec;
static const char *script[16];

static int caller_next(ac_proc *self) {
  caller_state *s = ac_state(self);
  const char *op = script[s->step];
  if (!op) return ac_stop_atom(self, "normal");
  int rc;
  if (strcmp(op, "which") == 0) rc = ac_sup_which_children(self, s->sup, &s->ref);
  else if (strcmp(op, "count") == 0) rc = ac_sup_count_children(self, s->sup, &s->ref);
  else if (strcmp(op, "start_extra") == 0) rc = ac_sup_start_child(self, s->sup, &extra_spec, (ac_term){NULL}, &s->ref);
  else if (strncmp(op, "terminate ", 10) == 0) rc = ac_sup_terminate_child(self, s->sup, op + 10, &s->ref);
  else if (strncmp(op, "restart ", 8) == 0) rc = ac_sup_restart_child(self, s->sup, op + 8, &s->ref);
  else if (strncmp(op, "delete ", 7) == 0) rc = ac_sup_delete_child(self, s->sup, op + 7, &s->ref);
  else if (strcmp(op, "start_simple") == 0) {
    ac_tbuf b;
    rc = ac_sup_start_child(self, s->sup, NULL, T(&b, "[a]", "plain"), &s->ref);
    ac_tb_free(&b);
  } else return AC_EINVAL;
  if (rc) return rc;
  ac_tbuf b;
  rc = ac_receive_pattern(self, T(&b, "{r,a}", s->ref, "_"), AC_INFINITY);
  ac_tb_free(&b);
  return rc;
}

static int caller_init(ac_proc *self, ac_term arg) {
  caller_state *s = ac_state(self);
  if (ac_term_get_pid(arg, &s->sup)) return AC_EINVAL;
  return caller_next(self);
}

static int caller_handle(ac_proc *self, const ac_msg *m) {
  caller_state *s = ac_state(self);
  char text[140];
  ac_term reply;
  ac_term_elem(ac_msg_term(m), 1, &reply);
  ac_term_print(reply, text, sizeof text);
  snprintf(sup_log[sup_log_n++], sizeof sup_log[0], "reply %s %s", script[s->step], text);
  s->step++;
  return caller_next(self);
}

static const ac_behaviour caller = {"caller", sizeof(caller_state), caller_init, caller_handle, NULL};

static void run_script(sim_world *w, ac_node *node, ac_pid sup) {
  ac_tbuf b;
  ac_pid c;
  assert_int_equal(ac_node_spawn(node, &caller, T(&b, "p", sup), &c), AC_OK);
  ac_tb_free(&b);
  sim_run(w, NULL);
}

/* Replies mention pids; the log keeps only their shape. */
static bool reply_matches(int i, const char *prefix) {
  return i < sup_log_n && strncmp(sup_log[i], prefix, strlen(prefix)) == 0;
}

/* The first reply at index `from` or later that starts with `prefix`, or -1. */
static int find_reply_from(int from, const char *prefix) {
  for (int i = from; i < sup_log_n; i++)
    if (reply_matches(i, prefix)) return i;
  return -1;
}

static int find_reply(const char *prefix) {
  for (int i = 0; i < sup_log_n; i++)
    if (reply_matches(i, prefix)) return i;
  fprintf(stderr, "no reply starting '%s'\n", prefix);
  log_dump();
  return -1;
}

static void test_runtime_api(void **state) {
  (void)state;
  ac_node *node;
  sim_world *w = sup_world(&node);
  ac_child_spec c[] = {spec("w1", "plain", AC_PERMANENT), spec("w2", "plain", AC_TRANSIENT)};
  ac_pid sup = start_sup(w, node, flags(AC_ONE_FOR_ONE, 5, 5000), c, 2);
  extra_spec = spec("w3", "plain", AC_PERMANENT);
  const char *s[] = {"count", "terminate w2", "restart w1", "delete w2", "start_extra",
                     "start_extra", "terminate w2", "restart w2", "which", "count",
                     "terminate w3", "restart w3", NULL};
  memcpy(script, s, sizeof s);
  run_script(w, node, sup);
  const char *count2 = "reply count [{specs,2},{active,2},{supervisors,0},{workers,2}]";
  int count_first = find_reply(count2);
  assert_true(count_first >= 0);
  assert_true(find_reply("reply terminate w2 ok") >= 0);
  assert_true(find_reply("reply restart w1 {error,running}") >= 0);
  assert_true(find_reply("reply delete w2 ok") >= 0);
  int first = find_reply("reply start_extra {ok,<");
  assert_true(first >= 0);
  assert_true(find_reply("reply start_extra {error,{already_started,<") > first);
  assert_true(find_reply("reply terminate w2 {error,not_found}") >= 0);
  assert_true(find_reply("reply restart w2 {error,not_found}") >= 0);
  int which_first = find_reply("reply which [{w3,<0."); /* newest first, as OTP */
  assert_true(which_first >= 0);
  /* The second count (w2 deleted, w3 added): a reply after the which, not the first one. */
  assert_true(find_reply_from(which_first + 1, count2) > which_first);
  assert_true(find_reply("reply terminate w3 ok") >= 0);
  assert_true(find_reply("reply restart w3 {ok,<") >= 0);
  int which = find_reply("reply which ");
  assert_non_null(strstr(sup_log[which], ",worker,[worker]}"));
  sim_world_destroy(w);
}

static void test_simple_one_for_one(void **state) {
  (void)state;
  ac_node *node;
  sim_world *w = sup_world(&node);
  ac_tbuf b;
  ac_child_spec tpl = ac_child_spec_worker("tpl", &worker, T(&b, "n"));
  tpl.start = NULL;
  ac_pid sup = start_sup(w, node, flags(AC_SIMPLE_ONE_FOR_ONE, 5, 5000), &tpl, 1);
  ac_tb_free(&b);
  ac_sup_child_info info[4];
  assert_int_equal(ac_sup_children(node, sup, info, 4), 0); /* the template is no child */
  const char *s[] = {"start_simple", "start_simple", "count", NULL};
  memcpy(script, s, sizeof s);
  run_script(w, node, sup);
  assert_int_equal(ac_sup_children(node, sup, info, 4), 2);
  assert_null(info[0].id);
  /* The child's argument is the template's list with the call's appended: ['plain']. */
  ac_pid p = info[0].pid;
  assert_int_equal(ac_node_exit(node, p, T(&b, "a", "boom")), AC_OK);
  ac_tb_free(&b);
  sim_run(w, NULL);
  assert_int_equal(log_count("{restarting,undefined}"), 1);
  assert_int_equal(ac_sup_children(node, sup, info, 4), 2);
  assert_false(ac_pid_eq(info[0].pid, p) && ac_pid_eq(info[1].pid, p));
  sim_world_destroy(w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_children_start_in_order_and_stop_in_reverse),
      cmocka_unit_test(test_one_for_one_restarts_only_the_child),
      cmocka_unit_test(test_one_for_all_restarts_everyone),
      cmocka_unit_test(test_rest_for_one_restarts_the_later_ones),
      cmocka_unit_test(test_restart_types),
      cmocka_unit_test(test_intensity_exceeded_gives_up),
      cmocka_unit_test(test_restarts_outside_the_period_do_not_count),
      cmocka_unit_test(test_a_cascade_counts_once),
      cmocka_unit_test(test_a_failed_restart_counts_again),
      cmocka_unit_test(test_shutdown_timeout_then_kill),
      cmocka_unit_test(test_brutal_kill),
      cmocka_unit_test(test_escalation_through_two_levels),
      cmocka_unit_test(test_failed_start_at_init),
      cmocka_unit_test(test_bad_configurations),
      cmocka_unit_test(test_auto_shutdown),
      cmocka_unit_test(test_empty_child_supervisor_starts),
      cmocka_unit_test(test_runtime_api),
      cmocka_unit_test(test_simple_one_for_one),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
