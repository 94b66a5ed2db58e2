/*
 * Tests of viz/model: the visualiser's derived state at a cursor.
 *
 * Goal: what the model says exists and happens at time T is what the records say: processes
 * appear at their spawn and disappear at their exit or their node's crash; the supervision tree
 * has its child ids; mailboxes count deliveries minus receives; a remote message is in flight
 * between its send and its delivery (and a dropped one is marked); the network follows the
 * `links` records; restart histories are counted against the supervisor's intensity; the
 * timeline lists find faults, crashes, property failures, upgrades and the run's end; a process
 * started in a module runs its spawn version until a code_change moves it (a failed one does
 * not), and is suspended between a suspend and a resume record. Above all, a seek
 * (from a snapshot, forward from the cursor, or back) gives exactly the state a fresh replay
 * of the same prefix gives.
 *
 * Method: traces are built in memory as arrays of sim_record, their payloads made with core's
 * term builder, and appended to a model; queries are checked after seeks. The seek property
 * test uses a pseudo-random trace (a fixed-seed generator) long enough for many snapshots and
 * compares the cursor's state field by field with a model that was given only the prefix.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "term.h"

#define I(x) ((int64_t)(x))
#define MS UINT64_C(1000000)

/* ---- A trace under construction ----------------------------------------------------------- */

typedef struct trace {
  sim_record *rec;
  uint32_t n, cap;
} trace;

static void tr_free(trace *t) {
  for (uint32_t i = 0; i < t->n; i++) free((void *)t->rec[i].payload);
  free(t->rec);
  memset(t, 0, sizeof *t);
}

/* Adds a record; fmt (ac_tb_fmt) builds its payload, NULL for none. */
static void add(trace *t, uint16_t kind, uint16_t flags, uint64_t time_ns, uint32_t node,
                uint64_t a, uint64_t b, uint64_t c, const char *fmt, ...) {
  if (t->n == t->cap) {
    t->cap = t->cap ? t->cap * 2 : 64;
    t->rec = realloc(t->rec, t->cap * sizeof *t->rec);
    assert_non_null(t->rec);
  }
  sim_record *r = &t->rec[t->n++];
  memset(r, 0, sizeof *r);
  r->kind = kind, r->flags = flags, r->time_ns = time_ns, r->node = node;
  r->a = a, r->b = b, r->c = c;
  if (fmt) {
    ac_tbuf b2;
    ac_term term;
    va_list ap;
    ac_tb_init(&b2);
    va_start(ap, fmt);
    ac_tb_vfmt(&b2, fmt, ap);
    va_end(ap);
    assert_int_equal(ac_tb_finish(&b2, &term), 0);
    uint8_t *copy = malloc(b2.size);
    assert_non_null(copy);
    memcpy(copy, b2.data, b2.size);
    r->payload = copy;
    r->payload_size = (uint32_t)b2.size;
    ac_tb_free(&b2);
  }
}

static void load(viz_model *m, const trace *t, uint32_t n) {
  viz_model_init(m);
  for (uint32_t i = 0; i < n; i++) assert_int_equal(viz_model_append(m, &t->rec[i]), 0);
}

static uint64_t pid(uint32_t node, uint32_t slot) { return ac_pid_make(node, slot, 1).bits; }

/* Two nodes (a@h on machine 0, b@h on machine 1). */
static void two_nodes(trace *t) {
  add(t, AC_EV_NODE, 0, 0, 0, 0, 0, 0, "a", "a@h");
  add(t, AC_EV_NODE, 0, 0, 1, 1, 1, 0, "a", "b@h");
}

/* ---- Processes ---------------------------------------------------------------------------- */

static void test_process_exists_from_spawn_until_exit(void **state) {
  (void)state;
  trace t = {0};
  viz_model m;
  two_nodes(&t);
  add(&t, AC_EV_SPAWN, 0, 10 * MS, 0, pid(0, 0), pid(0, 1), 0, "{a, a}", "lua", "worker");
  add(&t, AC_EV_SPAWN, 0, 20 * MS, 0, pid(0, 1), pid(0, 2), 0, "a", "server"); /* v1 shape */
  add(&t, AC_EV_EXIT, 0, 30 * MS, 0, pid(0, 1), 0, 0, "a", "boom");
  load(&m, &t, t.n);

  assert_int_equal(viz_model_seek_time(&m, 5 * MS), 0);
  assert_int_equal(viz_model_proc_count(&m), 0);
  viz_model_seek_time(&m, 15 * MS);
  assert_int_equal(viz_model_proc_count(&m), 1);
  assert_true(viz_model_proc_flags(&m, 0) & VIZ_PROC_ALIVE);
  assert_string_equal(viz_model_proc(&m, 0)->behaviour, "lua");
  assert_string_equal(viz_model_proc(&m, 0)->label, "worker");
  viz_model_seek_time(&m, 25 * MS);
  assert_int_equal(viz_model_proc_count(&m), 2);
  assert_string_equal(viz_model_proc(&m, 1)->label, "server");
  assert_int_equal(viz_model_proc(&m, 1)->parent, 0);
  viz_model_seek_time(&m, 35 * MS);
  assert_false(viz_model_proc_flags(&m, 0) & VIZ_PROC_ALIVE);
  uint64_t when = 0;
  assert_true(viz_model_proc_dead(&m, 0, &when));
  assert_int_equal(when, 30 * MS);
  char buf[64];
  viz_model_proc_reason(&m, 0, buf, sizeof buf);
  assert_string_equal(buf, "boom");
  assert_true(viz_model_proc_flags(&m, 1) & VIZ_PROC_ALIVE);
  uint32_t crashes[4];
  assert_int_equal(viz_model_recent_crashes(&m, 10 * MS, crashes, 4), 1);
  assert_int_equal(viz_model_recent_crashes(&m, 1 * MS, crashes, 4), 0);
  assert_int_equal(viz_model_find_pid(&m, pid(0, 2)), 1);
  viz_model_free(&m);
  tr_free(&t);
}

