/*
 * Links, monitors and exit signals, with Erlang's rules:
 *   - exit(Pid, kill) is untrappable: the receiver dies with reason `killed`, and `killed` is
 *     what its links then receive (a plain, trappable reason);
 *   - a process that traps exits turns every other signal into {'EXIT', From, Reason};
 *   - `normal` does not kill a process that does not trap exits, except exit(self(), normal);
 *   - any other reason kills a process that does not trap exits, with that reason.
 * A dying process tells its links (exit signals) and its watchers ({'DOWN', Ref, process, Pid,
 * Reason}). Deaths cascade through a FIFO of doomed processes drained in a loop, never by
 * recursion, so a chain of a million linked processes dies in bounded stack. A process doomed
 * while its own callback runs is finalised when the callback returns.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ---- Relation records -------------------------------------------------------------------- */

int ac__rel_add(ac_node *node, ac_proc *p, uint32_t kind, ac_pid other, uint64_t ref) {
  if (!node->rel_free) {
    uint32_t cap = node->rel_cap;
    if (ac_grow((void **)&node->rels, &cap, node->rel_cap ? node->rel_cap + 1 : 256, sizeof *node->rels))
      return AC_ENOMEM;
    ac__rel *rels = node->rels;
    ac_alloc_account(&node->alloc, 0, (int64_t)((cap - node->rel_cap) * sizeof *rels));
    for (uint32_t i = cap; i > node->rel_cap; i--) {
      rels[i - 1].kind = 0;
      rels[i - 1].next = node->rel_free;
      node->rel_free = i;
    }
    node->rels = rels;
    node->rel_cap = cap;
  }
  uint32_t r = node->rel_free;
  ac__rel *rec = &node->rels[r - 1];
  node->rel_free = rec->next;
  rec->other = other;
  rec->ref = ref;
  rec->kind = kind;
  rec->next = p->rels;
  p->rels = r;
  ac_alloc_account(&node->alloc, (int64_t)sizeof *rec, 0);
  return AC_OK;
}

static void rel_release(ac_node *node, uint32_t r) {
  node->rels[r - 1].kind = 0;
  node->rels[r - 1].next = node->rel_free;
  node->rel_free = r;
  ac_alloc_account(&node->alloc, -(int64_t)sizeof(ac__rel), 0);
}

/* Removes p's first record of `kind` with that other end (and ref, for monitors). */
bool ac__rel_remove(ac_node *node, ac_proc *p, uint32_t kind, ac_pid other, uint64_t ref) {
  for (uint32_t *link = &p->rels; *link; link = &node->rels[*link - 1].next) {
    ac__rel *rec = &node->rels[*link - 1];
    if (rec->kind == kind && ac_pid_eq(rec->other, other) && rec->ref == ref) {
      uint32_t r = *link;
      *link = rec->next;
      rel_release(node, r);
      return true;
    }
  }
  return false;
}

bool ac__rel_has(const ac_node *node, const ac_proc *p, uint32_t kind, ac_pid other) {
  for (uint32_t r = p->rels; r; r = node->rels[r - 1].next)
    if (node->rels[r - 1].kind == kind && ac_pid_eq(node->rels[r - 1].other, other)) return true;
  return false;
}

void ac__rel_free_all(ac_node *node, ac_proc *p) {
  while (p->rels) {
    uint32_t r = p->rels;
    p->rels = node->rels[r - 1].next;
    rel_release(node, r);
  }
}

/* ---- Dooming and finalising -------------------------------------------------------------- */

void ac__doomed_push(ac_node *node, ac_proc *p) {
  if (node->doomed_tail == node->doomed_cap) {
    if (node->doomed_head > 0) { /* compact the FIFO before growing it */
      memmove(node->doomed, node->doomed + node->doomed_head,
              (node->doomed_tail - node->doomed_head) * sizeof *node->doomed);
      node->doomed_tail -= node->doomed_head;
      node->doomed_head = 0;
    }
    /* Each doomed process is queued once, and slot_take keeps room for every slot. */
    assert(node->doomed_tail < node->doomed_cap && "the exit queue has room for every slot");
  }
  node->doomed[node->doomed_tail++] = p->head.pid;
}

/* The exit reason of a doomed process; `out_of_memory` when not even the reason could be copied
 * (a memory limit was reached), so dying never needs memory it might not get. */
