/*
 * Code with versions (core/code.h): Erlang's two-version rule per node, load refused with
 * not_purged, delete, purge killing the processes that run old code (killed) and soft_purge
 * refusing while one does, a fully-qualified call (ac_code_call) moving a C process to the
 * current version, independent code per node, code kept across a node's restart, the check
 * hook of bindings, and the trace records (code records, spawn payloads with module and
 * version).
 * Method: C processes spawned in a module "kv" whose behaviour is a probe; a script moves a
 * process to the current version when it gets `upgrade`. Records are collected as text through
 * the world's event hook.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "code.h"
#include "probe.h"

/* Script 0: a process that calls kv fully qualified when told `upgrade`. */
static int on_upgrade(ac_proc *self, const ac_msg *msg) {
  if (msg && ac_term_is_atom(ac_msg_term(msg), "upgrade") && !ac_code_call(self, "kv"))
    return ac_stop_atom(self, "undef");
  return AC_OK;
}
const probe_script probe_scripts[] = {{NULL, on_upgrade}, {NULL, NULL}};

#define REC_MAX 64
static char recs[REC_MAX][256];
static int rec_count;

/* Code records as "code OP a=PID b=PID {kv,1}", spawns as "spawn PID PAYLOAD", exits. */
static void on_event(const sim_record *r, void *arg) {
  (void)arg;
  if (rec_count >= REC_MAX) return;
  char text[100] = "", a[32], b[32];
  if (r->payload) {
    ac_term t;
    if (ac_term_validate(r->payload, r->payload_size, &t) == AC_OK) ac_term_print(t, text, sizeof text);
  }
  pid_text((ac_pid){r->a}, a, sizeof a);
  pid_text((ac_pid){r->b}, b, sizeof b);
  if (r->kind == AC_EV_CODE)
    snprintf(recs[rec_count++], sizeof recs[0], "code %u a=%s b=%s %s", r->flags, r->a ? a : "0",
             r->b ? b : "0", text);
  else if (r->kind == AC_EV_SPAWN)
    snprintf(recs[rec_count++], sizeof recs[0], "spawn %s %s", b, text);
  else if (r->kind == AC_EV_EXIT)
    snprintf(recs[rec_count++], sizeof recs[0], "exit %s %s", a, text);
}

static int rec_index(const char *text) {
  for (int i = 0; i < rec_count; i++)
    if (strcmp(recs[i], text) == 0) return i;
  for (int i = 0; i < rec_count; i++) fprintf(stderr, "  rec: %s\n", recs[i]);
  return -1;
}

static sim_world *setup(ac_node **node) {
  sim_world *w = world_new(node);
  rec_count = 0;
  sim_set_event_hook(w, on_event, NULL);
  return w;
}

static ac_code_def def_of(const char *tag) {
  ac_code_def d = {&probe_behaviour, tag, NULL, NULL};
  return d;
}

static ac_pid spawn_kv(ac_node *node, int64_t script) {
  ac_tbuf b;
  ac_pid pid;
  assert_int_equal(ac_node_code_spawn(node, "kv", T(&b, "{i, a}", script, "x"), &pid), AC_OK);
  ac_tb_free(&b);
  return pid;
}

static void send_atom(ac_node *node, ac_pid to, const char *atom) {
  ac_tbuf b;
  assert_int_equal(ac_node_send(node, to, T(&b, "a", atom)), AC_OK);
  ac_tb_free(&b);
}

