/*
 * Tests of core/alloc: the node allocator's size classes, its counters and its limit.
 *
 * Goal: the promises of alloc.h hold exactly, because the runtime reports "bytes per process"
 * from these counters: a freed block is the next one handed out in its class (last in, first
 * out), every counter moves by exactly the class size (or the exact size of a large block),
 * the limit refuses an allocation without touching any counter, and destroy is idempotent.
 *
 * Method: one allocator per test, driven through the public calls only; after each step the
 * whole ac_alloc_stats is compared with the value worked out by hand from the documented
 * classes (32 << k bytes) and page size (64 KiB, one malloc per page). Boundaries are named in
 * the test names: a size that is exactly a class, the biggest class against the first large
 * size, a page that has no room left for one more block, and a limit reached exactly. The
 * 16-byte alignment checked for class blocks is the one alloc.c's design comment promises.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "status.h"

/* Compares every counter at once, so a counter that moves when it should not is caught. */
static void assert_stats(const ac_alloc *a, uint64_t in_use, uint64_t peak, uint64_t reserved,
                         uint64_t allocs, uint64_t frees, uint64_t large) {
  assert_int_equal(a->stats.bytes_in_use, in_use);
  assert_int_equal(a->stats.bytes_peak, peak);
  assert_int_equal(a->stats.bytes_reserved, reserved);
  assert_int_equal(a->stats.alloc_count, allocs);
  assert_int_equal(a->stats.free_count, frees);
  assert_int_equal(a->stats.large_count, large);
}

static void test_new_allocator_has_zero_counters(void **state) {
  (void)state;
  ac_alloc a;
  ac_alloc_init(&a, 0);
  assert_stats(&a, 0, 0, 0, 0, 0, 0);
  ac_alloc_destroy(&a);
}

static void test_freed_block_comes_back_first_in_its_class(void **state) {
  (void)state;
  ac_alloc a;
  ac_alloc_init(&a, 0);
  /* 33 and 64 bytes are both the 64-byte class. */
  void *x = ac_alloc_get(&a, 33);
  void *y = ac_alloc_get(&a, 64);
  assert_non_null(x);
  assert_non_null(y);
  assert_ptr_not_equal(x, y);
  ac_alloc_put(&a, x, 33);
  ac_alloc_put(&a, y, 64);
  /* Last in, first out: y was freed last. */
  assert_ptr_equal(ac_alloc_get(&a, 40), y);
  assert_ptr_equal(ac_alloc_get(&a, 50), x);
  ac_alloc_put(&a, x, 50);
  ac_alloc_put(&a, y, 40);
  ac_alloc_destroy(&a);
}

static void test_freed_block_is_not_reused_by_another_class(void **state) {
  (void)state;
  ac_alloc a;
  ac_alloc_init(&a, 0);
  void *small = ac_alloc_get(&a, 32);
  assert_non_null(small);
  ac_alloc_put(&a, small, 32);
  void *bigger = ac_alloc_get(&a, 33); /* the 64-byte class */
  assert_non_null(bigger);
  assert_ptr_not_equal(bigger, small);
  assert_ptr_equal(ac_alloc_get(&a, 1), small); /* the 32-byte class gets it back */
  ac_alloc_put(&a, bigger, 33);
  ac_alloc_put(&a, small, 1);
  ac_alloc_destroy(&a);
}

