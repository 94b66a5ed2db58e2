/*
 * The node allocator: size-class freelists carved from 64 KiB pages, with exact counters.
 *
 * Messages, process states and link/monitor records come from here, so the hot path (send,
 * receive, spawn) does not call malloc once the pages are warm, and "bytes per process" can be
 * read from the allocator's own counters instead of being guessed. Blocks larger than the
 * biggest class go to malloc and are counted too. Not thread-safe: one allocator per node.
 */
#ifndef CRASHLAB_ALLOC_H
#define CRASHLAB_ALLOC_H

#include <stddef.h>
#include <stdint.h>

#define AC_ALLOC_CLASSES 7u          /* 32, 64, 128, 256, 512, 1024, 2048 bytes */
#define AC_ALLOC_CLASS_MAX 2048u
#define AC_ALLOC_PAGE_SIZE (64u * 1024u)

typedef struct ac_alloc_stats {
  uint64_t bytes_in_use;   /* bytes handed out and not yet freed (class size, or exact size) */
  uint64_t bytes_peak;     /* high-water mark of bytes_in_use */
  uint64_t bytes_reserved; /* bytes obtained from malloc: pages plus large blocks */
  uint64_t alloc_count;    /* successful allocations */
  uint64_t free_count;     /* frees */
  uint64_t large_count;    /* allocations that went straight to malloc */
} ac_alloc_stats;

typedef struct ac__page ac__page;

typedef struct ac_alloc {
  void *free_list[AC_ALLOC_CLASSES]; /* singly linked through the first word of each block */
  uint8_t *bump[AC_ALLOC_CLASSES];   /* next uncarved byte in the class's current page */
  uint8_t *bump_end[AC_ALLOC_CLASSES];
  ac__page *pages;                   /* every page, for ac_alloc_destroy */
  uint64_t bytes_limit;              /* 0: no limit; else allocations past it fail */
  ac_alloc_stats stats;
} ac_alloc;

/* Prepares an empty allocator. bytes_limit 0 means unlimited. Cannot fail. */
void ac_alloc_init(ac_alloc *a, uint64_t bytes_limit);
/* Frees every page (blocks still handed out become invalid). Safe to call twice. */
void ac_alloc_destroy(ac_alloc *a);
/* A block of at least `size` bytes (size > 0), or NULL when out of memory or over the limit. */
void *ac_alloc_get(ac_alloc *a, size_t size);
/* Gives back a block obtained with the same `size`. NULL is ignored. */
void ac_alloc_put(ac_alloc *a, void *block, size_t size);
/* Accounts for memory the caller obtained elsewhere (e.g. process table chunks). */
void ac_alloc_account(ac_alloc *a, int64_t in_use_delta, int64_t reserved_delta);

/*
 * The C heap of core/ and sim/: every malloc, calloc and realloc there goes through these
 * (memory is given back with free()), and so does every ac_alloc_get, so that a test can make
 * the Nth of them fail (ac_alloc_fail_at). They behave as the C library's functions otherwise;
 * the cost is one predictable branch on a flag that only a test sets.
 */
void *ac_malloc(size_t size);
void *ac_calloc(size_t count, size_t size);
void *ac_realloc(void *block, size_t size);

/*
 * Makes room for `need` elements of `elem_size` bytes in the array *array (from ac_malloc, or
 * NULL) of capacity *cap: when need > *cap, the capacity doubles (from 8) until it holds
 * `need`. AC_ENOMEM (also when the byte size would overflow), and then nothing is changed.
 */
int ac_grow(void **array, uint32_t *cap, uint32_t need, size_t elem_size);

/*
 * ac_grow for byte buffers whose lengths are size_t: makes room for `need` bytes in *buf (from
 * ac_malloc, or NULL) of *cap bytes; when need > *cap, the capacity doubles (from 4096) until
 * it holds `need`. AC_ENOMEM (also when the capacity would overflow size_t), and then nothing
 * is changed.
 */
int ac_grow_bytes(char **buf, size_t *cap, size_t need);

/*
 * Test hook, SQLite's fault injection: from now on, the `nth` allocation (1 = the next one)
 * through the calls above fails, and with `persistent` every one after it too; 0 turns it off.
 * The setting is process-wide (a test's, never a run's state) and not thread-safe.
 */
void ac_alloc_fail_at(uint64_t nth, int persistent);
/* How many allocations failed on purpose since the last ac_alloc_fail_at. */
uint64_t ac_alloc_failed_count(void);

#endif
