/*
 * Code with versions (core/code.h): the store of modules, the per-process records of which
 * version a process runs, and the operations load, delete, purge and soft_purge.
 *
 * Invariant: a module has at most two versions, current and old, each a separately allocated
 * ac_code_version (so a pointer to one stays valid while the version lives); version numbers of
 * a module only grow. A module once loaded stays known to its store (purge of a module that
 * was never loaded is an error, of one whose versions are all gone is not).
 * Cost: modules are few and found by a linear scan of names; a purge looks at every live
 * process of the node once (check, else a binary search in the sorted records). Nothing here
 * is on the message path.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct ac__module {
  char name[AC_ATOM_LEN_MAX + 1];
  uint32_t version_seq;  /* the last version number given */
  ac_code_version *cur;  /* NULL: none */
  ac_code_version *old;  /* NULL: none */
} ac__module;

struct ac_code {
  ac__module **mods;     /* in load order; never removed */
  uint32_t mod_count, mod_cap;
};

/* A process spawned in, or calling into, a module version. */
typedef struct ac__codeproc {
  ac_pid pid;
  const char *module; /* the module's name (its store entry outlives the record) */
  uint32_t version;
} ac__codeproc;

int ac_code_create(ac_code **out) {
  if (!out) return AC_EINVAL;
  *out = ac_calloc(1, sizeof **out);
  return *out ? AC_OK : AC_ENOMEM;
}

void ac_code_destroy(ac_code *code) {
  if (!code) return;
  for (uint32_t i = 0; i < code->mod_count; i++) {
    free(code->mods[i]->cur);
    free(code->mods[i]->old);
    free(code->mods[i]);
  }
  free(code->mods);
  free(code);
}

static void version_free(ac_code_version *v) {
  if (!v) return;
  if (v->def.release) v->def.release(v->def.user);
  free(v);
}

void ac_node_set_code(ac_node *node, ac_code *code) {
  if (node->code_owned) ac_code_destroy(node->code);
  node->code = code;
  node->code_owned = false;
  node->spawn_code = NULL;
  node->codeproc_count = 0;
  if (!code) return;
  for (uint32_t i = 0; i < code->mod_count; i++) {
    version_free(code->mods[i]->old);
    code->mods[i]->old = NULL;
  }
}

void ac__code_free(ac_node *node) {
  if (node->code_owned) ac_code_destroy(node->code);
  node->code = NULL;
  free(node->codeprocs);
  node->codeprocs = NULL;
}

void ac_code_set_check(ac_node *node, ac_code_check_fn fn) { node->code_check = fn; }

static ac__module *mod_find(const ac_node *node, const char *name) {
  if (!node->code || !name) return NULL;
  for (uint32_t i = 0; i < node->code->mod_count; i++)
    if (strcmp(node->code->mods[i]->name, name) == 0) return node->code->mods[i];
  return NULL;
}

/* Emits an AC_EV_CODE record with payload {Module, Version}. Like every record of core/, it
 * is dropped when its payload cannot be built (no memory). */
static void code_event(ac_node *node, uint16_t op, ac_pid caller, ac_pid about,
                       const char *module, uint32_t version) {
  ac_tbuf b;
  ac_term t;
  if (ac_term_build(&b, &t, "{a, i}", module, (int64_t)version) == AC_OK)
    ac__emit_term(node, AC_EV_CODE, op, caller.bits, about.bits, 0, t);
  ac_tb_free(&b);
}

