/*
 * What waking a Lua process costs in the Lua interpreter alone, with no simulator around it:
 * the floor under every message a Lua process receives and every timer it sleeps on.
 *
 *   bench_wakeup [PROCS] [WAKEUPS]     (defaults 1000 and 3000000)
 *
 * PROCS coroutines each run `while true do local m = wait() end`, where wait() is a C function
 * that yields, as cl.receive does. The driver resumes one of them, picked at random as the
 * scheduler would, handing it a fresh table {"req", <light userdata>, n} built from C, as a
 * delivered message is (or nothing, as a timer that fires does). The count hook is installed as
 * crashlab installs it (every 1,000 instructions, doing nothing here). Prints
 *   wakeup_message_ns value=<ns per wake-up with a message> unit=ns
 *   wakeup_timer_ns value=<ns per wake-up with nothing> unit=ns
 * tests/bench/run cluster multiplies them by the wake-ups of a virtual second of the cluster.
 */
#include "bench_common.h" /* first: it sets _POSIX_C_SOURCE */

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

static void hook(lua_State *L, lua_Debug *ar) {
  (void)L;
  (void)ar;
}

static int wait_k(lua_State *L, int status, lua_KContext ctx) {
  (void)status;
  (void)ctx;
  return lua_gettop(L); /* the message the resume handed over */
}

static int wait_fn(lua_State *L) { return lua_yieldk(L, 0, 0, wait_k); }

/* Wakes coroutines picked at random `wakeups` times, each with a message table (a delivery) or
 * with nothing (a timer); returns the nanoseconds per wake-up, or -1 if a coroutine ended. */
static double wake(lua_State **co, long procs, long wakeups, lua_State *L, bool message) {
  uint64_t x = 88172645463325252u; /* xorshift: the scheduler's random pick */
  double t0 = bench_seconds();
  for (long n = 0; n < wakeups; n++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    lua_State *c = co[x % (uint64_t)procs];
    if (message) {
      lua_createtable(c, 3, 0);
      lua_pushliteral(c, "req");
      lua_rawseti(c, -2, 1);
      lua_pushlightuserdata(c, (void *)(uintptr_t)(x | 1));
      lua_rawseti(c, -2, 2);
      lua_pushinteger(c, (lua_Integer)n);
      lua_rawseti(c, -2, 3);
    }
    int nres;
    if (lua_resume(c, L, message ? 1 : 0, &nres) != LUA_YIELD) {
      fprintf(stderr, "bench_wakeup: a coroutine ended: %s\n", lua_tostring(c, -1));
      return -1;
    }
    lua_pop(c, nres);
  }
  return (bench_seconds() - t0) * 1e9 / (double)wakeups;
}

static long arg_long(int argc, char **argv, int i, long dflt) {
  if (argc <= i) return dflt;
  char *end;
  long v = strtol(argv[i], &end, 10);
  if (*end || v <= 0) {
    fprintf(stderr, "bench_wakeup: '%s' is not a positive number\nusage: bench_wakeup [PROCS] [WAKEUPS]\n", argv[i]);
    exit(2);
  }
  return v;
}

int main(int argc, char **argv) {
  long procs = arg_long(argc, argv, 1, 1000), wakeups = arg_long(argc, argv, 2, 3000000);
  lua_State *L = luaL_newstate();
  if (!L) return 1;
  luaL_openlibs(L);
  lua_gc(L, LUA_GCGEN, 100, 300); /* as a crashlab run sets it */
  lua_register(L, "wait", wait_fn);
  if (luaL_dostring(L, "return function() while true do local m = wait() end end")) {
    fprintf(stderr, "bench_wakeup: %s\n", lua_tostring(L, -1));
    return 1;
  }
  int body = lua_gettop(L);
  lua_State **co = malloc((size_t)procs * sizeof *co);
  if (!co) return 1;
  for (long i = 0; i < procs; i++) {
    co[i] = lua_newthread(L);
    luaL_ref(L, LUA_REGISTRYINDEX); /* anchored */
    lua_sethook(co[i], hook, LUA_MASKCOUNT, 1000);
    lua_pushvalue(L, body);
    lua_xmove(L, co[i], 1);
    int nres;
    if (lua_resume(co[i], L, 0, &nres) != LUA_YIELD) return 1; /* now waiting in wait() */
    lua_pop(co[i], nres);
  }
  double msg_ns = wake(co, procs, wakeups, L, true), timer_ns = wake(co, procs, wakeups, L, false);
  if (msg_ns < 0 || timer_ns < 0) return 1;
  printf("# %ld coroutines, %ld wake-ups of each kind\n", procs, wakeups);
  printf("wakeup_message_ns value=%.1f unit=ns\n", msg_ns);
  printf("wakeup_timer_ns value=%.1f unit=ns\n", timer_ns);
  free(co);
  lua_close(L);
  return 0;
}
