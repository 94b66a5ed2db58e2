/*
 * Error paths of core/, tested the way SQLite tests its own: every allocation an operation
 * makes is made to fail in turn.
 *
 * Method: ac_alloc_fail_at(N) makes the Nth allocation through core's heap functions (ac_malloc,
 * ac_calloc, ac_realloc, ac_alloc_get) fail, once or, with `persistent`, from then on. For
 * N = 1, 2, ... an operation runs with the Nth allocation failing, until it runs with no
 * failure left to inject; each time the test checks that the operation returned a clean error
 * code (AC_ENOMEM, or for supervisor start a consistent end of the run), that the node is in a
 * consistent state (nothing half done is visible, and the same operation succeeds once memory
 * is back), and, in the ASan build, LeakSanitizer checks at exit that nothing leaked. The
 * operations that need a process (link, monitor, register, send) run inside a process's step,
 * with the failure armed around exactly that call. Each test prints how many N it tried.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sup.h"
#include "world.h"

/* Where a failing run stops: no operation here needs anywhere near this many allocations. */
#define N_MAX 2000

static sim_world *world_new(ac_node **node) {
  sim_config cfg = {1, "alloc-fail", NULL, -1, 0};
  sim_world *w;
  assert_int_equal(sim_world_create(&w, &cfg), AC_OK);
  assert_int_equal(sim_node_add(w, "a", NULL, node), AC_OK);
  return w;
}

static ac_term nil(void) {
  static const uint8_t nil_term[] = {AC_T_NIL};
  ac_term t = {nil_term};
  return t;
}

/* ---- A process that runs the operation under test in its step ----------------------------- */

typedef int (*proc_op)(ac_proc *self, ac_pid other);

static struct {
  proc_op op;
  ac_pid other;      /* the operation's target */
  uint64_t nth;      /* the allocation to fail, 0 for none */
  int persistent;
  int rc;            /* what the operation returned */
  uint64_t failed;   /* how many allocations failed on purpose */
  bool ran;
} job;

static int actor_init(ac_proc *self, ac_term arg) {
  (void)arg;
  if (!job.op) return AC_OK;
  ac_alloc_fail_at(job.nth, job.persistent);
  job.rc = job.op(self, job.other);
  job.failed = ac_alloc_failed_count();
  ac_alloc_fail_at(0, 0);
  job.ran = true;
  return AC_OK; /* it lives on, so that the state can be checked and the call tried again */
}

static int actor_handle(ac_proc *self, const ac_msg *msg) {
  if (ac_term_is_atom(ac_msg_term(msg), "stop")) return ac_stop_atom(self, "normal");
  return AC_OK;
}

static const ac_behaviour actor = {.name = "actor", .init = actor_init, .handle = actor_handle};

/* A process that only waits (the target of links, monitors and sends). */
static const ac_behaviour idle = {.name = "idle", .handle = actor_handle};

/*
 * Runs `op` in a fresh actor's init with the Nth allocation failing, for N = 1, 2, ... until
 * it succeeds with nothing failed; `check(node, actor, other, ok)` asserts the state after
 * each attempt. A failed operation returns AC_ENOMEM and leaves both processes alive, unless
 * `check_rc` is given: it then judges the return code and the processes itself. Returns how
 * many N failed the operation.
 */
typedef void (*state_check)(ac_node *node, ac_pid self, ac_pid other, bool ok);
static uint64_t fail_each_rc(proc_op op, int persistent, state_check check,
                             void (*check_rc)(ac_node *node, ac_pid self, ac_pid other, int rc)) {
  for (uint64_t n = 1; n < N_MAX; n++) {
    ac_node *node;
    sim_world *w = world_new(&node);
    ac_pid other, self;
    assert_int_equal(ac_node_spawn(node, &idle, nil(), &other), AC_OK);
    memset(&job, 0, sizeof job);
    job.op = op;
    job.other = other;
    job.nth = n;
    job.persistent = persistent;
    assert_int_equal(ac_node_spawn(node, &actor, nil(), &self), AC_OK);
    sim_run(w, NULL);
    assert_true(job.ran);
    if (job.failed == 0) { /* nothing left to fail: the operation is done */
      assert_int_equal(job.rc, AC_OK);
      check(node, self, other, true);
      sim_world_destroy(w);
      return n - 1;
    }
    if (check_rc) {
      check_rc(node, self, other, job.rc);
    } else {
      assert_int_equal(job.rc, AC_ENOMEM);
      assert_true(ac_node_alive(node, self) && ac_node_alive(node, other));
      check(node, self, other, false);
    }
    sim_world_destroy(w);
  }
  fail();
  return 0;
}