static void test_load_twice_then_refused_not_purged_and_recorded(void **st) {
  (void)st;
  ac_node *node;
  sim_world *w = setup(&node);
  ac_code_def d1 = def_of("v1"), d2 = def_of("v2"), d3 = def_of("v3");
  uint32_t v = 0, cur, old;
  assert_int_equal(ac_code_versions(node, "kv", &cur, &old), AC_ENOTFOUND);
  assert_int_equal(ac_code_load(node, AC_PID_NONE, "kv", &d1, &v), AC_OK);
  assert_int_equal(v, 1);
  assert_int_equal(ac_code_load(node, AC_PID_NONE, "kv", &d2, &v), AC_OK);
  assert_int_equal(v, 2);
  assert_int_equal(ac_code_load(node, AC_PID_NONE, "kv", &d3, &v), AC_ENOTPURGED);
  assert_int_equal(ac_code_versions(node, "kv", &cur, &old), AC_OK);
  assert_int_equal(cur, 2);
  assert_int_equal(old, 1);
  assert_string_equal(ac_code_current(node, "kv")->def.callbacks, "v2");
  assert_string_equal(ac_code_old(node, "kv")->def.callbacks, "v1");
  assert_true(rec_index("code 1 a=0 b=0 {kv,1}") >= 0);
  assert_true(rec_index("code 1 a=0 b=0 {kv,2}") >= 0);
  /* The refused load changed nothing, and is recorded naming the old version in the way. */
  assert_true(rec_index("code 10 a=0 b=0 {kv,1}") == 2);
  assert_int_equal(rec_count, 3);
  assert_int_equal(ac_code_load(node, AC_PID_NONE, "", &d1, NULL), AC_EBADNAME);
  assert_int_equal(ac_code_load(node, AC_PID_NONE, "kv", NULL, NULL), AC_EINVAL);
  sim_world_destroy(w);
}

static void test_purge_kills_old_code_runners_with_killed(void **st) {
  (void)st;
  ac_node *node;
  sim_world *w = setup(&node);
  ac_code_def d1 = def_of("v1"), d2 = def_of("v2");
  assert_int_equal(ac_code_load(node, AC_PID_NONE, "kv", &d1, NULL), AC_OK);
  ac_pid p1 = spawn_kv(node, 1);
  assert_int_equal(ac_code_load(node, AC_PID_NONE, "kv", &d2, NULL), AC_OK);
  ac_pid p2 = spawn_kv(node, 1);
  ac_pid plain = probe_spawn(node, 1, "a", "x");
  sim_run(w, NULL);
  assert_true(ac_code_runs(node, p1, ac_code_old(node, "kv")));
  assert_false(ac_code_runs(node, p2, ac_code_old(node, "kv")));
  bool killed = false;
  assert_int_equal(ac_code_purge(node, AC_PID_NONE, "kv", &killed), AC_OK);
  assert_true(killed);
  sim_run(w, NULL);
  assert_false(ac_node_alive(node, p1));
  assert_true(ac_node_alive(node, p2));
  assert_true(ac_node_alive(node, plain));
  char line[160], pid[32];
  pid_text(p1, pid, sizeof pid);
  snprintf(line, sizeof line, "code 3 a=0 b=%s {kv,1}", pid);
  int kill_rec = rec_index(line);
  snprintf(line, sizeof line, "exit %s killed", pid);
  int exit_rec = rec_index(line);
  int removed = rec_index("code 3 a=0 b=0 {kv,1}");
  assert_true(kill_rec >= 0 && exit_rec > kill_rec && removed > exit_rec);
  snprintf(line, sizeof line, "spawn %s {probe,probe,kv,1}", pid);
  assert_true(rec_index(line) >= 0);
  assert_null(ac_code_old(node, "kv"));
  assert_int_equal(ac_code_purge(node, AC_PID_NONE, "kv", &killed), AC_OK);
  assert_false(killed); /* nothing old: Erlang's false */
  assert_int_equal(ac_code_purge(node, AC_PID_NONE, "nope", &killed), AC_ENOTFOUND);
  sim_world_destroy(w);
}

static void test_soft_purge_refuses_until_fully_qualified_call_moves_process(void **st) {
  (void)st;
  ac_node *node;
  sim_world *w = setup(&node);
  ac_code_def d1 = def_of("v1"), d2 = def_of("v2");
  assert_int_equal(ac_code_load(node, AC_PID_NONE, "kv", &d1, NULL), AC_OK);
  ac_pid p = spawn_kv(node, 0);
  sim_run(w, NULL);
  assert_int_equal(ac_code_load(node, AC_PID_NONE, "kv", &d2, NULL), AC_OK);
  bool done = true;
  assert_int_equal(ac_code_soft_purge(node, AC_PID_NONE, "kv", &done), AC_OK);
  assert_false(done);
  assert_true(rec_index("code 4 a=0 b=0 {kv,1}") >= 0);
  assert_non_null(ac_code_old(node, "kv"));
  send_atom(node, p, "upgrade"); /* kv:f(...) from the process: it now runs version 2 */
  sim_run(w, NULL);
  assert_true(ac_code_runs(node, p, ac_code_current(node, "kv")));
  assert_int_equal(ac_code_soft_purge(node, AC_PID_NONE, "kv", &done), AC_OK);
  assert_true(done);
  assert_true(rec_index("code 5 a=0 b=0 {kv,1}") >= 0);
  assert_null(ac_code_old(node, "kv"));
  assert_true(ac_node_alive(node, p));
  assert_int_equal(ac_code_soft_purge(node, AC_PID_NONE, "kv", &done), AC_OK);
  assert_true(done); /* nothing old */
  sim_world_destroy(w);
}

