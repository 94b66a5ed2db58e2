/*
 * Distribution: what a node sends to other nodes and does with what arrives from them, and
 * what it does when the connection to another node is lost.
 *
 * Each relation between processes of two nodes has one record at each end, in each node's own
 * pool (signal.c); the two ends agree through the signals of Erlang's distribution protocol
 * (ac_dist_op), which the host carries over its network. A signal that arrives for a relation
 * that is gone (an EXIT after an unlink, a DOWN after a demonitor) is ignored, as in Erlang.
 * Losing a connection (ac_node_nodedown) breaks every relation with the other node at once:
 * one pass over the process table, in slot order, so the order of the noconnection signals is
 * the same on every run.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const uint8_t noconnection_atom[] = {AC_T_ATOM, 12, 'n', 'o', 'c', 'o', 'n', 'n',
                                            'e',       'c', 't', 'i', 'o', 'n'};
static const uint8_t noproc_atom[] = {AC_T_ATOM, 6, 'n', 'o', 'p', 'r', 'o', 'c'};
static const uint8_t ok_atom[] = {AC_T_ATOM, 2, 'o', 'k'};
const ac_term ac__noconnection = {noconnection_atom};
const ac_term ac__noproc = {noproc_atom};
static const ac_term ok_term = {ok_atom};

int ac__dist(ac_node *node, uint32_t op, uint32_t dest, ac_pid from, ac_pid to, uint64_t ref,
             uint32_t flags, const char *name, ac_term term) {
  return ac__dist_msg(node, op, dest, from, to, name, term, 0, ref, flags);
}

int ac__dist_msg(ac_node *node, uint32_t op, uint32_t dest, ac_pid from, ac_pid to,
                 const char *name, ac_term term, uint64_t msg_id, uint64_t ref, uint32_t flags) {
  if (!node->host.route || dest == node->index) return AC_ENOCONN;
  ac_dist d = {op, dest, from, to, ref, flags, name, term, msg_id};
  return node->host.route(node->host.ctx, node->index, &d);
}

const char *ac__node_name(ac_node *node, uint32_t index) {
  const char *name = node->host.node_name ? node->host.node_name(node->host.ctx, index) : NULL;
  return name ? name : "nonode@nohost";
}

/* ---- Process calls ----------------------------------------------------------------------- */

int ac_send_remote_name(ac_proc *self, uint32_t node_index, const char *name, ac_term msg) {
  AC__ASSERT_RUNNING(self);
  ac_node *node = self->node;
  if (!name || !*name || strlen(name) > AC_ATOM_LEN_MAX) return AC_EINVAL;
  uint32_t size = (uint32_t)ac_term_size(msg);
  if (size > node->cfg.message_size_max) return AC_ETOOBIG;
  if (node_index == node->index) {
    ac_pid to = ac__whereis(node, name, strlen(name));
    if (ac_pid_is_none(to)) return AC_OK; /* {Name, node()} ! Msg to no one: dropped */
    return ac_send(self, to, msg);
  }
  uint64_t id = ac__msg_id(node);
  /* The send record names the receiver as the scenario did: {Name, NodeName, Message}. */
  ac__emit_atoms_tuple(node, AC_EV_SEND, AC_SEND_NAMED, self->head.pid.bits, 0, id, name,
                       ac__node_name(node, node_index), msg.p, size);
  ac__dist_msg(node, AC_DIST_REG_SEND, node_index, self->head.pid, AC_PID_NONE, name, msg, id, 0, 0);
  return AC_OK;
}

int ac_spawn_request(ac_proc *self, uint32_t node_index, ac_term arg, unsigned opts,
                     ac_ref *ref_out) {
  AC__ASSERT_RUNNING(self);
  ac_node *node = self->node;
  if (!ref_out || node_index == node->index || node_index > AC_NODE_MAX ||
      (opts & ~(unsigned)(AC_SPAWN_LINK | AC_SPAWN_MONITOR)))
    return AC_EINVAL;
  if (ac_term_size(arg) > node->cfg.message_size_max) return AC_ETOOBIG;
  if (ac_grow((void **)&node->spawnreqs, &node->spawnreq_cap, node->spawnreq_count + 1,
                   sizeof *node->spawnreqs))
    return AC_ENOMEM;
  ac_ref ref = ac__ref_new(node);
  node->spawnreqs[node->spawnreq_count++] = (ac__spawnreq){self->head.pid, ref.bits, node_index, opts};
  *ref_out = ref;
  if (ac__dist(node, AC_DIST_SPAWN_REQUEST, node_index, self->head.pid, AC_PID_NONE, ref.bits,
               opts, NULL, arg) == AC_ENOCONN) {
    node->spawnreq_count--;
    ac__deliver_tuple(node, self, ac_node_pid(node), "{a,r,a,t}", "spawn_reply", ref, "error",
                      ac__noconnection);
  }
  return AC_OK;
}

