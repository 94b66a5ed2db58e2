/*
 * A node: its process table, allocator, reference and message counters, event emission, and
 * the host calls (create, destroy, timers, inspection).
 *
 * The process table is a list of fixed chunks of AC__CHUNK_SIZE structs, so a process never
 * moves and a pid's slot finds it with two loads; a pid's generation is compared to tell a live
 * process from a reused slot. Freed slots are reused last-in first-out with the generation
 * bumped; a slot whose generation is exhausted is retired, so a pid is never reused in a run.
 */
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "internal.h"

ac_node_config ac_node_config_default(void) {
  ac_node_config cfg = {
      .mailbox_len_max = 1000000u,
      .message_size_max = AC_TERM_SIZE_MAX,
      .process_count_max = AC_PID_SLOT_MAX,
      .memory_bytes_max = 0,
  };
  return cfg;
}

static bool name_ok(const char *name) {
  if (!name) return false;
  size_t len = strlen(name);
  return len > 0 && len <= AC_ATOM_LEN_MAX;
}

int ac_node_create(ac_node **out, uint32_t index, const char *name, const ac_node_config *cfg,
                   const ac_host *host) {
  if (!out || index > AC_NODE_MAX || !name_ok(name) || !host || !host->now_ns ||
      !host->ready || !host->unready || !host->timer_start || !host->event)
    return AC_EINVAL;
  ac_node *node = ac_calloc(1, sizeof *node);
  if (!node) return AC_ENOMEM;
  node->index = index;
  memcpy(node->name, name, strlen(name) + 1);
  node->cfg = cfg ? *cfg : ac_node_config_default();
  if (node->cfg.process_count_max == 0 || node->cfg.process_count_max > AC_PID_SLOT_MAX)
    node->cfg.process_count_max = AC_PID_SLOT_MAX;
  if (node->cfg.message_size_max == 0 || node->cfg.message_size_max > AC_TERM_SIZE_MAX)
    node->cfg.message_size_max = AC_TERM_SIZE_MAX;
  if (node->cfg.mailbox_len_max == 0) node->cfg.mailbox_len_max = UINT32_MAX;
  node->host = *host;
  ac_alloc_init(&node->alloc, node->cfg.memory_bytes_max);
  node->slot_count = 1; /* slot 0 is the node's own pid */
  *out = node;
  return AC_OK;
}

void ac_node_destroy(ac_node *node) {
  if (!node) return;
  /* Every live process ends: its terminate runs (cleanup: a supervisor frees its child
   * specs) with the reason shutdown, and nothing is traced. */
  static const uint8_t shutdown_atom[] = {AC_T_ATOM, 8, 's', 'h', 'u', 't', 'd', 'o', 'w', 'n'};
  const ac_term shutdown = {shutdown_atom};
  for (uint32_t slot = 1; slot < node->slot_count; slot++) {
    ac_proc *p = &node->chunks[slot >> AC__CHUNK_BITS][slot & (AC__CHUNK_SIZE - 1)];
    if (!(p->head.flags & AC__F_LIVE)) continue;
    if (p->beh->terminate && !(p->head.flags & AC__F_EXITING)) p->beh->terminate(p, shutdown);
    ac__proc_release(node, p);
  }
  for (uint32_t i = 0; i < node->chunk_count; i++) free(node->chunks[i]);
  free(node->chunks);
  free(node->rels);
  ac__registry_free(node);
  ac__u64set_free(&node->timers);
  free(node->doomed);
  free(node->nodemons);
  free(node->namemons);
  free(node->spawnreqs);
  ac__code_free(node);
  ac_alloc_destroy(&node->alloc);
  free(node);
}

void ac_node_set_user(ac_node *node, void *user) { node->user = user; }
void *ac_node_user(const ac_node *node) { return node->user; }
uint32_t ac_node_index(const ac_node *node) { return node->index; }
const char *ac_node_name(const ac_node *node) { return node->name; }
/* Generation 1, so node 0's pid is not the all-zero AC_PID_NONE. */
ac_pid ac_node_pid(const ac_node *node) { return ac_pid_make(node->index, 0, 1); }
const ac_alloc_stats *ac_node_alloc_stats(const ac_node *node) { return &node->alloc.stats; }

ac_proc *ac__proc_get(const ac_node *node, ac_pid pid) {
  uint32_t slot = ac_pid_slot(pid);
  if (ac_pid_node(pid) != node->index || slot == 0 || slot >= node->slot_count) return NULL;
  ac_proc *p = &node->chunks[slot >> AC__CHUNK_BITS][slot & (AC__CHUNK_SIZE - 1)];
  if (p->head.pid.bits != pid.bits || !(p->head.flags & AC__F_LIVE)) return NULL;
  return p;
}

