/*
 * The visualiser's model (contract in model.h).
 *
 * Two kinds of knowledge are kept apart:
 *  - whole-trace tables, filled once as each record is appended and never undone: the records
 *    and their payload arena, the nodes, the processes in spawn order (with the events that
 *    begin and end them), the messages by id (send, first delivery), the supervisor children
 *    and their restarts, the timeline marks. Queries compare their event indices with the
 *    cursor, so "does it exist at T" is an index comparison and needs no replay;
 *  - the derived state that only a replay can give (viz_state): per process its mailbox, state
 *    flags, registered name and last messages; the current links and monitors; the messages in
 *    flight and the recently finished ones. It is flat arrays of small structs (strings are
 *    event indices whose payload is printed on demand), so copying it for a snapshot is a few
 *    memcpy calls and its size is known exactly.
 *
 * The head state follows the appends; every `spacing` records a copy of it is kept. The
 * spacing is recomputed at each snapshot as the state's size divided by the size of a record,
 * so snapshots together cost about as much as the records (a state of 2,000 processes is about
 * 250 KB: one snapshot per ~5,000 records), and a seek replays at most one spacing of records.
 * apply() must depend only on records before the one it applies, never on the whole-trace
 * tables' knowledge of later records, or a replay would differ from the head.
 */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

#define SPACING_MIN 256u
#define SPACING_MAX (1u << 18)

struct viz_msginfo {
  uint64_t id;
  uint32_t send_event;    /* VIZ_NONE when the send is not in the trace */
  uint32_t deliver_event; /* first remote delivery, VIZ_NONE until it is appended */
};

struct viz_child {
  uint32_t sup;        /* supervisor's process index */
  uint32_t id_event;   /* a supervisor record whose payload's element 1 is the Id */
  uint64_t key;        /* hash of (sup, Id) */
  uint32_t *restarts;  /* {restarting, Id} event indices, in order */
  uint32_t nrestarts, restarts_cap;
};

struct viz_snapshot {
  viz_state st;
};

/* ---- Small helpers ----------------------------------------------------------------------- */

static uint64_t mix64(uint64_t x) {
  x ^= x >> 33;
  x *= UINT64_C(0xff51afd7ed558ccd);
  x ^= x >> 33;
  x *= UINT64_C(0xc4ceb9fe1a85ec53);
  x ^= x >> 33;
  return x;
}

/* Grows *p (of *cap elements of size sz) to hold at least need; sets m->err on failure. */
static int grow(viz_model *m, void **p, uint32_t *cap, uint32_t need, size_t sz) {
  if (need <= *cap) return 0;
  uint64_t n = *cap ? *cap : 16;
  while (n < need) n *= 2;
  if (n > UINT32_MAX) n = UINT32_MAX;
  void *q = realloc(*p, (size_t)n * sz);
  if (!q) {
    if (m) m->err = AC_ENOMEM;
    return AC_ENOMEM;
  }
  *p = q;
  *cap = (uint32_t)n;
  return 0;
}

static bool term_of(const viz_model *m, uint32_t i, ac_term *t) {
  return i < m->count && viz_model_payload(m, i, t) == 0;
}

static bool tuple_elem(ac_term t, uint32_t i, ac_term *out) {
  return ac_term_type(t) == AC_T_TUPLE && i < ac_term_count(t) && ac_term_elem(t, i, out) == 0;
}

/* The text of an atom or a binary into buf (cut), else the term printed. */
static size_t term_text(ac_term t, char *buf, size_t cap) {
  const char *s = NULL;
  const uint8_t *bytes = NULL;
  size_t len = 0;
  if (cap == 0) return 0;
  if (ac_term_get_atom(t, &s, &len) == 0 || ac_term_get_binary(t, &bytes, &len) == 0) {
    if (bytes) s = (const char *)bytes;
    if (len >= cap) len = cap - 1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return len;
  }
  size_t n = ac_term_print(t, buf, cap);
  if (n >= cap) {
    n = cap - 1;
    if (cap >= 4) memcpy(buf + cap - 4, "...", 3);
  }
  return n;
}

/* The tag of a report: the atom itself, or a tuple's first element when it is an atom. */
static bool tag_is(ac_term t, const char *tag) {
  ac_term e;
  if (ac_term_type(t) == AC_T_ATOM) return ac_term_is_atom(t, tag);
  return tuple_elem(t, 0, &e) && ac_term_is_atom(e, tag);
}

/* ---- Open-addressing indices (values are array indices; keys come from the arrays) ------- */

typedef uint64_t (*key_fn)(const viz_model *m, uint32_t v);

static uint64_t proc_key(const viz_model *m, uint32_t v) { return m->procs[v].pid; }
static uint64_t msg_key(const viz_model *m, uint32_t v) { return m->msgs[v].id; }
static uint64_t child_key(const viz_model *m, uint32_t v) { return m->children[v].key; }

static uint32_t index_find(const viz_model *m, const uint32_t *tab, uint32_t cap, key_fn kf,
                           uint64_t key) {
  if (!cap) return VIZ_NONE;
  uint32_t mask = cap - 1;
  for (uint32_t h = (uint32_t)mix64(key) & mask;; h = (h + 1) & mask) {
    uint32_t v = tab[h];
    if (v == VIZ_NONE) return VIZ_NONE;
    if (kf(m, v) == key) return v;
  }
}

/* Inserts value v (whose key is new or replaces an older value with the same key). */
static int index_put(viz_model *m, uint32_t **tab, uint32_t *cap, uint32_t n, key_fn kf,
                     uint32_t v) {
  if ((uint64_t)(n + 1) * 2 > *cap) {
    uint32_t ncap = *cap ? *cap * 2 : 1024;
    uint32_t *nt = malloc((size_t)ncap * sizeof *nt);
    if (!nt) {
      m->err = AC_ENOMEM;
      return AC_ENOMEM;
    }
    memset(nt, 0xff, (size_t)ncap * sizeof *nt);
    for (uint32_t i = 0; i < *cap; i++) {
      uint32_t w = (*tab)[i];
      if (w == VIZ_NONE) continue;
      uint32_t h = (uint32_t)mix64(kf(m, w)) & (ncap - 1);
      while (nt[h] != VIZ_NONE) h = (h + 1) & (ncap - 1);
      nt[h] = w;
    }
    free(*tab);
    *tab = nt;
    *cap = ncap;
  }
  uint64_t key = kf(m, v);
  uint32_t mask = *cap - 1;
  uint32_t h = (uint32_t)mix64(key) & mask;
  while ((*tab)[h] != VIZ_NONE && kf(m, (*tab)[h]) != key) h = (h + 1) & mask;
  (*tab)[h] = v;
  return 0;
}

/* ---- State ------------------------------------------------------------------------------- */

static void state_free(viz_state *s) {
  free(s->procs);
  free(s->edges);
  free(s->flying);
  memset(s, 0, sizeof *s);
}

static void state_reset(viz_state *s) {
  s->pos = 0;
  s->time_ns = 0;
  s->instant_ns = VIZ_TIME_UNKNOWN;
  s->nprocs = 0;
  s->nedges = 0;
  s->nflying = 0;
  s->nfinished = 0;
}

static uint64_t state_bytes(const viz_state *s) {
  return sizeof *s + (uint64_t)s->nprocs * sizeof(viz_proc_state) +
         (uint64_t)s->nedges * sizeof(viz_edge) + (uint64_t)s->nflying * sizeof(uint32_t);
}

