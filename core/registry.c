/*
 * Registered names of one node: register, unregister, whereis, and automatic unregistration
 * when a process exits.
 *
 * Entries live in an array with stable indices (a process keeps its entry index); a separate
 * open-addressing index maps a name's FNV-1a hash to its entry. The hash is a fixed function of
 * the bytes, never of an address or a per-run seed, and listings are sorted by name, so nothing
 * observable depends on the table's layout.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static uint32_t fnv1a(const char *s, size_t len) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < len; i++) {
    h ^= (uint8_t)s[i];
    h *= 16777619u;
  }
  return h;
}

#define TOMBSTONE UINT32_MAX

/* The index slot holding `name`, or UINT32_MAX when absent. */
static uint32_t index_find(const ac_node *node, const char *name, size_t len, uint32_t hash) {
  if (node->name_index_cap == 0) return UINT32_MAX;
  uint32_t mask = node->name_index_cap - 1;
  for (uint32_t i = hash & mask, probes = 0; probes < node->name_index_cap; i = (i + 1) & mask,
                probes++) {
    uint32_t e = node->name_index[i];
    if (e == 0) return UINT32_MAX;
    if (e == TOMBSTONE) continue;
    const ac__name *n = &node->names[e - 1];
    if (n->hash == hash && n->len == len && memcmp(n->text, name, len) == 0) return i;
  }
  return UINT32_MAX;
}

static int index_grow(ac_node *node) {
  uint32_t cap = node->name_index_cap ? node->name_index_cap * 2 : 64;
  if (node->name_count * 4 < node->name_index_cap) cap = node->name_index_cap;
  uint32_t *index = ac_calloc(cap, sizeof *index);
  if (!index) return AC_ENOMEM;
  for (uint32_t i = 0; i < node->name_index_cap; i++) {
    uint32_t e = node->name_index[i];
    if (e == 0 || e == TOMBSTONE) continue;
    uint32_t j = node->names[e - 1].hash & (cap - 1);
    while (index[j]) j = (j + 1) & (cap - 1);
    index[j] = e;
  }
  free(node->name_index);
  node->name_index = index;
  node->name_index_cap = cap;
  node->name_index_used = node->name_count;
  return AC_OK;
}

static uint32_t entry_take(ac_node *node) {
  if (!node->name_free) {
    uint32_t cap = node->name_cap;
    if (ac_grow((void **)&node->names, &cap, node->name_cap ? node->name_cap + 1 : 32, sizeof *node->names))
      return 0;
    ac__name *names = node->names;
    for (uint32_t i = cap; i > node->name_cap; i--) {
      memset(&names[i - 1], 0, sizeof names[i - 1]);
      names[i - 1].len = node->name_free;
      node->name_free = i;
    }
    node->names = names;
    node->name_cap = cap;
  }
  uint32_t e = node->name_free;
  node->name_free = node->names[e - 1].len;
  return e;
}

static bool valid_name(const char *name, size_t len) {
  return len > 0 && len <= AC_ATOM_LEN_MAX && !(len == 9 && memcmp(name, "undefined", 9) == 0);
}

int ac__register(ac_node *node, const char *name, ac_pid pid) {
  if (!name) return AC_EBADNAME;
  size_t len = strlen(name);
  if (!valid_name(name, len)) return AC_EBADNAME;
  ac_proc *p = ac__proc_get(node, pid);
  if (!p || (p->head.flags & AC__F_EXITING)) return AC_ENOPROC;
  uint32_t hash = fnv1a(name, len);
  if (index_find(node, name, len, hash) != UINT32_MAX) return AC_ENAMETAKEN;
  if (p->name_entry) return AC_EHASNAME;
  if ((node->name_index_used + 1) * 4 > node->name_index_cap * 3 && index_grow(node) != AC_OK)
    return AC_ENOMEM;
  char *text = ac_alloc_get(&node->alloc, len + 1);
  uint32_t e = text ? entry_take(node) : 0;
  if (!e) {
    if (text) ac_alloc_put(&node->alloc, text, len + 1);
    return AC_ENOMEM;
  }
  memcpy(text, name, len + 1);
  node->names[e - 1] = (ac__name){text, (uint32_t)len, hash, pid};
  uint32_t mask = node->name_index_cap - 1, i = hash & mask;
  while (node->name_index[i] != 0 && node->name_index[i] != TOMBSTONE) i = (i + 1) & mask;
  if (node->name_index[i] == 0) node->name_index_used++;
  node->name_index[i] = e;
  node->name_count++;
  p->name_entry = e;
  ac__emit_atom(node, AC_EV_REGISTER, pid.bits, 0, name);
  return AC_OK;
}