static void test_supervision_tree_has_child_ids(void **state) {
  (void)state;
  trace t = {0};
  viz_model m;
  two_nodes(&t);
  uint64_t sup = pid(0, 1), w1 = pid(0, 2), w2 = pid(0, 3);
  add(&t, AC_EV_SPAWN, 0, 1, 0, pid(0, 0), sup, 0, "{a, a}", "supervisor", "supervisor");
  add(&t, AC_EV_SUPERVISOR, 0, 1, 0, sup, 0, 0, "{a, a, i, i}", "supervisor_started",
      "one_for_one", I(3), I(5000 * MS));
  add(&t, AC_EV_SPAWN, 0, 2, 0, sup, w1, 0, "{a, a}", "lua", "worker");
  add(&t, AC_EV_SUPERVISOR, 0, 2, 0, sup, w1, 0, "{a, a}", "child_started", "db");
  add(&t, AC_EV_SPAWN, 0, 3, 0, sup, w2, 0, "{a, a}", "lua", "cache");
  add(&t, AC_EV_SUPERVISOR, 0, 3, 0, sup, w2, 0, "{a, a}", "child_started", "cache");
  load(&m, &t, t.n);
  viz_model_seek(&m, viz_model_count(&m));
  assert_true(viz_model_proc(&m, 0)->is_supervisor);
  assert_int_equal(viz_model_proc(&m, 1)->sup, 0);
  assert_int_equal(viz_model_proc(&m, 2)->sup, 0);
  viz_restart_info ri;
  assert_int_equal(viz_model_restart_info(&m, 1, &ri), 0);
  assert_string_equal(ri.child_id, "db");
  assert_string_equal(ri.strategy, "one_for_one");
  assert_int_equal(ri.intensity, 3);
  assert_int_equal(ri.restarts, 0);
  assert_int_equal(viz_model_restart_info(&m, 0, &ri), AC_ENOTFOUND);
  uint32_t sizes[3];
  viz_model_subtree_sizes(&m, sizes, 3);
  assert_int_equal(sizes[0], 3);
  assert_int_equal(sizes[1], 1);
  uint32_t per_node[2];
  viz_model_count_per_node(&m, per_node, 2);
  assert_int_equal(per_node[0], 3);
  assert_int_equal(per_node[1], 0);
  /* Before the second child started, the tree has two. */
  viz_model_seek(&m, 6);
  viz_model_subtree_sizes(&m, sizes, 3);
  assert_int_equal(sizes[0], 2);
  viz_model_free(&m);
  tr_free(&t);
}

static void test_mailbox_counts_deliveries_minus_receives(void **state) {
  (void)state;
  trace t = {0};
  viz_model m;
  two_nodes(&t);
  uint64_t p1 = pid(0, 1), p2 = pid(0, 2);
  add(&t, AC_EV_SPAWN, 0, 1, 0, pid(0, 0), p1, 0, "{a, a}", "lua", "a");
  add(&t, AC_EV_SPAWN, 0, 1, 0, pid(0, 0), p2, 0, "{a, a}", "lua", "b");
  add(&t, AC_EV_SEND, 0, 2, 0, p1, p2, 1, "a", "ping");
  add(&t, AC_EV_SEND, 0, 3, 0, p1, p2, 2, "a", "ping");
  add(&t, AC_EV_SEND, 0, 4, 0, p1, p2, 3, "a", "ping");
  add(&t, AC_EV_RECEIVE, 0, 5, 0, p2, p1, 1, NULL);
  load(&m, &t, t.n);
  viz_model_seek(&m, 7);
  assert_int_equal(viz_model_proc_state(&m, 1)->mailbox, 3);
  viz_model_seek(&m, 8);
  assert_int_equal(viz_model_proc_state(&m, 1)->mailbox, 2);
  assert_true(viz_model_proc_flags(&m, 1) & VIZ_PROC_RUNNING);
  assert_true(viz_model_proc_flags(&m, 0) & VIZ_PROC_WAITING);
  viz_msg msgs[8];
  assert_int_equal(viz_model_proc_msgs(&m, 0, true, msgs, 8), 3);
  assert_int_equal(msgs[0].id, 3); /* newest first */
  assert_int_equal(msgs[0].peer, p2);
  assert_int_equal(viz_model_proc_msgs(&m, 1, false, msgs, 8), 3);
  char buf[32];
  viz_model_print_payload(&m, msgs[0].event, buf, sizeof buf);
  assert_string_equal(buf, "ping");
  viz_model_free(&m);
  tr_free(&t);
}

/* A process runs only at the instants it has records in: the keeper of
 * scenarios/library/restart_by_hand.lua takes an EXIT and starts a new worker at 300 ms, then
 * waits in receive until the next kill at 600 ms, and a cursor between the two sees it waiting,
 * however long after 300 ms the next record comes. */
static void test_process_waiting_in_receive_between_records_is_not_running(void **state) {
  (void)state;
  trace t = {0};
  viz_model m;
  two_nodes(&t);
  uint64_t keeper = pid(0, 1), w1 = pid(0, 2), w2 = pid(0, 3);
  add(&t, AC_EV_SPAWN, 0, 0, 0, pid(0, 0), keeper, 0, "{a, a}", "lua", "keeper");
  add(&t, AC_EV_TRAP_EXIT, 1, 0, 0, keeper, 0, 0, NULL);
  add(&t, AC_EV_SPAWN, 0, 0, 0, keeper, w1, 0, "{a, a}", "lua", "worker");
  add(&t, AC_EV_LINK, 0, 0, 0, keeper, w1, 0, NULL);
  add(&t, AC_EV_EXIT, 0, 300 * MS, 0, w1, 0, 0, "a", "killed");
  add(&t, AC_EV_DELIVER, 0, 300 * MS, 0, w1, keeper, 7, NULL);
  add(&t, AC_EV_RECEIVE, 0, 300 * MS, 0, keeper, w1, 7, NULL);
  add(&t, AC_EV_SPAWN, 0, 300 * MS, 0, keeper, w2, 0, "{a, a}", "lua", "worker");
  add(&t, AC_EV_LINK, 0, 300 * MS, 0, keeper, w2, 0, NULL);
  add(&t, AC_EV_EXIT, 0, 600 * MS, 0, w2, 0, 0, "a", "chaos");
  load(&m, &t, t.n);
  /* At 300 ms, the instant of its records, it runs. */
  viz_model_seek_time(&m, 300 * MS);
  assert_true(viz_model_proc_flags(&m, 0) & VIZ_PROC_RUNNING);
  viz_model_seek(&m, 9); /* just after its receive, by event */
  assert_true(viz_model_proc_flags(&m, 0) & VIZ_PROC_RUNNING);
  /* Between the records it waits in receive: waiting, not running (it was running before). */
  uint64_t between[] = {300 * MS + 1, 301 * MS, 450 * MS, 600 * MS - 1};
  for (size_t i = 0; i < sizeof between / sizeof between[0]; i++) {
    viz_model_seek_time(&m, between[i]);
    uint32_t fl = viz_model_proc_flags(&m, 0);
    assert_false(fl & VIZ_PROC_RUNNING);
    assert_true(fl & VIZ_PROC_WAITING);
    assert_false(viz_model_proc_flags(&m, 2) & VIZ_PROC_RUNNING); /* the new worker too */
  }
  /* A playing window keeps who acted green for the time a glance covers (here 20 ms): the
   * keeper is running at 310 ms and waiting again at 321 ms. */
  viz_model_set_recent(&m, 20 * MS);
  viz_model_seek_time(&m, 310 * MS);
  assert_true(viz_model_proc_flags(&m, 0) & VIZ_PROC_RUNNING);
  viz_model_seek_time(&m, 321 * MS);
  assert_false(viz_model_proc_flags(&m, 0) & VIZ_PROC_RUNNING);
  assert_true(viz_model_proc_flags(&m, 0) & VIZ_PROC_WAITING);
  viz_model_set_recent(&m, 0);
  /* At 600 ms the worker's exit is the instant's record; the keeper has none yet. */
  viz_model_seek_time(&m, 600 * MS);
  assert_true(viz_model_proc_flags(&m, 0) & VIZ_PROC_WAITING);
  viz_model_free(&m);
  tr_free(&t);
}

