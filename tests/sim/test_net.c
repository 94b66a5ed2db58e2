/*
 * The network between nodes: latency, per-pair order in connection mode, reordering, loss and
 * duplicates in datagram mode, partitions, and the trace records of what the network lost.
 * Method: a sender process on node a sends 200 numbered messages to a sink on node b; the
 * sink's probe log says what arrived, in which order and when.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "probe.h"

enum { S_SINK, S_SENDER };
#define COUNT 200

static int sender_init(ac_proc *self, ac_term arg) {
  ac_pid to;
  if (ac_term_get_pid(arg, &to)) return AC_EINVAL;
  for (int64_t i = 0; i < COUNT; i++) {
    ac_tbuf b;
    int rc = ac_send(self, to, T(&b, "{a,i}", "seq", i));
    ac_tb_free(&b);
    if (rc) return rc;
  }
  return ac_stop_atom(self, "normal");
}

static uint64_t arrival_ns[COUNT * 2];
static int64_t arrival_seq[COUNT * 2];
static int arrivals;
static sim_world *world;

static int sink_msg(ac_proc *self, const ac_msg *m) {
  (void)self;
  ac_term e;
  int64_t i;
  if (ac_term_elem(ac_msg_term(m), 1, &e) == AC_OK && ac_term_get_int(e, &i) == AC_OK &&
      arrivals < COUNT * 2) {
    arrival_seq[arrivals] = i;
    arrival_ns[arrivals++] = sim_now(world);
  }
  return AC_OK;
}

const probe_script probe_scripts[] = {
    [S_SINK] = {NULL, sink_msg},
    [S_SENDER] = {sender_init, NULL},
};

/* Runs the 200 messages from a to b over `link`; returns the world's lost count. */
static uint64_t run(const sim_link *link, uint64_t seed) {
  sim_config cfg = {seed, "net", NULL, -1, 0};
  ac_node *a, *b;
  assert_int_equal(sim_world_create(&world, &cfg), AC_OK);
  assert_int_equal(sim_node_add(world, "a", NULL, &a), AC_OK);
  assert_int_equal(sim_node_add(world, "b", NULL, &b), AC_OK);
  if (link) assert_int_equal(sim_net_link(world, 0, 1, link), AC_OK);
  probe_log_len = 0;
  arrivals = 0;
  ac_pid sink = probe_spawn(b, S_SINK, "n");
  sim_run(world, NULL);
  probe_spawn(a, S_SENDER, "p", sink);
  sim_run(world, NULL);
  uint64_t lost = sim_net_lost(world);
  assert_int_equal(sim_net_in_flight(world), 0);
  assert_int_equal(sim_event_kind_count(world, AC_EV_NET_DROP), lost);
  sim_world_destroy(world);
  return lost;
}

static bool in_order(void) {
  for (int i = 1; i < arrivals; i++)
    if (arrival_seq[i] < arrival_seq[i - 1]) return false;
  return true;
}

static void test_default_link_is_instant_and_ordered(void **state) {
  (void)state;
  assert_int_equal(run(NULL, 1), 0);
  assert_int_equal(arrivals, COUNT);
  assert_true(in_order());
  assert_true(arrival_ns[COUNT - 1] < COUNT); /* one nanosecond apart, to keep their order */
}

static void test_latency(void **state) {
  (void)state;
  sim_link l = {{SIM_DIST_CONSTANT, 5000000, 0, 0, 0}, 0, 0, false, false, 0};
  run(&l, 1);
  assert_int_equal(arrivals, COUNT);
  for (int i = 0; i < arrivals; i++) assert_true(arrival_ns[i] >= 5000000 && arrival_ns[i] < 5000000 + COUNT);
}

/* Connection mode keeps the pair's order whatever the delays; datagram mode does not. */
static void test_connection_orders_datagram_reorders(void **state) {
  (void)state;
  sim_link l = {{SIM_DIST_UNIFORM, 1000000, 20000000, 0, 0}, 0, 0, false, false, 0};
  run(&l, 7);
  assert_int_equal(arrivals, COUNT);
  assert_true(in_order());
  for (int i = 1; i < arrivals; i++) assert_true(arrival_ns[i] >= arrival_ns[i - 1]);
  l.datagram = true;
  run(&l, 7);
  assert_int_equal(arrivals, COUNT);
  assert_false(in_order());
}

static void test_datagram_loss_and_duplicates(void **state) {
  (void)state;
  sim_link l = {{SIM_DIST_CONSTANT, 1000000, 0, 0, 0}, 0.3, 0, false, true, 0};
  uint64_t lost = run(&l, 3);
  assert_int_equal(arrivals + (int)lost, COUNT);
  assert_true(lost > 35 && lost < 85); /* 30% of 200, well within the sampling spread */
  l.loss = 0;
  l.dup = 0.25;
  lost = run(&l, 3);
  assert_int_equal(lost, 0);
  assert_true(arrivals > COUNT + 25 && arrivals < COUNT + 75);
  /* Loss applies to datagrams only: a connection is lossless while it is up. */
  l.dup = 0;
  l.loss = 0.5;
  l.datagram = false;
  assert_int_equal(run(&l, 3), 0);
  assert_int_equal(arrivals, COUNT);
}

