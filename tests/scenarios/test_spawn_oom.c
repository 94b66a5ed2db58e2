/* Spawning while the Lua state runs out of memory. Goal: the spawn paths of the binding
 * (cl.spawn and its variants, spawn_request local and remote, the spawn handler of a node)
 * never hold C memory across a Lua error, and a memory error in them is a clean error, never
 * an unprotected one (which would abort the process). Method, in the way test_lterm.c fails
 * allocations: the allocator of a run refuses to grow past a budget (after a full collection,
 * so that no garbage can be freed to make room). (1) Inside a process, each
 * path is called with a budget of 0, 16, 32, ... bytes until it succeeds; every failure
 * happens at a different allocation, some of them while the term of the large arguments holds
 * heap memory. (2) A spawn request crosses to another node: for every step of that run, and
 * several budgets, the limit is tightened before that step, so the request's arrival on node b
 * meets a full heap too; the run must end as a memory error or pass. Under LeakSanitizer (the
 * ASan build) a term left behind by a raise fails the test; without ASan a raise past a held
 * term still shows as a crash or a wrong result. (3) A process killed before its first run lets
 * go of its thread: the threads left anchored in the registry are counted after the run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <lauxlib.h>

#include "runner.h"

static scn_options options_for(const char *path) {
  scn_options o;
  memset(&o, 0, sizeof o);
  o.path = path;
  o.trace_fd = -1;
  o.quiet = true;
  o.hold_verdict = true;
  return o;
}

/* with_budget(bytes, fn, ...): calls fn(...) under lua_pcall while the run's Lua memory may
 * grow by `bytes` only; returns whether it succeeded. The limit and its flag are restored
 * after, so the failures do not end the run. */
static int l_with_budget(lua_State *L) {
  scn_run *run = scn_run_of(L);
  lua_Integer bytes = luaL_checkinteger(L, 1);
  luaL_checkany(L, 2);
  uint64_t saved = run->mem_max;
  lua_gc(L, LUA_GCCOLLECT); /* no garbage left to free: the budget is exact */
  run->mem_max = run->mem_used + (uint64_t)bytes;
  int rc = lua_pcall(L, lua_gettop(L) - 2, 0, 0);
  run->mem_max = saved;
  run->mem_exceeded = false;
  lua_pushboolean(L, rc == LUA_OK);
  return 1;
}

/* Puts a C function into the scenario's environment as a global. */
static void set_global(scn_run *run, const char *name, lua_CFunction fn) {
  lua_State *L = run->L;
  lua_getfield(L, LUA_REGISTRYINDEX, "crashlab.env");
  lua_pushcfunction(L, fn);
  lua_setfield(L, -2, name);
  lua_pop(L, 1);
}

static void test_every_spawn_path_fails_cleanly_at_every_allocation(void **state) {
  (void)state;
  scn_options o = options_for(CRASHLAB_SOURCE_DIR "/tests/scenarios/spawn_under_budget.lua");
  scn_run *run = scn_run_open(&o);
  assert_non_null(run);
  set_global(run, "with_budget", l_with_budget);
  set_global(run, "spawn_request", scn_l_spawn_request);
  scn_result r;
  assert_int_equal(scn_run_finish(run, &r), SCN_PASS);
  lua_State *L = run->L;
  lua_getfield(L, LUA_REGISTRYINDEX, "crashlab.env");
  lua_getfield(L, -1, "budgets");
  static const char *const paths[] = {"spawn", "spawn_monitor", "request_remote", "request_local"};
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
    lua_getfield(L, -1, paths[i]);
    lua_Integer budget = lua_tointeger(L, -1);
    lua_pop(L, 1);
    printf("%-15s failed cleanly at %lld budgets (0 to %lld bytes), then spawned\n", paths[i],
           (long long)(budget / 16), (long long)(budget - 16));
    assert_true(budget >= 16 * 8); /* several allocations failed on the way */
  }
  lua_pop(L, 2);
  scn_run_close(run);
}

static void test_a_spawn_request_that_meets_a_full_heap_is_an_error_not_a_crash(void **state) {
  (void)state;
  scn_options o = options_for(CRASHLAB_SOURCE_DIR "/tests/scenarios/spawn_request_budget.lua");
  scn_result alone;
  assert_int_equal(scn_run_file(&o, &alone), SCN_PASS);
  static const uint64_t budgets[] = {0, 64, 256, 1024, 4096};
  unsigned errors = 0, passes = 0, runs = 0;
  for (uint64_t before = 0;; before++) { /* the limit tightens before step `before` */
    bool reached = true;
    for (size_t i = 0; i < sizeof budgets / sizeof budgets[0]; i++) {
      scn_run *run = scn_run_open(&o);
      assert_non_null(run);
      reached = !before || scn_run_step(run, before);
      lua_gc(run->L, LUA_GCCOLLECT);
      run->mem_max = run->mem_used + budgets[i];
      scn_result r;
      scn_verdict v = scn_run_finish(run, &r);
      assert_true(v == SCN_PASS || v == SCN_ERROR);
      if (v == SCN_PASS) {
        assert_int_equal(r.hash, alone.hash); /* never a different run */
        passes++;
      } else {
        errors++;
      }
      runs++;
      scn_run_close(run);
    }
    if (!reached) break; /* the run had ended before that step: every step was tried */
  }
  printf("%u runs with the limit tightened before each step: %u memory errors, %u passes\n", runs,
         errors, passes);
  assert_true(errors > 0);
}

/* Threads anchored in the registry (by processes; the main and predicate threads aside). */
static int anchored_threads(lua_State *L) {
  int n = 0;
  lua_pushnil(L);
  while (lua_next(L, LUA_REGISTRYINDEX)) {
    if (lua_type(L, -1) == LUA_TTHREAD && lua_tothread(L, -1) != L) n++;
    lua_pop(L, 1);
  }
  return n;
}

/* A process killed before its first run lets go of its thread (the function and everything it
 * holds), as one killed later does: before, only init learnt the thread, so 100 such kills left
 * 100 threads anchored until the run ended. */
static void test_a_process_killed_before_it_runs_lets_go_of_its_thread(void **state) {
  (void)state;
  scn_options o = options_for(CRASHLAB_SOURCE_DIR "/tests/scenarios/killed_before_start.lua");
  scn_run *run = scn_run_open(&o);
  assert_non_null(run);
  int setup = anchored_threads(run->L); /* the setup spawned and killed them */
  scn_result r;
  assert_int_equal(scn_run_finish(run, &r), SCN_PASS);
  int after = anchored_threads(run->L);
  printf("threads anchored: %d after the setup, %d after the run\n", setup, after);
  assert_true(setup < 5 && after < 5);
  scn_run_close(run);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_spawn_path_fails_cleanly_at_every_allocation),
      cmocka_unit_test(test_a_spawn_request_that_meets_a_full_heap_is_an_error_not_a_crash),
      cmocka_unit_test(test_a_process_killed_before_it_runs_lets_go_of_its_thread),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
