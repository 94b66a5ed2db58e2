/*
 * Nodes of one world as a cluster: links, monitors, exit signals, {Name, Node} sends and spawn
 * requests between nodes; connections, their ticks, nodedown and noconnection (and when they
 * come, relative to the tick time); node crash and restart; per-node clocks.
 * Method: probes on nodes a and b log what they receive with the virtual time (probe.h), and
 * the tests check the log and the times.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "probe.h"

enum { S_IDLE, S_TRAP_LINK, S_MONITOR, S_NODEMON, S_SPAWNREQ, S_REGSEND, S_TIMEOUT, S_NODES };

static sim_world *world;
static uint64_t got_at[PROBE_LOG_MAX];

/* The arrival time of the first log line containing text, or UINT64_MAX. */
static uint64_t time_of(const char *text) {
  for (int i = 0; i < probe_log_len; i++)
    if (strstr(probe_log[i], text)) return got_at[i];
  return UINT64_MAX;
}

static int stamp(ac_proc *self, const ac_msg *m) {
  (void)self;
  (void)m;
  got_at[probe_log_len - 1] = sim_now(world);
  return AC_OK;
}

static int trap_link_init(ac_proc *self, ac_term arg) {
  ac_pid to;
  if (ac_term_get_pid(arg, &to)) return AC_EINVAL;
  ac_trap_exit(self, true, NULL);
  return ac_link(self, to);
}

static int monitor_init(ac_proc *self, ac_term arg) {
  ac_pid to;
  ac_ref ref;
  if (ac_term_get_pid(arg, &to)) return AC_EINVAL;
  return ac_monitor(self, to, &ref);
}

static int nodemon_init(ac_proc *self, ac_term arg) {
  int64_t index;
  if (ac_term_get_int(arg, &index)) return AC_EINVAL;
  return ac_monitor_node(self, (uint32_t)index, true);
}

static int spawnreq_init(ac_proc *self, ac_term arg) {
  int64_t index;
  ac_ref ref;
  if (ac_term_get_int(arg, &index)) return AC_EINVAL;
  ac_trap_exit(self, true, NULL);
  return ac_spawn_request(self, (uint32_t)index, arg, AC_SPAWN_LINK | AC_SPAWN_MONITOR, &ref);
}

static int regsend_init(ac_proc *self, ac_term arg) {
  int64_t index;
  if (ac_term_get_int(arg, &index)) return AC_EINVAL;
  ac_tbuf b;
  int rc = ac_send_remote_name(self, (uint32_t)index, "target", T(&b, "{a,p}", "hello", ac_self(self)));
  ac_tb_free(&b);
  return rc;
}

/* Logs its clock, then waits 3 s on it. */
static int timeout_init(ac_proc *self, ac_term arg) {
  (void)arg;
  probe_logf("clock %llu", (unsigned long long)ac_now(self));
  got_at[probe_log_len - 1] = sim_now(world);
  return ac_receive(self, NULL, NULL, INT64_C(3000000000));
}

static int timeout_msg(ac_proc *self, const ac_msg *m) {
  probe_logf("clock %llu after %s", (unsigned long long)ac_now(self), m ? "message" : "timeout");
  got_at[probe_log_len - 1] = sim_now(world);
  return ac_stop_atom(self, "normal");
}

static int nodes_init(ac_proc *self, ac_term arg) {
  (void)arg;
  return ac_monitor_nodes(self, true);
}

const probe_script probe_scripts[] = {
    [S_IDLE] = {NULL, stamp},
    [S_TRAP_LINK] = {trap_link_init, stamp},
    [S_MONITOR] = {monitor_init, stamp},
    [S_NODEMON] = {nodemon_init, stamp},
    [S_SPAWNREQ] = {spawnreq_init, stamp},
    [S_REGSEND] = {regsend_init, stamp},
    [S_TIMEOUT] = {timeout_init, timeout_msg},
    [S_NODES] = {nodes_init, stamp},
};

/* Spawn requests start an idle probe. */
static int spawn_handler(ac_node *node, ac_pid requester, ac_term arg, ac_pid *pid_out) {
  ac_tbuf b;
  int rc = ac_node_spawn_as(node, requester, &probe_behaviour, T(&b, "{i,t}", (int64_t)S_IDLE, arg), pid_out);
  ac_tb_free(&b);
  return rc;
}

static ac_node *na, *nb;