static void test_counters_move_by_the_class_size_exactly(void **state) {
  (void)state;
  ac_alloc a;
  ac_alloc_init(&a, 0);
  void *p10 = ac_alloc_get(&a, 10); /* class 32: the first page of class 32 */
  assert_stats(&a, 32, 32, AC_ALLOC_PAGE_SIZE, 1, 0, 0);
  void *p100 = ac_alloc_get(&a, 100); /* class 128: a page of its own */
  assert_stats(&a, 160, 160, 2 * AC_ALLOC_PAGE_SIZE, 2, 0, 0);
  void *p128 = ac_alloc_get(&a, 128); /* exactly a class: no rounding, same page */
  assert_stats(&a, 288, 288, 2 * AC_ALLOC_PAGE_SIZE, 3, 0, 0);
  ac_alloc_put(&a, p100, 100);
  assert_stats(&a, 160, 288, 2 * AC_ALLOC_PAGE_SIZE, 3, 1, 0);
  /* Reusing a freed block reserves nothing new. */
  void *again = ac_alloc_get(&a, 97);
  assert_ptr_equal(again, p100);
  assert_stats(&a, 288, 288, 2 * AC_ALLOC_PAGE_SIZE, 4, 1, 0);
  ac_alloc_put(&a, again, 97);
  ac_alloc_put(&a, p128, 128);
  ac_alloc_put(&a, p10, 10);
  /* The peak remembers; pages are kept until destroy. */
  assert_stats(&a, 0, 288, 2 * AC_ALLOC_PAGE_SIZE, 4, 4, 0);
  ac_alloc_destroy(&a);
}

static void test_full_page_makes_the_class_carve_a_new_one(void **state) {
  (void)state;
  ac_alloc a;
  ac_alloc_init(&a, 0);
  /* A page keeps its first 32 bytes for its header, so it holds 31 blocks of 2048 bytes. */
  enum { PER_PAGE = (AC_ALLOC_PAGE_SIZE - 32) / AC_ALLOC_CLASS_MAX };
  _Static_assert(PER_PAGE == 31, "the page layout this test was written for");
  void *blocks[PER_PAGE + 1];
  for (int i = 0; i < PER_PAGE; i++) {
    blocks[i] = ac_alloc_get(&a, AC_ALLOC_CLASS_MAX);
    assert_non_null(blocks[i]);
  }
  assert_int_equal(a.stats.bytes_reserved, AC_ALLOC_PAGE_SIZE);
  blocks[PER_PAGE] = ac_alloc_get(&a, AC_ALLOC_CLASS_MAX);
  assert_non_null(blocks[PER_PAGE]);
  assert_stats(&a, (uint64_t)(PER_PAGE + 1) * AC_ALLOC_CLASS_MAX,
               (uint64_t)(PER_PAGE + 1) * AC_ALLOC_CLASS_MAX, 2 * AC_ALLOC_PAGE_SIZE,
               PER_PAGE + 1, 0, 0);
  for (int i = 0; i <= PER_PAGE; i++) ac_alloc_put(&a, blocks[i], AC_ALLOC_CLASS_MAX);
  assert_int_equal(a.stats.bytes_in_use, 0);
  ac_alloc_destroy(&a);
}

static void test_blocks_of_every_class_are_disjoint_and_aligned(void **state) {
  (void)state;
  ac_alloc a;
  ac_alloc_init(&a, 0);
  enum { PER_CLASS = 40 }; /* more than a page holds for the biggest classes */
  uint8_t *blocks[AC_ALLOC_CLASSES][PER_CLASS];
  for (unsigned k = 0; k < AC_ALLOC_CLASSES; k++) {
    size_t size = (size_t)32 << k;
    for (int i = 0; i < PER_CLASS; i++) {
      blocks[k][i] = ac_alloc_get(&a, size);
      assert_non_null(blocks[k][i]);
      assert_int_equal((uintptr_t)blocks[k][i] % 16, 0);
      memset(blocks[k][i], (int)(k * PER_CLASS + (unsigned)i), size);
    }
  }
  /* Had two blocks overlapped, the later memset would show in the earlier one. */
  for (unsigned k = 0; k < AC_ALLOC_CLASSES; k++) {
    size_t size = (size_t)32 << k;
    for (int i = 0; i < PER_CLASS; i++) {
      uint8_t want = (uint8_t)(k * PER_CLASS + (unsigned)i);
      for (size_t j = 0; j < size; j++) assert_int_equal(blocks[k][i][j], want);
      ac_alloc_put(&a, blocks[k][i], size);
    }
  }
  assert_int_equal(a.stats.bytes_in_use, 0);
  assert_int_equal(a.stats.alloc_count, AC_ALLOC_CLASSES * PER_CLASS);
  assert_int_equal(a.stats.free_count, AC_ALLOC_CLASSES * PER_CLASS);
  ac_alloc_destroy(&a);
}