static void nodedown_message(ac_node *node, ac_proc *p, uint32_t index) {
  ac__deliver_tuple(node, p, ac_node_pid(node), "{a,a}", "nodedown", ac__node_name(node, index));
}

/* Removes pid's first node monitor of `index` (keeping the others' order); whether there was
 * one. */
static bool nodemon_remove(ac_node *node, ac_pid pid, uint32_t index) {
  for (uint32_t i = 0; i < node->nodemon_count; i++)
    if (ac_pid_eq(node->nodemons[i].pid, pid) && node->nodemons[i].index == index) {
      memmove(&node->nodemons[i], &node->nodemons[i + 1],
              (node->nodemon_count - i - 1) * sizeof *node->nodemons);
      node->nodemon_count--;
      return true;
    }
  return false;
}

int ac_monitor_node(ac_proc *self, uint32_t node_index, bool on) {
  AC__ASSERT_RUNNING(self);
  ac_node *node = self->node;
  if (node_index > AC_NODE_MAX) return AC_EINVAL;
  if (!on) {
    nodemon_remove(node, self->head.pid, node_index);
    return AC_OK;
  }
  if (node_index == node->index) return AC_OK; /* a node never goes down for itself */
  if (!node->host.connect || node->host.connect(node->host.ctx, node->index, node_index)) {
    nodedown_message(node, self, node_index);
    return AC_OK;
  }
  if (ac_grow((void **)&node->nodemons, &node->nodemon_cap, node->nodemon_count + 1,
                   sizeof *node->nodemons))
    return AC_ENOMEM;
  node->nodemons[node->nodemon_count++] = (ac__nodemon){self->head.pid, node_index};
  return AC_OK;
}

int ac_monitor_nodes(ac_proc *self, bool on) {
  AC__ASSERT_RUNNING(self);
  ac_node *node = self->node;
  if (!on) {
    nodemon_remove(node, self->head.pid, AC__NODE_ANY);
    return AC_OK;
  }
  for (uint32_t i = 0; i < node->nodemon_count; i++) /* one subscription per process */
    if (ac_pid_eq(node->nodemons[i].pid, self->head.pid) && node->nodemons[i].index == AC__NODE_ANY)
      return AC_OK;
  if (ac_grow((void **)&node->nodemons, &node->nodemon_cap, node->nodemon_count + 1,
                   sizeof *node->nodemons))
    return AC_ENOMEM;
  node->nodemons[node->nodemon_count++] = (ac__nodemon){self->head.pid, AC__NODE_ANY};
  return AC_OK;
}

void ac__nodemon_drop_proc(ac_node *node, ac_pid pid) {
  uint32_t kept = 0;
  for (uint32_t i = 0; i < node->nodemon_count; i++)
    if (!ac_pid_eq(node->nodemons[i].pid, pid)) node->nodemons[kept++] = node->nodemons[i];
  node->nodemon_count = kept;
}

void ac_node_set_spawn_handler(ac_node *node, ac_spawn_handler fn) { node->spawn_handler = fn; }

/* ---- Arrivals ---------------------------------------------------------------------------- */

static bool alive(const ac_proc *p) { return p && !(p->head.flags & AC__F_EXITING); }

static void arrive_spawn_request(ac_node *node, const ac_dist *d) {
  ac_pid child = AC_PID_NONE;
  int rc = node->spawn_handler ? node->spawn_handler(node, d->from, d->term, &child) : AC_ENOTFOUND;
  ac_proc *c = rc == AC_OK ? ac__proc_get(node, child) : NULL;
  if (rc == AC_OK && !c) rc = AC_ESTATE; /* the handler claimed a pid it did not spawn */
  uint32_t src = ac_pid_node(d->from);
  if (rc != AC_OK) {
    const char *why = rc == AC_ENOTFOUND ? "notsup"
                      : (rc == AC_ELIMIT || rc == AC_ENOMEM || rc == AC_ETOOBIG) ? "system_limit"
                                                                                  : "badarg";
    ac_tbuf b;
    ac_tb_init(&b);
    ac_term reason;
    ac_tb_atom(&b, why);
    if (ac_tb_finish(&b, &reason) == AC_OK)
      ac__dist(node, AC_DIST_SPAWN_REPLY, src, AC_PID_NONE, d->from, d->ref, d->flags, NULL, reason);
    ac_tb_free(&b);
    return;
  }
  bool link = (d->flags & AC_SPAWN_LINK) && ac__rel_add(node, c, AC__REL_LINK, d->from, 0) == AC_OK;
  bool mon = (d->flags & AC_SPAWN_MONITOR) &&
             ac__rel_add(node, c, AC__REL_MONITORED_BY, d->from, d->ref) == AC_OK;
  uint32_t flags = (link ? AC_SPAWN_LINK : 0) | (mon ? AC_SPAWN_MONITOR : 0);
  if (ac__dist(node, AC_DIST_SPAWN_REPLY, src, child, d->from, d->ref, flags, NULL, ok_term) ==
      AC_ENOCONN) { /* the requester is out of reach already: its link breaks */
    if (mon) ac__rel_remove(node, c, AC__REL_MONITORED_BY, d->from, d->ref);
    if (link && ac__rel_remove(node, c, AC__REL_LINK, d->from, 0))
      ac__exit_signal(node, d->from, child, ac__noconnection, true);
  }
}