static void test_partition_loses_everything(void **state) {
  (void)state;
  sim_link l = {{SIM_DIST_CONSTANT, 0, 0, 0, 0}, 0, 0, true, false, 0};
  assert_int_equal(run(&l, 1), COUNT);
  assert_int_equal(arrivals, 0);
}

static void test_same_seed_same_arrivals(void **state) {
  (void)state;
  sim_link l = {{SIM_DIST_EXPONENTIAL, 3000000, 0, 0, 0}, 0.1, 0.1, false, true, 0};
  run(&l, 11);
  int n1 = arrivals;
  uint64_t t1[COUNT * 2];
  memcpy(t1, arrival_ns, sizeof t1);
  run(&l, 11);
  assert_int_equal(arrivals, n1);
  assert_memory_equal(t1, arrival_ns, (size_t)n1 * sizeof t1[0]);
}

/* Bandwidth: equal messages over 16,000 bytes/s leave one transmission time apart (their
 * size / 16,000 s, more than a millisecond for these), each then travelling 2 ms. */
static void test_bandwidth_queues_messages(void **state) {
  (void)state;
  sim_link l = {{SIM_DIST_CONSTANT, 2000000, 0, 0, 0}, 0, 0, false, false, 16000};
  run(&l, 1);
  assert_int_equal(arrivals, COUNT);
  assert_true(in_order());
  uint64_t tx = arrival_ns[0] - 2000000; /* the first waited for nothing but its own bytes */
  assert_true(tx > 1000000 && tx < 3000000);
  for (int i = 1; i < arrivals; i++) assert_int_equal(arrival_ns[i] - arrival_ns[i - 1], tx);
}

/* A partition between groups takes both directions down, keeps links within a group, and
 * heal() brings everything back. */
static void test_partition_and_heal(void **state) {
  (void)state;
  sim_config cfg = {1, "net", NULL, -1, 0};
  sim_world *w;
  ac_node *n;
  assert_int_equal(sim_world_create(&w, &cfg), AC_OK);
  for (int i = 0; i < 3; i++)
    assert_int_equal(sim_node_add(w, (const char *[]){"a", "b", "c"}[i], NULL, &n), AC_OK);
  sim_link slow = {{SIM_DIST_CONSTANT, 7000000, 0, 0, 0}, 0, 0, false, false, 0};
  assert_int_equal(sim_net_link(w, 0, 1, &slow), AC_OK);
  uint32_t groups[3] = {0, 1, 1}; /* {a} | {b, c} */
  assert_int_equal(sim_net_partition(w, groups, 3), AC_OK);
  assert_true(sim_net_get(w, 0, 1).down && sim_net_get(w, 1, 0).down);
  assert_true(sim_net_get(w, 0, 2).down && sim_net_get(w, 2, 0).down);
  assert_false(sim_net_get(w, 1, 2).down);
  assert_int_equal(sim_net_get(w, 0, 1).latency.a_ns, 7000000); /* the rest is kept */
  sim_net_heal(w);
  for (uint32_t a = 0; a < 3; a++)
    for (uint32_t b = 0; b < 3; b++) assert_false(sim_net_get(w, a, b).down);
  assert_int_equal(sim_net_get(w, 0, 1).latency.a_ns, 7000000);
  assert_int_equal(sim_net_partition(w, groups, 4), AC_EINVAL);
  sim_world_destroy(w);
}

static void test_bad_links(void **state) {
  (void)state;
  sim_config cfg = {1, "net", NULL, -1, 0};
  sim_world *w;
  assert_int_equal(sim_world_create(&w, &cfg), AC_OK);
  sim_link l = {{SIM_DIST_UNIFORM, 10, 5, 0, 0}, 0, 0, false, false, 0};
  assert_int_equal(sim_net_link(w, 0, 1, &l), AC_EINVAL);
  l.latency.b_ns = 20;
  l.loss = 1.5;
  assert_int_equal(sim_net_default(w, &l), AC_EINVAL);
  l.loss = 0.5;
  assert_int_equal(sim_net_default(w, &l), AC_OK);
  assert_true(sim_net_get(w, 3, 4).loss == 0.5);
  sim_world_destroy(w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_default_link_is_instant_and_ordered),
      cmocka_unit_test(test_latency),
      cmocka_unit_test(test_connection_orders_datagram_reorders),
      cmocka_unit_test(test_datagram_loss_and_duplicates),
      cmocka_unit_test(test_partition_loses_everything),
      cmocka_unit_test(test_same_seed_same_arrivals),
      cmocka_unit_test(test_bandwidth_queues_messages),
      cmocka_unit_test(test_partition_and_heal),
      cmocka_unit_test(test_bad_links),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