ac_msg *ac__msg_new(ac_node *node, ac_pid from, ac_term t) {
  size_t size = ac_term_size(t);
  ac_msg *m = ac_alloc_get(&node->alloc, sizeof(ac_msg) + size);
  if (!m) return NULL;
  m->next = NULL;
  m->id = 0;
  m->from = from;
  m->size = (uint32_t)size;
  m->reserved = 0;
  memcpy(m->data, t.p, size);
  return m;
}

void ac__msg_free(ac_node *node, ac_msg *m) {
  if (m) ac_alloc_put(&node->alloc, m, sizeof(ac_msg) + m->size);
}

void ac__emit(ac_node *node, uint16_t kind, uint16_t flags, uint64_t a, uint64_t b, uint64_t c,
              const uint8_t *payload, uint32_t payload_size) {
  ac_event ev = {kind, flags, node->index, a, b, c, payload, payload_size};
  node->host.event(node->host.ctx, &ev);
}

void ac_node_set_spawn_label(ac_node *node, const char *label) { node->spawn_label = label; }

/* Appends an atom's encoding (cut at AC_ATOM_LEN_MAX bytes). */
static uint8_t *put_atom(uint8_t *p, const char *text, size_t len) {
  if (len > AC_ATOM_LEN_MAX) len = AC_ATOM_LEN_MAX;
  *p++ = AC_T_ATOM;
  *p++ = (uint8_t)len;
  memcpy(p, text, len);
  return p + len;
}

void ac__emit_atoms_tuple(ac_node *node, uint16_t kind, uint16_t flags, uint64_t a, uint64_t b,
                          uint64_t c, const char *x, const char *y, const uint8_t *term,
                          size_t term_size) {
  size_t xl = strlen(x), yl = strlen(y);
  size_t size = 9 + 2 + (xl < AC_ATOM_LEN_MAX ? xl : AC_ATOM_LEN_MAX) + 2 +
                (yl < AC_ATOM_LEN_MAX ? yl : AC_ATOM_LEN_MAX) + term_size;
  uint8_t stack[768];
  uint8_t *buf = size <= sizeof stack ? stack : ac_malloc(size); /* large messages only */
  if (!buf) return;
  buf[0] = AC_T_TUPLE;
  ac_le32_put(buf + 1, term ? 3 : 2);
  ac_le32_put(buf + 5, (uint32_t)(size - 9));
  uint8_t *p = put_atom(put_atom(buf + 9, x, xl), y, yl);
  if (term) memcpy(p, term, term_size);
  ac__emit(node, kind, flags, a, b, c, buf, (uint32_t)size);
  if (buf != stack) free(buf);
}

void ac__emit_atom(ac_node *node, uint16_t kind, uint64_t a, uint64_t bpid, const char *atom) {
  ac_tbuf b;
  ac_tb_init(&b);
  ac_term t;
  ac_tb_atom(&b, atom);
  if (ac_tb_finish(&b, &t) == AC_OK) ac__emit_term(node, kind, 0, a, bpid, 0, t);
  ac_tb_free(&b);
}

ac_ref ac__ref_new(ac_node *node) {
  /* Serial 0 and 1 are never used, so a reference's bits are never 0 or 1 (see ac__u64set). */
  return ac_ref_make(node->index, 2 + node->ref_seq++);
}

/* ---- Live timer set ---------------------------------------------------------------------- */

static uint32_t mix32(uint64_t k) {
  k ^= k >> 33;
  k *= UINT64_C(0xff51afd7ed558ccd);
  k ^= k >> 33;
  return (uint32_t)k;
}

static int u64set_grow(ac__u64set *s) {
  uint32_t cap = s->cap ? s->cap * 2 : 16;
  if (s->count * 4 < s->cap) cap = s->cap; /* mostly tombstones: rehash in place size */
  uint64_t *keys = ac_calloc(cap, sizeof *keys);
  if (!keys) return AC_ENOMEM;
  for (uint32_t i = 0; i < s->cap; i++) {
    if (s->keys[i] < 2) continue;
    uint32_t j = mix32(s->keys[i]) & (cap - 1);
    while (keys[j]) j = (j + 1) & (cap - 1);
    keys[j] = s->keys[i];
  }
  free(s->keys);
  s->keys = keys;
  s->cap = cap;
  s->used = s->count;
  return AC_OK;
}

int ac__u64set_add(ac__u64set *s, uint64_t key) {
  assert(key >= 2);
  if ((s->used + 1) * 4 > s->cap * 3) {
    int rc = u64set_grow(s);
    if (rc) return rc;
  }
  uint32_t j = mix32(key) & (s->cap - 1);
  while (s->keys[j] >= 2) j = (j + 1) & (s->cap - 1);
  if (s->keys[j] == 0) s->used++;
  s->keys[j] = key;
  s->count++;
  return AC_OK;
}