/* Copies src into dst, reusing dst's arrays (exact = allocate exactly, for snapshots). */
static int state_copy(viz_model *m, viz_state *dst, const viz_state *src, bool exact) {
  viz_proc_state *procs = dst->procs;
  viz_edge *edges = dst->edges;
  uint32_t *flying = dst->flying;
  uint32_t pc = dst->procs_cap, ec = dst->edges_cap, fc = dst->flying_cap;
  if (exact) {
    procs = NULL, edges = NULL, flying = NULL;
    pc = ec = fc = 0;
    if (src->nprocs && !(procs = malloc((size_t)src->nprocs * sizeof *procs))) goto nomem;
    pc = src->nprocs;
    if (src->nedges && !(edges = malloc((size_t)src->nedges * sizeof *edges))) goto nomem;
    ec = src->nedges;
    if (src->nflying && !(flying = malloc((size_t)src->nflying * sizeof *flying))) goto nomem;
    fc = src->nflying;
  } else {
    if (grow(m, (void **)&procs, &pc, src->nprocs, sizeof *procs)) return AC_ENOMEM;
    dst->procs = procs, dst->procs_cap = pc;
    if (grow(m, (void **)&edges, &ec, src->nedges, sizeof *edges)) return AC_ENOMEM;
    dst->edges = edges, dst->edges_cap = ec;
    if (grow(m, (void **)&flying, &fc, src->nflying, sizeof *flying)) return AC_ENOMEM;
  }
  *dst = *src;
  dst->procs = procs, dst->procs_cap = pc;
  dst->edges = edges, dst->edges_cap = ec;
  dst->flying = flying, dst->flying_cap = fc;
  if (src->nprocs) memcpy(procs, src->procs, (size_t)src->nprocs * sizeof *procs);
  if (src->nedges) memcpy(edges, src->edges, (size_t)src->nedges * sizeof *edges);
  if (src->nflying) memcpy(flying, src->flying, (size_t)src->nflying * sizeof *flying);
  return 0;
nomem:
  free(procs);
  free(edges);
  free(flying);
  m->err = AC_ENOMEM;
  return AC_ENOMEM;
}

/* ---- Whole-trace lookups ------------------------------------------------------------------ */

uint32_t viz_model_find_pid(const viz_model *m, uint64_t pid) {
  if (!pid) return VIZ_NONE;
  return index_find(m, m->pid_index, m->pid_index_cap, proc_key, pid);
}

static uint32_t find_msg(const viz_model *m, uint64_t id) {
  if (!id) return VIZ_NONE;
  return index_find(m, m->msg_index, m->msg_index_cap, msg_key, id);
}

/* The latest node with this name whose record is before `pos` (VIZ_NONE if none). */
static uint32_t node_by_name(const viz_model *m, const char *name, uint32_t pos) {
  for (uint32_t i = m->nnodes; i-- > 0;) {
    const viz_node *n = &m->nodes[i];
    if (n->created_event != VIZ_NONE && n->created_event < pos && strcmp(n->name, name) == 0)
      return i;
  }
  return VIZ_NONE;
}

static int push_u32(viz_model *m, uint32_t **arr, uint32_t *n, uint32_t *cap, uint32_t v) {
  if (grow(m, (void **)arr, cap, *n + 1, sizeof **arr)) return AC_ENOMEM;
  (*arr)[(*n)++] = v;
  return 0;
}

/* The (supervisor, Id) child slot of a report whose element 1 is the Id; created if asked. */
static uint32_t child_slot(viz_model *m, uint32_t sup, uint32_t ev, ac_term id, bool create) {
  uint64_t key = mix64(ac_term_hash(id) ^ mix64((uint64_t)sup + 1));
  uint32_t c = index_find(m, m->child_index, m->child_index_cap, child_key, key);
  if (c != VIZ_NONE || !create) return c;
  if (grow(m, (void **)&m->children, &m->children_cap, m->nchildren + 1, sizeof *m->children))
    return VIZ_NONE;
  viz_child *ch = &m->children[m->nchildren];
  memset(ch, 0, sizeof *ch);
  ch->sup = sup;
  ch->id_event = ev;
  ch->key = key;
  c = m->nchildren++;
  if (index_put(m, &m->child_index, &m->child_index_cap, c, child_key, c)) return VIZ_NONE;
  return c;
}

static bool reason_is_normal(ac_term r) {
  ac_term e;
  if (ac_term_is_atom(r, "normal") || ac_term_is_atom(r, "shutdown")) return true;
  return ac_term_type(r) == AC_T_TUPLE && ac_term_count(r) == 2 && tuple_elem(r, 0, &e) &&
         ac_term_is_atom(e, "shutdown");
}

static bool kind_known(uint16_t kind) {
  return ac_event_name(kind) != NULL || kind == VIZ_EV_RUN_END || kind == VIZ_EV_PROPERTY ||
         kind == VIZ_EV_LINKS || kind == VIZ_EV_CODE;
}

/* Elements k (the module, an atom) and k + 1 (its version, a positive integer) of a tuple:
 * the module's text into buf and the version into *version (may be NULL); nothing is written
 * unless both are there. */
static bool module_version(ac_term t, uint32_t k, char *buf, size_t cap, uint32_t *version) {
  ac_term mod, ver;
  int64_t v;
  if (!tuple_elem(t, k, &mod) || !tuple_elem(t, k + 1, &ver) ||
      ac_term_type(mod) != AC_T_ATOM || ac_term_get_int(ver, &v) != 0 || v <= 0 ||
      v > UINT32_MAX)
    return false;
  term_text(mod, buf, cap);
  if (version) *version = (uint32_t)v;
  return true;
}