static void test_remote_message_in_flight_until_delivered(void **state) {
  (void)state;
  trace t = {0};
  viz_model m;
  two_nodes(&t);
  uint64_t p1 = pid(0, 1), p2 = pid(1, 1), id = (UINT64_C(0) << 40) | 1;
  add(&t, AC_EV_SPAWN, 0, 1, 0, pid(0, 0), p1, 0, "{a, a}", "lua", "client");
  add(&t, AC_EV_SPAWN, 0, 1, 1, pid(1, 0), p2, 0, "{a, a}", "lua", "server");
  add(&t, AC_EV_SEND, 0, 10 * MS, 0, p1, p2, id, "a", "hello");
  add(&t, AC_EV_DELIVER, 0, 20 * MS, 1, p1, p2, id, NULL);
  add(&t, AC_EV_RECEIVE, 0, 25 * MS, 1, p2, p1, id, NULL);
  load(&m, &t, t.n);
  viz_flight f[4];
  viz_model_seek_time(&m, 15 * MS);
  assert_int_equal(viz_model_flying_count(&m), 1);
  assert_int_equal(viz_model_flights(&m, 0, f, 4), 1);
  assert_int_equal(f[0].state, VIZ_FLIGHT_IN_FLIGHT);
  assert_int_equal(f[0].from, p1);
  assert_int_equal(f[0].to, p2);
  assert_int_equal(f[0].from_node, 0);
  assert_int_equal(f[0].to_node, 1);
  assert_int_equal(f[0].send_ns, 10 * MS);
  assert_int_equal(f[0].arrive_ns, 20 * MS);
  assert_int_equal(viz_model_proc_state(&m, 1)->mailbox, 0);
  viz_model_seek_time(&m, 22 * MS);
  assert_int_equal(viz_model_flying_count(&m), 0);
  assert_int_equal(viz_model_proc_state(&m, 1)->mailbox, 1);
  assert_int_equal(viz_model_flights(&m, 5 * MS, f, 4), 1); /* kept briefly */
  assert_int_equal(f[0].state, VIZ_FLIGHT_DELIVERED);
  viz_model_seek_time(&m, 30 * MS);
  assert_int_equal(viz_model_flying_count(&m), 0);
  assert_int_equal(viz_model_flights(&m, 1 * MS, f, 4), 0);
  assert_int_equal(viz_model_proc_state(&m, 1)->mailbox, 0);
  uint32_t matrix[4];
  viz_model_node_traffic(&m, 100 * MS, matrix, 2);
  assert_int_equal(matrix[0 * 2 + 1], 1);
  assert_int_equal(matrix[1 * 2 + 0], 0);
  viz_model_free(&m);
  tr_free(&t);
}

static void test_dropped_message_is_marked(void **state) {
  (void)state;
  trace t = {0};
  viz_model m;
  two_nodes(&t);
  uint64_t p1 = pid(0, 1), p2 = pid(1, 1);
  add(&t, AC_EV_SPAWN, 0, 1, 0, pid(0, 0), p1, 0, "{a, a}", "lua", "client");
  add(&t, AC_EV_SPAWN, 0, 1, 1, pid(1, 0), p2, 0, "{a, a}", "lua", "server");
  add(&t, AC_EV_SEND, 0, 10 * MS, 0, p1, p2, 7, "a", "hello");
  add(&t, AC_EV_NET_DROP, 2, 10 * MS, 0, p1, p2, 7, "a", "hello");
  /* A named send that finds no such name: a dead letter. */
  add(&t, AC_EV_SEND, 1, 11 * MS, 0, p1, 0, 8, "{a, a, a}", "db", "b@h", "hi");
  add(&t, AC_EV_SEND_DEAD, 0, 12 * MS, 1, p1, 0, 8, NULL);
  load(&m, &t, t.n);
  viz_model_seek(&m, 5);
  assert_int_equal(viz_model_flying_count(&m), 1);
  viz_model_seek(&m, 6);
  assert_int_equal(viz_model_flying_count(&m), 0);
  viz_flight f[4];
  assert_int_equal(viz_model_flights(&m, 1 * MS, f, 4), 1);
  assert_int_equal(f[0].state, VIZ_FLIGHT_DROPPED);
  assert_int_equal(f[0].drop_why, 2);
  viz_model_seek(&m, 7);
  assert_int_equal(viz_model_flights(&m, 0, f, 4), 1);
  assert_true(f[0].named);
  assert_int_equal(f[0].to_node, 1); /* from the node name */
  viz_model_seek(&m, 8);
  assert_int_equal(viz_model_flights(&m, 5 * MS, f, 4), 2);
  assert_int_equal(f[1].state, VIZ_FLIGHT_DEAD);
  viz_model_free(&m);
  tr_free(&t);
}

/* ---- Network and nodes -------------------------------------------------------------------- */