static void test_delete_makes_current_old(void **st) {
  (void)st;
  ac_node *node;
  sim_world *w = setup(&node);
  ac_code_def d1 = def_of("v1");
  bool done = false;
  assert_int_equal(ac_code_delete(node, AC_PID_NONE, "kv", &done), AC_ENOTFOUND);
  assert_int_equal(ac_code_load(node, AC_PID_NONE, "kv", &d1, NULL), AC_OK);
  assert_int_equal(ac_code_delete(node, AC_PID_NONE, "kv", &done), AC_OK);
  assert_true(done);
  assert_null(ac_code_current(node, "kv"));
  assert_int_equal(ac_code_old(node, "kv")->version, 1);
  assert_true(rec_index("code 2 a=0 b=0 {kv,1}") >= 0);
  assert_int_equal(ac_code_delete(node, AC_PID_NONE, "kv", &done), AC_OK);
  assert_false(done);
  ac_pid pid;
  ac_tbuf b;
  assert_int_equal(ac_node_code_spawn(node, "kv", T(&b, "{i, a}", INT64_C(1), "x"), &pid), AC_ENOTFOUND);
  ac_tb_free(&b);
  assert_int_equal(ac_code_load(node, AC_PID_NONE, "kv", &d1, NULL), AC_ENOTPURGED);
  assert_int_equal(ac_code_purge(node, AC_PID_NONE, "kv", NULL), AC_OK);
  uint32_t v = 0;
  assert_int_equal(ac_code_load(node, AC_PID_NONE, "kv", &d1, &v), AC_OK);
  assert_int_equal(v, 2); /* numbers only grow */
  sim_world_destroy(w);
}

static void test_nodes_have_independent_code_and_restart_keeps_current(void **st) {
  (void)st;
  ac_node *a, *b;
  sim_world *w = setup(&a);
  assert_int_equal(sim_node_add(w, "b", NULL, &b), AC_OK);
  ac_code_def d1 = def_of("v1"), d2 = def_of("v2");
  assert_int_equal(ac_code_load(a, AC_PID_NONE, "kv", &d1, NULL), AC_OK);
  assert_int_equal(ac_code_load(b, AC_PID_NONE, "kv", &d1, NULL), AC_OK);
  assert_int_equal(ac_code_load(a, AC_PID_NONE, "kv", &d2, NULL), AC_OK);
  assert_int_equal(ac_code_current(a, "kv")->version, 2);
  assert_int_equal(ac_code_current(b, "kv")->version, 1);
  assert_null(ac_code_old(b, "kv"));
  assert_int_equal(sim_node_crash(w, 0), AC_OK);
  assert_int_equal(sim_node_restart(w, 0), AC_OK);
  ac_node *a2 = sim_node(w, 0);
  assert_ptr_not_equal(a2, NULL);
  assert_int_equal(ac_code_current(a2, "kv")->version, 2); /* the machine's code survives */
  assert_null(ac_code_old(a2, "kv"));                      /* nobody can run old code */
  sim_world_destroy(w);
}

static int check_calls;
static int check_says_yes(ac_node *node, ac_pid pid, const ac_code_version *v) {
  (void)node;
  (void)v;
  check_calls++;
  return ac_pid_slot(pid) == 1 ? 1 : -1; /* slot 1 is "mine" and runs v; others: records */
}

