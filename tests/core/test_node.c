/*
 * The node runtime: spawn, pids, mailboxes with selective receive and timeouts, registered
 * names, timers, limits and bad input.
 *
 * Method: probes and small behaviours run in a seeded world; tests assert on what probes logged,
 * on the node's inspection calls and on every error code a public call returns for invalid
 * input (dead pid, unknown name, oversized term, term nested too deep, ...).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "probe.h"

enum { S_PASSIVE, S_SELECTIVE, S_AFTER, S_REGISTER_SELF, S_SEND_AFTER, S_CHECK_ERRORS, S_BURST, S_AFTER0 };

/* Receives only {b, _} first, then anything: proves unmatched messages keep their order. */
static int selective_init(ac_proc *self, ac_term arg) {
  (void)arg;
  ac_tbuf b;
  int rc = ac_receive_pattern(self, T(&b, "{a,a}", "b", "_"), AC_INFINITY);
  ac_tb_free(&b);
  return rc;
}

/* Waits 250 ms for 'never', then logs the timeout (probe_handle) and waits for anything. */
static int after_init(ac_proc *self, ac_term arg) {
  (void)arg;
  ac_tbuf b;
  int rc = ac_receive_pattern(self, T(&b, "a", "never"), 250 * 1000000);
  ac_tb_free(&b);
  return rc;
}

/* receive 'never' after 0: times out at once. */
static int after0_init(ac_proc *self, ac_term arg) {
  (void)arg;
  ac_tbuf b;
  int rc = ac_receive_pattern(self, T(&b, "a", "never"), 0);
  ac_tb_free(&b);
  return rc;
}

static int register_self_init(ac_proc *self, ac_term arg) {
  const char *name;
  size_t len;
  char buf[64];
  if (ac_term_get_atom(arg, &name, &len) || len >= sizeof buf) return AC_EINVAL;
  memcpy(buf, name, len);
  buf[len] = 0;
  return ac_register(self, buf, ac_self(self));
}

static ac_ref cancelled_timer;
static int send_after_init(ac_proc *self, ac_term arg) {
  (void)arg;
  ac_tbuf b;
  int rc = ac_send_after(self, 1000000000, ac_self(self), T(&b, "a", "tick"), NULL);
  ac_tb_free(&b);
  if (rc == AC_OK)
    rc = ac_send_after(self, 2000000000, ac_self(self), T(&b, "a", "cancelled"), &cancelled_timer);
  ac_tb_free(&b);
  if (rc == AC_OK) rc = ac_cancel_timer(self, cancelled_timer);
  if (rc == AC_OK && ac_cancel_timer(self, cancelled_timer) != AC_ENOTFOUND) rc = AC_ESTATE;
  return rc;
}

/* Process calls with bad arguments return their documented codes (and change nothing). */
static int check_errors_init(ac_proc *self, ac_term arg) {
  (void)arg;
  ac_tbuf b;
  ac_term msg = T(&b, "a", "hello");
  ac_pid ghost = ac_pid_make(0, 4000, 3);
  int fails = 0;
  fails += ac_send_name(self, "nobody", msg) != AC_ENONAME;
  fails += ac_send(self, ghost, msg) != AC_OK; /* Erlang: sending to a dead pid is fine */
  fails += ac_link(self, ghost) != AC_ENOPROC;
  fails += ac_register(self, "ghost", ghost) != AC_ENOPROC;
  fails += ac_register(self, "", ac_self(self)) != AC_EBADNAME;
  fails += ac_register(self, "undefined", ac_self(self)) != AC_EBADNAME;
  fails += ac_register(self, "me", ac_self(self)) != AC_OK;
  fails += ac_register(self, "me", ac_self(self)) != AC_ENAMETAKEN;
  fails += ac_register(self, "me2", ac_self(self)) != AC_EHASNAME;
  fails += ac_unregister(self, "nobody") != AC_ENONAME;
  fails += ac_send(self, ac_pid_make(3, 1, 0), msg) != AC_OK; /* unknown node: the network drops it, as Erlang does */
  fails += ac_receive(self, NULL, NULL, -5) != AC_EINVAL;
  fails += ac_spawn(self, NULL, msg, 0, &ghost, NULL) != AC_EINVAL;
  fails += ac_spawn(self, &probe_behaviour, msg, AC_SPAWN_MONITOR, &ghost, NULL) != AC_EINVAL;
  ac_tb_free(&b);
  probe_logf("error checks failed: %d", fails);
  return AC_OK;
}