bool ac__u64set_remove(ac__u64set *s, uint64_t key) {
  if (s->cap == 0) return false;
  uint32_t j = mix32(key) & (s->cap - 1);
  for (uint32_t probes = 0; probes < s->cap && s->keys[j] != 0; probes++) {
    if (s->keys[j] == key) {
      s->keys[j] = 1;
      s->count--;
      return true;
    }
    j = (j + 1) & (s->cap - 1);
  }
  return false;
}

void ac__u64set_free(ac__u64set *s) {
  free(s->keys);
  memset(s, 0, sizeof *s);
}

/* ---- Timers ------------------------------------------------------------------------------ */


void ac_node_timer(ac_node *node, const ac_timer *t) {
  if (t->kind == AC__TIMER_RECV) {
    ac_proc *p = ac__proc_get(node, t->owner);
    if (!p || p->recv_gen != (uint32_t)t->arg || !(p->head.flags & AC__F_WAITING)) return;
    /* Fired: the host has forgotten it (AC__F_TIMER goes). */
    p->head.flags = (p->head.flags & ~(uint32_t)(AC__F_WAITING | AC__F_TIMER)) | AC__F_TIMED_OUT;
    ac__make_runnable(node, p);
    return;
  }
  assert(t->kind == AC_TIMER_SEND_AFTER);
  ac_msg *m = t->ptr;
  if (!ac__u64set_remove(&node->timers, t->arg)) { /* cancelled */
    ac__msg_free(node, m);
    return;
  }
  ac__emit(node, AC_EV_TIMER_FIRE, 0, t->owner.bits, t->dest.bits, t->arg, NULL, 0);
  ac__send(node, t->owner, t->dest, ac_msg_term(m));
  ac__msg_free(node, m);
  ac__drain(node);
}

static bool u64set_has(const ac__u64set *s, uint64_t key) {
  if (s->cap == 0) return false;
  uint32_t j = mix32(key) & (s->cap - 1);
  for (uint32_t probes = 0; probes < s->cap && s->keys[j] != 0; probes++) {
    if (s->keys[j] == key) return true;
    j = (j + 1) & (s->cap - 1);
  }
  return false;
}

bool ac_node_timer_live(const ac_node *node, const ac_timer *t) {
  if (t->kind == AC__TIMER_RECV) {
    ac_proc *p = ac__proc_get(node, t->owner);
    return p && p->recv_gen == (uint32_t)t->arg && (p->head.flags & AC__F_WAITING);
  }
  return u64set_has(&node->timers, t->arg);
}

void ac_node_timer_drop(ac_node *node, const ac_timer *t) {
  if (t->kind == AC_TIMER_SEND_AFTER) {
    ac__u64set_remove(&node->timers, t->arg);
    ac__msg_free(node, t->ptr);
  }
}

int ac__timer_recv_arm(ac_node *node, ac_proc *p, uint64_t delay_ns) {
  ac_timer t = {AC__TIMER_RECV, node->index, p->head.pid, AC_PID_NONE, p->recv_gen, NULL};
  uint64_t handle = 0;
  int rc = node->host.timer_start(node->host.ctx, delay_ns, &t, &handle);
  if (rc == AC_OK) {
    p->recv_timer = handle; /* the timeout was read: the union now holds the handle */
    p->head.flags |= AC__F_TIMER;
  }
  return rc;
}

void ac__timer_recv_cancel(ac_node *node, ac_proc *p) {
  if (!(p->head.flags & AC__F_TIMER)) return;
  p->head.flags &= ~(uint32_t)AC__F_TIMER;
  if (node->host.timer_cancel) node->host.timer_cancel(node->host.ctx, p->recv_timer);
}

int ac_send_after(ac_proc *self, uint64_t delay_ns, ac_pid to, ac_term msg, ac_ref *timer_out) {
  AC__ASSERT_RUNNING(self);
  ac_node *node = ac_proc_node(self);
  if (ac_term_size(msg) > node->cfg.message_size_max) return AC_ETOOBIG;
  ac_msg *m = ac__msg_new(node, self->head.pid, msg);
  if (!m) return AC_ENOMEM;
  ac_ref ref = ac__ref_new(node);
  int rc = ac__u64set_add(&node->timers, ref.bits);
  if (rc) {
    ac__msg_free(node, m);
    return rc;
  }
  ac_timer t = {AC_TIMER_SEND_AFTER, node->index, self->head.pid, to, ref.bits, m};
  rc = node->host.timer_start(node->host.ctx, delay_ns, &t, NULL);
  if (rc) {
    ac__u64set_remove(&node->timers, ref.bits);
    ac__msg_free(node, m);
    return rc;
  }
  ac__emit(node, AC_EV_TIMER_START, AC_TIMER_SEND_AFTER, self->head.pid.bits, to.bits, ref.bits,
           NULL, 0);
  if (timer_out) *timer_out = ref;
  return AC_OK;
}

