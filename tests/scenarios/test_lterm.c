/* Lua -> term conversion under memory pressure. Goal: scn_lua_to_term keeps lterm.h's promise
 * that it never raises, even where its error path (reporting a map's first failing pair in key
 * order) allocates Lua tables. Method: a Lua state whose allocator fails every allocation after
 * the Nth; for N = 0, 1, 2, ... a map that cannot be sent is converted inside a protected call,
 * and each attempt must return (not raise) either AC_ENOMEM "out of memory" or the canonical
 * error naming the bad pair; the loop ends when the canonical error comes back. Under
 * LeakSanitizer, a raise past the scratch builder would also show as a leak. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <lauxlib.h>
#include <lualib.h>

#include "lterm.h"

/* Allocations left before every one fails; negative: no limit. */
static long budget = -1;

static void *limited_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  (void)ud;
  if (nsize == 0) {
    free(ptr);
    return NULL;
  }
  if (ptr == NULL || nsize > osize) {
    if (budget == 0) return NULL;
    if (budget > 0) budget--;
  }
  return realloc(ptr, nsize);
}

typedef struct attempt {
  ac_tbuf *b;
  char err[256];
  int rc;
} attempt;

/* Converts the global `msg` into the attempt's builder (called under lua_pcall). */
static int convert(lua_State *L) {
  attempt *a = lua_touserdata(L, 1);
  lua_getglobal(L, "msg");
  a->rc = scn_lua_to_term(L, -1, a->b, "message", a->err, sizeof a->err);
  return 0;
}

static void test_map_error_path_never_raises_when_memory_runs_out(void **state) {
  (void)state;
  lua_State *L = lua_newstate(limited_alloc, NULL);
  assert_non_null(L);
  luaL_openlibs(L);
  scn_lterm_open(L);
  /* A tuple whose first element is long (the caller's builder holds heap memory), then a map
   * whose pairs, in key order, are a long binary (the scratch builder grows onto the heap), a
   * nested map (sorting its keys allocates) and, last, a function that cannot be sent. */
  assert_int_equal(luaL_dostring(L, "msg = {string.rep('x', 300), {a = string.rep('y', 300), "
                                    "b = {p = 1, q = 2, r = 3}, z = function() end}}"),
                   LUA_OK);
  lua_gc(L, LUA_GCCOLLECT);
  lua_gc(L, LUA_GCSTOP); /* no collection between attempts moves the failing allocation */
  int enomem = 0;
  bool done = false;
  for (long n = 0; n < 10000 && !done; n++) {
    ac_tbuf b;
    ac_tb_init(&b);
    attempt a = {&b, "", -1};
    budget = n;
    lua_pushcfunction(L, convert);
    lua_pushlightuserdata(L, &a);
    int status = lua_pcall(L, 1, 0, 0);
    budget = -1;
    assert_int_equal(status, LUA_OK); /* conversion returned: it did not raise */
    if (a.rc == AC_ENOMEM) {
      assert_non_null(strstr(a.err, "out of memory"));
      enomem++;
    } else {
      assert_int_equal(a.rc, AC_EINVAL);
      assert_string_equal(a.err, "message[2].z: cannot send a function");
      done = true;
    }
    ac_tb_free(&b);
  }
  assert_true(done);
  assert_true(enomem > 0); /* the sorted error path did meet a failing allocation */
  lua_close(L);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_map_error_path_never_raises_when_memory_runs_out),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
