/*
 * Error paths of sim/, tested the way SQLite tests them: every allocation of world creation, of
 * a whole run and of trace writing is made to fail in turn.
 *
 * Method: ac_alloc_fail_at(N) makes the Nth allocation through core's heap functions (which
 * sim/ uses too) fail, once or from then on. For N = 1, 2, ... the operation runs with the Nth
 * allocation failing until it runs with nothing left to fail, and the test checks a clean
 * result each time: world creation returns AC_ENOMEM and leaves nothing behind; a run goes on
 * to its end however the failure showed (a process that could not get memory exits with
 * system_limit or out_of_memory, and the trace says so); a trace file is either complete and
 * reads back with its run's hash, or absent with its .partial, and sim_finish said why. In the
 * ASan build LeakSanitizer checks at exit that nothing leaked. Faults too: a partition, a kill
 * by registered name and a heal, with each of their allocations failing in turn, return
 * AC_ENOMEM or were made, and leave a world that runs on to its end. The counts are printed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "system.h"
#include "fault.h"
#include "trace.h"
#include "world.h"

#define N_MAX 5000

static void report(const char *what, uint64_t once, uint64_t persistent) {
  printf("alloc-fail %s: %" PRIu64 " allocation points (once), %" PRIu64 " (persistent)\n", what,
         once, persistent);
}

/* ---- world creation --------------------------------------------------------------------- */

static int create(sim_world **out) {
  sim_config cfg = {7, "alloc-fail", NULL, -1, 0};
  *out = NULL;
  int rc = sim_world_create(out, &cfg);
  if (rc == AC_OK) rc = system_setup(*out);
  return rc;
}

static uint64_t creation_points(int persistent) {
  for (uint64_t n = 1; n < N_MAX; n++) {
    sim_world *w;
    ac_alloc_fail_at(n, persistent);
    int rc = create(&w);
    uint64_t failed = ac_alloc_failed_count();
    ac_alloc_fail_at(0, 0);
    if (failed == 0) {
      assert_int_equal(rc, AC_OK);
      sim_world_destroy(w);
      return n - 1;
    }
    assert_int_equal(rc, AC_ENOMEM);
    sim_world_destroy(w); /* NULL when the world itself could not be had */
  }
  fail();
  return 0;
}

static void test_world_creation_fails_cleanly_at_every_allocation(void **state) {
  (void)state;
  uint64_t once = creation_points(0), persistent = creation_points(1);
  assert_true(once >= 10);
  report("world creation (two nodes, link, five processes, supervisor)", once, persistent);
}

/* ---- a whole run, with its trace written ------------------------------------------------ */

static char trace_path[64], partial_path[80];

static bool exists(const char *path) { return access(path, F_OK) == 0; }

/* Reads a trace back whole: its record count and hash. */
static void read_back(uint64_t *count, uint64_t *hash) {
  sim_trace_reader r;
  assert_int_equal(sim_trace_reader_open(&r, trace_path), AC_OK);
  sim_record rec;
  int rc;
  while ((rc = sim_trace_reader_next(&r, &rec)) == 1) {
  }
  assert_int_equal(rc, 0);
  *count = r.count;
  *hash = r.hash;
  sim_trace_reader_close(&r);
}

static uint64_t run_points(int persistent, uint64_t *hash_ok) {
  /* A failure may change the run (a process that could not get memory exits) or not (a
   * links check retried after the next step): the run goes on either way, and the run
   * without failures, the last one, has the hash of a run that never had the hook armed. */
  for (uint64_t n = 1; n < N_MAX; n++) {
    sim_config cfg = {7, "alloc-fail", trace_path, -1, 0};
    sim_world *w;
    assert_int_equal(sim_world_create(&w, &cfg), AC_OK);
    assert_int_equal(system_setup(w), AC_OK);
    ac_alloc_fail_at(n, persistent);
    sim_stop_reason why = sim_run(w, NULL);
    int rc = sim_finish(w);
    uint64_t failed = ac_alloc_failed_count();
    ac_alloc_fail_at(0, 0);
    assert_int_equal(why, SIM_STOP_QUIESCENT); /* the run went to its end */
    uint64_t hash = sim_hash(w), count = sim_event_count(w);
    sim_world_destroy(w);
    assert_false(exists(partial_path));
    if (rc == AC_OK) { /* the trace is complete and is the run's */
      uint64_t file_count, file_hash;
      read_back(&file_count, &file_hash);
      assert_int_equal(file_hash, hash);
      assert_int_equal(file_count, count);
      remove(trace_path);
    } else {
      assert_int_equal(rc, AC_ENOMEM);
      assert_false(exists(trace_path)); /* no half-written file passes for a whole one */
    }
    if (failed == 0) {
      assert_int_equal(rc, AC_OK);
      assert_int_equal(hash, *hash_ok);
      return n - 1;
    }
  }
  fail();
  return 0;
}