int ac_cancel_timer(ac_proc *self, ac_ref timer) {
  AC__ASSERT_RUNNING(self);
  ac_node *node = ac_proc_node(self);
  if (!ac__u64set_remove(&node->timers, timer.bits)) return AC_ENOTFOUND;
  ac__emit(node, AC_EV_TIMER_CANCEL, 0, self->head.pid.bits, 0, timer.bits, NULL, 0);
  return AC_OK;
}

/* ---- Inspection -------------------------------------------------------------------------- */

bool ac_node_alive(const ac_node *node, ac_pid pid) {
  ac_proc *p = ac__proc_get(node, pid);
  return p && !(p->head.flags & AC__F_EXITING);
}

int ac_node_info(const ac_node *node, ac_pid pid, ac_proc_info *out) {
  ac_proc *p = ac__proc_get(node, pid);
  if (!p || (p->head.flags & AC__F_EXITING)) return AC_ENOPROC;
  memset(out, 0, sizeof *out);
  out->behaviour = p->beh->name;
  out->name = ac__name_of(node, p);
  out->mailbox_len = p->mbox_len;
  out->trap_exit = (p->head.flags & AC__F_TRAP_EXIT) != 0;
  out->runnable = (p->head.flags & AC__F_RUNNABLE) != 0;
  for (uint32_t r = p->rels; r; r = node->rels[r - 1].next) {
    uint32_t kind = node->rels[r - 1].kind;
    if (kind == AC__REL_LINK) out->link_count++;
    if (kind == AC__REL_MONITORS) out->monitor_count++;
    if (kind == AC__REL_MONITORED_BY) out->monitored_by++;
  }
  return AC_OK;
}

static int pid_order(const void *a, const void *b) {
  uint64_t x = ((const ac_pid *)a)->bits, y = ((const ac_pid *)b)->bits;
  return (x > y) - (x < y);
}

uint32_t ac_node_relations(const ac_node *node, ac_pid pid, ac_rel_kind kind, ac_pid *out,
                           uint32_t cap) {
  _Static_assert((int)AC_REL_LINKS == AC__REL_LINK && (int)AC_REL_MONITORS == AC__REL_MONITORS &&
                     (int)AC_REL_MONITORED_BY == AC__REL_MONITORED_BY,
                 "public relation kinds are the internal ones");
  if (!ac_node_alive(node, pid)) return 0;
  const ac_proc *p = ac__proc_get(node, pid);
  uint32_t n = 0;
  for (uint32_t r = p->rels; r; r = node->rels[r - 1].next)
    if (node->rels[r - 1].kind == (uint32_t)kind) {
      if (n < cap) out[n] = node->rels[r - 1].other;
      n++;
    }
  if (out && cap) qsort(out, n < cap ? n : cap, sizeof *out, pid_order);
  return n;
}

void *ac_node_state(const ac_node *node, ac_pid pid, const ac_behaviour *beh) {
  ac_proc *p = ac__proc_get(node, pid);
  if (!p || (p->head.flags & AC__F_EXITING) || p->beh != beh) return NULL;
  return ac_state(p);
}

bool ac_node_linked(const ac_node *node, ac_pid a, ac_pid b) {
  ac_proc *p = ac__proc_get(node, a);
  if (!p || !ac_node_alive(node, b)) return false;
  for (uint32_t r = p->rels; r; r = node->rels[r - 1].next)
    if (node->rels[r - 1].kind == AC__REL_LINK && ac_pid_eq(node->rels[r - 1].other, b)) return true;
  return false;
}

uint32_t ac_node_process_count(const ac_node *node) { return node->live_count; }

uint32_t ac_node_processes(const ac_node *node, ac_pid *pids, uint32_t cap) {
  uint32_t n = 0;
  for (uint32_t slot = 1; slot < node->slot_count; slot++) {
    const ac_proc *p = &node->chunks[slot >> AC__CHUNK_BITS][slot & (AC__CHUNK_SIZE - 1)];
    if (!(p->head.flags & AC__F_LIVE) || (p->head.flags & AC__F_EXITING)) continue;
    if (n < cap) pids[n] = p->head.pid;
    n++;
  }
  return n;
}

/* ---- Process accessors ------------------------------------------------------------------- */

ac_pid ac_self(const ac_proc *self) { return self->head.pid; }

ac_node *ac_proc_node(ac_proc *self) { return self->node; }

void *ac_state(ac_proc *self) { return self->state; }

uint64_t ac_now(const ac_proc *self) {
  ac_node *node = ac_proc_node((ac_proc *)self);
  return node->host.now_ns(node->host.ctx, node->index);
}

ac_ref ac_make_ref(ac_proc *self) { return ac__ref_new(ac_proc_node(self)); }
