/*
 * Node allocator (see alloc.h).
 *
 * Invariant: a block of class k is exactly (32 << k) bytes and sits either in free_list[k] or
 * with a caller; pages are never returned before ac_alloc_destroy. Cost: get and put are a few
 * instructions on the freelist path; carving a new page is one malloc per 64 KiB.
 *
 * The fault-injection hook (ac_alloc_fail_at) is the only process-wide state of core/: a test
 * arms it, no run does. Unarmed, every allocation pays one test of `fault.armed`.
 */
#include "alloc.h"

#include <assert.h>
#include <stdbool.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

/* ---- Fault injection --------------------------------------------------------------------- */

static struct {
  bool armed;
  bool persistent;
  uint64_t countdown; /* allocations until the one that fails (1: the next one) */
  uint64_t failed;
} fault;

void ac_alloc_fail_at(uint64_t nth, int persistent) {
  fault.armed = nth != 0;
  fault.persistent = persistent != 0;
  fault.countdown = nth;
  fault.failed = 0;
}

uint64_t ac_alloc_failed_count(void) { return fault.failed; }

/* Whether this allocation is the one to fail. */
static bool fail_now(void) {
  if (fault.countdown > 1) {
    fault.countdown--;
    return false;
  }
  fault.failed++;
  if (!fault.persistent) fault.armed = false;
  return true;
}

/* An injected failure sets errno as a real one does, so callers that report strerror(errno)
 * say "Cannot allocate memory". */
#define FAIL_NOW() (fault.armed && fail_now() && (errno = ENOMEM, true))

void *ac_malloc(size_t size) { return FAIL_NOW() ? NULL : malloc(size); }
void *ac_calloc(size_t count, size_t size) { return FAIL_NOW() ? NULL : calloc(count, size); }
void *ac_realloc(void *block, size_t size) { return FAIL_NOW() ? NULL : realloc(block, size); }

int ac_grow(void **array, uint32_t *cap, uint32_t need, size_t elem_size) {
  if (need <= *cap) return AC_OK;
  uint64_t new_cap = *cap ? *cap : 8;
  while (new_cap < need) new_cap *= 2;
  if (new_cap > UINT32_MAX || new_cap > SIZE_MAX / elem_size) return AC_ENOMEM;
  void *p = ac_realloc(*array, (size_t)new_cap * elem_size);
  if (!p) return AC_ENOMEM;
  *array = p;
  *cap = (uint32_t)new_cap;
  return AC_OK;
}

int ac_grow_bytes(char **buf, size_t *cap, size_t need) {
  if (need <= *cap) return AC_OK;
  size_t new_cap = *cap ? *cap : 4096;
  while (new_cap < need) {
    if (new_cap > SIZE_MAX / 2) return AC_ENOMEM;
    new_cap *= 2;
  }
  char *p = ac_realloc(*buf, new_cap);
  if (!p) return AC_ENOMEM;
  *buf = p;
  *cap = new_cap;
  return AC_OK;
}

/* ---- Size classes ------------------------------------------------------------------------ */

struct ac__page {
  ac__page *next;
  size_t size;
};

static unsigned alloc_class(size_t size) {
  unsigned k = 0;
  size_t class_size = 32;
  while (class_size < size) {
    class_size <<= 1;
    k++;
  }
  return k;
}

static void stats_add(ac_alloc *a, uint64_t bytes) {
  a->stats.bytes_in_use += bytes;
  if (a->stats.bytes_in_use > a->stats.bytes_peak) a->stats.bytes_peak = a->stats.bytes_in_use;
  a->stats.alloc_count++;
}

void ac_alloc_init(ac_alloc *a, uint64_t bytes_limit) {
  memset(a, 0, sizeof *a);
  a->bytes_limit = bytes_limit;
}

void ac_alloc_destroy(ac_alloc *a) {
  ac__page *page = a->pages;
  while (page) {
    ac__page *next = page->next;
    free(page);
    page = next;
  }
  a->pages = NULL;
  memset(a->free_list, 0, sizeof a->free_list);
  memset(a->bump, 0, sizeof a->bump);
  memset(a->bump_end, 0, sizeof a->bump_end);
}

static int over_limit(const ac_alloc *a, uint64_t bytes) {
  return a->bytes_limit != 0 && a->stats.bytes_in_use + bytes > a->bytes_limit;
}

static void *alloc_large(ac_alloc *a, size_t size) {
  if (over_limit(a, size)) return NULL;
  void *block = malloc(size); /* the fault hook was asked in ac_alloc_get */
  if (!block) return NULL;
  a->stats.bytes_reserved += size;
  a->stats.large_count++;
  stats_add(a, size);
  return block;
}

static int carve_page(ac_alloc *a, unsigned k) {
  ac__page *page = malloc(AC_ALLOC_PAGE_SIZE); /* the fault hook was asked in ac_alloc_get */
  if (!page) return -1;
  page->next = a->pages;
  page->size = AC_ALLOC_PAGE_SIZE;
  a->pages = page;
  a->stats.bytes_reserved += AC_ALLOC_PAGE_SIZE;
  /* The page header occupies the first 32 bytes, so every block stays 16-byte aligned. */
  a->bump[k] = (uint8_t *)page + 32;
  a->bump_end[k] = (uint8_t *)page + AC_ALLOC_PAGE_SIZE;
  return 0;
}

void *ac_alloc_get(ac_alloc *a, size_t size) {
  assert(size > 0);
  if (FAIL_NOW()) return NULL;
  if (size > AC_ALLOC_CLASS_MAX) return alloc_large(a, size);
  unsigned k = alloc_class(size);
  size_t class_size = (size_t)32 << k;
  if (over_limit(a, class_size)) return NULL;
  void *block = a->free_list[k];
  if (block) {
    memcpy(&a->free_list[k], block, sizeof(void *));
  } else {
    if (a->bump[k] == NULL || a->bump[k] + class_size > a->bump_end[k]) {
      if (carve_page(a, k) != 0) return NULL;
    }
    block = a->bump[k];
    a->bump[k] += class_size;
  }
  stats_add(a, class_size);
  return block;
}

void ac_alloc_put(ac_alloc *a, void *block, size_t size) {
  if (!block) return;
  assert(size > 0);
  a->stats.free_count++;
  if (size > AC_ALLOC_CLASS_MAX) {
    assert(a->stats.bytes_in_use >= size);
    a->stats.bytes_in_use -= size;
    a->stats.bytes_reserved -= size;
    free(block);
    return;
  }
  unsigned k = alloc_class(size);
  size_t class_size = (size_t)32 << k;
  assert(a->stats.bytes_in_use >= class_size);
  a->stats.bytes_in_use -= class_size;
  memcpy(block, &a->free_list[k], sizeof(void *));
  a->free_list[k] = block;
}

void ac_alloc_account(ac_alloc *a, int64_t in_use_delta, int64_t reserved_delta) {
  a->stats.bytes_in_use = (uint64_t)((int64_t)a->stats.bytes_in_use + in_use_delta);
  a->stats.bytes_reserved = (uint64_t)((int64_t)a->stats.bytes_reserved + reserved_delta);
  if (a->stats.bytes_in_use > a->stats.bytes_peak) a->stats.bytes_peak = a->stats.bytes_in_use;
}