static void test_a_run_and_its_trace_survive_a_failure_at_every_allocation(void **state) {
  (void)state;
  snprintf(trace_path, sizeof trace_path, "alloc_fail_%ld.trace", (long)getpid());
  snprintf(partial_path, sizeof partial_path, "%s.partial", trace_path);
  /* The hash of the run without failures, for the comparison above: N past every point. */
  uint64_t hash_ok = 0;
  {
    sim_config cfg = {7, "alloc-fail", NULL, -1, 0};
    sim_world *w;
    assert_int_equal(sim_world_create(&w, &cfg), AC_OK);
    assert_int_equal(system_setup(w), AC_OK);
    assert_int_equal(sim_run(w, NULL), SIM_STOP_QUIESCENT);
    assert_int_equal(sim_finish(w), AC_OK);
    hash_ok = sim_hash(w);
    sim_world_destroy(w);
  }
  uint64_t once = run_points(0, &hash_ok), persistent = run_points(1, &hash_ok);
  assert_true(once >= 10);
  report("a run with its trace written", once, persistent);
}

/* ---- faults: a partition, a kill by name, a heal ----------------------------------------- */
static int apply_faults(sim_world *w) {
  const char *members[] = {"a", "b"};
  const uint32_t sizes[] = {1, 1};
  sim_fault part = {.kind = SIM_FK_PARTITION, .members = members, .group_size = sizes,
                    .group_count = 2};
  sim_fault kill = {.kind = SIM_FK_KILL, .target = {.node = "b", .name = "pong"}};
  sim_fault heal = {.kind = SIM_FK_HEAL};
  int rc = sim_fault_apply(w, &part);
  if (rc == AC_OK) rc = sim_fault_apply(w, &kill);
  if (rc == AC_OK) rc = sim_fault_apply(w, &heal);
  return rc;
}

static uint64_t fault_points(int persistent) {
  for (uint64_t n = 1; n < N_MAX; n++) {
    sim_world *w;
    assert_int_equal(create(&w), AC_OK);
    /* The first instant: pong has registered its name. */
    assert_int_equal(sim_run(w, &(sim_limits){.time_ns_max = 1}), SIM_STOP_TIME_LIMIT);
    ac_alloc_fail_at(n, persistent);
    int rc = apply_faults(w);
    uint64_t failed = ac_alloc_failed_count();
    ac_alloc_fail_at(0, 0);
    if (failed == 0) {
      assert_int_equal(rc, AC_OK);
    } else {
      /* A fault that could not be made says so; one that was made may have left what can
       * wait (the links record, made again after the next step) to later. */
      assert_true(rc == AC_ENOMEM || rc == AC_OK);
      assert_int_equal(sim_fault_apply(w, &(sim_fault){.kind = SIM_FK_HEAL}), AC_OK);
    }
    /* Whatever was or was not made, the world runs on to its end. */
    assert_int_equal(sim_run(w, NULL), SIM_STOP_QUIESCENT);
    assert_int_equal(sim_finish(w), AC_OK);
    sim_world_destroy(w);
    if (failed == 0) return n - 1;
  }
  fail();
  return 0;
}

static void test_faults_fail_cleanly_at_every_allocation(void **state) {
  (void)state;
  uint64_t once = fault_points(0), persistent = fault_points(1);
  assert_true(once >= 3);
  report("faults (partition, kill by name, heal)", once, persistent);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_world_creation_fails_cleanly_at_every_allocation),
      cmocka_unit_test(test_a_run_and_its_trace_survive_a_failure_at_every_allocation),
      cmocka_unit_test(test_faults_fail_cleanly_at_every_allocation),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