/* Updates the whole-trace tables for record i (appended, not yet applied to the head). */
static void learn(viz_model *m, uint32_t i) {
  const viz_event *e = &m->ev[i];
  ac_term t, x, y;
  bool has = term_of(m, i, &t);
  switch (e->kind) {
    case AC_EV_NODE: {
      if (e->a > AC_NODE_MAX) break;
      uint32_t idx = (uint32_t)e->a;
      if (idx >= m->nnodes) {
        uint32_t cap = m->nnodes;
        if (grow(m, (void **)&m->nodes, &cap, idx + 1, sizeof *m->nodes)) break;
        for (uint32_t k = m->nnodes; k <= idx; k++) {
          memset(&m->nodes[k], 0, sizeof m->nodes[k]);
          m->nodes[k].index = k;
          m->nodes[k].machine = VIZ_NONE;
          m->nodes[k].created_event = VIZ_NONE;
          m->nodes[k].crash_event = VIZ_NONE;
        }
        m->nnodes = idx + 1;
      }
      viz_node *n = &m->nodes[idx];
      if (n->created_event != VIZ_NONE) break; /* the first record of an index wins */
      n->machine = e->b > UINT32_MAX - 1 ? UINT32_MAX - 1 : (uint32_t)e->b;
      n->created_event = i;
      if (has) term_text(t, n->name, sizeof n->name);
      for (uint32_t k = 0; k < m->nnodes; k++)
        if (k != idx && m->nodes[k].created_event != VIZ_NONE && m->nodes[k].machine == n->machine)
          n->incarnation++;
      break;
    }
    case AC_EV_SPAWN: {
      if (!e->b || viz_model_find_pid(m, e->b) != VIZ_NONE) break; /* a pid spawns once */
      if (grow(m, (void **)&m->procs, &m->procs_cap, m->nprocs + 1, sizeof *m->procs)) break;
      viz_proc *p = &m->procs[m->nprocs];
      memset(p, 0, sizeof *p);
      p->pid = e->b;
      p->parent_pid = e->a;
      p->parent = viz_model_find_pid(m, e->a);
      p->node = ac_pid_node((ac_pid){e->b});
      p->spawn_event = i;
      p->exit_event = VIZ_NONE;
      p->sup = VIZ_NONE;
      p->child_event = VIZ_NONE;
      p->sup_started_event = VIZ_NONE;
      p->child_slot = VIZ_NONE;
      p->spawn_ns = e->time_ns;
      p->exit_ns = VIZ_TIME_UNKNOWN;
      if (has) {
        if (tuple_elem(t, 0, &x)) {
          term_text(x, p->behaviour, sizeof p->behaviour);
          if (tuple_elem(t, 1, &y)) term_text(y, p->label, sizeof p->label);
          module_version(t, 2, p->module, sizeof p->module, &p->version);
        } else if (ac_term_type(t) == AC_T_ATOM || ac_term_type(t) == AC_T_BINARY) {
          term_text(t, p->behaviour, sizeof p->behaviour);
        }
      }
      if (!p->label[0]) memcpy(p->label, p->behaviour, sizeof p->label);
      p->is_supervisor = strcmp(p->behaviour, "supervisor") == 0;
      uint32_t v = m->nprocs++;
      index_put(m, &m->pid_index, &m->pid_index_cap, v, proc_key, v);
      break;
    }
    case AC_EV_EXIT: {
      uint32_t p = viz_model_find_pid(m, e->a);
      if (p == VIZ_NONE || m->procs[p].exit_event != VIZ_NONE) break;
      m->procs[p].exit_event = i;
      m->procs[p].exit_ns = e->time_ns;
      m->procs[p].exit_abnormal = has && !reason_is_normal(t);
      if (m->procs[p].exit_abnormal)
        push_u32(m, &m->marks[VIZ_MARK_CRASH], &m->nmarks[VIZ_MARK_CRASH],
                 &m->marks_cap[VIZ_MARK_CRASH], i);
      break;
    }
    case AC_EV_SEND: {
      if (!e->c) break;
      if (grow(m, (void **)&m->msgs, &m->msgs_cap, m->nmsgs + 1, sizeof *m->msgs)) break;
      struct viz_msginfo *mi = &m->msgs[m->nmsgs];
      mi->id = e->c;
      mi->send_event = i;
      mi->deliver_event = VIZ_NONE;
      uint32_t v = m->nmsgs++;
      index_put(m, &m->msg_index, &m->msg_index_cap, v, msg_key, v);
      break;
    }
    case AC_EV_DELIVER: {
      uint32_t s = find_msg(m, e->c);
      if (s != VIZ_NONE && m->msgs[s].deliver_event == VIZ_NONE) m->msgs[s].deliver_event = i;
      break;
    }
    case AC_EV_SUPERVISOR: {
      uint32_t sup = viz_model_find_pid(m, e->a);
      if (sup == VIZ_NONE || !has) break;
      m->procs[sup].is_supervisor = true;
      if (tag_is(t, "supervisor_started")) {
        if (m->procs[sup].sup_started_event == VIZ_NONE) m->procs[sup].sup_started_event = i;
      } else if (tag_is(t, "child_started") && tuple_elem(t, 1, &x)) {
        uint32_t c = child_slot(m, sup, i, x, true);
        uint32_t child = viz_model_find_pid(m, e->b);
        if (child != VIZ_NONE && child != sup && m->procs[child].child_event == VIZ_NONE) {
          m->procs[child].sup = sup;
          m->procs[child].child_event = i;
          m->procs[child].child_slot = c;
        }
      } else if (tag_is(t, "restarting") && tuple_elem(t, 1, &x)) {
        uint32_t c = child_slot(m, sup, i, x, true);
        if (c != VIZ_NONE) {
          viz_child *ch = &m->children[c];
          push_u32(m, &ch->restarts, &ch->nrestarts, &ch->restarts_cap, i);
        }
      }
      break;
    }
    case AC_EV_FAULT: {
      push_u32(m, &m->marks[VIZ_MARK_FAULT], &m->nmarks[VIZ_MARK_FAULT],
               &m->marks_cap[VIZ_MARK_FAULT], i);
      if (!has) break;
      if (tag_is(t, "crash_node") && tuple_elem(t, 1, &x)) {
        char name[VIZ_NAME_MAX];
        term_text(x, name, sizeof name);
        for (uint32_t k = m->nnodes; k-- > 0;) {
          viz_node *n = &m->nodes[k];
          if (n->created_event != VIZ_NONE && n->crash_event == VIZ_NONE &&
              strcmp(n->name, name) == 0) {
            n->crash_event = i;
            break;
          }
        }
      } else if (tag_is(t, "partition") || tag_is(t, "isolate") || tag_is(t, "cut") ||
                 tag_is(t, "heal")) {
        push_u32(m, &m->net_faults, &m->nnet_faults, &m->net_faults_cap, i);
      }
      break;
    }
    case VIZ_EV_PROPERTY:
      push_u32(m, &m->marks[VIZ_MARK_PROPERTY], &m->nmarks[VIZ_MARK_PROPERTY],
               &m->marks_cap[VIZ_MARK_PROPERTY], i);
      break;
    case VIZ_EV_RUN_END:
      push_u32(m, &m->marks[VIZ_MARK_RUN_END], &m->nmarks[VIZ_MARK_RUN_END],
               &m->marks_cap[VIZ_MARK_RUN_END], i);
      break;
    case VIZ_EV_LINKS:
      push_u32(m, &m->links_events, &m->nlinks_events, &m->links_events_cap, i);
      break;
    case VIZ_EV_CODE: {
      uint16_t op = e->flags;
      if (op == VIZ_CODE_LOAD || op == VIZ_CODE_DELETE || (op == VIZ_CODE_PURGE && !e->b) ||
          op == VIZ_CODE_SOFT_PURGED || op == VIZ_CODE_CHANGE_OK || op == VIZ_CODE_CHANGE_FAILED)
        push_u32(m, &m->marks[VIZ_MARK_CODE], &m->nmarks[VIZ_MARK_CODE],
                 &m->marks_cap[VIZ_MARK_CODE], i);
      uint32_t p = viz_model_find_pid(m, e->b);
      if (has && p != VIZ_NONE && !m->procs[p].module[0] && op == VIZ_CODE_CHANGE_OK)
        module_version(t, 0, m->procs[p].module, sizeof m->procs[p].module, NULL);
      break;
    }
    default:
      if (!kind_known(e->kind)) m->unknown_kinds++;
      break;
  }
}

/* ---- Applying one record to a state ------------------------------------------------------ */

/* The process index of pid if it was spawned before the state's position. */
static uint32_t proc_at(const viz_model *m, const viz_state *s, uint64_t pid) {
  uint32_t p = viz_model_find_pid(m, pid);
  return p < s->nprocs ? p : VIZ_NONE;
}

static void ring_push(uint32_t *ring, uint32_t *total, uint32_t ev) {
  ring[*total % VIZ_PROC_MSGS] = ev;
  (*total)++;
}

static void finish(viz_state *s, uint32_t slot, uint32_t state, uint32_t ev) {
  uint32_t k = s->nfinished % VIZ_FINISHED_KEEP;
  s->finished[k] = slot << 3 | state;
  s->finished_end[k] = ev;
  s->nfinished++;
}

/* Removes a message slot from the in-flight list, keeping the order; true if it was there.
 * Slots are numbered in send order and pushed in that order, so the list is sorted: a binary
 * search finds it (a trace may have thousands of messages in flight). */
static bool unfly(viz_state *s, uint32_t slot) {
  uint32_t lo = 0, hi = s->nflying;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (s->flying[mid] < slot)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == s->nflying || s->flying[lo] != slot) return false;
  memmove(&s->flying[lo], &s->flying[lo + 1], (size_t)(s->nflying - lo - 1) * sizeof *s->flying);
  s->nflying--;
  return true;
}

static bool edge_find(const viz_state *s, uint32_t kind, uint32_t from, uint32_t to,
                      uint64_t ref, uint32_t *at) {
  for (uint32_t k = 0; k < s->nedges; k++) {
    const viz_edge *d = &s->edges[k];
    if (d->kind == kind && d->from == from && d->to == to &&
        (kind == VIZ_EDGE_LINK || d->ref == ref)) {
      *at = k;
      return true;
    }
  }
  return false;
}

static void edge_remove(viz_state *s, uint32_t k) {
  memmove(&s->edges[k], &s->edges[k + 1], (size_t)(s->nedges - k - 1) * sizeof *s->edges);
  s->nedges--;
}

/* Removes every edge touching a process (or, with node != VIZ_NONE, any process of that node). */
static void edges_drop(const viz_model *m, viz_state *s, uint32_t proc, uint32_t node) {
  uint32_t w = 0;
  for (uint32_t k = 0; k < s->nedges; k++) {
    const viz_edge *d = &s->edges[k];
    bool gone = node == VIZ_NONE ? (d->from == proc || d->to == proc)
                                 : (m->procs[d->from].node == node || m->procs[d->to].node == node);
    if (!gone) s->edges[w++] = *d;
  }
  s->nedges = w;
}

static int edge_add(viz_model *m, viz_state *s, uint32_t kind, uint32_t from, uint32_t to,
                    uint64_t ref, uint32_t ev) {
  uint32_t at;
  if (edge_find(s, kind, from, to, ref, &at)) return 0;
  if (grow(m, (void **)&s->edges, &s->edges_cap, s->nedges + 1, sizeof *s->edges)) return AC_ENOMEM;
  s->edges[s->nedges++] = (viz_edge){from, to, ref, kind, ev};
  return 0;
}

static void step(viz_state *s, uint32_t p, uint64_t t) {
  if (p != VIZ_NONE) s->procs[p].last_step_ns = t;
}