static ac_term exit_reason(const ac_proc *p) {
  static const uint8_t oom_atom[] = {AC_T_ATOM, 13, 'o', 'u', 't', '_', 'o', 'f', '_',
                                     'm',       'e', 'm', 'o', 'r', 'y'};
  ac_term oom = {oom_atom};
  return p->exit_reason ? ac_msg_term(p->exit_reason) : oom;
}

void ac__doom(ac_node *node, ac_proc *p, ac_term reason) {
  if (p->head.flags & AC__F_EXITING) return;
  p->exit_reason = ac__msg_new(node, p->head.pid, reason);
  p->head.flags |= AC__F_EXITING;
  ac__timer_recv_cancel(node, p); /* its receive will never end now */
  if (!(p->head.flags & AC__F_RUNNING)) ac__doomed_push(node, p);
}

void ac__doom_atom(ac_node *node, ac_proc *p, const char *reason) {
  ac_tbuf b;
  ac_tb_init(&b);
  ac_term t;
  ac_tb_atom(&b, reason);
  if (ac_tb_finish(&b, &t) == AC_OK) ac__doom(node, p, t);
  ac_tb_free(&b);
}

static void finalise(ac_node *node, ac_proc *p) {
  ac_term reason = exit_reason(p);
  if (p->beh->terminate) p->beh->terminate(p, reason);
  ac__emit_term(node, AC_EV_EXIT, 0, p->head.pid.bits, 0, 0, reason);
  ac__unregister_proc(node, p);
  if (p->head.flags & AC__F_RUNNABLE) {
    node->host.unready(node->host.ctx, p);
    p->head.flags &= ~(uint32_t)AC__F_RUNNABLE;
  }
  uint32_t r = p->rels;
  p->rels = 0; /* detached: the walk below may add and remove records elsewhere */
  while (r) {
    ac__rel rec = node->rels[r - 1];
    uint32_t next = rec.next;
    rel_release(node, r);
    r = next;
    if (ac_pid_node(rec.other) != node->index) { /* the other end is on another node */
      uint32_t dest = ac_pid_node(rec.other);
      if (rec.kind == AC__REL_LINK)
        ac__dist(node, AC_DIST_EXIT, dest, p->head.pid, rec.other, 0, 0, NULL, reason);
      else if (rec.kind == AC__REL_MONITORS)
        ac__dist(node, AC_DIST_DEMONITOR, dest, p->head.pid, rec.other, rec.ref, 0, NULL, reason);
      else
        ac__dist(node, AC_DIST_DOWN, dest, p->head.pid, rec.other, rec.ref, 0, NULL, reason);
      continue;
    }
    ac_proc *other = ac__proc_get(node, rec.other);
    if (rec.kind == AC__REL_LINK) {
      if (other) ac__rel_remove(node, other, AC__REL_LINK, p->head.pid, 0);
      ac__exit_signal(node, p->head.pid, rec.other, reason, true);
    } else if (rec.kind == AC__REL_MONITORS) {
      if (other) ac__rel_remove(node, other, AC__REL_MONITORED_BY, p->head.pid, rec.ref);
    } else if (other) {
      ac__rel_remove(node, other, AC__REL_MONITORS, p->head.pid, rec.ref);
      ac__emit_term(node, AC_EV_DOWN, 0, rec.other.bits, p->head.pid.bits, rec.ref, reason);
      ac__deliver_down(node, other, rec.ref, p->head.pid, reason);
    }
  }
  if (node->nodemon_count) ac__nodemon_drop_proc(node, p->head.pid);
  for (uint32_t i = 0; i < node->namemon_count;) /* its own name monitors die with it */
    if (ac_pid_eq(node->namemons[i].watcher, p->head.pid)) node->namemons[i] = node->namemons[--node->namemon_count];
    else i++;
  ac__proc_release(node, p);
}

void ac__drain(ac_node *node) {
  if (node->draining) return;
  node->draining = true;
  while (node->doomed_head < node->doomed_tail) {
    ac_pid pid = node->doomed[node->doomed_head++];
    ac_proc *p = ac__proc_get(node, pid);
    if (p && (p->head.flags & AC__F_EXITING)) finalise(node, p);
  }
  node->doomed_head = node->doomed_tail = 0;
  node->draining = false;
}