static void test_links_record_sets_down_and_flaky_pairs(void **state) {
  (void)state;
  trace t = {0};
  viz_model m;
  two_nodes(&t);
  add(&t, AC_EV_FAULT, 1, 5 * MS, 0, 0, 0, 0, "{a, [[a], [a]]}", "partition", "a@h", "b@h");
  add(&t, VIZ_EV_LINKS, 0, 5 * MS, 0, 0, 0, 0, "{[{a, a}, {a, a}], []}", "a@h", "b@h", "b@h",
      "a@h");
  add(&t, AC_EV_FAULT, 2, 9 * MS, 0, 0, 0, 0, "a", "heal");
  add(&t, VIZ_EV_LINKS, 0, 9 * MS, 0, 0, 0, 0, "{[], [{a, a}]}", "a@h", "b@h");
  load(&m, &t, t.n);
  viz_netpair p[4];
  viz_model_seek_time(&m, 1 * MS);
  assert_int_equal(viz_model_net_pairs(&m, false, p, 4), 0);
  assert_int_equal(viz_model_partition_event(&m), VIZ_NONE);
  viz_model_seek_time(&m, 6 * MS);
  assert_int_equal(viz_model_net_pairs(&m, false, p, 4), 2);
  assert_string_equal(p[0].from, "a@h");
  assert_string_equal(p[0].to, "b@h");
  assert_int_equal(p[0].from_machine, 0);
  assert_int_equal(p[0].to_machine, 1);
  assert_int_equal(viz_model_partition_event(&m), 2);
  viz_model_seek_time(&m, 10 * MS);
  assert_int_equal(viz_model_net_pairs(&m, false, p, 4), 0);
  assert_int_equal(viz_model_net_pairs(&m, true, p, 4), 1);
  assert_int_equal(viz_model_partition_event(&m), VIZ_NONE);
  viz_model_free(&m);
  tr_free(&t);
}

static void test_crashed_node_takes_its_processes(void **state) {
  (void)state;
  trace t = {0};
  viz_model m;
  two_nodes(&t);
  uint64_t p1 = pid(0, 1), p2 = pid(1, 1);
  add(&t, AC_EV_SPAWN, 0, 1, 0, pid(0, 0), p1, 0, "{a, a}", "lua", "x");
  add(&t, AC_EV_SPAWN, 0, 1, 1, pid(1, 0), p2, 0, "{a, a}", "lua", "y");
  add(&t, AC_EV_LINK, 0, 2, 0, p1, p2, 0, NULL);
  add(&t, AC_EV_FAULT, 4, 5 * MS, 0, 0, 0, 0, "{a, a}", "crash_node", "b@h");
  add(&t, AC_EV_FAULT, 5, 8 * MS, 0, 0, 0, 0, "{a, a}", "restart_node", "b@h");
  add(&t, AC_EV_NODE, 0, 8 * MS, 2, 2, 1, 0, "a", "b@h");
  load(&m, &t, t.n);
  uint32_t n;
  viz_model_seek_time(&m, 3 * MS);
  assert_true(viz_model_node_up(&m, 1));
  assert_int_equal(viz_model_edges(&m, &n)[0].kind, VIZ_EDGE_LINK);
  assert_int_equal(n, 1);
  viz_model_seek_time(&m, 6 * MS);
  assert_false(viz_model_node_up(&m, 1));
  assert_true(viz_model_proc_flags(&m, 1) & VIZ_PROC_NODE_DOWN);
  assert_false(viz_model_proc_flags(&m, 1) & VIZ_PROC_ALIVE);
  assert_true(viz_model_proc_flags(&m, 0) & VIZ_PROC_ALIVE);
  viz_model_edges(&m, &n);
  assert_int_equal(n, 0);
  assert_null(viz_model_node(&m, 2));
  viz_model_seek_time(&m, 9 * MS);
  const viz_node *nn = viz_model_node(&m, 2);
  assert_non_null(nn);
  assert_int_equal(nn->machine, 1);
  assert_int_equal(nn->incarnation, 1);
  assert_true(viz_model_node_up(&m, 2));
  viz_model_free(&m);
  tr_free(&t);
}

/* ---- Restarts ----------------------------------------------------------------------------- */

static void test_restart_count_and_history_against_intensity(void **state) {
  (void)state;
  trace t = {0};
  viz_model m;
  two_nodes(&t);
  uint64_t sup = pid(0, 1);
  add(&t, AC_EV_SPAWN, 0, 0, 0, pid(0, 0), sup, 0, "{a, a}", "supervisor", "top");
  add(&t, AC_EV_SUPERVISOR, 0, 0, 0, sup, 0, 0, "{a, a, i, i}", "supervisor_started",
      "one_for_one", I(3), I(5000 * MS));
  uint32_t slot = 2;
  for (int k = 0; k < 4; k++) {
    uint64_t w = pid(0, slot++), at = (uint64_t)k * 2000 * MS;
    if (k) add(&t, AC_EV_SUPERVISOR, 0, at, 0, sup, 0, 0, "{a, a}", "restarting", "db");
    add(&t, AC_EV_SPAWN, 0, at, 0, sup, w, 0, "{a, a}", "lua", "db");
    add(&t, AC_EV_SUPERVISOR, 0, at, 0, sup, w, 0, "{a, a}", "child_started", "db");
    add(&t, AC_EV_EXIT, 0, at + 1000 * MS, 0, w, 0, 0, "a", "crashed");
  }
  load(&m, &t, t.n);
  viz_model_seek(&m, viz_model_count(&m));
  viz_restart_info ri;
  assert_int_equal(viz_model_restart_info(&m, 4, &ri), 0); /* the last incarnation */
  assert_int_equal(ri.restarts, 3);
  assert_int_equal(ri.intensity, 3);
  assert_int_equal(ri.period_ns, 5000 * MS);
  assert_int_equal(ri.in_period, 3); /* at 7s, [2s, 7s] holds the restarts at 2s, 4s, 6s */
  viz_model_seek_time(&m, 7500 * MS);
  viz_model_restart_info(&m, 4, &ri);
  assert_int_equal(ri.in_period, 2); /* at 7.5s, [2.5s, 7.5s]: 4s and 6s */
  uint64_t times[8];
  assert_int_equal(viz_model_restart_times(&m, 4, times, 8), 3);
  assert_int_equal(times[0], 2000 * MS);
  assert_int_equal(times[2], 6000 * MS);
  viz_model_seek_time(&m, 3000 * MS);
  assert_int_equal(viz_model_restart_info(&m, 2, &ri), 0);
  assert_int_equal(ri.restarts, 1);
  uint32_t n;
  viz_model_marks(&m, VIZ_MARK_CRASH, &n);
  assert_int_equal(n, 4);
  viz_model_free(&m);
  tr_free(&t);
}

