/*
 * The world's scheduler: virtual time, timer order, limits, and seeded interleavings.
 *
 * Method: callbacks scheduled with sim_at record the order and time they ran in; the built-in
 * demos (scenarios/demos/demos.c) provide whole systems whose hash and arrival order are compared
 * across seeds. Determinism across OS processes is tested separately (tests/determinism/).
 * Run state belongs to the run: two worlds of tests/sim/system.h run step by step in turns,
 * in one OS process, end with the hashes each has alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "demos.h"
#include "system.h"
#include "world.h"

static uint64_t ran_at[16];
static int ran_order[16];
static int ran_count;

typedef struct tag {
  int id;
} tag;

static void record(sim_world *w, void *arg) {
  ran_at[ran_count] = sim_now(w);
  ran_order[ran_count++] = ((tag *)arg)->id;
}

static sim_world *world(uint64_t seed) {
  sim_config cfg = {seed, "test", NULL, -1, 0};
  sim_world *w;
  assert_int_equal(sim_world_create(&w, &cfg), AC_OK);
  return w;
}

static void test_callbacks_run_in_time_order(void **state) {
  (void)state;
  sim_world *w = world(1);
  tag tags[4] = {{0}, {1}, {2}, {3}};
  ran_count = 0;
  assert_int_equal(sim_at(w, 300, record, &tags[0]), AC_OK);
  assert_int_equal(sim_at(w, 100, record, &tags[1]), AC_OK);
  assert_int_equal(sim_at(w, 200, record, &tags[2]), AC_OK);
  assert_int_equal(sim_at(w, 50, record, &tags[3]), AC_OK);
  assert_int_equal(sim_run(w, NULL), SIM_STOP_QUIESCENT);
  assert_int_equal(ran_count, 4);
  int want[] = {3, 1, 2, 0};
  uint64_t want_at[] = {50, 100, 200, 300};
  for (int i = 0; i < 4; i++) {
    assert_int_equal(ran_order[i], want[i]);
    assert_int_equal(ran_at[i], want_at[i]);
  }
  sim_world_destroy(w);
}

static void test_time_limit_stops_before_later_events(void **state) {
  (void)state;
  sim_world *w = world(1);
  tag t0 = {0}, t1 = {1};
  ran_count = 0;
  sim_at(w, 100, record, &t0);
  sim_at(w, 500, record, &t1);
  assert_int_equal(sim_run(w, &(sim_limits){200, 0}), SIM_STOP_TIME_LIMIT);
  assert_int_equal(ran_count, 1);
  assert_int_equal(sim_now(w), 200);
  assert_int_equal(sim_run(w, NULL), SIM_STOP_QUIESCENT); /* a run can be continued */
  assert_int_equal(ran_count, 2);
  assert_int_equal(sim_at(w, 10, record, &t0), AC_EINVAL); /* the past is refused */
  sim_world_destroy(w);
}

static void test_step_limit_and_stop_request(void **state) {
  (void)state;
  sim_world *w = world(1);
  tag tags[3] = {{0}, {1}, {2}};
  ran_count = 0;
  for (int i = 0; i < 3; i++) sim_at(w, 10 * (uint64_t)(i + 1), record, &tags[i]);
  assert_int_equal(sim_run(w, &(sim_limits){0, 2}), SIM_STOP_STEP_LIMIT);
  assert_int_equal(ran_count, 2);
  assert_int_equal(sim_step_count(w), 2);
  sim_world_destroy(w);
}

/* Same-instant callbacks run in an order drawn from the seed. */
static void same_instant_order(uint64_t seed, int *order) {
  sim_world *w = world(seed);
  static tag tags[8] = {{0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}};
  ran_count = 0;
  for (int i = 0; i < 8; i++) sim_at(w, 1000, record, &tags[i]);
  sim_run(w, NULL);
  assert_int_equal(ran_count, 8);
  memcpy(order, ran_order, 8 * sizeof *order);
  sim_world_destroy(w);
}

static void test_same_instant_events_order_depends_on_seed_only(void **state) {
  (void)state;
  int a[8], b[8], distinct = 0;
  same_instant_order(7, a);
  same_instant_order(7, b);
  assert_memory_equal(a, b, sizeof a);
  for (uint64_t seed = 1; seed <= 10; seed++) {
    same_instant_order(seed, b);
    if (memcmp(a, b, sizeof a) != 0) distinct++;
  }
  assert_true(distinct >= 5); /* 8! orders: nearly every seed differs from seed 7's */
}

static uint64_t demo_hash(const char *name, uint64_t seed, char *why, size_t cap) {
  const scn_demo *d = scn_demo_find(name);
  assert_non_null(d);
  sim_world *w = world(seed);
  scn_demo_params p = {0, 0};
  scn_demo_run *run;
  assert_int_equal(scn_demo_open(&run, d, w, &p), AC_OK);
  sim_run(w, NULL);
  assert_true(scn_demo_check(run, why, cap));
  uint64_t h = sim_hash(w);
  sim_world_destroy(w);
  scn_demo_close(run);
  return h;
}

