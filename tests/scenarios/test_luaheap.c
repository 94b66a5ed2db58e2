/* The Lua heap: lua_Alloc's contract, class reuse, contents kept across resizes, regions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "luaheap.h"

static void fill(uint8_t *p, size_t n, uint8_t seed) {
  for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(seed + i * 7u);
}

static int same(const uint8_t *p, size_t n, uint8_t seed) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != (uint8_t)(seed + i * 7u)) return 0;
  return 1;
}

static void test_alloc_free_and_reuse(void **state) {
  (void)state;
  scn_heap h;
  scn_heap_init(&h);
  /* A new block: ptr NULL, osize is Lua's type tag and must be ignored. */
  uint8_t *a = scn_heap_realloc(&h, NULL, 5 /* LUA_TTABLE */, 40);
  assert_non_null(a);
  assert_int_equal((uintptr_t)a % 16, 0);
  fill(a, 40, 1);
  uint8_t *b = scn_heap_realloc(&h, NULL, 0, 40);
  assert_non_null(b);
  assert_true(b + 48 <= a || a + 48 <= b); /* distinct blocks */
  assert_true(same(a, 40, 1));
  /* A freed block of a class is the next one handed out in that class. */
  assert_null(scn_heap_realloc(&h, a, 40, 0));
  uint8_t *c = scn_heap_realloc(&h, NULL, 0, 33);
#if !defined(__SANITIZE_ADDRESS__)
  assert_ptr_equal(c, a); /* 33..48 share the class */
#endif
  assert_null(scn_heap_realloc(&h, NULL, 0, 0)); /* freeing nothing */
  scn_heap_realloc(&h, b, 40, 0);
  scn_heap_realloc(&h, c, 33, 0);
  scn_heap_destroy(&h);
  scn_heap_destroy(&h); /* twice is harmless */
}

static void test_resizes_keep_contents(void **state) {
  (void)state;
  scn_heap h;
  scn_heap_init(&h);
  /* Grow through small classes, across to malloc, and back down. */
  static const size_t sizes[] = {1, 16, 17, 100, 1000, 1024, 1025, 5000, 70000, 3000, 1024, 200, 8};
  size_t n = sizes[0];
  uint8_t *p = scn_heap_realloc(&h, NULL, 0, n);
  fill(p, n, 9);
  for (size_t i = 1; i < sizeof sizes / sizeof sizes[0]; i++) {
    size_t m = sizes[i];
    uint8_t *q = scn_heap_realloc(&h, p, n, m);
    assert_non_null(q);
    size_t kept = n < m ? n : m;
    assert_true(same(q, kept, 9));
    fill(q, m, 9);
    p = q;
    n = m;
  }
  /* Same class: resized in place. */
#if !defined(__SANITIZE_ADDRESS__)
  assert_ptr_equal(scn_heap_realloc(&h, p, n, 12), p);
#endif
  scn_heap_realloc(&h, p, 12, 0);
  scn_heap_destroy(&h);
}

/* More small blocks than one region holds: the heap moves on to new regions, and every block
 * stays intact. */
static void test_many_blocks_span_regions(void **state) {
  (void)state;
  scn_heap h;
  scn_heap_init(&h);
  enum { N = 100000 };
  uint8_t **blocks = calloc(N, sizeof *blocks);
  assert_non_null(blocks);
  for (size_t i = 0; i < N; i++) {
    size_t n = 1 + (i * 37u) % 1024u; /* every small size, about 50 MiB in all... */
    blocks[i] = scn_heap_realloc(&h, NULL, 0, n);
    assert_non_null(blocks[i]);
    fill(blocks[i], n, (uint8_t)i);
  }
  for (size_t i = 0; i < N; i++) assert_true(same(blocks[i], 1 + (i * 37u) % 1024u, (uint8_t)i));
  for (size_t i = 0; i < N; i += 2) scn_heap_realloc(&h, blocks[i], 1 + (i * 37u) % 1024u, 0);
  for (size_t i = 1; i < N; i += 2) assert_true(same(blocks[i], 1 + (i * 37u) % 1024u, (uint8_t)i));
  for (size_t i = 0; i < N; i += 2) { /* ...and a second round of about 25 MiB more */
    blocks[i] = scn_heap_realloc(&h, NULL, 0, 700);
    assert_non_null(blocks[i]);
    fill(blocks[i], 700, 3);
  }
  for (size_t i = 1; i < N; i += 2) assert_true(same(blocks[i], 1 + (i * 37u) % 1024u, (uint8_t)i));
  for (size_t i = 0; i < N; i += 2) assert_true(same(blocks[i], 700, 3));
  for (size_t i = 0; i < N; i++) /* as lua_close would: every block back */
    scn_heap_realloc(&h, blocks[i], i % 2 ? 1 + (i * 37u) % 1024u : 700, 0);
  free(blocks);
  scn_heap_destroy(&h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_alloc_free_and_reuse),
      cmocka_unit_test(test_resizes_keep_contents),
      cmocka_unit_test(test_many_blocks_span_regions),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