static int apply(viz_model *m, viz_state *s, uint32_t i) {
  const viz_event *e = &m->ev[i];
  s->pos = i + 1;
  s->time_ns = s->instant_ns = e->time_ns;
  uint32_t pa = VIZ_NONE, pb = VIZ_NONE;
  if (e->kind != AC_EV_NODE && e->kind != AC_EV_NODEUP && e->kind != AC_EV_NODEDOWN &&
      e->kind < 32) {
    pa = proc_at(m, s, e->a);
    if (e->kind != AC_EV_SPAWN) pb = proc_at(m, s, e->b);
  }
  switch (e->kind) {
    case AC_EV_SPAWN: {
      uint32_t p = viz_model_find_pid(m, e->b);
      if (p == VIZ_NONE || m->procs[p].spawn_event != i || p != s->nprocs) break;
      if (grow(m, (void **)&s->procs, &s->procs_cap, p + 1, sizeof *s->procs)) return AC_ENOMEM;
      viz_proc_state *ps = &s->procs[p];
      memset(ps, 0, sizeof *ps);
      ps->last_step_ns = VIZ_TIME_UNKNOWN;
      ps->reg_event = VIZ_NONE;
      ps->version = m->procs[p].version;
      ps->code_event = VIZ_NONE;
      s->nprocs = p + 1;
      step(s, pa, e->time_ns);
      break;
    }
    case AC_EV_EXIT:
      if (pa == VIZ_NONE) break;
      step(s, pa, e->time_ns);
      s->procs[pa].mailbox = 0;
      s->procs[pa].reg_event = VIZ_NONE;
      edges_drop(m, s, pa, VIZ_NONE);
      break;
    case AC_EV_SEND: {
      step(s, pa, e->time_ns);
      if (pa != VIZ_NONE) ring_push(s->procs[pa].msg_out, &s->procs[pa].out_total, i);
      uint32_t slot = find_msg(m, e->c);
      bool remote = (e->flags & 1u) || ac_pid_node((ac_pid){e->b}) != e->node;
      if (remote) {
        if (slot == VIZ_NONE || m->msgs[slot].send_event != i) break;
        if (grow(m, (void **)&s->flying, &s->flying_cap, s->nflying + 1, sizeof *s->flying))
          return AC_ENOMEM;
        s->flying[s->nflying++] = slot;
      } else {
        if (pb != VIZ_NONE) {
          s->procs[pb].mailbox++;
          ring_push(s->procs[pb].msg_in, &s->procs[pb].in_total, i);
        }
        if (slot != VIZ_NONE && m->msgs[slot].send_event == i)
          finish(s, slot, VIZ_FLIGHT_DELIVERED, i);
      }
      break;
    }
    case AC_EV_DELIVER: {
      if (pb != VIZ_NONE) {
        s->procs[pb].mailbox++;
        ring_push(s->procs[pb].msg_in, &s->procs[pb].in_total, i);
      }
      uint32_t slot = find_msg(m, e->c);
      if (slot != VIZ_NONE && unfly(s, slot)) finish(s, slot, VIZ_FLIGHT_DELIVERED, i);
      break;
    }
    case AC_EV_RECEIVE:
      step(s, pa, e->time_ns);
      if (pa != VIZ_NONE && s->procs[pa].mailbox) s->procs[pa].mailbox--;
      break;
    case AC_EV_SEND_DEAD: {
      uint32_t slot = find_msg(m, e->c);
      if (slot == VIZ_NONE) break;
      if (!unfly(s, slot)) {
        /* A local send counted in the receiver's mailbox at once: take it back. */
        const viz_event *se =
            m->msgs[slot].send_event < i ? &m->ev[m->msgs[slot].send_event] : NULL;
        uint32_t to = se ? proc_at(m, s, se->b) : VIZ_NONE;
        if (to != VIZ_NONE && s->procs[to].mailbox) s->procs[to].mailbox--;
      }
      finish(s, slot, VIZ_FLIGHT_DEAD, i);
      break;
    }
    case AC_EV_NET_DROP: {
      uint32_t slot = find_msg(m, e->c);
      if (slot == VIZ_NONE) break;
      unfly(s, slot);
      finish(s, slot, VIZ_FLIGHT_DROPPED, i);
      break;
    }
    case AC_EV_NET_DUP: {
      uint32_t slot = find_msg(m, e->c);
      if (slot != VIZ_NONE) finish(s, slot, VIZ_FLIGHT_DUPLICATED, i);
      break;
    }
    case AC_EV_LINK:
    case AC_EV_UNLINK: {
      step(s, pa, e->time_ns);
      if (pa == VIZ_NONE || pb == VIZ_NONE || pa == pb) break;
      uint32_t lo = pa < pb ? pa : pb, hi = pa < pb ? pb : pa, at;
      if (e->kind == AC_EV_LINK) {
        if (edge_add(m, s, VIZ_EDGE_LINK, lo, hi, 0, i)) return AC_ENOMEM;
      } else if (edge_find(s, VIZ_EDGE_LINK, lo, hi, 0, &at)) {
        edge_remove(s, at);
      }
      break;
    }
    case AC_EV_MONITOR:
      step(s, pa, e->time_ns);
      if (pa != VIZ_NONE && pb != VIZ_NONE && edge_add(m, s, VIZ_EDGE_MONITOR, pa, pb, e->c, i))
        return AC_ENOMEM;
      break;
    case AC_EV_DEMONITOR:
    case AC_EV_DOWN: {
      if (e->kind == AC_EV_DEMONITOR) step(s, pa, e->time_ns);
      uint32_t at;
      if (pa != VIZ_NONE && pb != VIZ_NONE && edge_find(s, VIZ_EDGE_MONITOR, pa, pb, e->c, &at))
        edge_remove(s, at);
      break;
    }
    case AC_EV_REGISTER:
      step(s, pa, e->time_ns);
      if (pa != VIZ_NONE) s->procs[pa].reg_event = i;
      break;
    case AC_EV_UNREGISTER:
      step(s, pa, e->time_ns);
      if (pa != VIZ_NONE) s->procs[pa].reg_event = VIZ_NONE;
      break;
    case AC_EV_TRAP_EXIT:
      step(s, pa, e->time_ns);
      if (pa == VIZ_NONE) break;
      if (e->flags & 1u)
        s->procs[pa].flags |= VIZ_PROC_TRAP;
      else
        s->procs[pa].flags &= ~(uint32_t)VIZ_PROC_TRAP;
      break;
    case AC_EV_TIMEOUT:
    case AC_EV_TIMER_START:
    case AC_EV_TIMER_CANCEL:
    case AC_EV_SUPERVISOR:
    case AC_EV_NOTE:
      step(s, pa, e->time_ns);
      break;
    case AC_EV_FAULT: {
      ac_term t, x;
      if (!term_of(m, i, &t)) break;
      uint32_t p = proc_at(m, s, e->a);
      if (p == VIZ_NONE && tuple_elem(t, 1, &x)) {
        ac_pid pid;
        if (ac_term_get_pid(x, &pid) == 0) p = proc_at(m, s, pid.bits);
      }
      if (tag_is(t, "crash_node")) {
        for (uint32_t k = 0; k < m->nnodes; k++)
          if (m->nodes[k].crash_event == i) edges_drop(m, s, VIZ_NONE, k);
      } else if (p != VIZ_NONE && tag_is(t, "pause")) {
        s->procs[p].flags |= VIZ_PROC_PAUSED;
      } else if (p != VIZ_NONE && tag_is(t, "resume")) {
        s->procs[p].flags &= ~(uint32_t)VIZ_PROC_PAUSED;
      } else if (p != VIZ_NONE && tag_is(t, "slow")) {
        int64_t extra = 0;
        if (tuple_elem(t, 2, &x)) ac_term_get_int(x, &extra);
        if (extra > 0)
          s->procs[p].flags |= VIZ_PROC_SLOWED;
        else
          s->procs[p].flags &= ~(uint32_t)VIZ_PROC_SLOWED;
      }
      break;
    }
    case VIZ_EV_CODE: {
      /* a and b are pids here too, but the kind is past the runtime's range above. */
      step(s, proc_at(m, s, e->a), e->time_ns);
      uint32_t p = proc_at(m, s, e->b);
      if (p == VIZ_NONE) break;
      viz_proc_state *ps = &s->procs[p];
      ac_term t, x;
      int64_t v;
      if (e->flags == VIZ_CODE_SUSPEND) {
        ps->flags |= VIZ_PROC_SUSPENDED;
      } else if (e->flags == VIZ_CODE_RESUME) {
        ps->flags &= ~(uint32_t)VIZ_PROC_SUSPENDED;
      } else if (e->flags == VIZ_CODE_CHANGE_OK || e->flags == VIZ_CODE_CHANGE_FAILED) {
        ps->code_event = i;
        if (e->flags == VIZ_CODE_CHANGE_OK && term_of(m, i, &t) && tuple_elem(t, 1, &x) &&
            ac_term_get_int(x, &v) == 0 && v > 0 && v <= UINT32_MAX)
          ps->version = (uint32_t)v;
      }
      break;
    }
    default:
      break;
  }
  return 0;
}