static void cluster(uint64_t tick_ns) {
  sim_config cfg = {test_seed(), "cluster", NULL, -1, 0};
  assert_int_equal(sim_world_create(&world, &cfg), AC_OK);
  assert_int_equal(sim_node_add(world, "a", NULL, &na), AC_OK);
  assert_int_equal(sim_node_add(world, "b", NULL, &nb), AC_OK);
  if (tick_ns) assert_int_equal(sim_net_tick(world, tick_ns), AC_OK);
  probe_log_len = 0;
}

static void run_until(uint64_t t_ns) {
  sim_limits lim = {t_ns, 0};
  sim_run(world, &lim);
}

static void partition_at(sim_world *w, void *arg) {
  (void)arg;
  uint32_t groups[2] = {0, 1};
  sim_net_partition(w, groups, 2);
}

static void crash_b(sim_world *w, void *arg) {
  (void)arg;
  sim_node_crash(w, 1);
}

#define S(x) ((uint64_t)(x) * 1000000000u)

static void test_exit_signals_cross_nodes(void **state) {
  (void)state;
  cluster(0);
  ac_pid b1 = probe_spawn(nb, S_IDLE, "n");
  ac_pid a1 = probe_spawn(na, S_TRAP_LINK, "p", b1);
  run_until(S(1));
  assert_true(ac_node_linked(na, a1, a1) == false);
  ac_pid other;
  assert_int_equal(ac_node_relations(na, a1, AC_REL_LINKS, &other, 1), 1);
  assert_true(ac_pid_eq(other, b1));
  assert_int_equal(ac_node_relations(nb, b1, AC_REL_LINKS, &other, 1), 1);
  assert_true(ac_pid_eq(other, a1));
  assert_true(sim_net_connected(world, 0, 1) && sim_net_connected(world, 1, 0));
  ac_tbuf b;
  assert_int_equal(ac_node_exit(nb, b1, T(&b, "a", "boom")), AC_OK);
  ac_tb_free(&b);
  run_until(S(2));
  char text[96], bp[32];
  pid_text(b1, bp, sizeof bp);
  snprintf(text, sizeof text, "got {'EXIT',%s,boom}", bp);
  if (!probe_log_has(text)) probe_log_dump();
  assert_true(probe_log_has(text));
  assert_int_equal(ac_node_relations(na, a1, AC_REL_LINKS, &other, 1), 0);
  sim_world_destroy(world);
}

static void test_monitors_cross_nodes(void **state) {
  (void)state;
  cluster(0);
  ac_pid b1 = probe_spawn(nb, S_IDLE, "n");
  probe_spawn(na, S_MONITOR, "p", b1);
  run_until(S(1));
  ac_pid watcher;
  assert_int_equal(ac_node_relations(nb, b1, AC_REL_MONITORED_BY, &watcher, 1), 1);
  ac_tbuf b;
  ac_node_exit(nb, b1, T(&b, "a", "shutdown"));
  ac_tb_free(&b);
  run_until(S(2));
  assert_true(probe_log_has("got {'DOWN',#Ref<") && probe_log_has(",process,<1.1.0>,shutdown}"));
  /* A monitor of a pid that is already dead on another node: DOWN noproc, from that node. */
  probe_spawn(na, S_MONITOR, "p", b1);
  run_until(S(3));
  assert_true(probe_log_has(",process,<1.1.0>,noproc}"));
  sim_world_destroy(world);
}

/* A partition: nothing crosses it; each side finds out from its ticks, between one and 1.25
 * tick times after it last heard from the other, and its links and monitors get noconnection. */
static void test_partition_gives_noconnection_after_the_tick_time(void **state) {
  (void)state;
  cluster(S(4));
  ac_pid b1 = probe_spawn(nb, S_IDLE, "n");
  probe_spawn(na, S_TRAP_LINK, "p", b1);
  probe_spawn(na, S_NODEMON, "i", (int64_t)1);
  probe_spawn(nb, S_NODEMON, "i", (int64_t)0);
  assert_int_equal(sim_at(world, S(10), partition_at, NULL), AC_OK);
  run_until(S(60));
  uint64_t exit_at = time_of("got {'EXIT',<1.1.0>,noconnection}");
  uint64_t down_a = time_of("<0.2.0> got {nodedown,b}");
  uint64_t down_b = time_of("<1.2.0> got {nodedown,a}");
  if (exit_at < S(13) || exit_at > S(15)) {
    probe_log_dump();
    fprintf(stderr, "exit at %llu down_a %llu down_b %llu\n", (unsigned long long)exit_at,
            (unsigned long long)down_a, (unsigned long long)down_b);
  }
  /* Ticks every second; the last arrival before the cut was at 9 s or later. */
  assert_true(exit_at >= S(13) && exit_at <= S(15));
  assert_true(down_a == exit_at);
  assert_true(down_b >= S(13) && down_b <= S(15));
  assert_false(sim_net_connected(world, 0, 1));
  assert_int_equal(sim_event_kind_count(world, AC_EV_NODEDOWN), 2);
  /* After heal, the next signal connects again (nodeup), and links work once more. */
  sim_net_heal(world);
  probe_spawn(na, S_NODES, "n");
  run_until(S(61));
  ac_pid b2 = probe_spawn(nb, S_IDLE, "n");
  probe_spawn(na, S_TRAP_LINK, "p", b2);
  run_until(S(62));
  assert_true(sim_net_connected(world, 0, 1));
  assert_true(probe_log_has("got {nodeup,b}"));
  sim_world_destroy(world);
}