static uint64_t fail_each(proc_op op, int persistent, state_check check) {
  return fail_each_rc(op, persistent, check, NULL);
}

static void report(const char *what, uint64_t once, uint64_t persistent) {
  printf("alloc-fail %s: %" PRIu64 " allocation points (once), %" PRIu64 " (persistent)\n", what,
         once, persistent);
}

/* ---- link ------------------------------------------------------------------------------- */

static int op_link(ac_proc *self, ac_pid other) { return ac_link(self, other); }

static void check_link(ac_node *node, ac_pid self, ac_pid other, bool ok) {
  assert_int_equal(ac_node_linked(node, self, other), ok);
  assert_int_equal(ac_node_linked(node, other, self), ok); /* both ends or neither */
}

static void test_link_fails_cleanly_at_every_allocation(void **state) {
  (void)state;
  uint64_t once = fail_each(op_link, 0, check_link);
  uint64_t persistent = fail_each(op_link, 1, check_link);
  assert_true(once >= 1);
  report("link", once, persistent);
}

/* ---- monitor ---------------------------------------------------------------------------- */

static int op_monitor(ac_proc *self, ac_pid other) {
  ac_ref ref;
  return ac_monitor(self, other, &ref);
}

static void check_monitor(ac_node *node, ac_pid self, ac_pid other, bool ok) {
  ac_proc_info a, b;
  assert_int_equal(ac_node_info(node, self, &a), AC_OK);
  assert_int_equal(ac_node_info(node, other, &b), AC_OK);
  assert_int_equal(a.monitor_count, ok ? 1 : 0);
  assert_int_equal(b.monitored_by, ok ? 1 : 0);
}

static void test_monitor_fails_cleanly_at_every_allocation(void **state) {
  (void)state;
  uint64_t once = fail_each(op_monitor, 0, check_monitor);
  uint64_t persistent = fail_each(op_monitor, 1, check_monitor);
  assert_true(once >= 1);
  report("monitor", once, persistent);
}

/* ---- register --------------------------------------------------------------------------- */

static int op_register(ac_proc *self, ac_pid other) { return ac_register(self, "target", other); }

static void check_register(ac_node *node, ac_pid self, ac_pid other, bool ok) {
  (void)self;
  ac_pid at = ac_whereis(node, "target");
  assert_true(ok ? ac_pid_eq(at, other) : ac_pid_is_none(at));
  if (!ok) assert_int_equal(ac_node_register(node, "target", other), AC_OK); /* memory back */
  assert_true(ac_pid_eq(ac_whereis(node, "target"), other));
}

static void test_register_fails_cleanly_at_every_allocation(void **state) {
  (void)state;
  uint64_t once = fail_each(op_register, 0, check_register);
  uint64_t persistent = fail_each(op_register, 1, check_register);
  assert_true(once >= 1);
  report("register", once, persistent);
}

/* ---- send ------------------------------------------------------------------------------- */

/* A message larger than the biggest size class, so that it takes a malloc'ed block. */
static int op_send(ac_proc *self, ac_pid other) {
  static uint8_t big[4096];
  ac_tbuf b;
  ac_term t;
  int rc = ac_term_build(&b, &t, "{a, b}", "big", big, sizeof big);
  if (rc == AC_OK) rc = ac_send(self, other, t);
  ac_tb_free(&b);
  return rc;
}

static void check_send(ac_node *node, ac_pid self, ac_pid other, bool ok) {
  (void)self;
  (void)ok;
  ac_proc_info info;
  assert_int_equal(ac_node_info(node, other, &info), AC_OK);
  assert_int_equal(info.mailbox_len, 0); /* idle took the message */
}

/* Building the message may fail (AC_ENOMEM, nothing sent, both alive). A send itself never
 * fails, as in Erlang: a receiver whose message cannot be stored dies with out_of_memory,
 * which is what its links and monitors then see; the sender lives on. */
static void check_send_rc(ac_node *node, ac_pid self, ac_pid other, int rc) {
  assert_true(ac_node_alive(node, self));
  if (rc == AC_ENOMEM) {
    check_send(node, self, other, false);
  } else {
    assert_int_equal(rc, AC_OK);
    assert_false(ac_node_alive(node, other));
  }
}

static void test_send_fails_cleanly_at_every_allocation(void **state) {
  (void)state;
  uint64_t once = fail_each_rc(op_send, 0, check_send, check_send_rc);
  uint64_t persistent = fail_each_rc(op_send, 1, check_send, check_send_rc);
  assert_true(once >= 1);
  report("send", once, persistent);
}