static void test_block_past_biggest_class_is_large_and_counted_exactly(void **state) {
  (void)state;
  ac_alloc a;
  ac_alloc_init(&a, 0);
  /* Exactly the biggest class is still a class block. */
  void *cls = ac_alloc_get(&a, AC_ALLOC_CLASS_MAX);
  assert_stats(&a, AC_ALLOC_CLASS_MAX, AC_ALLOC_CLASS_MAX, AC_ALLOC_PAGE_SIZE, 1, 0, 0);
  /* One byte more goes to malloc and is counted at its exact size. */
  void *big = ac_alloc_get(&a, AC_ALLOC_CLASS_MAX + 1);
  assert_non_null(big);
  memset(big, 0xab, AC_ALLOC_CLASS_MAX + 1);
  uint64_t in_use = 2 * AC_ALLOC_CLASS_MAX + 1;
  assert_stats(&a, in_use, in_use, AC_ALLOC_PAGE_SIZE + AC_ALLOC_CLASS_MAX + 1, 2, 0, 1);
  void *huge = ac_alloc_get(&a, 1000000);
  assert_non_null(huge);
  assert_stats(&a, in_use + 1000000, in_use + 1000000,
               AC_ALLOC_PAGE_SIZE + AC_ALLOC_CLASS_MAX + 1 + 1000000, 3, 0, 2);
  /* Freeing a large block gives its bytes back to malloc: reserved drops too. */
  ac_alloc_put(&a, huge, 1000000);
  assert_stats(&a, in_use, in_use + 1000000, AC_ALLOC_PAGE_SIZE + AC_ALLOC_CLASS_MAX + 1, 3, 1,
               2);
  ac_alloc_put(&a, big, AC_ALLOC_CLASS_MAX + 1);
  ac_alloc_put(&a, cls, AC_ALLOC_CLASS_MAX);
  assert_stats(&a, 0, in_use + 1000000, AC_ALLOC_PAGE_SIZE, 3, 3, 2);
  ac_alloc_destroy(&a);
}

static void test_limit_refuses_allocation_without_changing_counters(void **state) {
  (void)state;
  ac_alloc a;
  ac_alloc_init(&a, 100);
  void *p = ac_alloc_get(&a, 64);
  assert_non_null(p);
  ac_alloc_stats before = a.stats;
  /* 64 + 64 > 100: refused, although the class has room in its page. */
  assert_null(ac_alloc_get(&a, 64));
  assert_memory_equal(&a.stats, &before, sizeof before);
  /* A large block over the limit is refused before malloc is asked. */
  assert_null(ac_alloc_get(&a, AC_ALLOC_CLASS_MAX + 1));
  assert_memory_equal(&a.stats, &before, sizeof before);
  /* What still fits is handed out: 64 + 32 <= 100. */
  void *q = ac_alloc_get(&a, 32);
  assert_non_null(q);
  assert_int_equal(a.stats.bytes_in_use, 96);
  ac_alloc_put(&a, q, 32);
  ac_alloc_put(&a, p, 64);
  ac_alloc_destroy(&a);
}

static void test_limit_reached_exactly_is_allowed(void **state) {
  (void)state;
  ac_alloc a;
  ac_alloc_init(&a, 128);
  void *x = ac_alloc_get(&a, 64);
  void *y = ac_alloc_get(&a, 64);
  assert_non_null(x);
  assert_non_null(y);
  assert_int_equal(a.stats.bytes_in_use, 128);
  ac_alloc_stats before = a.stats;
  assert_null(ac_alloc_get(&a, 1));
  assert_memory_equal(&a.stats, &before, sizeof before);
  /* Freeing makes room again. */
  ac_alloc_put(&a, x, 64);
  assert_ptr_equal(ac_alloc_get(&a, 64), x);
  ac_alloc_put(&a, x, 64);
  ac_alloc_put(&a, y, 64);
  ac_alloc_destroy(&a);
}