/* A link to a node that cannot be reached breaks at once, and a monitor fires at once. */
static void test_unreachable_node_gives_noconnection_at_once(void **state) {
  (void)state;
  cluster(0);
  ac_pid b1 = probe_spawn(nb, S_IDLE, "n");
  run_until(S(1));
  partition_at(world, NULL);
  uint64_t t0 = sim_now(world);
  probe_spawn(na, S_TRAP_LINK, "p", b1);
  probe_spawn(na, S_MONITOR, "p", b1);
  probe_spawn(na, S_NODEMON, "i", (int64_t)1);
  probe_spawn(na, S_SPAWNREQ, "i", (int64_t)1);
  run_until(S(2));
  if (!probe_log_has("got {'EXIT',<1.1.0>,noconnection}")) probe_log_dump();
  assert_true(probe_log_has("got {'EXIT',<1.1.0>,noconnection}"));
  assert_true(probe_log_has(",process,<1.1.0>,noconnection}"));
  assert_true(probe_log_has("got {nodedown,b}"));
  assert_true(probe_log_has(",error,noconnection}"));
  assert_int_equal(probe_log_len, 4);
  for (int i = 0; i < probe_log_len; i++) assert_true(got_at[i] == t0);
  sim_world_destroy(world);
}

/* A crashed node's processes are gone at once; the others notice by their ticks. A restart is a
 * new incarnation: old pids stay dead (noproc from the new node), and the boot hook runs. */
static int booted;
static void boot(sim_world *w, uint32_t machine, ac_node *node, void *arg) {
  (void)w;
  (void)arg;
  booted++;
  assert_int_equal(machine, 1);
  probe_spawn(node, S_IDLE, "n");
}

static void test_crash_and_restart(void **state) {
  (void)state;
  cluster(S(4));
  sim_set_boot_hook(world, boot, NULL);
  ac_pid b1 = probe_spawn(nb, S_IDLE, "n");
  probe_spawn(na, S_MONITOR, "p", b1);
  assert_int_equal(sim_at(world, S(10), crash_b, NULL), AC_OK);
  run_until(S(30));
  assert_null(sim_node(world, 1));
  uint64_t down = time_of(",process,<1.1.0>,noconnection}");
  assert_true(down >= S(13) && down <= S(15));
  assert_int_equal(sim_node_crash(world, 1), AC_ESTATE);
  assert_int_equal(sim_node_restart(world, 1), AC_OK);
  assert_int_equal(booted, 1);
  ac_node *b_new = sim_node(world, 1);
  assert_non_null(b_new);
  assert_int_equal(ac_node_index(b_new), 2);
  assert_int_equal(sim_node_of_index(world, 2), 1);
  assert_int_equal(ac_node_process_count(b_new), 1);
  probe_spawn(na, S_MONITOR, "p", b1); /* the old pid, on the new incarnation: noproc */
  ac_pid fresh = ac_pid_make(2, 1, 0);
  probe_spawn(na, S_TRAP_LINK, "p", fresh);
  run_until(S(31));
  assert_true(probe_log_has(",process,<1.1.0>,noproc}"));
  ac_pid other;
  assert_int_equal(ac_node_relations(b_new, fresh, AC_REL_LINKS, &other, 1), 1);
  sim_world_destroy(world);
}

static void test_registered_names_and_spawn_requests_across_nodes(void **state) {
  (void)state;
  cluster(0);
  ac_node_set_spawn_handler(nb, spawn_handler);
  ac_pid target = probe_spawn(nb, S_IDLE, "n");
  assert_int_equal(ac_node_register(nb, "target", target), AC_OK);
  probe_spawn(na, S_REGSEND, "i", (int64_t)1);
  ac_pid req = probe_spawn(na, S_SPAWNREQ, "i", (int64_t)1);
  run_until(S(1));
  assert_true(probe_log_has("<1.1.0> got {hello,<0.1.0>}"));
  assert_true(probe_log_has(",ok,<1.2.0>}"));
  ac_pid other;
  assert_int_equal(ac_node_relations(na, req, AC_REL_LINKS, &other, 1), 1);
  assert_true(ac_pid_eq(other, ac_pid_make(1, 2, 0)));
  assert_int_equal(ac_node_relations(na, req, AC_REL_MONITORS, &other, 1), 1);
  /* Without a handler, a request fails with notsup. */
  probe_spawn(nb, S_SPAWNREQ, "i", (int64_t)0);
  run_until(S(2));
  assert_true(probe_log_has(",error,notsup}"));
  sim_world_destroy(world);
}

