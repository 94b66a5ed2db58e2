/* The Lua heap of a run (see luaheap.h). */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, MAP_NORESERVE, MADV_HUGEPAGE */
#include "luaheap.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#if defined(__SANITIZE_ADDRESS__)
#define HEAP_USE_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HEAP_USE_MALLOC 1
#endif
#endif
#ifndef HEAP_USE_MALLOC
#define HEAP_USE_MALLOC 0
#endif

#define REGION_SIZE (64u << 20)

struct scn_heap_region {
  scn_heap_region *next;
  size_t size;
};

void scn_heap_init(scn_heap *h) { memset(h, 0, sizeof *h); }

void scn_heap_destroy(scn_heap *h) {
  while (h->regions) {
    scn_heap_region *r = h->regions;
    h->regions = r->next;
    munmap(r, r->size);
  }
  memset(h, 0, sizeof *h);
}

static bool is_small(size_t n) { return n <= SCN_HEAP_SMALL_MAX; }
static size_t class_of(size_t n) { return (n + SCN_HEAP_GRAIN - 1) / SCN_HEAP_GRAIN - 1; }

static bool new_region(scn_heap *h) {
  void *m = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) return false;
#ifdef MADV_HUGEPAGE
  (void)madvise(m, REGION_SIZE, MADV_HUGEPAGE); /* a hint: 4 KiB pages still work */
#endif
  scn_heap_region *r = m;
  r->next = h->regions;
  r->size = REGION_SIZE;
  h->regions = r;
  h->bump = (uint8_t *)m + SCN_HEAP_GRAIN * ((sizeof *r + SCN_HEAP_GRAIN - 1) / SCN_HEAP_GRAIN);
  h->bump_end = (uint8_t *)m + REGION_SIZE;
  return true;
}

static void *small_get(scn_heap *h, size_t n) {
  size_t c = class_of(n);
  void *b = h->free_list[c];
  if (b) {
    memcpy(&h->free_list[c], b, sizeof(void *));
    return b;
  }
  size_t size = (c + 1) * SCN_HEAP_GRAIN;
  if ((size_t)(h->bump_end - h->bump) < size) {
    /* The rest of the region feeds the free lists, so nothing is wasted but a tail < 16 B. */
    while ((size_t)(h->bump_end - h->bump) >= SCN_HEAP_GRAIN) {
      size_t left = (size_t)(h->bump_end - h->bump);
      size_t k = class_of(left < SCN_HEAP_SMALL_MAX ? left - left % SCN_HEAP_GRAIN : SCN_HEAP_SMALL_MAX);
      memcpy(h->bump, &h->free_list[k], sizeof(void *));
      h->free_list[k] = h->bump;
      h->bump += (k + 1) * SCN_HEAP_GRAIN;
    }
    if (!new_region(h)) return NULL;
  }
  b = h->bump;
  h->bump += size;
  return b;
}

static void small_put(scn_heap *h, void *b, size_t n) {
  size_t c = class_of(n);
  memcpy(b, &h->free_list[c], sizeof(void *));
  h->free_list[c] = b;
}

void *scn_heap_realloc(scn_heap *h, void *ptr, size_t osize, size_t nsize) {
  if (HEAP_USE_MALLOC) {
    if (nsize == 0) {
      free(ptr);
      return NULL;
    }
    return realloc(ptr, nsize);
  }
  if (!ptr) osize = 0;
  if (nsize == 0) {
    if (!ptr) return NULL;
    if (is_small(osize)) small_put(h, ptr, osize);
    else free(ptr);
    return NULL;
  }
  if (ptr && !is_small(osize) && !is_small(nsize)) return realloc(ptr, nsize);
  if (ptr && is_small(osize) && is_small(nsize) && class_of(osize) == class_of(nsize)) return ptr;
  void *b = is_small(nsize) ? small_get(h, nsize) : malloc(nsize);
  if (!b) return NULL;
  if (ptr) {
    memcpy(b, ptr, osize < nsize ? osize : nsize);
    if (is_small(osize)) small_put(h, ptr, osize);
    else free(ptr);
  }
  return b;
}