/* ---- Timeline ----------------------------------------------------------------------------- */

static void test_timeline_finds_faults_property_and_run_end(void **state) {
  (void)state;
  trace t = {0};
  viz_model m;
  two_nodes(&t);
  uint64_t p1 = pid(0, 1);
  add(&t, AC_EV_SPAWN, 0, 1 * MS, 0, pid(0, 0), p1, 0, "{a, a}", "lua", "x");
  add(&t, AC_EV_FAULT, 7, 2 * MS, 0, p1, 0, 0, "{a, p, a}", "kill", (ac_pid){p1}, "chaos");
  add(&t, AC_EV_EXIT, 0, 2 * MS, 0, p1, 0, 0, "a", "chaos");
  add(&t, 99, 0, 3 * MS, 0, 0, 0, 0, NULL); /* a kind from the future: ignored */
  add(&t, VIZ_EV_PROPERTY, 1, 4 * MS, 0, 0, 0, 0, "{s, s}", "no_loss", "lost 3 messages");
  add(&t, VIZ_EV_RUN_END, 4, 4 * MS, 0, 1, 0, 0, "s", "no_loss: lost 3 messages");
  load(&m, &t, t.n);
  assert_int_equal(m.unknown_kinds, 1);
  uint32_t n;
  const uint32_t *marks = viz_model_marks(&m, VIZ_MARK_PROPERTY, &n);
  assert_int_equal(n, 1);
  assert_int_equal(marks[0], 6);
  char name[32], msg[64];
  viz_model_property_text(&m, marks[0], name, sizeof name, msg, sizeof msg);
  assert_string_equal(name, "no_loss");
  assert_string_equal(msg, "lost 3 messages");
  marks = viz_model_marks(&m, VIZ_MARK_RUN_END, &n);
  assert_int_equal(n, 1);
  assert_int_equal(viz_model_event(&m, marks[0])->a, 1);
  viz_model_seek(&m, 0);
  assert_int_equal(viz_model_mark_next(&m, VIZ_MARK_FAULT), 3);
  assert_int_equal(viz_model_mark_next(&m, VIZ_MARK_CRASH), 4);
  viz_model_seek(&m, 5); /* just after the crash */
  assert_int_equal(viz_model_mark_prev(&m, VIZ_MARK_FAULT), 3);
  assert_int_equal(viz_model_mark_prev(&m, VIZ_MARK_CRASH), VIZ_NONE);
  assert_int_equal(viz_model_mark_next(&m, VIZ_MARK_CRASH), VIZ_NONE);
  uint32_t counts[4];
  viz_model_density(&m, 0, 4 * MS, counts, 4); /* [0,1) [1,2) [2,3) [3,4) ms */
  assert_int_equal(counts[0], 2);
  assert_int_equal(counts[1], 1);
  assert_int_equal(counts[2], 2);
  assert_int_equal(counts[3], 1);
  viz_model_free(&m);
  tr_free(&t);
}

static void test_bad_payloads_never_crash(void **state) {
  (void)state;
  trace t = {0};
  viz_model m;
  uint8_t junk[3] = {0x06, 0xff, 0xff};
  two_nodes(&t);
  add(&t, AC_EV_SPAWN, 0, 1, 0, pid(0, 0), pid(0, 1), 0, "i", I(42));
  add(&t, AC_EV_SUPERVISOR, 0, 1, 0, pid(0, 1), 0, 0, "{}");
  add(&t, AC_EV_SUPERVISOR, 0, 1, 0, pid(0, 1), 0, 0, "a", "child_started");
  add(&t, AC_EV_FAULT, 0, 1, 0, 0, 0, 0, "{i}", I(1));
  add(&t, AC_EV_FAULT, 0, 1, 0, pid(0, 1), 0, 0, "{a}", "slow");
  add(&t, VIZ_EV_LINKS, 0, 1, 0, 0, 0, 0, "{[i], i}", I(1), I(2));
  add(&t, VIZ_EV_LINKS, 0, 1, 0, 0, 0, 0, "{[{i, i}], []}", I(1), I(2));
  add(&t, VIZ_EV_PROPERTY, 1, 1, 0, 0, 0, 0, "i", I(1));
  add(&t, AC_EV_EXIT, 0, 2, 0, pid(0, 1), 0, 0, NULL);
  sim_record bad = {.kind = AC_EV_REGISTER, .time_ns = 2, .a = pid(0, 1), .payload = junk,
                    .payload_size = sizeof junk};
  load(&m, &t, t.n);
  assert_int_equal(viz_model_append(&m, &bad), 0);
  assert_int_equal(m.bad_payloads, 1);
  viz_model_seek(&m, viz_model_count(&m));
  viz_netpair p[2];
  assert_int_equal(viz_model_net_pairs(&m, false, p, 2), 1);
  assert_string_equal(p[0].from, "1");
  assert_int_equal(p[0].from_node, VIZ_NONE);
  char name[16], msg[16];
  viz_model_property_text(&m, 9, name, sizeof name, msg, sizeof msg);
  assert_string_equal(name, "1");
  assert_int_equal(viz_model_proc_count(&m), 1);
  assert_string_equal(viz_model_proc(&m, 0)->label, "");
  viz_model_free(&m);
  tr_free(&t);
}

static void test_search_by_name_label_and_pid(void **state) {
  (void)state;
  trace t = {0};
  viz_model m;
  two_nodes(&t);
  add(&t, AC_EV_SPAWN, 0, 1, 0, pid(0, 0), pid(0, 12), 0, "{a, a}", "lua", "pool.lua:12");
  add(&t, AC_EV_SPAWN, 0, 1, 0, pid(0, 0), pid(0, 13), 0, "{a, a}", "lua", "worker");
  add(&t, AC_EV_REGISTER, 0, 2, 0, pid(0, 13), 0, 0, "a", "db_main");
  load(&m, &t, t.n);
  viz_model_seek(&m, viz_model_count(&m));
  uint32_t out[4];
  assert_int_equal(viz_model_search(&m, "db_", out, 4), 1);
  assert_int_equal(out[0], 1);
  assert_int_equal(viz_model_search(&m, "pool", out, 4), 1);
  assert_int_equal(out[0], 0);
  assert_int_equal(viz_model_search(&m, "<0.12.1>", out, 4), 1);
  assert_int_equal(viz_model_search(&m, "0.1", out, 4), 2);
  char buf[32];
  viz_model_proc_display(&m, 1, buf, sizeof buf);
  assert_string_equal(buf, "db_main");
  viz_model_proc_display(&m, 0, buf, sizeof buf);
  assert_string_equal(buf, "pool.lua:12");
  viz_model_free(&m);
  tr_free(&t);
}