static void test_put_of_null_is_ignored(void **state) {
  (void)state;
  ac_alloc a;
  ac_alloc_init(&a, 0);
  ac_alloc_put(&a, NULL, 64);
  ac_alloc_put(&a, NULL, AC_ALLOC_CLASS_MAX + 1);
  assert_stats(&a, 0, 0, 0, 0, 0, 0);
  ac_alloc_destroy(&a);
}

static void test_account_adds_outside_memory_and_moves_the_peak(void **state) {
  (void)state;
  ac_alloc a;
  ac_alloc_init(&a, 0);
  ac_alloc_account(&a, 1000, 4096);
  assert_stats(&a, 1000, 1000, 4096, 0, 0, 0);
  ac_alloc_account(&a, -400, -4096);
  assert_stats(&a, 600, 1000, 0, 0, 0, 0);
  ac_alloc_account(&a, -600, 0);
  assert_stats(&a, 0, 1000, 0, 0, 0, 0);
  ac_alloc_destroy(&a);
}

static void test_destroy_twice_is_safe(void **state) {
  (void)state;
  ac_alloc a;
  ac_alloc_init(&a, 0);
  for (unsigned k = 0; k < AC_ALLOC_CLASSES; k++) assert_non_null(ac_alloc_get(&a, (size_t)32 << k));
  ac_alloc_destroy(&a);
  ac_alloc_destroy(&a);
  /* An allocator that never allocated can be destroyed twice too. */
  ac_alloc_init(&a, 0);
  ac_alloc_destroy(&a);
  ac_alloc_destroy(&a);
}

/* ac_grow_bytes: doubles from 4096 until `need` fits, keeps the bytes, and changes nothing
 * when the allocation fails or the capacity would overflow. */
static void test_byte_buffer_doubles_until_it_fits_and_is_unchanged_on_failure(void **state) {
  (void)state;
  char *buf = NULL;
  size_t cap = 0;
  assert_int_equal(ac_grow_bytes(&buf, &cap, 0), AC_OK);
  assert_null(buf);
  assert_int_equal(cap, 0);
  assert_int_equal(ac_grow_bytes(&buf, &cap, 1), AC_OK);
  assert_non_null(buf);
  assert_int_equal(cap, 4096);
  memset(buf, 'x', cap);
  assert_int_equal(ac_grow_bytes(&buf, &cap, 4096), AC_OK);
  assert_int_equal(cap, 4096);
  assert_int_equal(ac_grow_bytes(&buf, &cap, 4096 * 3), AC_OK);
  assert_int_equal(cap, 4096 * 4);
  assert_int_equal(buf[4095], 'x');
  char *before = buf;
  ac_alloc_fail_at(1, 0);
  assert_int_equal(ac_grow_bytes(&buf, &cap, cap + 1), AC_ENOMEM);
  ac_alloc_fail_at(0, 0);
  assert_ptr_equal(buf, before);
  assert_int_equal(cap, 4096 * 4);
  assert_int_equal(ac_grow_bytes(&buf, &cap, SIZE_MAX), AC_ENOMEM);
  assert_ptr_equal(buf, before);
  assert_int_equal(cap, 4096 * 4);
  free(buf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_new_allocator_has_zero_counters),
      cmocka_unit_test(test_freed_block_comes_back_first_in_its_class),
      cmocka_unit_test(test_freed_block_is_not_reused_by_another_class),
      cmocka_unit_test(test_counters_move_by_the_class_size_exactly),
      cmocka_unit_test(test_full_page_makes_the_class_carve_a_new_one),
      cmocka_unit_test(test_blocks_of_every_class_are_disjoint_and_aligned),
      cmocka_unit_test(test_block_past_biggest_class_is_large_and_counted_exactly),
      cmocka_unit_test(test_limit_refuses_allocation_without_changing_counters),
      cmocka_unit_test(test_limit_reached_exactly_is_allowed),
      cmocka_unit_test(test_put_of_null_is_ignored),
      cmocka_unit_test(test_account_adds_outside_memory_and_moves_the_peak),
      cmocka_unit_test(test_destroy_twice_is_safe),
      cmocka_unit_test(test_byte_buffer_doubles_until_it_fits_and_is_unchanged_on_failure),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
