/*
 * Faults as data (sim/fault.h): the one place that makes and records a fault, and plans.
 * Goal: a planned fault equal to one the scenario asks for at that time is made at that point,
 * in its place; a planned fault without such a twin is made at the end of its instant (after
 * everything else due then) or, when nothing happens at its time, the clock moves to it; the
 * scenario's own faults are not made under a plan but still return their status; a planned
 * fault whose node does not exist is reported with its index; a plan out of time order is
 * refused; isolations of a node are counted, and the end of the last gives each link back what
 * it had before the first; link settings and clocks of the setup are made under any plan.
 * Method: a world of three nodes (no processes) with sim_at callbacks standing for the
 * scenario, and the records it writes, seen through the event hook.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fault.h"
#include "world.h"

#define SEEN_MAX 64
#define S(n) ((uint64_t)(n) * 1000000000u)

typedef struct seen {
  uint16_t kind[SEEN_MAX];
  uint64_t time_ns[SEEN_MAX];
  char text[SEEN_MAX][200];
  int count;
} seen;

static seen log_;

static void on_record(const sim_record *r, void *arg) {
  (void)arg;
  if (r->kind != AC_EV_FAULT && r->kind != AC_EV_NOTE) return;
  if (log_.count == SEEN_MAX) return;
  int i = log_.count++;
  log_.kind[i] = r->kind;
  log_.time_ns[i] = r->time_ns;
  log_.text[i][0] = 0;
  if (r->payload_size) ac_term_print((ac_term){r->payload}, log_.text[i], sizeof log_.text[i]);
}

static sim_world *world3(void) {
  memset(&log_, 0, sizeof log_);
  sim_config cfg = {1, "fault", NULL, -1, 0};
  sim_world *w = NULL;
  assert_int_equal(sim_world_create(&w, &cfg), AC_OK);
  sim_set_event_hook(w, on_record, NULL);
  assert_int_equal(sim_node_add(w, "a", NULL, NULL), AC_OK);
  assert_int_equal(sim_node_add(w, "b", NULL, NULL), AC_OK);
  assert_int_equal(sim_node_add(w, "c", NULL, NULL), AC_OK);
  return w;
}

/* A note record (the scenario doing something else at that time). */
static void note(sim_world *w, const char *text) {
  ac_tbuf b;
  ac_term t;
  assert_int_equal(ac_term_build(&b, &t, "a", text), AC_OK);
  sim_note(w, t);
  ac_tb_free(&b);
}

static int find(const char *text) {
  for (int i = 0; i < log_.count; i++)
    if (strcmp(log_.text[i], text) == 0) return i;
  return -1;
}

static bool b_up_in_callback;
static int crash_status;

/* The scenario's fault at 1 s: crash b, then look whether it is down. */
static void scenario_crashes_b(sim_world *w, void *arg) {
  (void)arg;
  crash_status = sim_node_crash(w, 1);
  b_up_in_callback = sim_node(w, 1) != NULL;
  note(w, "after_the_call");
}

static void test_planned_twin_is_made_in_place_of_the_scenarios_fault(void **state) {
  (void)state;
  sim_world *w = world3();
  static const sim_planned plan[] = {{S(1), {.kind = SIM_FK_CRASH_NODE, .node = "b"}}};
  assert_int_equal(sim_fault_plan(w, plan, 1, NULL, NULL), AC_OK);
  assert_int_equal(sim_at(w, S(1), scenario_crashes_b, NULL), AC_OK);
  sim_run(w, NULL);
  assert_int_equal(crash_status, AC_OK);
  assert_false(b_up_in_callback); /* made at the call, not later */
  int f = find("{crash_node,b}"), n = find("after_the_call");
  assert_true(f >= 0 && n > f);
  assert_int_equal(log_.time_ns[f], S(1));
  for (int i = f + 1; i < log_.count; i++) assert_int_not_equal(log_.kind[i], AC_EV_FAULT); /* once */
  sim_world_destroy(w);
}