/* Sends {Id, K} for K = 1..BURST_LEN to a collector, one per step, interleaved with others. */
#define BURST_LEN 50
typedef struct burst {
  ac_pid collector;
  int64_t id;
} burst;
static burst bursts[8];

static int burst_next(ac_proc *self, int64_t id, int64_t k) {
  if (k > BURST_LEN) return AC_OK;
  ac_tbuf b;
  int rc = ac_send(self, bursts[id].collector, T(&b, "{i,i}", id, k));
  ac_tb_free(&b);
  if (rc == AC_OK) rc = ac_send(self, ac_self(self), T(&b, "{a,i,i}", "next", id, k + 1));
  ac_tb_free(&b);
  return rc;
}

static int burst_init(ac_proc *self, ac_term arg) {
  int64_t id;
  if (ac_term_get_int(arg, &id)) return AC_EINVAL;
  return burst_next(self, id, 1);
}

static int burst_msg(ac_proc *self, const ac_msg *msg) {
  ac_term t = ac_msg_term(msg), e;
  int64_t id, k;
  if (ac_term_elem(t, 1, &e) || ac_term_get_int(e, &id) || ac_term_elem(t, 2, &e) ||
      ac_term_get_int(e, &k))
    return AC_EINVAL;
  return burst_next(self, id, k);
}

const probe_script probe_scripts[] = {
    [S_PASSIVE] = {NULL, NULL},
    [S_SELECTIVE] = {selective_init, NULL},
    [S_AFTER] = {after_init, NULL},
    [S_REGISTER_SELF] = {register_self_init, NULL},
    [S_SEND_AFTER] = {send_after_init, NULL},
    [S_CHECK_ERRORS] = {check_errors_init, NULL},
    [S_BURST] = {burst_init, burst_msg},
    [S_AFTER0] = {after0_init, NULL},
};

static void send_fmt(ac_node *node, ac_pid to, const char *fmt, ...) {
  ac_tbuf b;
  ac_tb_init(&b);
  va_list ap;
  va_start(ap, fmt);
  ac_tb_vfmt(&b, fmt, ap);
  va_end(ap);
  ac_term t;
  assert_int_equal(ac_tb_finish(&b, &t), AC_OK);
  assert_int_equal(ac_node_send(node, to, t), AC_OK);
  ac_tb_free(&b);
}

static void test_selective_receive_keeps_unmatched_in_order(void **state) {
  (void)state;
  ac_node *node;
  sim_world *w = world_new(&node);
  ac_pid p = probe_spawn(node, S_SELECTIVE, "n");
  sim_run(w, NULL);
  send_fmt(node, p, "{a,i}", "a", (int64_t)1);
  send_fmt(node, p, "{a,i}", "a", (int64_t)2);
  send_fmt(node, p, "{a,i}", "b", (int64_t)3);
  send_fmt(node, p, "{a,i}", "a", (int64_t)4);
  sim_run(w, NULL);
  assert_int_equal(probe_log_len, 4);
  assert_non_null(strstr(probe_log[0], "{b,3}"));
  assert_non_null(strstr(probe_log[1], "{a,1}"));
  assert_non_null(strstr(probe_log[2], "{a,2}"));
  assert_non_null(strstr(probe_log[3], "{a,4}"));
  sim_world_destroy(w);
}