int ac_code_load(ac_node *node, ac_pid caller, const char *module, const ac_code_def *def,
                 uint32_t *version_out) {
  size_t len = module ? strlen(module) : 0;
  if (len == 0 || len > AC_ATOM_LEN_MAX) return AC_EBADNAME;
  if (!def) return AC_EINVAL;
  if (!node->code) {
    if (ac_code_create(&node->code)) return AC_ENOMEM;
    node->code_owned = true;
  }
  ac__module *m = mod_find(node, module);
  if (m && m->old) {
    code_event(node, AC_CODE_LOAD_REFUSED, caller, AC_PID_NONE, m->name, m->old->version);
    return AC_ENOTPURGED;
  }
  ac_code_version *v = ac_calloc(1, sizeof *v);
  if (!v) return AC_ENOMEM;
  if (!m) {
    ac_code *code = node->code;
    m = ac_calloc(1, sizeof *m);
    if (!m || ac_grow((void **)&code->mods, &code->mod_cap, code->mod_count + 1, sizeof *code->mods)) {
      free(m);
      free(v);
      return AC_ENOMEM;
    }
    memcpy(m->name, module, len + 1);
    code->mods[code->mod_count++] = m;
  }
  v->module = m->name;
  v->version = ++m->version_seq;
  v->def = *def;
  m->old = m->cur;
  m->cur = v;
  if (version_out) *version_out = v->version;
  code_event(node, AC_CODE_LOAD, caller, AC_PID_NONE, m->name, v->version);
  return AC_OK;
}

int ac_code_delete(ac_node *node, ac_pid caller, const char *module, bool *done_out) {
  ac__module *m = mod_find(node, module);
  if (!m) return AC_ENOTFOUND;
  bool done = m->cur && !m->old;
  if (done) {
    m->old = m->cur;
    m->cur = NULL;
    code_event(node, AC_CODE_DELETE, caller, AC_PID_NONE, m->name, m->old->version);
  }
  if (done_out) *done_out = done;
  return AC_OK;
}

/* ---- Which process runs which version ------------------------------------------------------ */

static int codeproc_cmp(const void *x, const void *y) {
  uint64_t a = ((const ac__codeproc *)x)->pid.bits, b = ((const ac__codeproc *)y)->pid.bits;
  return (a > b) - (a < b);
}

/* Drops the records of dead processes, keeping the order. */
static void codeprocs_compact(ac_node *node) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < node->codeproc_count; i++)
    if (ac__proc_get(node, node->codeprocs[i].pid)) node->codeprocs[n++] = node->codeprocs[i];
  node->codeproc_count = n;
}

/* Room for one more record: dead ones go first; the array grows when they were fewer than
 * half, so a compaction is paid for by at least cap/2 records added since. */
static int codeprocs_reserve(ac_node *node) {
  if (node->codeproc_count < node->codeproc_cap) return AC_OK;
  codeprocs_compact(node);
  if (node->codeproc_count <= node->codeproc_cap / 2 && node->codeproc_cap > 0) return AC_OK;
  return ac_grow((void **)&node->codeprocs, &node->codeproc_cap, node->codeproc_count + 1,
                 sizeof *node->codeprocs);
}

static ac__codeproc *codeproc_of(ac_node *node, ac_pid pid) {
  for (uint32_t i = 0; i < node->codeproc_count; i++)
    if (node->codeprocs[i].pid.bits == pid.bits) return &node->codeprocs[i];
  return NULL;
}

static bool record_runs(const ac__codeproc *r, const ac_code_version *v) {
  return r && r->version == v->version && strcmp(r->module, v->module) == 0;
}

bool ac_code_runs(ac_node *node, ac_pid pid, const ac_code_version *v) {
  ac_proc *p = v ? ac__proc_get(node, pid) : NULL;
  if (!p) return false;
  int r = node->code_check ? node->code_check(node, pid, v) : -1;
  if (r < 0) r = ac__server_runs(p, v);
  return r < 0 ? record_runs(codeproc_of(node, pid), v) : r > 0;
}

/* The live processes that run v, in slot order, into *out (malloc'd; NULL when none).
 * AC_ENOMEM. */