static void test_scenario_fault_without_a_planned_twin_is_not_made(void **state) {
  (void)state;
  sim_world *w = world3();
  assert_int_equal(sim_fault_plan(w, NULL, 0, NULL, NULL), AC_OK);
  assert_int_equal(sim_at(w, S(1), scenario_crashes_b, NULL), AC_OK);
  sim_run(w, NULL);
  assert_int_equal(crash_status, AC_OK); /* the status it would have had */
  assert_true(b_up_in_callback);
  assert_non_null(sim_node(w, 1));
  assert_int_equal(find("{crash_node,b}"), -1);
  assert_int_equal(sim_node_crash(w, 7), AC_EINVAL); /* bad input is still refused */
  sim_world_destroy(w);
}

static void busy_at_one(sim_world *w, void *arg) {
  (void)arg;
  note(w, "busy");
}

static void test_planned_fault_alone_is_made_at_the_end_of_its_instant(void **state) {
  (void)state;
  sim_world *w = world3();
  static const sim_planned plan[] = {{S(1), {.kind = SIM_FK_ISOLATE, .node = "c"}},
                                     {S(3), {.kind = SIM_FK_HEAL}}};
  assert_int_equal(sim_fault_plan(w, plan, 2, NULL, NULL), AC_OK);
  assert_int_equal(sim_at(w, S(1), busy_at_one, NULL), AC_OK); /* planned time, other work */
  assert_int_equal(sim_run(w, NULL), SIM_STOP_QUIESCENT);
  int busy = find("busy"), iso = find("{isolate,c}"), heal = find("heal");
  assert_true(busy >= 0 && iso > busy && heal > iso); /* after what was due at 1 s */
  assert_int_equal(log_.time_ns[iso], S(1));
  assert_int_equal(log_.time_ns[heal], S(3)); /* nothing else at 3 s: the clock went there */
  assert_false(sim_net_get(w, 0, 2).down);
  sim_world_destroy(w);
}

static int reported_index = -1, reported_status;

static void on_plan_error(sim_world *w, uint32_t index, int status, const char *why, void *arg) {
  (void)w;
  (void)arg;
  reported_index = (int)index;
  reported_status = status;
  assert_non_null(strstr(why, "unknown node 'z'"));
}

static void test_planned_fault_on_an_unknown_node_is_reported(void **state) {
  (void)state;
  sim_world *w = world3();
  static const sim_planned plan[] = {{S(1), {.kind = SIM_FK_HEAL}},
                                     {S(2), {.kind = SIM_FK_CRASH_NODE, .node = "z"}}};
  assert_int_equal(sim_fault_plan(w, plan, 2, on_plan_error, NULL), AC_OK);
  sim_run(w, NULL);
  assert_int_equal(reported_index, 1);
  assert_int_equal(reported_status, AC_ENOTFOUND);
  assert_int_equal(find("{crash_node,z}"), -1);
  sim_world_destroy(w);
}

static void test_plan_out_of_time_order_is_refused(void **state) {
  (void)state;
  sim_world *w = world3();
  static const sim_planned plan[] = {{S(2), {.kind = SIM_FK_HEAL}}, {S(1), {.kind = SIM_FK_HEAL}}};
  assert_int_equal(sim_fault_plan(w, plan, 2, NULL, NULL), AC_EINVAL);
  assert_false(sim_fault_planned(w));
  sim_world_destroy(w);
}

static void fault(sim_world *w, uint16_t kind, const char *node) {
  sim_fault f = {.kind = kind, .node = node};
  assert_int_equal(sim_fault_apply(w, &f), AC_OK);
}