/* ---- Code versions ------------------------------------------------------------------------ */

/* A refused load (op 10) changes nothing: no upgrade mark, no process moves; its text names it.
 * An op this model does not know (a newer trace) is passed over the same way. */
static void test_refused_load_and_unknown_code_ops_change_nothing(void **state) {
  (void)state;
  trace t = {0};
  viz_model m;
  two_nodes(&t);
  uint64_t kv = pid(0, 1);
  add(&t, AC_EV_SPAWN, 0, 1 * MS, 0, pid(0, 0), kv, 0, "{a, a, a, i}", "lua", "loop", "kv", I(1));
  add(&t, VIZ_EV_CODE, VIZ_CODE_LOAD_REFUSED, 2 * MS, 0, kv, 0, 0, "{a, i}", "kv", I(1));
  add(&t, VIZ_EV_CODE, 99, 3 * MS, 0, kv, kv, 0, "{a, i}", "kv", I(7));
  load(&m, &t, t.n);
  assert_int_equal(m.unknown_kinds, 0);
  uint32_t n;
  viz_model_marks(&m, VIZ_MARK_CODE, &n);
  assert_int_equal(n, 0);
  viz_model_seek_time(&m, 3 * MS);
  char buf[96];
  viz_model_proc_code(&m, 0, buf, sizeof buf);
  assert_string_equal(buf, "kv v1");
  assert_true(viz_model_proc_flags(&m, 0) & VIZ_PROC_ALIVE);
  viz_model_code_text(&m, 3, buf, sizeof buf);
  assert_string_equal(buf, "load refused kv v1");
  viz_model_code_text(&m, 4, buf, sizeof buf);
  assert_string_equal(buf, "code kv v7 of <0.1.1>");
  viz_model_free(&m);
  tr_free(&t);
}

static void test_process_runs_its_spawn_version_until_a_code_change(void **state) {
  (void)state;
  trace t = {0};
  viz_model m;
  two_nodes(&t);
  uint64_t kv = pid(0, 1), plain = pid(0, 2);
  add(&t, AC_EV_SPAWN, 0, 1 * MS, 0, pid(0, 0), kv, 0, "{a, a, a, i}", "lua", "kv_server", "kv",
      I(1));
  add(&t, AC_EV_SPAWN, 0, 1 * MS, 0, pid(0, 0), plain, 0, "{a, a}", "lua", "worker");
  add(&t, VIZ_EV_CODE, VIZ_CODE_LOAD, 5 * MS, 0, 0, 0, 0, "{a, i}", "kv", I(2));
  add(&t, VIZ_EV_CODE, VIZ_CODE_SUSPEND, 6 * MS, 0, plain, kv, 0, "{a, i}", "kv", I(1));
  add(&t, VIZ_EV_CODE, VIZ_CODE_CHANGE_OK, 7 * MS, 0, plain, kv, 0, "{a, i}", "kv", I(2));
  add(&t, VIZ_EV_CODE, VIZ_CODE_RESUME, 8 * MS, 0, plain, kv, 0, "{a, i}", "kv", I(2));
  add(&t, VIZ_EV_CODE, VIZ_CODE_PURGE, 9 * MS, 0, 0, 0, 0, "{a, i}", "kv", I(1));
  add(&t, VIZ_EV_CODE, VIZ_CODE_LOAD, 10 * MS, 0, 0, 0, 0, "{a, i}", "kv", I(3));
  add(&t, VIZ_EV_CODE, VIZ_CODE_CHANGE_FAILED, 11 * MS, 0, plain, kv, 0, "{a, i, {a, a}}", "kv",
      I(3), "error", "badarg");
  add(&t, VIZ_EV_CODE, VIZ_CODE_PURGE, 12 * MS, 0, 0, kv, 0, "{a, i}", "kv", I(2));
  add(&t, AC_EV_EXIT, 0, 12 * MS, 0, kv, 0, 0, "a", "killed");
  load(&m, &t, t.n);
  assert_int_equal(m.unknown_kinds, 0);
  char buf[96];
  viz_model_seek_time(&m, 2 * MS);
  assert_string_equal(viz_model_proc(&m, 0)->module, "kv");
  assert_string_equal(viz_model_proc(&m, 0)->label, "kv_server");
  assert_int_equal(viz_model_proc(&m, 0)->version, 1);
  viz_model_proc_code(&m, 0, buf, sizeof buf);
  assert_string_equal(buf, "kv v1");
  assert_int_equal(viz_model_proc_code(&m, 1, buf, sizeof buf), 0); /* not in a module */
  assert_string_equal(buf, "");
  viz_model_seek_time(&m, 5 * MS); /* loaded, but it has not moved yet */
  viz_model_proc_code(&m, 0, buf, sizeof buf);
  assert_string_equal(buf, "kv v1");
  viz_model_seek_time(&m, 6 * MS);
  assert_true(viz_model_proc_flags(&m, 0) & VIZ_PROC_SUSPENDED);
  assert_false(viz_model_proc_flags(&m, 1) & VIZ_PROC_SUSPENDED);
  viz_model_seek_time(&m, 7 * MS);
  viz_model_proc_code(&m, 0, buf, sizeof buf);
  assert_string_equal(buf, "kv v2");
  assert_int_equal(viz_model_proc_state(&m, 0)->code_event, 6);
  viz_model_seek_time(&m, 8 * MS);
  assert_false(viz_model_proc_flags(&m, 0) & VIZ_PROC_SUSPENDED);
  viz_model_seek_time(&m, 11 * MS); /* the failed code_change leaves it on v2 */
  viz_model_proc_code(&m, 0, buf, sizeof buf);
  assert_string_equal(buf, "kv v2");
  assert_int_equal(viz_model_proc_state(&m, 0)->code_event, 10);
  viz_model_code_text(&m, 10, buf, sizeof buf);
  assert_string_equal(buf, "code_change <0.1.1> kv v3 failed: {error,badarg}");
  viz_model_code_text(&m, 4, buf, sizeof buf);
  assert_string_equal(buf, "load kv v2");
  viz_model_code_text(&m, 5, buf, sizeof buf);
  assert_string_equal(buf, "suspend <0.1.1> (kv v1)");
  viz_model_code_text(&m, 11, buf, sizeof buf);
  assert_string_equal(buf, "purge kv v2 killed <0.1.1>");
  assert_int_equal(viz_model_code_text(&m, 2, buf, sizeof buf), 0); /* a spawn */
  viz_model_seek_time(&m, 12 * MS); /* killed by the purge: it ran v2 to the end */
  assert_false(viz_model_proc_flags(&m, 0) & VIZ_PROC_ALIVE);
  viz_model_proc_code(&m, 0, buf, sizeof buf);
  assert_string_equal(buf, "kv v2");
  /* The timeline's upgrades: loads, the purge's removal, code_changes; not suspend / resume
   * nor the kill of a purge. */
  uint32_t n;
  const uint32_t *marks = viz_model_marks(&m, VIZ_MARK_CODE, &n);
  assert_int_equal(n, 5);
  assert_int_equal(marks[0], 4);
  assert_int_equal(marks[1], 6);
  assert_int_equal(marks[2], 8);
  assert_int_equal(marks[3], 9);
  assert_int_equal(marks[4], 10);
  viz_model_seek(&m, 0);
  assert_int_equal(viz_model_mark_next(&m, VIZ_MARK_CODE), 4);
  viz_model_free(&m);
  tr_free(&t);
}

