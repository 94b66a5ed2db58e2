/*
 * The Lua heap of a run: header-less size classes for Lua's small blocks, carved from large
 * regions advised for transparent huge pages.
 *
 * Lua tells its allocator the old size of every block it frees or resizes, so small blocks
 * need no header: a block of n bytes comes from the class of n rounded up to 16 bytes, and
 * goes back to that class's free list. Regions are 64 MiB of address space (touched, and so
 * resident, only as they are carved) with MADV_HUGEPAGE: a run with 100,000 coroutines walks
 * their states, stacks and call frames, and with 4 KiB pages that walk is bound by TLB misses.
 * Blocks over 1 KiB go to malloc. Under AddressSanitizer everything goes to malloc, so the
 * sanitizer still sees every Lua block. Not thread-safe: one heap per run.
 */
#ifndef CRASHLAB_LUAHEAP_H
#define CRASHLAB_LUAHEAP_H

#include <stddef.h>
#include <stdint.h>

#define SCN_HEAP_GRAIN 16u
#define SCN_HEAP_SMALL_MAX 1024u
#define SCN_HEAP_CLASSES (SCN_HEAP_SMALL_MAX / SCN_HEAP_GRAIN)

typedef struct scn_heap_region scn_heap_region;

typedef struct scn_heap {
  void *free_list[SCN_HEAP_CLASSES]; /* linked through each free block's first word */
  uint8_t *bump, *bump_end;          /* the uncarved rest of the newest region */
  scn_heap_region *regions;          /* every region, for scn_heap_destroy */
} scn_heap;

void scn_heap_init(scn_heap *h);
/* Unmaps every region: all blocks become invalid. Safe to call twice. */
void scn_heap_destroy(scn_heap *h);
/* lua_Alloc's contract: frees when nsize is 0, else (re)allocates; NULL when out of memory
 * (the old block is then untouched). osize is the old block's size when ptr is not NULL. */
void *scn_heap_realloc(scn_heap *h, void *ptr, size_t osize, size_t nsize);

#endif