static void test_receive_after_times_out_in_virtual_time(void **state) {
  (void)state;
  ac_node *node;
  sim_world *w = world_new(&node);
  probe_spawn(node, S_AFTER, "n");
  sim_run(w, NULL);
  assert_true(probe_log_has("got timeout"));
  assert_int_equal(sim_now(w), 250 * 1000000);
  sim_world_destroy(w);
}

static void test_receive_after_does_not_fire_when_message_matches(void **state) {
  (void)state;
  ac_node *node;
  sim_world *w = world_new(&node);
  ac_pid p = probe_spawn(node, S_AFTER, "n");
  sim_run(w, &(sim_limits){100 * 1000000, 0});
  send_fmt(node, p, "a", "never");
  sim_run(w, NULL);
  assert_true(probe_log_has("got never"));
  assert_false(probe_log_has("got timeout"));
  sim_world_destroy(w);
}

/* A message that arrives after the receive timed out but before the process runs must not be
 * handed to that receive (it does not match it): the step is the timeout. */
static void test_message_after_timeout_is_not_taken_by_that_receive(void **state) {
  (void)state;
  ac_node *node;
  sim_world *w = world_new(&node);
  ac_pid p = probe_spawn(node, S_AFTER0, "n");
  assert_int_equal(sim_run(w, &(sim_limits){0, 1}), SIM_STOP_STEP_LIMIT); /* init only */
  send_fmt(node, p, "a", "hello");
  sim_run(w, NULL);
  assert_int_equal(probe_log_len, 2);
  assert_non_null(strstr(probe_log[0], "got timeout"));
  assert_non_null(strstr(probe_log[1], "got hello"));
  sim_world_destroy(w);
}

static void test_registered_name_is_removed_on_exit(void **state) {
  (void)state;
  ac_node *node;
  sim_world *w = world_new(&node);
  ac_pid p = probe_spawn(node, S_REGISTER_SELF, "a", "keeper");
  sim_run(w, NULL);
  assert_true(ac_pid_eq(ac_whereis(node, "keeper"), p));
  const char *names[4];
  ac_pid pids[4];
  assert_int_equal(ac_node_registered(node, names, pids, 4), 1);
  assert_string_equal(names[0], "keeper");
  ac_tbuf b;
  assert_int_equal(ac_node_send_name(node, "keeper", T(&b, "a", "hi")), AC_OK);
  ac_tb_free(&b);
  assert_int_equal(ac_node_exit(node, p, T(&b, "a", "kill")), AC_OK);
  ac_tb_free(&b);
  sim_run(w, NULL);
  assert_true(ac_pid_is_none(ac_whereis(node, "keeper")));
  assert_int_equal(ac_node_send_name(node, "keeper", T(&b, "a", "hi")), AC_ENONAME);
  ac_tb_free(&b);
  /* The name can be taken again by a new process. */
  ac_pid q = probe_spawn(node, S_REGISTER_SELF, "a", "keeper");
  sim_run(w, NULL);
  assert_true(ac_pid_eq(ac_whereis(node, "keeper"), q));
  sim_world_destroy(w);
}

static void test_pids_are_never_reused(void **state) {
  (void)state;
  ac_node *node;
  sim_world *w = world_new(&node);
  ac_pid first = probe_spawn(node, S_PASSIVE, "n");
  ac_tbuf b;
  for (int i = 0; i < 50; i++) {
    ac_pid p = probe_spawn(node, S_PASSIVE, "n");
    assert_false(ac_pid_eq(p, first));
    sim_run(w, NULL);
    assert_int_equal(ac_node_exit(node, p, T(&b, "a", "kill")), AC_OK);
    ac_tb_free(&b);
    sim_run(w, NULL);
    assert_false(ac_node_alive(node, p));
    ac_pid again = probe_spawn(node, S_PASSIVE, "n");
    assert_false(ac_pid_eq(again, p)); /* same slot perhaps, never the same pid */
    assert_int_equal(ac_pid_slot(again), ac_pid_slot(p));
    assert_int_equal(ac_pid_gen(again), ac_pid_gen(p) + 1);
    sim_run(w, NULL);
    assert_int_equal(ac_node_exit(node, again, T(&b, "a", "kill")), AC_OK);
    ac_tb_free(&b);
    sim_run(w, NULL);
  }
  sim_world_destroy(w);
}