static int runners(ac_node *node, const ac_code_version *v, ac_pid **out, uint32_t *count_out) {
  *out = NULL;
  *count_out = 0;
  codeprocs_compact(node);
  if (node->codeproc_count) /* qsort and bsearch want an array, even of no elements */
    qsort(node->codeprocs, node->codeproc_count, sizeof *node->codeprocs, codeproc_cmp);
  uint32_t count = 0, cap = 0;
  for (uint32_t slot = 1; slot < node->slot_count; slot++) {
    ac_proc *p = &node->chunks[slot >> AC__CHUNK_BITS][slot & (AC__CHUNK_SIZE - 1)];
    if (!(p->head.flags & AC__F_LIVE) || (p->head.flags & AC__F_EXITING)) continue;
    int r = node->code_check ? node->code_check(node, p->head.pid, v) : -1;
    if (r < 0) r = ac__server_runs(p, v);
    if (r < 0 && node->codeproc_count) {
      ac__codeproc key = {.pid = p->head.pid};
      r = record_runs(bsearch(&key, node->codeprocs, node->codeproc_count,
                              sizeof *node->codeprocs, codeproc_cmp), v);
    }
    if (r <= 0) continue;
    if (ac_grow((void **)out, &cap, count + 1, sizeof **out)) {
      free(*out);
      *out = NULL;
      return AC_ENOMEM;
    }
    (*out)[count++] = p->head.pid;
  }
  *count_out = count;
  return AC_OK;
}

/* Removes m's old version. A spawn prepared for it and never made (its binding raised in
 * between) must not reach the freed version. */
static void old_remove(ac_node *node, ac__module *m) {
  if (node->spawn_code == m->old) node->spawn_code = NULL;
  version_free(m->old);
  m->old = NULL;
}

int ac_code_purge(ac_node *node, ac_pid caller, const char *module, bool *killed_out) {
  ac__module *m = mod_find(node, module);
  if (!m) return AC_ENOTFOUND;
  if (killed_out) *killed_out = false;
  if (!m->old) return AC_OK;
  ac_pid *victims;
  uint32_t count;
  if (runners(node, m->old, &victims, &count)) return AC_ENOMEM;
  static const uint8_t kill_atom[] = {AC_T_ATOM, 4, 'k', 'i', 'l', 'l'};
  const ac_term kill = {kill_atom};
  uint32_t version = m->old->version;
  for (uint32_t i = 0; i < count; i++) {
    ac_proc *p = ac__proc_get(node, victims[i]);
    if (!p || (p->head.flags & AC__F_EXITING)) continue; /* an earlier kill took it along */
    code_event(node, AC_CODE_PURGE, caller, victims[i], m->name, version);
    ac_node_exit(node, victims[i], kill);
  }
  free(victims);
  old_remove(node, m);
  code_event(node, AC_CODE_PURGE, caller, AC_PID_NONE, m->name, version);
  if (killed_out) *killed_out = count > 0;
  return AC_OK;
}

int ac_code_soft_purge(ac_node *node, ac_pid caller, const char *module, bool *done_out) {
  ac__module *m = mod_find(node, module);
  if (!m) return AC_ENOTFOUND;
  if (done_out) *done_out = true;
  if (!m->old) return AC_OK;
  ac_pid *users;
  uint32_t count;
  if (runners(node, m->old, &users, &count)) return AC_ENOMEM;
  free(users);
  uint32_t version = m->old->version;
  if (count > 0) {
    if (done_out) *done_out = false;
    code_event(node, AC_CODE_SOFT_REFUSED, caller, AC_PID_NONE, m->name, version);
    return AC_OK;
  }
  old_remove(node, m);
  code_event(node, AC_CODE_SOFT_PURGED, caller, AC_PID_NONE, m->name, version);
  return AC_OK;
}

/* ---- Queries --------------------------------------------------------------------------- */

const ac_code_version *ac_code_current(ac_node *node, const char *module) {
  ac__module *m = mod_find(node, module);
  return m ? m->cur : NULL;
}

const ac_code_version *ac_code_old(ac_node *node, const char *module) {
  ac__module *m = mod_find(node, module);
  return m ? m->old : NULL;
}

int ac_code_versions(ac_node *node, const char *module, uint32_t *current_out, uint32_t *old_out) {
  ac__module *m = mod_find(node, module);
  if (!m) return AC_ENOTFOUND;
  if (current_out) *current_out = m->cur ? m->cur->version : 0;
  if (old_out) *old_out = m->old ? m->old->version : 0;
  return AC_OK;
}