/* ---- Snapshots --------------------------------------------------------------------------- */

static void snapshot_take(viz_model *m) {
  if (grow(m, (void **)&m->snaps, &m->snaps_cap, m->nsnaps + 1, sizeof *m->snaps)) return;
  viz_state *st = &m->snaps[m->nsnaps].st;
  memset(st, 0, sizeof *st);
  if (state_copy(m, st, &m->head, true)) return;
  m->nsnaps++;
  uint64_t bytes = state_bytes(&m->head);
  m->snap_bytes += bytes;
  uint64_t spacing = bytes / sizeof(viz_event);
  m->spacing = (uint32_t)(spacing < SPACING_MIN ? SPACING_MIN
                          : spacing > SPACING_MAX ? SPACING_MAX
                                                  : spacing);
  m->since_snap = 0;
}

/* ---- Building ---------------------------------------------------------------------------- */

void viz_model_init(viz_model *m) {
  memset(m, 0, sizeof *m);
  state_reset(&m->head);
  state_reset(&m->cur);
  m->spacing = SPACING_MIN;
}

void viz_model_free(viz_model *m) {
  free(m->ev);
  free(m->arena);
  free(m->nodes);
  free(m->procs);
  free(m->pid_index);
  free(m->msgs);
  free(m->msg_index);
  for (uint32_t i = 0; i < m->nchildren; i++) free(m->children[i].restarts);
  free(m->children);
  free(m->child_index);
  for (int k = 0; k < VIZ_MARK_KINDS; k++) free(m->marks[k]);
  free(m->links_events);
  free(m->net_faults);
  state_free(&m->head);
  state_free(&m->cur);
  for (uint32_t i = 0; i < m->nsnaps; i++) state_free(&m->snaps[i].st);
  free(m->snaps);
  viz_model_init(m);
}

int viz_model_append(viz_model *m, const sim_record *rec) {
  if (m->err) return m->err;
  if (rec->kind == SIM_REC_END) return 0;
  if (m->count == UINT32_MAX - 1) return m->err = AC_ENOMEM;
  if (grow(m, (void **)&m->ev, &m->ev_cap, m->count + 1, sizeof *m->ev)) return m->err;
  viz_event *e = &m->ev[m->count];
  memset(e, 0, sizeof *e);
  e->time_ns = rec->time_ns;
  e->a = rec->a, e->b = rec->b, e->c = rec->c;
  e->node = rec->node;
  e->kind = rec->kind;
  e->flags = rec->flags;
  e->payload_off = m->arena_len;
  ac_term t;
  if (rec->payload_size && rec->payload) {
    if (ac_term_validate(rec->payload, rec->payload_size, &t) != 0) {
      m->bad_payloads++;
    } else {
      if (m->arena_len + rec->payload_size > m->arena_cap) {
        uint64_t cap = m->arena_cap ? m->arena_cap : 65536;
        while (cap < m->arena_len + rec->payload_size) cap *= 2;
        uint8_t *a = realloc(m->arena, (size_t)cap);
        if (!a) return m->err = AC_ENOMEM;
        m->arena = a;
        m->arena_cap = cap;
      }
      memcpy(m->arena + m->arena_len, rec->payload, rec->payload_size);
      m->arena_len += rec->payload_size;
      e->payload_size = rec->payload_size;
    }
  }
  uint32_t i = m->count++;
  learn(m, i);
  if (apply(m, &m->head, i)) return m->err = AC_ENOMEM;
  if (++m->since_snap >= m->spacing) snapshot_take(m);
  return m->err;
}

int viz_model_load(viz_model *m, const char *path, char *err, size_t err_cap) {
  sim_trace_reader r;
  sim_record rec;
  int rc = sim_trace_reader_open(&r, path);
  if (rc == 0) viz_model_set_header(m, r.name, r.seed);
  while (rc == 0) {
    rc = sim_trace_reader_next(&r, &rec);
    if (rc == 1) {
      rc = viz_model_append(m, &rec);
      if (rc) snprintf(r.error, sizeof r.error, "%s: %s", path, ac_strerror(rc));
    } else if (rc == 0) {
      break;
    }
  }
  if (rc && err && err_cap) snprintf(err, err_cap, "%s", r.error);
  sim_trace_reader_close(&r);
  int rs = viz_model_seek(m, 0);
  return rc ? rc : rs;
}

void viz_model_set_header(viz_model *m, const char *scenario, uint64_t seed) {
  snprintf(m->scenario, sizeof m->scenario, "%s", scenario);
  m->seed = seed;
}

/* ---- Time and the cursor ----------------------------------------------------------------- */

uint32_t viz_model_count(const viz_model *m) { return m->count; }
uint64_t viz_model_first_ns(const viz_model *m) { return m->count ? m->ev[0].time_ns : 0; }
uint64_t viz_model_last_ns(const viz_model *m) {
  return m->count ? m->ev[m->count - 1].time_ns : 0;
}

uint64_t viz_model_fade_ns(const viz_model *m) {
  uint64_t t0 = viz_model_first_ns(m), t1 = viz_model_last_ns(m);
  uint64_t w = (t1 > t0 ? t1 - t0 : 1) / 40;
  return w ? w : 1;
}