static void arrive_spawn_reply(ac_node *node, const ac_dist *d) {
  uint32_t i = 0;
  while (i < node->spawnreq_count &&
         !(node->spawnreqs[i].ref == d->ref && ac_pid_eq(node->spawnreqs[i].requester, d->to)))
    i++;
  if (i == node->spawnreq_count) return; /* answered already (noconnection) */
  memmove(&node->spawnreqs[i], &node->spawnreqs[i + 1],
          (node->spawnreq_count - i - 1) * sizeof *node->spawnreqs);
  node->spawnreq_count--;
  ac_proc *p = ac__proc_get(node, d->to);
  bool ok = !ac_pid_is_none(d->from);
  uint32_t src = ac_pid_node(d->from);
  if (!alive(p)) { /* the requester is gone: undo what the child holds for it */
    if (ok && (d->flags & AC_SPAWN_LINK))
      ac__dist(node, AC_DIST_EXIT, src, d->to, d->from, 0, 0, NULL, ac__noproc);
    if (ok && (d->flags & AC_SPAWN_MONITOR))
      ac__dist(node, AC_DIST_DEMONITOR, src, d->to, d->from, d->ref, 0, NULL, ac__noproc);
    return;
  }
  ac_ref ref = {d->ref};
  if (!ok) {
    ac__deliver_tuple(node, p, d->from, "{a,r,a,t}", "spawn_reply", ref, "error", d->term);
    return;
  }
  if ((d->flags & AC_SPAWN_LINK) && ac__rel_add(node, p, AC__REL_LINK, d->from, 0) == AC_OK)
    ac__emit(node, AC_EV_LINK, 0, d->to.bits, d->from.bits, 0, NULL, 0);
  if ((d->flags & AC_SPAWN_MONITOR) &&
      ac__rel_add(node, p, AC__REL_MONITORS, d->from, d->ref) == AC_OK)
    ac__emit(node, AC_EV_MONITOR, 0, d->to.bits, d->from.bits, d->ref, NULL, 0);
  ac__deliver_tuple(node, p, d->from, "{a,r,a,p}", "spawn_reply", ref, "ok", d->from);
}

int ac_node_arrive(ac_node *node, const ac_dist *d) {
  if (!d || !d->term.p) return AC_EINVAL;
  ac_proc *p = ac__proc_get(node, d->to);
  uint32_t src = ac_pid_node(d->from);
  switch (d->op) {
    case AC_DIST_SEND:
    case AC_DIST_REG_SEND: {
      if (d->op == AC_DIST_REG_SEND) {
        if (!d->name) return AC_EINVAL;
        p = ac__proc_get(node, ac__whereis(node, d->name, strlen(d->name)));
      }
      uint64_t id = d->msg_id ? d->msg_id : ac__msg_id(node);
      /* ref: a send to an alias (ac_send_alias), dropped once the alias is inactive */
      if (alive(p) && (!d->ref || ac__has_monitor(node, p, d->ref)))
        ac__deliver(node, p, d->from, d->term, id, false);
      else
        ac__emit(node, AC_EV_SEND_DEAD, 0, d->from.bits, d->to.bits, id, NULL, 0);
      break;
    }
    case AC_DIST_LINK:
      if (!alive(p)) {
        ac__dist(node, AC_DIST_EXIT, src, d->to, d->from, 0, 0, NULL, ac__noproc);
      } else if (!ac__rel_has(node, p, AC__REL_LINK, d->from) &&
                 ac__rel_add(node, p, AC__REL_LINK, d->from, 0) == AC_OK) {
        ac__emit(node, AC_EV_LINK, 0, d->to.bits, d->from.bits, 0, NULL, 0);
      }
      break;
    case AC_DIST_UNLINK:
      if (p && ac__rel_remove(node, p, AC__REL_LINK, d->from, 0))
        ac__emit(node, AC_EV_UNLINK, 0, d->to.bits, d->from.bits, 0, NULL, 0);
      break;
    case AC_DIST_EXIT:
      if (p && ac__rel_remove(node, p, AC__REL_LINK, d->from, 0))
        ac__exit_signal(node, d->from, d->to, d->term, true);
      break;
    case AC_DIST_EXIT2:
      ac__exit_signal(node, d->from, d->to, d->term, false);
      break;
    case AC_DIST_MONITOR:
      if (d->name) p = ac__proc_get(node, ac__whereis(node, d->name, strlen(d->name)));
      if (!alive(p))
        ac__dist(node, AC_DIST_DOWN, src, d->to, d->from, d->ref, 0, NULL, ac__noproc);
      else
        ac__rel_add(node, p, AC__REL_MONITORED_BY, d->from, d->ref);
      break;
    case AC_DIST_DEMONITOR:
      if (d->name) p = ac__proc_get(node, ac__whereis(node, d->name, strlen(d->name)));
      if (p) ac__rel_remove(node, p, AC__REL_MONITORED_BY, d->from, d->ref);
      break;
    case AC_DIST_DOWN: /* a monitor of a name there holds that node's pid, not the target's */
      if (p && (ac__rel_remove(node, p, AC__REL_MONITORS, d->from, d->ref) ||
                ac__rel_remove(node, p, AC__REL_MONITORS, ac_pid_make(src, 0, 1), d->ref))) {
        ac__emit_term(node, AC_EV_DOWN, 0, d->to.bits, d->from.bits, d->ref, d->term);
        ac__deliver_down(node, p, d->ref, d->from, d->term);
      }
      break;
    case AC_DIST_SPAWN_REQUEST: arrive_spawn_request(node, d); break;
    case AC_DIST_SPAWN_REPLY: arrive_spawn_reply(node, d); break;
    default: return AC_EINVAL;
  }
  ac__drain(node);
  return AC_OK;
}

