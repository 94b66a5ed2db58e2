/* Runs step by step, several in one process. Goal: everything a run holds belongs to the run
 * (runner.h's promise), so runs opened side by side and stepped in any interleaving give the
 * same events, hash and verdict as each gives alone; the C demos too. Method: each scenario is
 * run alone (scn_run_file's path: open, finish, close) for its reference result; then all are
 * opened at once and stepped round robin, a different number of steps each, and each result
 * must equal its reference. The demos are run the same way through their worlds. A shared
 * counter or stream anywhere (a static in the runner, a demo's file-level tally) makes a
 * hash or a check differ here. Last, the signal registry: a SIGINT stops every open run, and
 * the registry says when it is full instead of leaving a world unstoppable. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "demos.h"
#include "runner.h"

#define RUNS 5

/* Scenarios with supervisors, several nodes, global names, the network, process random
 * streams, timers and properties; one file twice with two seeds. */
static const struct {
  const char *path;
  uint64_t seed; /* 0: the scenario's own */
} scenarios[RUNS] = {
    {CRASHLAB_SOURCE_DIR "/scenarios/library/worker_pool.lua", 0},
    {CRASHLAB_SOURCE_DIR "/scenarios/library/fallacies/zero_latency_naive.lua", 0},
    {CRASHLAB_SOURCE_DIR "/tests/lua/global_names.lua", 0},
    {CRASHLAB_SOURCE_DIR "/scenarios/library/name_service.lua", 0},
    {CRASHLAB_SOURCE_DIR "/scenarios/library/name_service.lua", 4},
};

static scn_options options_for(int i) {
  scn_options o;
  memset(&o, 0, sizeof o);
  o.path = scenarios[i].path;
  o.seed = scenarios[i].seed;
  o.seed_given = scenarios[i].seed != 0;
  o.trace_fd = -1;
  o.quiet = true;
  o.hold_verdict = true; /* the test prints its own lines */
  return o;
}

static void assert_same_result(const scn_result *alone, const scn_result *mixed) {
  assert_string_equal(alone->name, mixed->name);
  assert_int_equal(alone->verdict, mixed->verdict);
  assert_int_equal(alone->seed, mixed->seed);
  assert_int_equal(alone->events, mixed->events);
  assert_int_equal(alone->sim_time_ns, mixed->sim_time_ns);
  assert_int_equal(alone->hash, mixed->hash);
}

static void test_lua_runs_interleaved_step_by_step_give_their_hashes_alone(void **state) {
  (void)state;
  scn_options opts[RUNS];
  scn_result alone[RUNS], mixed[RUNS];
  for (int i = 0; i < RUNS; i++) {
    opts[i] = options_for(i);
    assert_int_equal(scn_run_file(&opts[i], &alone[i]), SCN_PASS);
    assert_true(alone[i].events > 100); /* long enough for the interleaving to matter */
  }
  scn_run *runs[RUNS];
  for (int i = 0; i < RUNS; i++) {
    runs[i] = scn_run_open(&opts[i]);
    assert_non_null(runs[i]);
  }
  static const uint64_t steps[RUNS] = {1, 3, 7, 2, 1};
  uint64_t rounds = 0;
  for (bool any = true; any; rounds++) {
    any = false;
    for (int i = 0; i < RUNS; i++) any |= scn_run_step(runs[i], steps[i]);
  }
  for (int i = 0; i < RUNS; i++) {
    scn_result peek;
    scn_run_peek(runs[i], &peek);
    assert_int_equal(scn_run_finish(runs[i], &mixed[i]), alone[i].verdict);
    assert_true(peek.events <= mixed[i].events); /* finish may add at_end and run_end records */
    scn_run_close(runs[i]);
    assert_same_result(&alone[i], &mixed[i]);
    printf("interleaved %-28s seed=%-3llu events=%-5llu hash=%016llx (alone: %016llx)\n",
           mixed[i].name, (unsigned long long)mixed[i].seed, (unsigned long long)mixed[i].events,
           (unsigned long long)mixed[i].hash, (unsigned long long)alone[i].hash);
  }
  assert_true(rounds > 100);
}

static void test_a_run_closed_before_its_end_frees_everything(void **state) {
  (void)state;
  scn_options o = options_for(0);
  scn_run *run = scn_run_open(&o);
  assert_non_null(run);
  assert_true(scn_run_step(run, 50));
  scn_result peek;
  scn_run_peek(run, &peek);
  assert_true(peek.events > 0);
  scn_run_close(run); /* LeakSanitizer checks that nothing stays behind */
  scn_result again;
  assert_int_equal(scn_run_file(&o, &again), SCN_PASS); /* and the next run is not disturbed */
}