/* Free slots are chained through a field that also holds a live process's name: a reused slot
 * must come back without a name, or its exit would unregister garbage. */
static void test_reused_slots_carry_no_name(void **state) {
  (void)state;
  ac_node *node;
  sim_world *w = world_new(&node);
  ac_tbuf b;
  ac_pid p[4];
  for (int round = 0; round < 3; round++) {
    for (int i = 0; i < 4; i++) p[i] = probe_spawn(node, S_PASSIVE, "n");
    sim_run(w, NULL);
    for (int i = 0; i < 4; i++) {
      ac_proc_info info;
      assert_int_equal(ac_node_info(node, p[i], &info), AC_OK);
      assert_null(info.name);
      assert_int_equal(ac_node_exit(node, p[i], T(&b, "a", "kill")), AC_OK);
      ac_tb_free(&b);
    }
    sim_run(w, NULL);
    assert_int_equal(ac_node_process_count(node), 0);
  }
  sim_world_destroy(w);
}

static void test_send_after_delivers_and_cancel_prevents(void **state) {
  (void)state;
  ac_node *node;
  sim_world *w = world_new(&node);
  probe_spawn(node, S_SEND_AFTER, "n");
  sim_run(w, NULL);
  assert_true(probe_log_has("got tick"));
  assert_false(probe_log_has("got cancelled"));
  assert_false(probe_log_has("exit"));
  assert_int_equal(sim_now(w), 1000000000); /* a cancelled timer does not stretch the run */
  sim_world_destroy(w);
}

static void test_public_calls_reject_bad_arguments(void **state) {
  (void)state;
  ac_node *node;
  sim_world *w = world_new(&node);
  probe_spawn(node, S_CHECK_ERRORS, "n");
  sim_run(w, NULL);
  if (!probe_log_has("error checks failed: 0")) probe_log_dump();
  assert_true(probe_log_has("error checks failed: 0"));
  ac_tbuf b;
  ac_term msg = T(&b, "a", "x");
  ac_pid ghost = ac_pid_make(0, 99, 0);
  assert_int_equal(ac_node_exit(node, ghost, msg), AC_ENOPROC);
  assert_int_equal(ac_node_send_name(node, "nobody", msg), AC_ENONAME);
  assert_int_equal(ac_node_register(node, "x", ghost), AC_ENOPROC);
  assert_int_equal(ac_node_unregister(node, "x"), AC_ENONAME);
  assert_int_equal(ac_node_info(node, ghost, &(ac_proc_info){0}), AC_ENOPROC);
  assert_int_equal(ac_node_spawn(node, NULL, msg, &ghost), AC_EINVAL);
  ac_tb_free(&b);
  sim_world_destroy(w);
}

static void test_oversized_and_too_deep_terms_are_refused(void **state) {
  (void)state;
  ac_node *node;
  ac_node_config cfg = ac_node_config_default();
  cfg.message_size_max = 1024;
  sim_config wc = {1, "t", NULL, -1, 0};
  sim_world *w;
  assert_int_equal(sim_world_create(&w, &wc), AC_OK);
  assert_int_equal(sim_node_add(w, "a", &cfg, &node), AC_OK);
  ac_pid p = probe_spawn(node, S_PASSIVE, "n");
  static uint8_t big[4096];
  ac_tbuf b;
  ac_tb_init(&b);
  ac_tb_binary(&b, big, sizeof big);
  ac_term t;
  assert_int_equal(ac_tb_finish(&b, &t), AC_OK);
  assert_int_equal(ac_node_send(node, p, t), AC_ETOOBIG);
  assert_int_equal(ac_node_spawn(node, &probe_behaviour, t, &p), AC_ETOOBIG);
  ac_tb_free(&b);
  ac_tb_init(&b);
  int rc = AC_OK;
  for (unsigned i = 0; i <= AC_TERM_DEPTH_MAX && rc == AC_OK; i++) rc = ac_tb_tuple_begin(&b);
  assert_int_equal(rc, AC_ETOODEEP);
  assert_int_equal(ac_tb_finish(&b, &t), AC_ETOODEEP);
  ac_tb_free(&b);
  sim_world_destroy(w);
}