/* ---- Connections ------------------------------------------------------------------------- */

void ac_node_nodeup(ac_node *node, uint32_t index) {
  const char *name = ac__node_name(node, index);
  ac__emit_atom(node, AC_EV_NODEUP, index, 0, name);
  for (uint32_t i = 0; i < node->nodemon_count; i++) {
    if (node->nodemons[i].index != AC__NODE_ANY) continue;
    ac_proc *p = ac__proc_get(node, node->nodemons[i].pid);
    if (alive(p)) ac__deliver_tuple(node, p, ac_node_pid(node), "{a,a}", "nodeup", name);
  }
  ac__drain(node);
}

void ac_node_nodedown(ac_node *node, uint32_t index) {
  ac__emit_atom(node, AC_EV_NODEDOWN, index, 0, ac__node_name(node, index));
  for (uint32_t slot = 1; slot < node->slot_count; slot++) {
    ac_proc *p = &node->chunks[slot >> AC__CHUNK_BITS][slot & (AC__CHUNK_SIZE - 1)];
    if (!(p->head.flags & AC__F_LIVE)) continue;
    uint32_t *link = &p->rels;
    while (*link) {
      ac__rel rec = node->rels[*link - 1];
      if (ac_pid_node(rec.other) != index) {
        link = &node->rels[*link - 1].next;
        continue;
      }
      ac__rel_remove(node, p, rec.kind, rec.other, rec.ref); /* the record at *link */
      if (rec.kind == AC__REL_LINK) {
        ac__exit_signal(node, rec.other, p->head.pid, ac__noconnection, true);
      } else if (rec.kind == AC__REL_MONITORS && alive(p)) {
        ac__emit_term(node, AC_EV_DOWN, 0, p->head.pid.bits, rec.other.bits, rec.ref,
                      ac__noconnection);
        ac__deliver_down(node, p, rec.ref, rec.other, ac__noconnection);
      }
    }
  }
  uint32_t kept = 0;
  for (uint32_t i = 0; i < node->nodemon_count; i++) {
    ac__nodemon m = node->nodemons[i];
    if (m.index == index || m.index == AC__NODE_ANY) {
      ac_proc *p = ac__proc_get(node, m.pid);
      if (alive(p)) nodedown_message(node, p, index);
    }
    if (m.index != index) node->nodemons[kept++] = m;
  }
  node->nodemon_count = kept;
  kept = 0;
  for (uint32_t i = 0; i < node->spawnreq_count; i++) {
    ac__spawnreq r = node->spawnreqs[i];
    if (r.dest != index) {
      node->spawnreqs[kept++] = r;
      continue;
    }
    ac_proc *p = ac__proc_get(node, r.requester);
    ac_ref ref = {r.ref};
    if (alive(p))
      ac__deliver_tuple(node, p, ac_node_pid(node), "{a,r,a,t}", "spawn_reply", ref, "error",
                        ac__noconnection);
  }
  node->spawnreq_count = kept;
  ac__drain(node);
}