static void test_check_hook_decides_for_its_processes(void **st) {
  (void)st;
  ac_node *node;
  sim_world *w = setup(&node);
  ac_code_def d1 = def_of("v1"), d2 = def_of("v2");
  ac_pid mine = probe_spawn(node, 1, "a", "x"); /* slot 1, not spawned in a module */
  assert_int_equal(ac_code_load(node, AC_PID_NONE, "kv", &d1, NULL), AC_OK);
  ac_pid rec = spawn_kv(node, 1);
  assert_int_equal(ac_code_load(node, AC_PID_NONE, "kv", &d2, NULL), AC_OK);
  sim_run(w, NULL);
  ac_code_set_check(node, check_says_yes);
  bool killed = false;
  assert_int_equal(ac_code_purge(node, AC_PID_NONE, "kv", &killed), AC_OK);
  assert_true(killed);
  assert_true(check_calls >= 2);
  sim_run(w, NULL);
  assert_false(ac_node_alive(node, mine));
  assert_false(ac_node_alive(node, rec));
  sim_world_destroy(w);
}

static int released;
static void release_count(void *user) {
  (void)user;
  released++;
}

static void test_release_called_when_version_removed(void **st) {
  (void)st;
  ac_node *node;
  sim_world *w = setup(&node);
  ac_code_def d = {&probe_behaviour, NULL, NULL, release_count};
  released = 0;
  assert_int_equal(ac_code_load(node, AC_PID_NONE, "kv", &d, NULL), AC_OK);
  assert_int_equal(ac_code_load(node, AC_PID_NONE, "kv", &d, NULL), AC_OK);
  assert_int_equal(released, 0);
  assert_int_equal(ac_code_soft_purge(node, AC_PID_NONE, "kv", NULL), AC_OK);
  assert_int_equal(released, 1);
  sim_world_destroy(w); /* the current version is freed without a release */
  assert_int_equal(released, 1);
}

static void test_many_spawns_in_module_reuse_records(void **st) {
  (void)st;
  ac_node *node;
  sim_world *w = setup(&node);
  sim_set_event_hook(w, NULL, NULL);
  ac_code_def d1 = def_of("v1"), d2 = def_of("v2");
  assert_int_equal(ac_code_load(node, AC_PID_NONE, "kv", &d1, NULL), AC_OK);
  ac_pid last = AC_PID_NONE;
  for (int i = 0; i < 1000; i++) {
    ac_pid p = spawn_kv(node, 1);
    if (i < 999) assert_int_equal(ac_node_exit(node, p, (ac_term){(const uint8_t[]){AC_T_ATOM, 4, 'k', 'i', 'l', 'l'}}), AC_OK);
    last = p;
    sim_run(w, NULL);
  }
  assert_int_equal(ac_code_load(node, AC_PID_NONE, "kv", &d2, NULL), AC_OK);
  bool done = true;
  assert_int_equal(ac_code_soft_purge(node, AC_PID_NONE, "kv", &done), AC_OK);
  assert_false(done); /* the last one still runs version 1 */
  assert_true(ac_code_runs(node, last, ac_code_old(node, "kv")));
  sim_world_destroy(w);
}

/* A spawn prepared in a module (ac_code_set_next_spawn) but never made, whose version is then
 * purged: the next spawn is a plain one, and nothing reads the freed version. */
static void test_purge_forgets_a_prepared_spawn_of_its_version(void **st) {
  (void)st;
  ac_node *node;
  sim_world *w = setup(&node);
  ac_code_def d1 = def_of("v1"), d2 = def_of("v2");
  assert_int_equal(ac_code_load(node, AC_PID_NONE, "kv", &d1, NULL), AC_OK);
  assert_int_equal(ac_code_set_next_spawn(node, "kv"), AC_OK);
  assert_int_equal(ac_code_load(node, AC_PID_NONE, "kv", &d2, NULL), AC_OK);
  assert_int_equal(ac_code_purge(node, AC_PID_NONE, "kv", NULL), AC_OK);
  ac_pid p = probe_spawn(node, 1, "a", "x");
  char line[256], pid[32];
  pid_text(p, pid, sizeof pid);
  snprintf(line, sizeof line, "spawn %s {probe,probe}", pid);
  assert_true(rec_index(line) >= 0);
  sim_world_destroy(w);
}