static void test_a_run_that_cannot_open_says_so(void **state) {
  (void)state;
  scn_options o = options_for(0);
  o.path = CRASHLAB_SOURCE_DIR "/tests/no_such_scenario.lua";
  assert_null(scn_run_open(&o));
  o.path = CRASHLAB_SOURCE_DIR "/tests";
  assert_null(scn_run_open(&o));
}

/* A demo run in its own world, stepped by the caller. */
typedef struct demo_world {
  sim_world *w;
  scn_demo_run *run;
} demo_world;

static demo_world demo_open(const scn_demo *d, uint64_t seed) {
  sim_config cfg = {seed, d->name, NULL, -1, 0};
  demo_world dw;
  assert_int_equal(sim_world_create(&dw.w, &cfg), AC_OK);
  scn_demo_params p = {0, 0};
  assert_int_equal(scn_demo_open(&dw.run, d, dw.w, &p), AC_OK);
  return dw;
}

static uint64_t demo_close(demo_world *dw, char *why, size_t cap) {
  assert_true(scn_demo_check(dw->run, why, cap));
  uint64_t h = sim_hash(dw->w);
  sim_world_destroy(dw->w);
  scn_demo_close(dw->run);
  return h;
}

static void test_demos_interleaved_step_by_step_give_their_hashes_alone(void **state) {
  (void)state;
  enum { DEMOS_MAX = 16 };
  demo_world worlds[DEMOS_MAX];
  uint64_t alone[DEMOS_MAX];
  char why_alone[DEMOS_MAX][256], why[256];
  int n = 0;
  for (const scn_demo *d = scn_demos; d->name; d++)
    for (uint64_t seed = 1; seed <= 2 && n < DEMOS_MAX; seed++, n++) { /* each demo twice */
      worlds[n] = demo_open(d, seed);
      sim_run(worlds[n].w, NULL);
      alone[n] = demo_close(&worlds[n], why_alone[n], sizeof why_alone[n]);
    }
  int i = 0;
  for (const scn_demo *d = scn_demos; d->name; d++)
    for (uint64_t seed = 1; seed <= 2 && i < n; seed++) worlds[i++] = demo_open(d, seed);
  for (bool any = true; any;) {
    any = false;
    for (i = 0; i < n; i++) {
      sim_limits one = {0, sim_step_count(worlds[i].w) + 1};
      any |= sim_run(worlds[i].w, &one) == SIM_STOP_STEP_LIMIT;
    }
  }
  for (i = 0; i < n; i++) {
    assert_int_equal(demo_close(&worlds[i], why, sizeof why), alone[i]);
    assert_string_equal(why, why_alone[i]);
  }
  printf("interleaved %d demo runs: every check passed, every hash as alone\n", n);
}

static void test_signal_registry_says_when_it_is_full(void **state) {
  (void)state;
  enum { WORLDS = 65 };
  sim_world *w[WORLDS];
  int watched = 0;
  for (int i = 0; i < WORLDS; i++) {
    sim_config cfg = {1, "registry", NULL, -1, 0};
    assert_int_equal(sim_world_create(&w[i], &cfg), AC_OK);
    if (scn_watch_world(w[i]) == AC_OK) watched++;
  }
  assert_int_equal(watched, 64);
  assert_int_equal(scn_watch_world(w[WORLDS - 1]), AC_ELIMIT); /* still full */
  scn_unwatch_world(w[0]);
  assert_int_equal(scn_watch_world(w[WORLDS - 1]), AC_OK); /* a freed slot is used again */
  for (int i = 0; i < WORLDS; i++) {
    scn_unwatch_world(w[i]);
    sim_world_destroy(w[i]);
  }
}

/* Last: the signal flag is process-wide and stays set (a signal ends the command). */
static void test_sigint_stops_every_open_run(void **state) {
  (void)state;
  scn_options opts[2] = {options_for(0), options_for(2)};
  scn_run *runs[2];
  for (int i = 0; i < 2; i++) {
    runs[i] = scn_run_open(&opts[i]);
    assert_non_null(runs[i]);
    assert_true(scn_run_step(runs[i], 10));
  }
  scn_install_signal_handlers();
  raise(SIGINT);
  assert_int_equal(scn_signal_seen(), SIGINT);
  for (int i = 0; i < 2; i++) {
    assert_false(scn_run_step(runs[i], 10));
    scn_result r;
    assert_int_equal(scn_run_finish(runs[i], &r), SCN_INTERRUPTED);
    assert_true(r.events > 0);
    scn_run_close(runs[i]);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lua_runs_interleaved_step_by_step_give_their_hashes_alone),
      cmocka_unit_test(test_a_run_closed_before_its_end_frees_everything),
      cmocka_unit_test(test_a_run_that_cannot_open_says_so),
      cmocka_unit_test(test_demos_interleaved_step_by_step_give_their_hashes_alone),
      cmocka_unit_test(test_signal_registry_says_when_it_is_full),
      cmocka_unit_test(test_sigint_stops_every_open_run),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