uint32_t viz_model_index_after(const viz_model *m, uint64_t t_ns) {
  uint32_t lo = 0, hi = m->count;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (m->ev[mid].time_ns <= t_ns)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* First record index with time >= t_ns. */
static uint32_t index_at(const viz_model *m, uint64_t t_ns) {
  uint32_t lo = 0, hi = m->count;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (m->ev[mid].time_ns < t_ns)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

int viz_model_seek(viz_model *m, uint32_t pos) {
  if (pos > m->count) pos = m->count;
  viz_state *s = &m->cur;
  /* The nearest snapshot at or before pos (snapshot positions increase). */
  uint32_t lo = 0, hi = m->nsnaps;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (m->snaps[mid].st.pos <= pos)
      lo = mid + 1;
    else
      hi = mid;
  }
  uint32_t base = lo ? m->snaps[lo - 1].st.pos : 0;
  if (pos == m->head.pos) {
    if (state_copy(m, s, &m->head, false)) return AC_ENOMEM;
  } else if (!(s->pos <= pos && s->pos >= base)) {
    if (lo) {
      if (state_copy(m, s, &m->snaps[lo - 1].st, false)) return AC_ENOMEM;
    } else {
      state_reset(s);
    }
  }
  while (s->pos < pos)
    if (apply(m, s, s->pos)) return AC_ENOMEM;
  if (pos == 0) state_reset(s);
  s->time_ns = pos ? m->ev[pos - 1].time_ns : 0;
  s->instant_ns = pos ? m->ev[pos - 1].time_ns : VIZ_TIME_UNKNOWN;
  return 0;
}

int viz_model_seek_time(viz_model *m, uint64_t t_ns) {
  int rc = viz_model_seek(m, viz_model_index_after(m, t_ns));
  m->cur.time_ns = t_ns;
  return rc;
}

uint32_t viz_model_pos(const viz_model *m) { return m->cur.pos; }
uint64_t viz_model_time(const viz_model *m) { return m->cur.time_ns; }

/* ---- Records ----------------------------------------------------------------------------- */

const viz_event *viz_model_event(const viz_model *m, uint32_t i) {
  return i < m->count ? &m->ev[i] : NULL;
}

int viz_model_payload(const viz_model *m, uint32_t i, ac_term *out) {
  if (i >= m->count || !m->ev[i].payload_size) return AC_ENOTFOUND;
  out->p = m->arena + m->ev[i].payload_off; /* validated when appended */
  return 0;
}

size_t viz_model_print_payload(const viz_model *m, uint32_t i, char *buf, size_t cap) {
  ac_term t;
  if (!cap) return 0;
  buf[0] = '\0';
  if (viz_model_payload(m, i, &t)) return 0;
  size_t n = ac_term_print(t, buf, cap);
  if (n >= cap) {
    n = cap - 1;
    if (cap >= 4) memcpy(buf + cap - 4, "...", 3);
  }
  return n;
}

size_t viz_model_format_event(const viz_model *m, uint32_t i, char *buf, size_t cap) {
  if (i >= m->count) {
    if (cap) buf[0] = '\0';
    return 0;
  }
  const viz_event *e = &m->ev[i];
  sim_record r = {e->kind, e->flags, e->payload_size, e->time_ns, e->node, e->a, e->b, e->c,
                  e->payload_size ? m->arena + e->payload_off : NULL};
  return sim_format_record(&r, buf, cap);
}

/* ---- Nodes ------------------------------------------------------------------------------- */

uint32_t viz_model_node_count(const viz_model *m) { return m->nnodes; }

const viz_node *viz_model_node(const viz_model *m, uint32_t index) {
  if (index >= m->nnodes) return NULL;
  const viz_node *n = &m->nodes[index];
  return n->created_event != VIZ_NONE && n->created_event < m->cur.pos ? n : NULL;
}

bool viz_model_node_up(const viz_model *m, uint32_t index) {
  const viz_node *n = viz_model_node(m, index);
  return n && !(n->crash_event != VIZ_NONE && n->crash_event < m->cur.pos);
}

static bool node_crashed(const viz_model *m, uint32_t index) {
  return index < m->nnodes && m->nodes[index].crash_event != VIZ_NONE &&
         m->nodes[index].crash_event < m->cur.pos;
}

/* ---- Processes --------------------------------------------------------------------------- */

uint32_t viz_model_proc_count(const viz_model *m) { return m->cur.nprocs; }

const viz_proc *viz_model_proc(const viz_model *m, uint32_t i) {
  return i < m->nprocs ? &m->procs[i] : NULL;
}

const viz_proc_state *viz_model_proc_state(const viz_model *m, uint32_t i) {
  return i < m->cur.nprocs ? &m->cur.procs[i] : NULL;
}

bool viz_model_proc_dead(const viz_model *m, uint32_t i, uint64_t *time_ns) {
  if (i >= m->cur.nprocs) return false;
  const viz_proc *p = &m->procs[i];
  uint64_t when = VIZ_TIME_UNKNOWN;
  if (p->exit_event < m->cur.pos) when = p->exit_ns;
  if (node_crashed(m, p->node)) {
    uint64_t t = m->ev[m->nodes[p->node].crash_event].time_ns;
    if (t < when) when = t;
  }
  if (when == VIZ_TIME_UNKNOWN) return false;
  if (time_ns) *time_ns = when;
  return true;
}

void viz_model_set_recent(viz_model *m, uint64_t ns) { m->recent_ns = ns; }

uint32_t viz_model_proc_flags(const viz_model *m, uint32_t i) {
  if (i >= m->cur.nprocs) return 0;
  const viz_proc_state *ps = &m->cur.procs[i];
  uint32_t f = 0;
  if (node_crashed(m, m->procs[i].node)) f |= VIZ_PROC_NODE_DOWN;
  if (viz_model_proc_dead(m, i, NULL)) return f;
  f |= VIZ_PROC_ALIVE |
       (ps->flags & (VIZ_PROC_TRAP | VIZ_PROC_PAUSED | VIZ_PROC_SLOWED | VIZ_PROC_SUSPENDED));
  /* Virtual time moves on only when every process waits, so a cursor past the instant of the
   * last record applied (between two records) finds everyone waiting; at that instant, the
   * processes with a record in it are the ones that ran. */
  bool at_instant = m->cur.instant_ns != VIZ_TIME_UNKNOWN && m->cur.time_ns == m->cur.instant_ns &&
                    ps->last_step_ns == m->cur.instant_ns;
  bool recent = m->recent_ns > 0 && ps->last_step_ns != VIZ_TIME_UNKNOWN &&
                ps->last_step_ns <= m->cur.time_ns && m->cur.time_ns - ps->last_step_ns <= m->recent_ns;
  if (at_instant || recent)
    f |= VIZ_PROC_RUNNING;
  else if (!(f & VIZ_PROC_PAUSED))
    f |= VIZ_PROC_WAITING;
  return f;
}

size_t viz_model_proc_reason(const viz_model *m, uint32_t i, char *buf, size_t cap) {
  if (cap) buf[0] = '\0';
  if (i >= m->cur.nprocs) return 0;
  const viz_proc *p = &m->procs[i];
  if (p->exit_event < m->cur.pos) return viz_model_print_payload(m, p->exit_event, buf, cap);
  if (node_crashed(m, p->node)) return (size_t)snprintf(buf, cap, "%s", "node crashed");
  return 0;
}

size_t viz_model_proc_name(const viz_model *m, uint32_t i, char *buf, size_t cap) {
  ac_term t;
  if (cap) buf[0] = '\0';
  if (i >= m->cur.nprocs || !cap) return 0;
  uint32_t r = m->cur.procs[i].reg_event;
  if (r == VIZ_NONE || !term_of(m, r, &t)) return 0;
  return term_text(t, buf, cap);
}

size_t viz_model_proc_display(const viz_model *m, uint32_t i, char *buf, size_t cap) {
  size_t n = viz_model_proc_name(m, i, buf, cap);
  if (n || i >= m->nprocs) return n;
  const viz_proc *p = &m->procs[i];
  return (size_t)snprintf(buf, cap, "%s", p->label[0] ? p->label : p->behaviour);
}

size_t viz_model_proc_code(const viz_model *m, uint32_t i, char *buf, size_t cap) {
  if (cap) buf[0] = '\0';
  if (i >= m->cur.nprocs || !cap) return 0;
  const viz_proc *p = &m->procs[i];
  uint32_t v = m->cur.procs[i].version;
  if (!p->module[0] || !v) return 0;
  int n = snprintf(buf, cap, "%s v%u", p->module, v);
  return n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
}

size_t viz_code_text(uint16_t op, uint64_t proc, ac_term payload, bool has_payload, char *buf,
                     size_t cap) {
  static const char *const ops[] = {"code", "load", "delete", "purge", "soft_purge refused",
                                    "soft_purge", "suspend", "resume", "code_change",
                                    "code_change", "load refused"};
  char mod[VIZ_NAME_MAX] = "?", detail[96] = "", pid[40] = "";
  uint32_t v = 0;
  ac_term d;
  if (cap) buf[0] = '\0';
  if (!cap) return 0;
  if (has_payload) {
    module_version(payload, 0, mod, sizeof mod, &v);
    if (tuple_elem(payload, 2, &d)) term_text(d, detail, sizeof detail);
  }
  if (proc) {
    ac_pid p = {proc};
    snprintf(pid, sizeof pid, "<%u.%u.%u>", ac_pid_node(p), ac_pid_slot(p), ac_pid_gen(p));
  }
  const char *what = op < sizeof ops / sizeof ops[0] ? ops[op] : "code";
  int n;
  if (op == VIZ_CODE_SUSPEND || op == VIZ_CODE_RESUME)
    n = snprintf(buf, cap, "%s%s%s (%s v%u)", what, proc ? " " : "", pid, mod, v);
  else if (op == VIZ_CODE_CHANGE_OK || op == VIZ_CODE_CHANGE_FAILED)
    n = snprintf(buf, cap, "%s%s%s %s v%u%s%s", what, proc ? " " : "", pid, mod, v,
                 op == VIZ_CODE_CHANGE_FAILED ? " failed: " : "",
                 op == VIZ_CODE_CHANGE_FAILED ? detail : "");
  else
    n = snprintf(buf, cap, "%s %s v%u%s%s", what, mod, v,
                 !proc ? "" : op == VIZ_CODE_PURGE ? " killed " : " of ", pid);
  return n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
}

size_t viz_model_code_text(const viz_model *m, uint32_t i, char *buf, size_t cap) {
  ac_term t = {NULL};
  if (cap) buf[0] = '\0';
  if (i >= m->count || m->ev[i].kind != VIZ_EV_CODE) return 0;
  bool has = term_of(m, i, &t);
  return viz_code_text(m->ev[i].flags, m->ev[i].b, t, has, buf, cap);
}

uint32_t viz_model_proc_msgs(const viz_model *m, uint32_t i, bool out, viz_msg *msgs,
                             uint32_t cap) {
  if (i >= m->cur.nprocs) return 0;
  const viz_proc_state *ps = &m->cur.procs[i];
  const uint32_t *ring = out ? ps->msg_out : ps->msg_in;
  uint32_t total = out ? ps->out_total : ps->in_total;
  uint32_t n = total < VIZ_PROC_MSGS ? total : VIZ_PROC_MSGS;
  if (n > cap) n = cap;
  for (uint32_t k = 0; k < n; k++) {
    uint32_t ev = ring[(total - 1 - k) % VIZ_PROC_MSGS];
    const viz_event *e = &m->ev[ev];
    msgs[k].event = ev;
    msgs[k].id = e->c;
    msgs[k].peer = out ? e->b : e->a;
    msgs[k].time_ns = e->time_ns;
  }
  return n;
}

static void pid_text(uint64_t bits, char *buf, size_t cap) {
  ac_pid p = {bits};
  snprintf(buf, cap, "<%u.%u.%u>", ac_pid_node(p), ac_pid_slot(p), ac_pid_gen(p));
}

uint32_t viz_model_search(const viz_model *m, const char *text, uint32_t *out, uint32_t cap) {
  uint32_t found = 0;
  if (!text || !text[0]) return 0;
  for (int pass = 0; pass < 2; pass++) {
    for (uint32_t i = 0; i < m->cur.nprocs; i++) {
      bool alive = (viz_model_proc_flags(m, i) & VIZ_PROC_ALIVE) != 0;
      if (alive != (pass == 0)) continue;
      char name[VIZ_NAME_MAX], pid[48];
      viz_model_proc_name(m, i, name, sizeof name);
      pid_text(m->procs[i].pid, pid, sizeof pid);
      if (strstr(name, text) || strstr(m->procs[i].label, text) || strstr(pid, text)) {
        if (found < cap) out[found] = i;
        found++;
      }
    }
  }
  return found;
}

/* ---- Links and monitors ------------------------------------------------------------------ */

const viz_edge *viz_model_edges(const viz_model *m, uint32_t *count) {
  *count = m->cur.nedges;
  return m->cur.edges;
}

/* ---- Supervisors ------------------------------------------------------------------------- */

/* Restarts of a child slot applied at the cursor (binary search over its event indices). */
static uint32_t restarts_before(const viz_child *ch, uint32_t pos) {
  uint32_t lo = 0, hi = ch->nrestarts;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (ch->restarts[mid] < pos)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

int viz_model_restart_info(const viz_model *m, uint32_t child, viz_restart_info *out) {
  memset(out, 0, sizeof *out);
  out->intensity = -1;
  if (child >= m->nprocs) return AC_ENOTFOUND;
  const viz_proc *p = &m->procs[child];
  if (p->child_slot == VIZ_NONE || p->child_event >= m->cur.pos) return AC_ENOTFOUND;
  const viz_child *ch = &m->children[p->child_slot];
  out->sup = ch->sup;
  out->restarts = restarts_before(ch, m->cur.pos);
  ac_term t, x;
  if (term_of(m, ch->id_event, &t) && tuple_elem(t, 1, &x))
    term_text(x, out->child_id, sizeof out->child_id);
  uint32_t se = m->procs[ch->sup].sup_started_event;
  if (se != VIZ_NONE && se < m->cur.pos && term_of(m, se, &t)) {
    int64_t v;
    if (tuple_elem(t, 1, &x)) term_text(x, out->strategy, sizeof out->strategy);
    if (tuple_elem(t, 2, &x) && ac_term_get_int(x, &v) == 0) out->intensity = v;
    if (tuple_elem(t, 3, &x) && ac_term_get_int(x, &v) == 0 && v > 0) out->period_ns = (uint64_t)v;
  }
  uint64_t now = m->cur.time_ns;
  uint64_t from = out->period_ns && now > out->period_ns ? now - out->period_ns : 0;
  for (uint32_t k = out->restarts; k-- > 0;) {
    if (m->ev[ch->restarts[k]].time_ns < from) break;
    out->in_period++;
  }
  return 0;
}

uint32_t viz_model_restart_times(const viz_model *m, uint32_t child, uint64_t *times_ns,
                                 uint32_t cap) {
  if (child >= m->nprocs || m->procs[child].child_slot == VIZ_NONE) return 0;
  const viz_child *ch = &m->children[m->procs[child].child_slot];
  uint32_t n = restarts_before(ch, m->cur.pos);
  for (uint32_t k = 0; k < n && k < cap; k++) times_ns[k] = m->ev[ch->restarts[k]].time_ns;
  return n;
}

/* ---- Messages ---------------------------------------------------------------------------- */

static void flight_fill(const viz_model *m, uint32_t slot, uint32_t state, uint32_t end,
                        viz_flight *f) {
  const struct viz_msginfo *mi = &m->msgs[slot];
  const viz_event *se = &m->ev[mi->send_event];
  memset(f, 0, sizeof *f);
  f->id = mi->id;
  f->from = se->a;
  f->to = se->b;
  f->from_node = se->node;
  f->named = (se->flags & 1u) != 0;
  f->send_event = mi->send_event;
  f->send_ns = se->time_ns;
  f->state = state;
  f->end_event = end;
  f->end_ns = end == VIZ_NONE ? VIZ_TIME_UNKNOWN : m->ev[end].time_ns;
  f->arrive_ns = VIZ_TIME_UNKNOWN;
  if (mi->deliver_event != VIZ_NONE) {
    f->arrive_ns = m->ev[mi->deliver_event].time_ns;
    if (!f->to) f->to = m->ev[mi->deliver_event].b;
  } else if (state == VIZ_FLIGHT_DELIVERED) {
    f->arrive_ns = f->end_ns;
  }
  if (state == VIZ_FLIGHT_DROPPED) f->drop_why = m->ev[end].flags;
  f->to_node = f->to ? ac_pid_node((ac_pid){f->to}) : VIZ_NONE;
  ac_term t, x;
  if (!f->to && f->named && term_of(m, mi->send_event, &t) && tuple_elem(t, 1, &x)) {
    char name[VIZ_NAME_MAX];
    term_text(x, name, sizeof name);
    f->to_node = node_by_name(m, name, m->cur.pos);
  }
}

uint32_t viz_model_flights(const viz_model *m, uint64_t keep_ns, viz_flight *out, uint32_t cap) {
  const viz_state *s = &m->cur;
  uint32_t n = 0;
  for (uint32_t k = 0; k < s->nflying; k++, n++)
    if (n < cap) flight_fill(m, s->flying[k], VIZ_FLIGHT_IN_FLIGHT, VIZ_NONE, &out[n]);
  uint32_t kept = s->nfinished < VIZ_FINISHED_KEEP ? s->nfinished : VIZ_FINISHED_KEEP;
  uint64_t from = s->time_ns > keep_ns ? s->time_ns - keep_ns : 0;
  for (uint32_t k = 0; k < kept; k++) {
    uint32_t r = (s->nfinished - kept + k) % VIZ_FINISHED_KEEP;
    uint32_t end = s->finished_end[r];
    if (m->ev[end].time_ns < from) continue;
    if (n < cap) flight_fill(m, s->finished[r] >> 3, s->finished[r] & 7u, end, &out[n]);
    n++;
  }
  return n;
}

uint32_t viz_model_flying_count(const viz_model *m) { return m->cur.nflying; }

/* ---- Network ----------------------------------------------------------------------------- */

uint32_t viz_model_net_pairs(const viz_model *m, bool flaky, viz_netpair *out, uint32_t cap) {
  uint32_t lo = 0, hi = m->nlinks_events;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (m->links_events[mid] < m->cur.pos)
      lo = mid + 1;
    else
      hi = mid;
  }
  ac_term t, list;
  if (!lo || !term_of(m, m->links_events[lo - 1], &t) || !tuple_elem(t, flaky ? 1 : 0, &list))
    return 0;
  if (ac_term_type(list) != AC_T_LIST) return 0;
  uint32_t n = 0, count = ac_term_count(list);
  ac_term e = ac_term_first(list);
  for (uint32_t k = 0; k < count; k++, e = ac_term_next(e)) {
    ac_term f, to;
    if (!tuple_elem(e, 0, &f) || !tuple_elem(e, 1, &to)) continue;
    if (n < cap) {
      viz_netpair *p = &out[n];
      term_text(f, p->from, sizeof p->from);
      term_text(to, p->to, sizeof p->to);
      p->from_node = node_by_name(m, p->from, m->cur.pos);
      p->to_node = node_by_name(m, p->to, m->cur.pos);
      p->from_machine = p->from_node == VIZ_NONE ? VIZ_NONE : m->nodes[p->from_node].machine;
      p->to_machine = p->to_node == VIZ_NONE ? VIZ_NONE : m->nodes[p->to_node].machine;
    }
    n++;
  }
  return n;
}

uint32_t viz_model_partition_event(const viz_model *m) {
  for (uint32_t k = m->nnet_faults; k-- > 0;) {
    uint32_t i = m->net_faults[k];
    ac_term t;
    if (i >= m->cur.pos || !term_of(m, i, &t)) continue;
    if (ac_term_is_atom(t, "heal")) return VIZ_NONE;
    if (tag_is(t, "heal")) continue; /* a partial heal: the earlier fault still describes it */
    return i;
  }
  return VIZ_NONE;
}

/* ---- Timeline ---------------------------------------------------------------------------- */

const uint32_t *viz_model_marks(const viz_model *m, viz_mark_kind kind, uint32_t *count) {
  if ((unsigned)kind >= VIZ_MARK_KINDS) {
    *count = 0;
    return NULL;
  }
  *count = m->nmarks[kind];
  return m->marks[kind];
}

/* First mark index >= pos in a kind's list. */
static uint32_t mark_lower(const viz_model *m, viz_mark_kind kind, uint32_t pos) {
  uint32_t lo = 0, hi = m->nmarks[kind];
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (m->marks[kind][mid] < pos)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

uint32_t viz_model_mark_next(const viz_model *m, viz_mark_kind kind) {
  if ((unsigned)kind >= VIZ_MARK_KINDS) return VIZ_NONE;
  uint32_t k = mark_lower(m, kind, m->cur.pos);
  return k < m->nmarks[kind] ? m->marks[kind][k] : VIZ_NONE;
}

uint32_t viz_model_mark_prev(const viz_model *m, viz_mark_kind kind) {
  if ((unsigned)kind >= VIZ_MARK_KINDS || m->cur.pos < 2) return VIZ_NONE;
  uint32_t k = mark_lower(m, kind, m->cur.pos - 1);
  return k ? m->marks[kind][k - 1] : VIZ_NONE;
}

void viz_model_density(const viz_model *m, uint64_t t0_ns, uint64_t t1_ns, uint32_t *counts,
                       uint32_t buckets) {
  if (!buckets) return;
  memset(counts, 0, (size_t)buckets * sizeof *counts);
  if (t1_ns <= t0_ns) return;
  uint64_t span = t1_ns - t0_ns, q = span / buckets, r = span % buckets;
  uint32_t prev = index_at(m, t0_ns);
  for (uint32_t k = 0; k < buckets; k++) {
    uint64_t end = t0_ns + q * (k + 1) + r * (k + 1) / buckets;
    uint32_t next = index_at(m, end);
    counts[k] = next - prev;
    prev = next;
  }
}

uint32_t viz_model_recent_crashes(const viz_model *m, uint64_t window_ns, uint32_t *events,
                                  uint32_t cap) {
  uint32_t end = mark_lower(m, VIZ_MARK_CRASH, m->cur.pos);
  uint64_t from = m->cur.time_ns > window_ns ? m->cur.time_ns - window_ns : 0;
  uint32_t start = end;
  while (start > 0 && m->ev[m->marks[VIZ_MARK_CRASH][start - 1]].time_ns >= from) start--;
  for (uint32_t k = start; k < end && k - start < cap; k++)
    events[k - start] = m->marks[VIZ_MARK_CRASH][k];
  return end - start;
}

size_t viz_model_property_text(const viz_model *m, uint32_t i, char *name, size_t name_cap,
                               char *message, size_t message_cap) {
  ac_term t, x;
  if (name_cap) name[0] = '\0';
  if (message_cap) message[0] = '\0';
  if (i >= m->count || m->ev[i].kind != VIZ_EV_PROPERTY || !term_of(m, i, &t)) return 0;
  if (tuple_elem(t, 1, &x)) term_text(x, message, message_cap);
  if (tuple_elem(t, 0, &x)) return term_text(x, name, name_cap);
  return term_text(t, name, name_cap);
}

/* ---- Aggregates -------------------------------------------------------------------------- */

void viz_model_count_per_node(const viz_model *m, uint32_t *counts, uint32_t cap) {
  memset(counts, 0, (size_t)cap * sizeof *counts);
  for (uint32_t i = 0; i < m->cur.nprocs; i++)
    if (m->procs[i].node < cap && (viz_model_proc_flags(m, i) & VIZ_PROC_ALIVE))
      counts[m->procs[i].node]++;
}

void viz_model_subtree_sizes(const viz_model *m, uint32_t *sizes, uint32_t cap) {
  uint32_t n = m->cur.nprocs < cap ? m->cur.nprocs : cap;
  for (uint32_t i = 0; i < cap; i++)
    sizes[i] = i < n && (viz_model_proc_flags(m, i) & VIZ_PROC_ALIVE) ? 1 : 0;
  /* A child is spawned after its supervisor: adding in reverse spawn order sums subtrees. */
  for (uint32_t i = n; i-- > 0;) {
    const viz_proc *p = &m->procs[i];
    if (p->child_event >= m->cur.pos || p->sup >= n || p->sup >= i) continue;
    sizes[p->sup] += sizes[i];
  }
}

void viz_model_node_traffic(const viz_model *m, uint64_t window_ns, uint32_t *matrix,
                            uint32_t n) {
  memset(matrix, 0, (size_t)n * n * sizeof *matrix);
  uint64_t from = m->cur.time_ns > window_ns ? m->cur.time_ns - window_ns : 0;
  for (uint32_t i = index_at(m, from); i < m->cur.pos; i++) {
    const viz_event *e = &m->ev[i];
    if (e->kind != AC_EV_SEND) continue;
    uint32_t f = e->node, t = e->b ? ac_pid_node((ac_pid){e->b}) : VIZ_NONE;
    if (!e->b) {
      uint32_t slot = find_msg(m, e->c);
      if (slot != VIZ_NONE && m->msgs[slot].deliver_event != VIZ_NONE &&
          m->msgs[slot].deliver_event < m->cur.pos)
        t = m->ev[m->msgs[slot].deliver_event].node;
    }
    if (f < n && t < n) matrix[(size_t)f * n + t]++;
  }
}

/* ---- Accounting -------------------------------------------------------------------------- */

uint64_t viz_model_memory_bytes(const viz_model *m) {
  uint64_t b = sizeof *m;
  b += (uint64_t)m->ev_cap * sizeof *m->ev + m->arena_cap;
  b += (uint64_t)m->nnodes * sizeof *m->nodes;
  b += (uint64_t)m->procs_cap * sizeof *m->procs + (uint64_t)m->pid_index_cap * 4;
  b += (uint64_t)m->msgs_cap * sizeof *m->msgs + (uint64_t)m->msg_index_cap * 4;
  b += (uint64_t)m->children_cap * sizeof *m->children + (uint64_t)m->child_index_cap * 4;
  for (uint32_t i = 0; i < m->nchildren; i++) b += (uint64_t)m->children[i].restarts_cap * 4;
  for (int k = 0; k < VIZ_MARK_KINDS; k++) b += (uint64_t)m->marks_cap[k] * 4;
  b += (uint64_t)(m->links_events_cap + m->net_faults_cap) * 4;
  const viz_state *st[2] = {&m->head, &m->cur};
  for (int k = 0; k < 2; k++)
    b += (uint64_t)st[k]->procs_cap * sizeof(viz_proc_state) +
         (uint64_t)st[k]->edges_cap * sizeof(viz_edge) + (uint64_t)st[k]->flying_cap * 4;
  b += (uint64_t)m->snaps_cap * sizeof *m->snaps + m->snap_bytes;
  return b;
}