/* ---- Signals ----------------------------------------------------------------------------- */

void ac__deliver_tuple(ac_node *node, ac_proc *to, ac_pid from, const char *fmt, ...) {
  ac_tbuf b;
  ac_term t;
  va_list ap;
  va_start(ap, fmt);
  int rc = ac_term_vbuild(&b, &t, fmt, ap);
  va_end(ap);
  if (rc == AC_OK) {
    ac__deliver(node, to, from, t, ac__msg_id(node), false);
  } else {
    ac__doom_atom(node, to, "out_of_memory");
  }
  ac_tb_free(&b);
}

int ac__exit_signal(ac_node *node, ac_pid from, ac_pid to, ac_term reason, bool via_link) {
  ac_proc *p = ac__proc_get(node, to);
  if (!p || (p->head.flags & AC__F_EXITING)) return AC_ENOPROC;
  uint16_t link_flag = via_link ? AC_SIG_LINK : 0;
  if (!via_link && ac_term_is_atom(reason, "kill")) {
    ac__emit_term(node, AC_EV_SIGNAL, AC_SIG_KILLED | link_flag, from.bits, to.bits, 0, reason);
    ac__doom_atom(node, p, "killed");
  } else if (p->head.flags & AC__F_TRAP_EXIT) {
    ac__emit_term(node, AC_EV_SIGNAL, AC_SIG_TRAPPED | link_flag, from.bits, to.bits, 0, reason);
    ac__deliver_tuple(node, p, from, "{a,p,t}", "EXIT", from, reason);
  } else if (ac_term_is_atom(reason, "normal") && !ac_pid_eq(from, to)) {
    ac__emit_term(node, AC_EV_SIGNAL, AC_SIG_IGNORED | link_flag, from.bits, to.bits, 0, reason);
  } else {
    ac__emit_term(node, AC_EV_SIGNAL, AC_SIG_KILLED | link_flag, from.bits, to.bits, 0, reason);
    ac__doom(node, p, reason);
  }
  return AC_OK;
}

int ac_exit(ac_proc *self, ac_pid to, ac_term reason) {
  AC__ASSERT_RUNNING(self);
  if (ac_pid_is_none(to)) return AC_EINVAL;
  if (ac_pid_node(to) != self->node->index) { /* unreachable: nothing happens, as in Erlang */
    ac__dist(self->node, AC_DIST_EXIT2, ac_pid_node(to), self->head.pid, to, 0, 0, NULL, reason);
    return AC_OK;
  }
  ac__exit_signal(self->node, self->head.pid, to, reason, false);
  return AC_OK;
}

int ac_exit_atom(ac_proc *self, ac_pid to, const char *reason) {
  ac_tbuf b;
  ac_tb_init(&b);
  ac_term t;
  ac_tb_atom(&b, reason);
  int rc = ac_tb_finish(&b, &t);
  if (rc == AC_OK) rc = ac_exit(self, to, t);
  ac_tb_free(&b);
  return rc;
}

int ac_node_exit(ac_node *node, ac_pid to, ac_term reason) {
  int rc = ac__exit_signal(node, ac_node_pid(node), to, reason, false);
  ac__drain(node);
  return rc;
}

int ac_stop(ac_proc *self, ac_term reason) {
  AC__ASSERT_RUNNING(self);
  ac__doom(self->node, self, reason);
  return AC_OK;
}

int ac_stop_atom(ac_proc *self, const char *reason) {
  AC__ASSERT_RUNNING(self);
  ac__doom_atom(self->node, self, reason);
  return AC_OK;
}

int ac_trap_exit(ac_proc *self, bool on, bool *old) {
  AC__ASSERT_RUNNING(self);
  if (old) *old = (self->head.flags & AC__F_TRAP_EXIT) != 0;
  if (on)
    self->head.flags |= AC__F_TRAP_EXIT;
  else
    self->head.flags &= ~(uint32_t)AC__F_TRAP_EXIT;
  ac__emit(self->node, AC_EV_TRAP_EXIT, on ? 1 : 0, self->head.pid.bits, 0, 0, NULL, 0);
  return AC_OK;
}

/* ---- Links and monitors ------------------------------------------------------------------ */