static void test_isolations_are_counted_and_end_where_they_began(void **state) {
  (void)state;
  sim_world *w = world3();
  sim_fault cut = {.kind = SIM_FK_CUT, .from = "c", .to = "a"};
  assert_int_equal(sim_fault_apply(w, &cut), AC_OK); /* down before any isolation */
  fault(w, SIM_FK_ISOLATE, "a");
  fault(w, SIM_FK_ISOLATE, "a");
  fault(w, SIM_FK_HEAL, "a"); /* one of two ends: still isolated */
  assert_true(sim_net_get(w, 0, 1).down);
  assert_true(sim_net_get(w, 1, 0).down);
  fault(w, SIM_FK_HEAL, "a"); /* the last: back to what they were */
  assert_false(sim_net_get(w, 0, 1).down);
  assert_false(sim_net_get(w, 1, 0).down);
  assert_false(sim_net_get(w, 0, 2).down);
  assert_true(sim_net_get(w, 2, 0).down); /* the cut stays */
  fault(w, SIM_FK_HEAL, NULL);             /* every link */
  assert_false(sim_net_get(w, 2, 0).down);
  assert_true(find("{heal,a}") >= 0 && find("heal") >= 0 && find("{cut,c,a}") >= 0);
  sim_world_destroy(w);
}

static void test_setup_link_settings_and_clocks_are_made_under_a_plan(void **state) {
  (void)state;
  sim_world *w = world3();
  assert_int_equal(sim_fault_plan(w, NULL, 0, NULL, NULL), AC_OK);
  sim_link slow = sim_net_get(w, 0, 1);
  slow.bandwidth = 1000;
  sim_fault link = {.kind = SIM_FK_LINK, .from = "a", .to = "b", .link = slow};
  assert_int_equal(sim_fault_apply(w, &link), AC_OK);
  assert_int_equal(sim_clock_set(w, 2, 5, 0.5), AC_OK);
  fault(w, SIM_FK_ISOLATE, "c"); /* a fault, not the setup: not made */
  assert_int_equal(sim_net_get(w, 0, 1).bandwidth, 1000);
  assert_true(find("{clock,c,5,0.5}") >= 0);
  assert_false(sim_net_get(w, 0, 2).down);
  sim_run(w, NULL); /* the run has started: what comes now is no longer the setup */
  slow.bandwidth = 5;
  assert_int_equal(sim_fault_apply(w, &link), AC_OK);
  assert_int_equal(sim_net_get(w, 0, 1).bandwidth, 1000);
  sim_world_destroy(w);
}

static void test_bad_faults_are_refused_and_not_recorded(void **state) {
  (void)state;
  sim_world *w = world3();
  sim_fault unknown = {.kind = 99};
  sim_fault self_cut = {.kind = SIM_FK_CUT, .from = "a", .to = "a"};
  sim_fault nowhere = {.kind = SIM_FK_ISOLATE, .node = "z"};
  sim_fault drift = {.kind = SIM_FK_CLOCK, .node = "a", .drift = -2};
  sim_fault nobody = {.kind = SIM_FK_KILL, .target = {.node = "a", .name = "nobody"}};
  assert_int_equal(sim_fault_apply(w, &unknown), AC_EINVAL);
  assert_int_equal(sim_fault_apply(w, &self_cut), AC_EINVAL);
  assert_int_equal(sim_fault_apply(w, &nowhere), AC_ENOTFOUND);
  assert_int_equal(sim_fault_apply(w, &drift), AC_EINVAL);
  assert_int_equal(sim_fault_apply(w, &nobody), AC_ENOTFOUND);
  assert_int_equal(sim_node_restart(w, 1), AC_ESTATE); /* up already */
  assert_int_equal(log_.count, 0);
  assert_string_equal(sim_fault_kind_name(SIM_FK_NET_DEFAULT), "net_default");
  assert_int_equal(sim_fault_kind_of("flaky_up"), SIM_FK_FLAKY_UP);
  assert_int_equal(sim_fault_kind_of("kil"), 0);
  sim_world_destroy(w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_planned_twin_is_made_in_place_of_the_scenarios_fault),
      cmocka_unit_test(test_scenario_fault_without_a_planned_twin_is_not_made),
      cmocka_unit_test(test_planned_fault_alone_is_made_at_the_end_of_its_instant),
      cmocka_unit_test(test_planned_fault_on_an_unknown_node_is_reported),
      cmocka_unit_test(test_plan_out_of_time_order_is_refused),
      cmocka_unit_test(test_isolations_are_counted_and_end_where_they_began),
      cmocka_unit_test(test_setup_link_settings_and_clocks_are_made_under_a_plan),
      cmocka_unit_test(test_bad_faults_are_refused_and_not_recorded),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