static void test_code_records_of_odd_shapes_never_crash(void **state) {
  (void)state;
  trace t = {0};
  viz_model m;
  two_nodes(&t);
  uint64_t p1 = pid(0, 1);
  add(&t, AC_EV_SPAWN, 0, 1, 0, pid(0, 0), p1, 0, "{a, a, i, a}", "lua", "x", I(1), "kv");
  add(&t, AC_EV_SPAWN, 0, 1, 0, pid(0, 0), pid(0, 2), 0, "{a, a, a, i}", "lua", "y", "kv", I(-4));
  add(&t, VIZ_EV_CODE, VIZ_CODE_CHANGE_OK, 2, 0, 0, p1, 0, "{a, a}", "kv", "two");
  add(&t, VIZ_EV_CODE, VIZ_CODE_CHANGE_OK, 2, 0, 0, p1, 0, "i", I(7));
  add(&t, VIZ_EV_CODE, VIZ_CODE_CHANGE_OK, 2, 0, 0, pid(1, 9), 0, "{a, i}", "kv", I(2));
  add(&t, VIZ_EV_CODE, 77, 2, 0, 0, 0, 0, NULL);
  add(&t, VIZ_EV_CODE, VIZ_CODE_LOAD, 2, 0, 0, 0, 0, NULL);
  load(&m, &t, t.n);
  viz_model_seek(&m, viz_model_count(&m));
  char buf[64];
  assert_string_equal(viz_model_proc(&m, 0)->module, "");
  assert_int_equal(viz_model_proc_code(&m, 0, buf, sizeof buf), 0);
  assert_int_equal(viz_model_proc_code(&m, 1, buf, sizeof buf), 0);
  viz_model_code_text(&m, 7, buf, sizeof buf);
  assert_string_equal(buf, "code ? v0");
  viz_model_code_text(&m, 8, buf, sizeof buf);
  assert_string_equal(buf, "load ? v0");
  viz_model_free(&m);
  tr_free(&t);
}

/* ---- Seeking ------------------------------------------------------------------------------ */

static uint64_t rng_state;
static uint32_t rnd(uint32_t n) {
  rng_state = rng_state * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
  return (uint32_t)(rng_state >> 33) % n;
}

/* A random trace over 3 nodes: spawns, local and remote sends, receives, links, monitors,
 * registers, trap_exit, pauses, drops and exits. */
static void random_trace(trace *t, uint32_t n) {
  uint64_t pids[256];
  uint32_t np = 0;
  uint64_t now = 0, id = 1;
  uint64_t pending[64];
  uint32_t npending = 0;
  for (uint32_t k = 0; k < 3; k++) {
    char name[8];
    snprintf(name, sizeof name, "n%u", k);
    add(t, AC_EV_NODE, 0, 0, k, k, k, 0, "a", name);
  }
  while (t->n < n) {
    now += rnd(3) * MS;
    uint32_t r = rnd(100);
    uint64_t a = np ? pids[rnd(np)] : 0, b = np ? pids[rnd(np)] : 0;
    uint32_t node = np ? ac_pid_node((ac_pid){a}) : 0;
    if (np < 8 || (r < 8 && np < 256)) {
      uint32_t nn = rnd(3);
      uint64_t p = ac_pid_make(nn, np + 1, 1).bits;
      add(t, AC_EV_SPAWN, 0, now, nn, a, p, 0, "{a, a}", "lua", "w");
      pids[np++] = p;
    } else if (r < 40) {
      uint64_t mid = id++;
      add(t, AC_EV_SEND, 0, now, node, a, b, mid, "{a, i}", "m", I((int64_t)mid));
      if (ac_pid_node((ac_pid){b}) != node && npending < 64) pending[npending++] = mid;
    } else if (r < 55 && npending) {
      uint32_t k = rnd(npending);
      uint64_t mid = pending[k];
      pending[k] = pending[--npending];
      if (rnd(4) == 0)
        add(t, AC_EV_NET_DROP, 2, now, node, a, b, mid, NULL);
      else
        add(t, AC_EV_DELIVER, 0, now, ac_pid_node((ac_pid){b}), a, b, mid, NULL);
    } else if (r < 70) {
      add(t, AC_EV_RECEIVE, 0, now, node, a, b, 0, NULL);
    } else if (r < 76) {
      add(t, rnd(3) ? AC_EV_LINK : AC_EV_UNLINK, 0, now, node, a, b, 0, NULL);
    } else if (r < 81) {
      add(t, rnd(2) ? AC_EV_MONITOR : AC_EV_DEMONITOR, 0, now, node, a, b, rnd(4) + 1, NULL);
    } else if (r < 85) {
      add(t, rnd(2) ? AC_EV_REGISTER : AC_EV_UNREGISTER, 0, now, node, a, 0, 0, "a", "nm");
    } else if (r < 89) {
      add(t, AC_EV_TRAP_EXIT, (uint16_t)rnd(2), now, node, a, 0, 0, NULL);
    } else if (r < 93) {
      add(t, AC_EV_FAULT, 8, now, 0, a, 0, 0, "{a, p}", rnd(2) ? "pause" : "resume",
          (ac_pid){a});
    } else if (r < 96) {
      add(t, AC_EV_EXIT, 0, now, node, a, 0, 0, "a", rnd(2) ? "normal" : "boom");
    } else if (rnd(2)) {
      add(t, AC_EV_NOTE, 0, now, node, a, 0, 0, NULL);
    } else { /* an upgrade step of a process: suspend, resume, code_change ok or failed */
      add(t, VIZ_EV_CODE, (uint16_t)(VIZ_CODE_SUSPEND + rnd(4)), now, node, a, b, 0, "{a, i}",
          "kv", I(rnd(3) + 1));
    }
  }
}