int ac__link(ac_node *node, ac_proc *p, ac_pid other) {
  if (ac_pid_eq(other, p->head.pid)) return AC_OK;
  if (ac_pid_node(other) != node->index) {
    if (ac__rel_has(node, p, AC__REL_LINK, other)) return AC_OK;
    int rc = ac__rel_add(node, p, AC__REL_LINK, other, 0);
    if (rc) return rc;
    ac__emit(node, AC_EV_LINK, 0, p->head.pid.bits, other.bits, 0, NULL, 0);
    if (ac__dist(node, AC_DIST_LINK, ac_pid_node(other), p->head.pid, other, 0, 0, NULL,
                 ac__noproc) == AC_ENOCONN) { /* the link breaks at once */
      ac__rel_remove(node, p, AC__REL_LINK, other, 0);
      ac__exit_signal(node, other, p->head.pid, ac__noconnection, true);
    }
    return AC_OK;
  }
  ac_proc *q = ac__proc_get(node, other);
  if (!q || (q->head.flags & AC__F_EXITING)) {
    if (!(p->head.flags & AC__F_TRAP_EXIT)) return AC_ENOPROC;
    ac__deliver_tuple(node, p, other, "{a,p,t}", "EXIT", other, ac__noproc);
    return AC_OK;
  }
  if (ac_node_linked(node, p->head.pid, other)) return AC_OK;
  int rc = ac__rel_add(node, p, AC__REL_LINK, other, 0);
  if (rc) return rc;
  rc = ac__rel_add(node, q, AC__REL_LINK, p->head.pid, 0);
  if (rc) {
    ac__rel_remove(node, p, AC__REL_LINK, other, 0);
    return rc;
  }
  ac__emit(node, AC_EV_LINK, 0, p->head.pid.bits, other.bits, 0, NULL, 0);
  return AC_OK;
}

int ac_link(ac_proc *self, ac_pid other) {
  AC__ASSERT_RUNNING(self);
  if (ac_pid_is_none(other)) return AC_EINVAL;
  return ac__link(self->node, self, other);
}

int ac_unlink(ac_proc *self, ac_pid other) {
  AC__ASSERT_RUNNING(self);
  ac_node *node = self->node;
  if (!ac__rel_remove(node, self, AC__REL_LINK, other, 0)) return AC_OK;
  ac_proc *q = ac__proc_get(node, other);
  if (q) ac__rel_remove(node, q, AC__REL_LINK, self->head.pid, 0);
  if (ac_pid_node(other) != node->index)
    ac__dist(node, AC_DIST_UNLINK, ac_pid_node(other), self->head.pid, other, 0, 0, NULL, ac__noproc);
  ac__emit(node, AC_EV_UNLINK, 0, self->head.pid.bits, other.bits, 0, NULL, 0);
  return AC_OK;
}

int ac__monitor(ac_node *node, ac_proc *p, ac_pid target, ac_ref *ref_out) {
  ac_ref ref = ac__ref_new(node);
  if (ac_pid_node(target) != node->index) {
    int rc = ac__rel_add(node, p, AC__REL_MONITORS, target, ref.bits);
    if (rc) return rc;
    ac__emit(node, AC_EV_MONITOR, 0, p->head.pid.bits, target.bits, ref.bits, NULL, 0);
    *ref_out = ref;
    if (ac__dist(node, AC_DIST_MONITOR, ac_pid_node(target), p->head.pid, target, ref.bits, 0,
                 NULL, ac__noproc) == AC_ENOCONN) {
      ac__rel_remove(node, p, AC__REL_MONITORS, target, ref.bits);
      ac__emit_term(node, AC_EV_DOWN, 0, p->head.pid.bits, target.bits, ref.bits, ac__noconnection);
      ac__deliver_down(node, p, ref.bits, target, ac__noconnection);
    }
    return AC_OK;
  }
  ac_proc *q = ac__proc_get(node, target);
  if (!q || (q->head.flags & AC__F_EXITING)) {
    ac__emit(node, AC_EV_MONITOR, 0, p->head.pid.bits, target.bits, ref.bits, NULL, 0);
    ac__emit_term(node, AC_EV_DOWN, 0, p->head.pid.bits, target.bits, ref.bits, ac__noproc);
    ac__deliver_down(node, p, ref.bits, target, ac__noproc);
    *ref_out = ref;
    return AC_OK;
  }
  int rc = ac__rel_add(node, p, AC__REL_MONITORS, target, ref.bits);
  if (rc) return rc;
  rc = ac__rel_add(node, q, AC__REL_MONITORED_BY, p->head.pid, ref.bits);
  if (rc) {
    ac__rel_remove(node, p, AC__REL_MONITORS, target, ref.bits);
    return rc;
  }
  ac__emit(node, AC_EV_MONITOR, 0, p->head.pid.bits, target.bits, ref.bits, NULL, 0);
  *ref_out = ref;
  return AC_OK;
}