/* ---- Processes ------------------------------------------------------------------------- */

int ac_code_set_next_spawn(ac_node *node, const char *module) {
  if (!module) {
    node->spawn_code = NULL;
    return AC_OK;
  }
  const ac_code_version *v = ac_code_current(node, module);
  if (!v) return AC_ENOTFOUND;
  if (codeprocs_reserve(node)) return AC_ENOMEM;
  node->spawn_code = v;
  return AC_OK;
}

void ac__code_spawned(ac_node *node, ac_pid parent, ac_pid pid, const char *behaviour,
                      const char *label) {
  const ac_code_version *v = node->spawn_code;
  node->spawn_code = NULL;
  assert(v && node->codeproc_count < node->codeproc_cap && "room reserved by set_next_spawn");
  node->codeprocs[node->codeproc_count++] = (ac__codeproc){pid, v->module, v->version};
  ac_tbuf b;
  ac_term t;
  if (ac_term_build(&b, &t, "{a, a, a, i}", behaviour, label, v->module, (int64_t)v->version) == AC_OK)
    ac__emit_term(node, AC_EV_SPAWN, 0, parent.bits, pid.bits, 0, t);
  ac_tb_free(&b);
}

static int code_spawn(ac_node *node, ac_pid parent, const char *module, ac_term arg,
                      unsigned opts, ac_pid *pid_out, ac_ref *mon_out) {
  const ac_code_version *v = ac_code_current(node, module);
  if (!v) return AC_ENOTFOUND;
  if (!v->def.behaviour) return AC_EINVAL;
  int rc = ac_code_set_next_spawn(node, module);
  if (rc == AC_OK) rc = ac__spawn(node, parent, v->def.behaviour, arg, opts, pid_out, mon_out);
  node->spawn_code = NULL; /* used, or not at all */
  return rc;
}

int ac_code_spawn(ac_proc *self, const char *module, ac_term arg, unsigned opts, ac_pid *pid_out,
                  ac_ref *mon_out) {
  AC__ASSERT_RUNNING(self);
  return code_spawn(self->node, self->head.pid, module, arg, opts, pid_out, mon_out);
}

int ac_node_code_spawn(ac_node *node, const char *module, ac_term arg, ac_pid *pid_out) {
  return code_spawn(node, ac_node_pid(node), module, arg, 0, pid_out, NULL);
}

const ac_code_version *ac_code_call(ac_proc *self, const char *module) {
  AC__ASSERT_RUNNING(self);
  ac_node *node = self->node;
  const ac_code_version *v = ac_code_current(node, module);
  if (!v) return NULL;
  ac__codeproc *r = codeproc_of(node, self->head.pid);
  if (!r) {
    if (codeprocs_reserve(node)) return v; /* no record: it is not known to run v */
    r = &node->codeprocs[node->codeproc_count++];
  }
  *r = (ac__codeproc){self->head.pid, v->module, v->version};
  return v;
}

int ac_code_server_step(ac_proc *self, ac_pid caller, uint16_t op, const char *module,
                        uint32_t version, ac_term detail) {
  AC__ASSERT_RUNNING(self);
  size_t len = module ? strlen(module) : 0;
  if (len > AC_ATOM_LEN_MAX || !module) return AC_EBADNAME;
  if (op < AC_CODE_SUSPEND || op > AC_CODE_CHANGE_FAILED) return AC_EINVAL;
  ac_tbuf b;
  ac_term t;
  int rc = detail.p ? ac_term_build(&b, &t, "{a, i, t}", module, (int64_t)version, detail)
                    : ac_term_build(&b, &t, "{a, i}", module, (int64_t)version);
  if (rc == AC_OK) ac__emit_term(self->node, AC_EV_CODE, op, caller.bits, self->head.pid.bits, 0, t);
  ac_tb_free(&b);
  if (op == AC_CODE_CHANGE_OK && len) ac_code_call(self, module);
  return AC_OK;
}