/* ---- spawn (from a process, linked and monitored) ------------------------------------------ */

static int op_spawn(ac_proc *self, ac_pid other) {
  (void)other;
  ac_pid pid;
  ac_ref ref;
  return ac_spawn(self, &idle, nil(), AC_SPAWN_LINK | AC_SPAWN_MONITOR, &pid, &ref);
}

static void check_spawn(ac_node *node, ac_pid self, ac_pid other, bool ok) {
  (void)other;
  assert_int_equal(ac_node_process_count(node), ok ? 3 : 2);
  ac_proc_info info;
  assert_int_equal(ac_node_info(node, self, &info), AC_OK);
  assert_int_equal(info.link_count, ok ? 1 : 0);
  assert_int_equal(info.monitor_count, ok ? 1 : 0);
  if (!ok) { /* memory is back: the node spawns again */
    ac_pid pid;
    assert_int_equal(ac_node_spawn(node, &idle, nil(), &pid), AC_OK);
  }
}

static void test_spawn_fails_cleanly_at_every_allocation(void **state) {
  (void)state;
  uint64_t once = fail_each(op_spawn, 0, check_spawn);
  uint64_t persistent = fail_each(op_spawn, 1, check_spawn);
  assert_true(once >= 1);
  report("spawn", once, persistent);
}

/* The first spawn of a fresh node, from outside (a node call): it also carves the process
 * table's first chunk and reserves the exit queue and the host's run queue. */
static uint64_t cold_spawn_points(int persistent) {
  for (uint64_t n = 1; n < N_MAX; n++) {
    ac_node *node;
    sim_world *w = world_new(&node);
    ac_pid pid = AC_PID_NONE;
    ac_alloc_fail_at(n, persistent);
    int rc = ac_node_spawn(node, &idle, nil(), &pid);
    uint64_t failed = ac_alloc_failed_count();
    ac_alloc_fail_at(0, 0);
    if (failed == 0) {
      assert_int_equal(rc, AC_OK);
      assert_int_equal(ac_node_process_count(node), 1);
      sim_world_destroy(w);
      return n - 1;
    }
    assert_int_equal(rc, AC_ENOMEM);
    assert_int_equal(ac_node_process_count(node), 0);
    assert_int_equal(ac_node_spawn(node, &idle, nil(), &pid), AC_OK); /* memory is back */
    assert_int_equal(sim_run(w, NULL), SIM_STOP_QUIESCENT);
    assert_true(ac_node_alive(node, pid));
    sim_world_destroy(w);
  }
  fail();
  return 0;
}

static void test_first_spawn_of_a_node_fails_cleanly_at_every_allocation(void **state) {
  (void)state;
  uint64_t once = cold_spawn_points(0), persistent = cold_spawn_points(1);
  assert_true(once >= 3);
  report("first spawn of a node", once, persistent);
}

/* ---- term building ---------------------------------------------------------------------- */

/* A term that outgrows the builder's inline buffer and nests a map (which sorts in a heap
 * buffer): {[0, 1, ..., 299], #{k0 => 0, ..., k39 => 39}}. */
static int build_big(ac_tbuf *b, ac_term *out) {
  ac_tb_init(b);
  ac_tb_tuple_begin(b);
  ac_tb_list_begin(b);
  for (int64_t i = 0; i < 300; i++) ac_tb_int(b, i);
  ac_tb_end(b);
  ac_tb_map_begin(b);
  for (int64_t i = 39; i >= 0; i--) {
    char key[8];
    snprintf(key, sizeof key, "k%d", (int)i);
    ac_tb_atom(b, key);
    ac_tb_int(b, i);
  }
  ac_tb_end(b);
  ac_tb_end(b);
  return ac_tb_finish(b, out);
}

static uint64_t term_points(int persistent) {
  ac_tbuf ref_b;
  ac_term ref;
  assert_int_equal(build_big(&ref_b, &ref), AC_OK);
  for (uint64_t n = 1; n < N_MAX; n++) {
    ac_tbuf b;
    ac_term t;
    ac_alloc_fail_at(n, persistent);
    int rc = build_big(&b, &t);
    uint64_t failed = ac_alloc_failed_count();
    ac_alloc_fail_at(0, 0);
    if (failed == 0) {
      assert_int_equal(rc, AC_OK);
      assert_true(ac_term_equal(t, ref));
      ac_tb_free(&b);
      ac_tb_free(&ref_b);
      return n - 1;
    }
    assert_int_equal(rc, AC_ENOMEM); /* sticky: every later call said so too */
    ac_tb_free(&b);
  }
  fail();
  return 0;
}