ac__namemon *ac__namemon_find(ac_node *node, uint64_t ref) {
  for (uint32_t i = 0; i < node->namemon_count; i++)
    if (node->namemons[i].ref == ref) return &node->namemons[i];
  return NULL;
}

void ac__namemon_drop(ac_node *node, uint64_t ref) {
  ac__namemon *m = ac__namemon_find(node, ref);
  if (m) *m = node->namemons[--node->namemon_count]; /* order does not matter: found by ref */
}

void ac__deliver_down(ac_node *node, ac_proc *watcher, uint64_t ref, ac_pid target, ac_term reason) {
  ac_ref r = {ref};
  ac__namemon *m = node->namemon_count ? ac__namemon_find(node, ref) : NULL;
  if (!m) {
    ac__deliver_tuple(node, watcher, target, "{a,r,a,p,t}", "DOWN", r, "process", target, reason);
    return;
  }
  char name[AC_ATOM_LEN_MAX + 1];
  memcpy(name, m->name, sizeof name);
  uint32_t index = m->node_index;
  ac__namemon_drop(node, ref);
  ac__deliver_tuple(node, watcher, target, "{a,r,a,{a,a},t}", "DOWN", r, "process", name,
                    ac__node_name(node, index), reason);
}

bool ac__has_monitor(const ac_node *node, const ac_proc *p, uint64_t ref) {
  for (uint32_t r = p->rels; r; r = node->rels[r - 1].next)
    if (node->rels[r - 1].kind == AC__REL_MONITORS && node->rels[r - 1].ref == ref) return true;
  return false;
}

static int namemon_add(ac_node *node, ac_pid watcher, uint64_t ref, const char *name, size_t len,
                       uint32_t index) {
  if (ac_grow((void **)&node->namemons, &node->namemon_cap, node->namemon_count + 1,
              sizeof *node->namemons))
    return AC_ENOMEM;
  ac__namemon *m = &node->namemons[node->namemon_count++];
  m->ref = ref;
  m->watcher = watcher;
  m->node_index = index;
  memcpy(m->name, name, len);
  m->name[len] = 0;
  return AC_OK;
}

int ac_monitor_name(ac_proc *self, const char *name, uint32_t node_index, ac_ref *ref_out) {
  AC__ASSERT_RUNNING(self);
  size_t len = name ? strlen(name) : 0;
  if (!ref_out || len == 0 || len > AC_ATOM_LEN_MAX) return AC_EINVAL;
  ac_node *node = self->node;
  if (node_index == node->index) {
    ac_pid target = ac__whereis(node, name, len);
    ac_proc *q = ac__proc_get(node, target);
    ac_ref ref = {0};
    int rc = namemon_add(node, self->head.pid, 0, name, len, node_index);
    if (rc) return rc;
    if (q && !(q->head.flags & AC__F_EXITING)) {
      rc = ac__monitor(node, self, target, &ref);
      if (rc) {
        node->namemon_count--;
        return rc;
      }
      node->namemons[node->namemon_count - 1].ref = ref.bits;
    } else { /* nobody holds the name: DOWN with noproc at once */
      ref = ac__ref_new(node);
      node->namemons[node->namemon_count - 1].ref = ref.bits;
      target = ac_node_pid(node);
      ac__emit(node, AC_EV_MONITOR, 0, self->head.pid.bits, target.bits, ref.bits, NULL, 0);
      ac__emit_term(node, AC_EV_DOWN, 0, self->head.pid.bits, target.bits, ref.bits, ac__noproc);
      ac__deliver_down(node, self, ref.bits, target, ac__noproc);
    }
    *ref_out = ref;
    return AC_OK;
  }
  /* Another node looks the name up when the request arrives; until the DOWN, the monitor's
   * other end is that node's own pid (the target's pid is never known here). */
  ac_pid there = ac_pid_make(node_index, 0, 1);
  ac_ref ref = ac__ref_new(node);
  int rc = namemon_add(node, self->head.pid, ref.bits, name, len, node_index);
  if (rc == AC_OK) rc = ac__rel_add(node, self, AC__REL_MONITORS, there, ref.bits);
  if (rc) {
    ac__namemon_drop(node, ref.bits);
    return rc;
  }
  ac__emit(node, AC_EV_MONITOR, 0, self->head.pid.bits, there.bits, ref.bits, NULL, 0);
  *ref_out = ref;
  if (ac__dist(node, AC_DIST_MONITOR, node_index, self->head.pid, there, ref.bits, 0, name,
               ac__noproc) == AC_ENOCONN) {
    ac__rel_remove(node, self, AC__REL_MONITORS, there, ref.bits);
    ac__emit_term(node, AC_EV_DOWN, 0, self->head.pid.bits, there.bits, ref.bits, ac__noconnection);
    ac__deliver_down(node, self, ref.bits, there, ac__noconnection);
  }
  return AC_OK;
}