static void test_ties_demo_delivery_order_differs_between_seeds(void **state) {
  (void)state;
  char first[256], again[256], other[256];
  uint64_t h1 = demo_hash("ties", 3, first, sizeof first);
  uint64_t h2 = demo_hash("ties", 3, again, sizeof again);
  assert_int_equal(h1, h2);
  assert_string_equal(first, again);
  int different = 0;
  for (uint64_t seed = 4; seed < 14; seed++) {
    uint64_t h = demo_hash("ties", seed, other, sizeof other);
    if (strcmp(other, first) != 0) {
      different++;
      assert_true(h != h1);
    }
  }
  assert_true(different >= 5);
}

static void test_every_demo_passes_and_repeats_its_hash(void **state) {
  (void)state;
  char why[256];
  for (const scn_demo *d = scn_demos; d->name; d++) {
    uint64_t h1 = demo_hash(d->name, 42, why, sizeof why);
    uint64_t h2 = demo_hash(d->name, 42, why, sizeof why);
    assert_int_equal(h1, h2);
  }
}

static void test_streams_are_independent_and_stable(void **state) {
  (void)state;
  sim_world *w = world(5);
  sim_rng *fault = sim_stream(w, "fault");
  sim_rng *net = sim_stream(w, "net");
  assert_non_null(fault);
  assert_ptr_equal(sim_stream(w, "fault"), fault);
  uint64_t f1 = sim_rng_next(fault);
  sim_world *w2 = world(5);
  sim_rng *net2 = sim_stream(w2, "net"); /* no draw from "fault" here: net must not shift */
  assert_int_equal(sim_rng_next(net), sim_rng_next(net2));
  sim_rng *fault2 = sim_stream(w2, "fault");
  assert_int_equal(sim_rng_next(fault2), f1);
  sim_world_destroy(w);
  sim_world_destroy(w2);
}

static void test_process_streams_differ_per_pid_and_repeat(void **state) {
  (void)state;
  sim_world *w = world(9), *w2 = world(9), *w3 = world(10);
  sim_rng a, b, a2, a3;
  sim_process_rng(w, ac_pid_make(0, 1, 0), &a);
  sim_process_rng(w, ac_pid_make(0, 2, 0), &b);
  sim_process_rng(w2, ac_pid_make(0, 1, 0), &a2);
  sim_process_rng(w3, ac_pid_make(0, 1, 0), &a3);
  uint64_t x = sim_rng_next(&a);
  assert_int_not_equal(x, sim_rng_next(&b));
  assert_int_equal(x, sim_rng_next(&a2));
  assert_int_not_equal(x, sim_rng_next(&a3));
  sim_world_destroy(w);
  sim_world_destroy(w2);
  sim_world_destroy(w3);
}

/* The system's run alone: its hash and step count. */
static uint64_t system_alone(uint64_t seed, uint64_t *steps) {
  sim_world *w = world(seed);
  assert_int_equal(system_setup(w), AC_OK);
  assert_int_equal(sim_run(w, NULL), SIM_STOP_QUIESCENT);
  assert_int_equal(sim_finish(w), AC_OK);
  uint64_t h = sim_hash(w);
  *steps = sim_step_count(w);
  sim_world_destroy(w);
  return h;
}

static void test_two_worlds_in_turns_step_by_step_hash_as_each_alone(void **state) {
  (void)state;
  uint64_t steps_a, steps_b;
  uint64_t alone_a = system_alone(11, &steps_a), alone_b = system_alone(12, &steps_b);
  assert_true(alone_a != alone_b); /* the seeds give different runs: a mix-up would show */
  printf("system run: %" PRIu64 " and %" PRIu64 " steps\n", steps_a, steps_b);
  assert_true(steps_a > 50 && steps_b > 50);
  sim_world *a = world(11), *b = world(12);
  assert_int_equal(system_setup(a), AC_OK);
  assert_int_equal(system_setup(b), AC_OK);
  bool done_a = false, done_b = false;
  for (uint64_t k = 1; !(done_a && done_b); k++) {
    assert_true(k <= steps_a + steps_b + 2);
    if (!done_a) done_a = sim_run(a, &(sim_limits){0, k}) == SIM_STOP_QUIESCENT;
    if (!done_b) done_b = sim_run(b, &(sim_limits){0, k}) == SIM_STOP_QUIESCENT;
  }
  assert_int_equal(sim_finish(a), AC_OK);
  assert_int_equal(sim_finish(b), AC_OK);
  assert_int_equal(sim_hash(a), alone_a);
  assert_int_equal(sim_hash(b), alone_b);
  assert_int_equal(sim_step_count(a), steps_a);
  assert_int_equal(sim_step_count(b), steps_b);
  sim_world_destroy(a);
  sim_world_destroy(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_callbacks_run_in_time_order),
      cmocka_unit_test(test_time_limit_stops_before_later_events),
      cmocka_unit_test(test_step_limit_and_stop_request),
      cmocka_unit_test(test_same_instant_events_order_depends_on_seed_only),
      cmocka_unit_test(test_ties_demo_delivery_order_differs_between_seeds),
      cmocka_unit_test(test_every_demo_passes_and_repeats_its_hash),
      cmocka_unit_test(test_streams_are_independent_and_stable),
      cmocka_unit_test(test_process_streams_differ_per_pid_and_repeat),
      cmocka_unit_test(test_two_worlds_in_turns_step_by_step_hash_as_each_alone),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