static void entry_remove(ac_node *node, uint32_t index_slot) {
  uint32_t e = node->name_index[index_slot];
  ac__name *n = &node->names[e - 1];
  ac_proc *p = ac__proc_get(node, n->pid);
  if (p) p->name_entry = 0;
  ac__emit_atom(node, AC_EV_UNREGISTER, n->pid.bits, 0, n->text);
  ac_alloc_put(&node->alloc, n->text, n->len + 1u);
  memset(n, 0, sizeof *n);
  n->len = node->name_free;
  node->name_free = e;
  node->name_index[index_slot] = TOMBSTONE;
  node->name_count--;
}

int ac__unregister(ac_node *node, const char *name) {
  if (!name) return AC_EBADNAME;
  size_t len = strlen(name);
  uint32_t i = index_find(node, name, len, fnv1a(name, len));
  if (i == UINT32_MAX) return AC_ENONAME;
  entry_remove(node, i);
  return AC_OK;
}

ac_pid ac__whereis(const ac_node *node, const char *name, size_t len) {
  uint32_t i = index_find(node, name, len, fnv1a(name, len));
  if (i == UINT32_MAX) return AC_PID_NONE;
  return node->names[node->name_index[i] - 1].pid;
}

const char *ac__name_of(const ac_node *node, const ac_proc *p) {
  return p->name_entry ? node->names[p->name_entry - 1].text : NULL;
}

void ac__unregister_proc(ac_node *node, ac_proc *p) {
  if (!p->name_entry) return;
  const ac__name *n = &node->names[p->name_entry - 1];
  uint32_t i = index_find(node, n->text, n->len, n->hash);
  assert(i != UINT32_MAX);
  entry_remove(node, i);
}

void ac__registry_free(ac_node *node) {
  for (uint32_t e = 0; e < node->name_cap; e++)
    if (node->names[e].text) ac_alloc_put(&node->alloc, node->names[e].text, node->names[e].len + 1u);
  free(node->names);
  free(node->name_index);
  node->names = NULL;
  node->name_index = NULL;
}

/* ---- Public calls ------------------------------------------------------------------------ */

ac_pid ac_whereis(const ac_node *node, const char *name) {
  if (!name) return AC_PID_NONE;
  return ac__whereis(node, name, strlen(name));
}

int ac_register(ac_proc *self, const char *name, ac_pid pid) {
  AC__ASSERT_RUNNING(self);
  return ac__register(self->node, name, pid);
}

int ac_unregister(ac_proc *self, const char *name) {
  AC__ASSERT_RUNNING(self);
  return ac__unregister(self->node, name);
}

int ac_node_register(ac_node *node, const char *name, ac_pid pid) {
  return ac__register(node, name, pid);
}

int ac_node_unregister(ac_node *node, const char *name) { return ac__unregister(node, name); }

static int name_cmp(const void *a, const void *b) {
  const ac__name *x = *(const ac__name *const *)a, *y = *(const ac__name *const *)b;
  size_t n = x->len < y->len ? x->len : y->len;
  int c = memcmp(x->text, y->text, n);
  return c ? c : (x->len > y->len) - (x->len < y->len);
}

uint32_t ac_node_registered(const ac_node *node, const char **names, ac_pid *pids, uint32_t cap) {
  if (node->name_count == 0) return 0;
  const ac__name **sorted = ac_malloc(node->name_count * sizeof *sorted);
  if (!sorted) return 0;
  uint32_t n = 0;
  for (uint32_t e = 0; e < node->name_cap; e++)
    if (node->names[e].text) sorted[n++] = &node->names[e];
  qsort(sorted, n, sizeof *sorted, name_cmp);
  for (uint32_t i = 0; i < n && i < cap; i++) {
    if (names) names[i] = sorted[i]->text;
    if (pids) pids[i] = sorted[i]->pid;
  }
  free(sorted);
  return n;
}