/* Node b's clock is 5 s ahead and runs 1.5 times as fast: its 3 s timeout takes 2 s. */
static void test_clock_skew_and_drift(void **state) {
  (void)state;
  cluster(0);
  assert_int_equal(sim_clock_set(world, 1, (int64_t)S(5), 0.5), AC_OK);
  assert_int_equal(sim_clock_set(world, 1, 0, -1.0), AC_EINVAL);
  probe_spawn(nb, S_TIMEOUT, "n");
  probe_spawn(na, S_TIMEOUT, "n");
  run_until(S(10));
  assert_true(probe_log_has("clock 5000000000"));
  assert_true(probe_log_has("clock 8000000000 after timeout"));
  assert_int_equal(time_of("clock 8000000000 after timeout"), S(2));
  assert_int_equal(time_of("clock 3000000000 after timeout"), S(3)); /* node a: true time */
  assert_int_equal(sim_node_now(world, 1), S(5) + sim_now(world) * 3 / 2);
  sim_world_destroy(world);
}

/* What is in flight on a link when it is cut is lost, and traced. */
static void test_cut_loses_what_is_in_flight(void **state) {
  (void)state;
  cluster(0);
  sim_link slow = {{SIM_DIST_CONSTANT, S(1), 0, 0, 0}, 0, 0, false, false, 0};
  assert_int_equal(sim_net_link(world, 0, 1, &slow), AC_OK);
  ac_pid b1 = probe_spawn(nb, S_IDLE, "n");
  ac_tbuf b;
  assert_int_equal(ac_node_send(na, b1, T(&b, "a", "first")), AC_OK);
  ac_tb_free(&b);
  sim_at(world, S(1) / 2, partition_at, NULL);
  run_until(S(5));
  assert_false(probe_log_has("first"));
  assert_int_equal(sim_net_lost(world), 1);
  assert_int_equal(sim_event_kind_count(world, AC_EV_NET_DROP), 1);
  sim_world_destroy(world);
}

static void send_two(sim_world *w, void *arg) {
  (void)w;
  ac_pid *to = arg;
  ac_tbuf b;
  ac_node_send(na, *to, T(&b, "a", "one"));
  ac_tb_free(&b);
  ac_node_send(na, *to, T(&b, "a", "two"));
  ac_tb_free(&b);
}

static void resume_it(sim_world *w, void *arg) { sim_proc_fault_set(w, *(ac_pid *)arg, false, 0); }

/* A slowed process takes each message `slow` after it could have; a paused one takes none
 * until it is resumed, then all of them. */
static void test_pause_and_slow(void **state) {
  (void)state;
  cluster(0);
  ac_pid p = probe_spawn(na, S_IDLE, "n");
  run_until(S(1));
  assert_int_equal(sim_proc_fault_set(world, p, false, S(1)), AC_OK);
  sim_at(world, S(2), send_two, &p);
  run_until(S(10));
  assert_int_equal(time_of("got one"), S(3));
  assert_int_equal(time_of("got two"), S(4));
  probe_log_len = 0;
  assert_int_equal(sim_proc_fault_set(world, p, true, 0), AC_OK);
  sim_at(world, S(11), send_two, &p);
  sim_at(world, S(15), resume_it, &p);
  run_until(S(20));
  assert_int_equal(time_of("got one"), S(15));
  assert_int_equal(time_of("got two"), S(15));
  sim_world_destroy(world);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_exit_signals_cross_nodes),
      cmocka_unit_test(test_monitors_cross_nodes),
      cmocka_unit_test(test_partition_gives_noconnection_after_the_tick_time),
      cmocka_unit_test(test_unreachable_node_gives_noconnection_at_once),
      cmocka_unit_test(test_crash_and_restart),
      cmocka_unit_test(test_registered_names_and_spawn_requests_across_nodes),
      cmocka_unit_test(test_clock_skew_and_drift),
      cmocka_unit_test(test_cut_loses_what_is_in_flight),
      cmocka_unit_test(test_pause_and_slow),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