static void assert_same_state(const viz_model *x, const viz_model *y) {
  assert_int_equal(viz_model_pos(x), viz_model_pos(y));
  assert_int_equal(viz_model_time(x), viz_model_time(y));
  assert_int_equal(viz_model_proc_count(x), viz_model_proc_count(y));
  for (uint32_t i = 0; i < viz_model_proc_count(x); i++) {
    const viz_proc_state *a = viz_model_proc_state(x, i), *b = viz_model_proc_state(y, i);
    assert_int_equal(viz_model_proc_flags(x, i), viz_model_proc_flags(y, i));
    assert_int_equal(a->mailbox, b->mailbox);
    assert_int_equal(a->reg_event, b->reg_event);
    assert_int_equal(a->version, b->version);
    assert_int_equal(a->code_event, b->code_event);
    assert_int_equal(a->last_step_ns, b->last_step_ns);
    assert_int_equal(a->in_total, b->in_total);
    assert_int_equal(a->out_total, b->out_total);
    assert_memory_equal(a->msg_in, b->msg_in, sizeof a->msg_in);
    assert_memory_equal(a->msg_out, b->msg_out, sizeof a->msg_out);
  }
  uint32_t ne, me;
  const viz_edge *ea = viz_model_edges(x, &ne), *eb = viz_model_edges(y, &me);
  assert_int_equal(ne, me);
  for (uint32_t k = 0; k < ne; k++) {
    assert_int_equal(ea[k].from, eb[k].from);
    assert_int_equal(ea[k].to, eb[k].to);
    assert_int_equal(ea[k].kind, eb[k].kind);
    assert_int_equal(ea[k].ref, eb[k].ref);
  }
  viz_flight fa[256], fb[256];
  uint32_t na = viz_model_flights(x, 50 * MS, fa, 256), nb = viz_model_flights(y, 50 * MS, fb, 256);
  assert_int_equal(na, nb);
  for (uint32_t k = 0; k < na && k < 256; k++) {
    assert_int_equal(fa[k].id, fb[k].id);
    assert_int_equal(fa[k].state, fb[k].state);
    assert_int_equal(fa[k].end_event, fb[k].end_event);
  }
}

static void test_seek_anywhere_equals_a_fresh_replay(void **state) {
  (void)state;
  trace t = {0};
  viz_model m;
  rng_state = 12345;
  random_trace(&t, 6000);
  load(&m, &t, t.n);
  assert_true(m.nsnaps >= 5); /* the test crosses many snapshots */
  for (int k = 0; k < 60; k++) {
    uint32_t pos = rnd(t.n + 1);
    viz_model fresh;
    load(&fresh, &t, pos);
    assert_int_equal(viz_model_seek(&fresh, pos), 0);
    assert_int_equal(viz_model_seek(&m, pos), 0);
    assert_same_state(&m, &fresh);
    /* One step forward and back again. */
    if (pos < t.n) {
      viz_model_seek(&m, pos + 1);
      assert_int_equal(viz_model_pos(&m), pos + 1);
      viz_model_seek(&m, pos);
      assert_same_state(&m, &fresh);
    }
    viz_model_free(&fresh);
  }
  viz_model_free(&m);
  tr_free(&t);
}

static void test_live_appends_do_not_move_the_cursor(void **state) {
  (void)state;
  trace t = {0};
  viz_model m, fresh;
  rng_state = 99;
  random_trace(&t, 3000);
  viz_model_init(&m);
  for (uint32_t i = 0; i < t.n; i++) {
    assert_int_equal(viz_model_append(&m, &t.rec[i]), 0);
    if (i % 97 == 0) {
      uint32_t before = viz_model_pos(&m);
      assert_int_equal(viz_model_seek(&m, i + 1), 0); /* follow the run */
      assert_true(viz_model_pos(&m) >= before);
    }
  }
  viz_model_seek(&m, 1500);
  load(&fresh, &t, t.n);
  viz_model_seek(&fresh, 1500);
  assert_same_state(&m, &fresh);
  viz_model_free(&fresh);
  viz_model_free(&m);
  tr_free(&t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_process_exists_from_spawn_until_exit),
      cmocka_unit_test(test_supervision_tree_has_child_ids),
      cmocka_unit_test(test_mailbox_counts_deliveries_minus_receives),
      cmocka_unit_test(test_process_waiting_in_receive_between_records_is_not_running),
      cmocka_unit_test(test_remote_message_in_flight_until_delivered),
      cmocka_unit_test(test_dropped_message_is_marked),
      cmocka_unit_test(test_links_record_sets_down_and_flaky_pairs),
      cmocka_unit_test(test_crashed_node_takes_its_processes),
      cmocka_unit_test(test_restart_count_and_history_against_intensity),
      cmocka_unit_test(test_timeline_finds_faults_property_and_run_end),
      cmocka_unit_test(test_bad_payloads_never_crash),
      cmocka_unit_test(test_search_by_name_label_and_pid),
      cmocka_unit_test(test_process_runs_its_spawn_version_until_a_code_change),
      cmocka_unit_test(test_refused_load_and_unknown_code_ops_change_nothing),
      cmocka_unit_test(test_code_records_of_odd_shapes_never_crash),
      cmocka_unit_test(test_seek_anywhere_equals_a_fresh_replay),
      cmocka_unit_test(test_live_appends_do_not_move_the_cursor),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