static void test_term_building_fails_cleanly_at_every_allocation(void **state) {
  (void)state;
  uint64_t once = term_points(0), persistent = term_points(1);
  assert_true(once >= 2);
  report("term building", once, persistent);
}

/* ---- supervisor start -------------------------------------------------------------------- */

/*
 * A supervisor with three workers, started from the node and run until quiescent, with the Nth
 * allocation of the whole run failing. A run whose failure hit the supervisor's own start
 * returns AC_ENOMEM; one whose failure came later may see a child or the supervisor exit with
 * a system_limit reason: either everything is up, or the supervisor is gone and so are all
 * its children (no orphans).
 */
static uint64_t sup_points(int persistent) {
  ac_child_spec specs[3] = {ac_child_spec_worker("w1", &idle, nil()),
                            ac_child_spec_worker("w2", &idle, nil()),
                            ac_child_spec_worker("w3", &idle, nil())};
  ac_sup_config cfg = {ac_sup_flags_default(), specs, 3};
  for (uint64_t n = 1; n < N_MAX; n++) {
    ac_node *node;
    sim_world *w = world_new(&node);
    ac_pid sup = AC_PID_NONE;
    ac_alloc_fail_at(n, persistent);
    int rc = ac_supervisor_start(node, NULL, &cfg, &sup);
    if (rc == AC_OK) sim_run(w, NULL);
    uint64_t failed = ac_alloc_failed_count();
    ac_alloc_fail_at(0, 0);
    if (failed == 0) {
      assert_int_equal(rc, AC_OK);
      ac_sup_child_info kids[4];
      assert_int_equal(ac_sup_children(node, sup, kids, 4), 3);
      assert_int_equal(ac_node_process_count(node), 4);
      sim_world_destroy(w);
      return n - 1;
    }
    if (rc != AC_OK) {
      assert_int_equal(rc, AC_ENOMEM);
      assert_int_equal(ac_node_process_count(node), 0);
    } else if (ac_node_alive(node, sup)) {
      ac_sup_child_info kids[4];
      assert_int_equal(ac_sup_children(node, sup, kids, 4), 3);
      if (!persistent) assert_int_equal(ac_node_process_count(node), 4); /* restarted */
    } else {
      assert_int_equal(ac_node_process_count(node), 0); /* no orphans */
    }
    sim_world_destroy(w);
  }
  fail();
  return 0;
}

static void test_supervisor_start_fails_cleanly_at_every_allocation(void **state) {
  (void)state;
  uint64_t once = sup_points(0), persistent = sup_points(1);
  assert_true(once >= 3);
  report("supervisor start and run", once, persistent);
}

/* ---- the hook itself -------------------------------------------------------------------- */

static void test_the_nth_allocation_fails_once_or_for_good(void **state) {
  (void)state;
  ac_alloc_fail_at(2, 0);
  void *a = ac_malloc(8), *b = ac_malloc(8), *c = ac_malloc(8);
  assert_non_null(a);
  assert_null(b);
  assert_non_null(c);
  assert_int_equal(ac_alloc_failed_count(), 1);
  free(a);
  free(c);
  ac_alloc_fail_at(1, 1);
  assert_null(ac_malloc(8));
  assert_null(ac_calloc(1, 8));
  assert_null(ac_realloc(NULL, 8));
  assert_int_equal(ac_alloc_failed_count(), 3);
  ac_alloc_fail_at(0, 0);
  a = ac_malloc(8);
  assert_non_null(a);
  free(a);
  assert_int_equal(ac_alloc_failed_count(), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_the_nth_allocation_fails_once_or_for_good),
      cmocka_unit_test(test_term_building_fails_cleanly_at_every_allocation),
      cmocka_unit_test(test_spawn_fails_cleanly_at_every_allocation),
      cmocka_unit_test(test_first_spawn_of_a_node_fails_cleanly_at_every_allocation),
      cmocka_unit_test(test_send_fails_cleanly_at_every_allocation),
      cmocka_unit_test(test_link_fails_cleanly_at_every_allocation),
      cmocka_unit_test(test_monitor_fails_cleanly_at_every_allocation),
      cmocka_unit_test(test_register_fails_cleanly_at_every_allocation),
      cmocka_unit_test(test_supervisor_start_fails_cleanly_at_every_allocation),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