int ac_monitor(ac_proc *self, ac_pid target, ac_ref *ref_out) {
  AC__ASSERT_RUNNING(self);
  if (!ref_out || ac_pid_is_none(target)) return AC_EINVAL;
  return ac__monitor(self->node, self, target, ref_out);
}

static bool is_down_for(const ac_msg *m, ac_ref ref) {
  ac_term t = ac_msg_term(m), e;
  ac_ref r;
  return ac_term_type(t) == AC_T_TUPLE && ac_term_count(t) == 5 &&
         ac_term_is_atom(ac_term_first(t), "DOWN") && ac_term_elem(t, 1, &e) == AC_OK &&
         ac_term_get_ref(e, &r) == AC_OK && ac_ref_eq(r, ref);
}

int ac_demonitor(ac_proc *self, ac_ref ref, unsigned flags) {
  return ac_demonitor_info(self, ref, flags, NULL);
}

int ac_demonitor_info(ac_proc *self, ac_ref ref, unsigned flags, bool *info_out) {
  AC__ASSERT_RUNNING(self);
  if (flags & ~(unsigned)AC_DEMONITOR_FLUSH) return AC_EINVAL;
  ac_node *node = self->node;
  bool found = false;
  for (uint32_t r = self->rels; r; r = node->rels[r - 1].next) {
    ac__rel rec = node->rels[r - 1];
    if (rec.kind != AC__REL_MONITORS || rec.ref != ref.bits) continue;
    found = true;
    ac__rel_remove(node, self, AC__REL_MONITORS, rec.other, rec.ref);
    ac_proc *q = ac__proc_get(node, rec.other);
    if (q) ac__rel_remove(node, q, AC__REL_MONITORED_BY, self->head.pid, rec.ref);
    ac__namemon *nm = node->namemon_count ? ac__namemon_find(node, rec.ref) : NULL;
    if (ac_pid_node(rec.other) != node->index) /* a monitor of a name: the name goes along */
      ac__dist(node, AC_DIST_DEMONITOR, ac_pid_node(rec.other), self->head.pid, rec.other,
               rec.ref, 0, nm && ac_pid_slot(rec.other) == 0 ? nm->name : NULL, ac__noproc);
    ac__emit(node, AC_EV_DEMONITOR, 0, self->head.pid.bits, rec.other.bits, rec.ref, NULL, 0);
    break;
  }
  if (node->namemon_count) ac__namemon_drop(node, ref.bits);
  if (flags & AC_DEMONITOR_FLUSH) {
    ac_msg **link = &self->mbox_head;
    while (*link) {
      ac_msg *m = *link;
      if (is_down_for(m, ref)) {
        *link = m->next;
        self->mbox_len--;
        ac__msg_free(node, m);
      } else {
        link = &m->next;
      }
    }
    self->mbox_tail = link;
    self->save = &self->mbox_head; /* a new receive follows the callback anyway */
  }
  if (info_out) *info_out = found; /* Erlang's [info]: false when the DOWN came first */
  return AC_OK;
}