static void test_mailbox_limit_kills_receiver(void **state) {
  (void)state;
  ac_node *node;
  ac_node_config cfg = ac_node_config_default();
  cfg.mailbox_len_max = 3;
  sim_config wc = {1, "t", NULL, -1, 0};
  sim_world *w;
  assert_int_equal(sim_world_create(&w, &wc), AC_OK);
  assert_int_equal(sim_node_add(w, "a", &cfg, &node), AC_OK);
  probe_log_len = 0;
  ac_pid p = probe_spawn(node, S_SELECTIVE, "n"); /* waits for {b,_}: the rest piles up */
  sim_run(w, NULL);
  for (int i = 0; i < 4; i++) send_fmt(node, p, "i", (int64_t)i);
  sim_run(w, NULL);
  assert_false(ac_node_alive(node, p));
  assert_true(probe_log_has("exit mailbox_overflow"));
  sim_world_destroy(w);
}

static void test_process_limit_is_an_error(void **state) {
  (void)state;
  ac_node *node;
  ac_node_config cfg = ac_node_config_default();
  cfg.process_count_max = 2;
  sim_config wc = {1, "t", NULL, -1, 0};
  sim_world *w;
  assert_int_equal(sim_world_create(&w, &wc), AC_OK);
  assert_int_equal(sim_node_add(w, "a", &cfg, &node), AC_OK);
  ac_tbuf b;
  ac_term arg = T(&b, "{i,n}", (int64_t)S_PASSIVE);
  ac_pid p;
  assert_int_equal(ac_node_spawn(node, &probe_behaviour, arg, &p), AC_OK);
  assert_int_equal(ac_node_spawn(node, &probe_behaviour, arg, &p), AC_OK);
  assert_int_equal(ac_node_spawn(node, &probe_behaviour, arg, &p), AC_ELIMIT);
  ac_tb_free(&b);
  sim_world_destroy(w);
}

static void test_memory_accounting_returns_to_baseline(void **state) {
  (void)state;
  ac_node *node;
  sim_world *w = world_new(&node);
  uint64_t base = ac_node_alloc_stats(node)->bytes_in_use;
  ac_pid pids[100];
  for (int i = 0; i < 100; i++) pids[i] = probe_spawn(node, S_PASSIVE, "n");
  sim_run(w, NULL);
  assert_true(ac_node_alloc_stats(node)->bytes_in_use > base);
  ac_tbuf b;
  ac_term kill = T(&b, "a", "kill");
  probe_log_len = PROBE_LOG_MAX;
  for (int i = 0; i < 100; i++) assert_int_equal(ac_node_exit(node, pids[i], kill), AC_OK);
  ac_tb_free(&b);
  sim_run(w, NULL);
  assert_int_equal(ac_node_alloc_stats(node)->bytes_in_use, base);
  sim_world_destroy(w);
}

static int yield_steps;

static int yielder_init(ac_proc *self, ac_term arg) {
  (void)arg;
  yield_steps = 0;
  return ac_yield(self);
}

static int yielder_handle(ac_proc *self, const ac_msg *msg) {
  if (msg == NULL) {
    yield_steps++;
    return yield_steps < 3 ? ac_yield(self) : AC_OK;
  }
  probe_logf("yielder got a message after %d slices", yield_steps);
  return AC_OK;
}