/* Every allocation of a load fails in turn: the load returns AC_ENOMEM and nothing changed
 * (no version, no record), until it succeeds; then every allocation of a spawn in the module
 * and of a purge that kills it, the same (ASan's leak check runs at exit). */
static void test_allocation_failures_leave_code_unchanged(void **st) {
  (void)st;
  ac_code_def d1 = def_of("v1"), d2 = def_of("v2");
  int tried = 0;
  for (uint64_t n = 1; n < 200; n++, tried++) {
    ac_node *node;
    sim_world *w = setup(&node);
    ac_alloc_fail_at(n, 0);
    uint32_t v = 0;
    int rc = ac_code_load(node, AC_PID_NONE, "kv", &d1, &v);
    bool failed = ac_alloc_failed_count() > 0;
    ac_alloc_fail_at(0, 0);
    if (!failed) {
      assert_int_equal(rc, AC_OK);
      assert_int_equal(v, 1);
      sim_world_destroy(w);
      break;
    }
    assert_int_equal(rc, AC_ENOMEM);
    assert_null(ac_code_current(node, "kv"));
    assert_int_equal(rec_count, 0);
    assert_int_equal(ac_code_load(node, AC_PID_NONE, "kv", &d1, &v), AC_OK);
    assert_int_equal(v, 1);
    sim_world_destroy(w);
  }
  for (uint64_t n = 1; n < 200; n++, tried++) {
    ac_node *node;
    sim_world *w = setup(&node);
    assert_int_equal(ac_code_load(node, AC_PID_NONE, "kv", &d1, NULL), AC_OK);
    ac_tbuf b;
    ac_term arg = T(&b, "{i, a}", INT64_C(1), "x");
    ac_pid pid = AC_PID_NONE;
    ac_alloc_fail_at(n, 0);
    int spawn_rc = ac_node_code_spawn(node, "kv", arg, &pid);
    bool failed = ac_alloc_failed_count() > 0;
    ac_alloc_fail_at(0, 0);
    ac_tb_free(&b);
    if (failed) {
      assert_true(spawn_rc == AC_ENOMEM || spawn_rc == AC_OK);
      if (spawn_rc != AC_OK) assert_int_equal(ac_node_process_count(node), 0);
      sim_world_destroy(w);
      continue;
    }
    assert_int_equal(spawn_rc, AC_OK);
    sim_run(w, NULL);
    assert_int_equal(ac_code_load(node, AC_PID_NONE, "kv", &d2, NULL), AC_OK);
    bool killed = false;
    for (uint64_t m = 1; m < 200; m++, tried++) {
      ac_alloc_fail_at(m, 0);
      int rc = ac_code_purge(node, AC_PID_NONE, "kv", &killed);
      failed = ac_alloc_failed_count() > 0;
      ac_alloc_fail_at(0, 0);
      if (rc == AC_OK) break;
      assert_int_equal(rc, AC_ENOMEM); /* nothing killed, the old version still there */
      assert_true(failed);
      assert_true(ac_node_alive(node, pid));
      assert_non_null(ac_code_old(node, "kv"));
    }
    assert_true(killed);
    sim_run(w, NULL);
    assert_false(ac_node_alive(node, pid));
    sim_world_destroy(w);
    break;
  }
  printf("allocation failures tried: %d\n", tried);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_load_twice_then_refused_not_purged_and_recorded),
      cmocka_unit_test(test_purge_kills_old_code_runners_with_killed),
      cmocka_unit_test(test_soft_purge_refuses_until_fully_qualified_call_moves_process),
      cmocka_unit_test(test_delete_makes_current_old),
      cmocka_unit_test(test_nodes_have_independent_code_and_restart_keeps_current),
      cmocka_unit_test(test_check_hook_decides_for_its_processes),
      cmocka_unit_test(test_release_called_when_version_removed),
      cmocka_unit_test(test_many_spawns_in_module_reuse_records),
      cmocka_unit_test(test_purge_forgets_a_prepared_spawn_of_its_version),
      cmocka_unit_test(test_allocation_failures_leave_code_unchanged),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