static void test_yield_runs_again_without_taking_messages(void **state) {
  (void)state;
  static const ac_behaviour yielder = {"yielder", 0, yielder_init, yielder_handle, NULL};
  ac_node *node;
  sim_world *w = world_new(&node);
  ac_tbuf b;
  ac_pid p;
  assert_int_equal(ac_node_spawn(node, &yielder, T(&b, "n"), &p), AC_OK);
  ac_tb_free(&b);
  send_fmt(node, p, "a", "early"); /* waits in the mailbox while the process yields */
  sim_run(w, NULL);
  assert_int_equal(yield_steps, 3);
  assert_true(probe_log_has("yielder got a message after 3 slices"));
  assert_int_equal(sim_event_kind_count(w, AC_EV_TIMEOUT), 0);
  sim_world_destroy(w);
}

static int64_t order_last[8], order_violations, order_count, order_prev_id, order_switches;

static int order_handle(ac_proc *self, const ac_msg *msg) {
  (void)self;
  ac_term t = ac_msg_term(msg), e;
  int64_t id, k;
  if (ac_term_elem(t, 0, &e) || ac_term_get_int(e, &id) || ac_term_elem(t, 1, &e) ||
      ac_term_get_int(e, &k) || id < 0 || id >= 8)
    return AC_EINVAL;
  if (k != order_last[id] + 1) order_violations++;
  order_last[id] = k;
  order_count++;
  order_switches += id != order_prev_id;
  order_prev_id = id;
  return AC_OK;
}

static void test_message_order_is_kept_per_sender_receiver_pair(void **state) {
  (void)state;
  static const ac_behaviour order_b = {"order", 0, NULL, order_handle, NULL};
  int interleaved = 0;
  for (uint64_t seed = 1; seed <= 5; seed++) {
    sim_config cfg = {seed, "order", NULL, -1, 0};
    sim_world *w;
    ac_node *node;
    assert_int_equal(sim_world_create(&w, &cfg), AC_OK);
    assert_int_equal(sim_node_add(w, "a", NULL, &node), AC_OK);
    ac_tbuf b;
    ac_pid collector;
    assert_int_equal(ac_node_spawn(node, &order_b, T(&b, "n"), &collector), AC_OK);
    ac_tb_free(&b);
    memset(order_last, 0, sizeof order_last);
    order_violations = order_count = order_switches = 0;
    order_prev_id = -1;
    probe_log_len = PROBE_LOG_MAX;
    for (int64_t id = 0; id < 4; id++) {
      bursts[id].collector = collector;
      probe_spawn(node, S_BURST, "i", id);
    }
    sim_run(w, NULL);
    assert_int_equal(order_count, 4 * BURST_LEN);
    assert_int_equal(order_violations, 0);
    /* The senders really did interleave at the collector, not one after the other. */
    interleaved += order_switches > 20;
    sim_world_destroy(w);
  }
  assert_int_equal(interleaved, 5);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_selective_receive_keeps_unmatched_in_order),
      cmocka_unit_test(test_receive_after_times_out_in_virtual_time),
      cmocka_unit_test(test_receive_after_does_not_fire_when_message_matches),
      cmocka_unit_test(test_message_after_timeout_is_not_taken_by_that_receive),
      cmocka_unit_test(test_registered_name_is_removed_on_exit),
      cmocka_unit_test(test_pids_are_never_reused),
      cmocka_unit_test(test_reused_slots_carry_no_name),
      cmocka_unit_test(test_send_after_delivers_and_cancel_prevents),
      cmocka_unit_test(test_public_calls_reject_bad_arguments),
      cmocka_unit_test(test_oversized_and_too_deep_terms_are_refused),
      cmocka_unit_test(test_mailbox_limit_kills_receiver),
      cmocka_unit_test(test_process_limit_is_an_error),
      cmocka_unit_test(test_memory_accounting_returns_to_baseline),
      cmocka_unit_test(test_message_order_is_kept_per_sender_receiver_pair),
      cmocka_unit_test(test_yield_runs_again_without_taking_messages),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
