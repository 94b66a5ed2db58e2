/*
 * Processes: spawn, send, the mailbox with selective receive, and running one step.
 *
 * The mailbox is an intrusive singly linked list with a save pointer, as in Erlang: `save` is
 * the link whose message is the first one the current receive has not looked at. While a
 * process waits, every message before *save has been tried and did not match, so a new message
 * is tried alone and the scan never starts over; a new receive starts again at the head.
 * Invariant: a process is RUNNABLE (known to the host) iff it has a step to take: init, a
 * matched message at *save, or a fired timeout; it is then not WAITING.
 * Cost: send is one allocation from a size class, one memcpy and an append; a step is one
 * pointer unlink plus the behaviour's callback.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static bool msg_matches(const ac_proc *p, const ac_msg *m) {
  return p->match == NULL || p->match(m, p->match_arg);
}

static bool pattern_match(const ac_msg *m, const void *arg) {
  const ac_msg *pattern = arg;
  return ac_term_match(ac_msg_term(m), ac_msg_term(pattern));
}

void ac__make_runnable(ac_node *node, ac_proc *p) {
  assert(!(p->head.flags & AC__F_RUNNABLE));
  p->head.flags |= AC__F_RUNNABLE;
  node->host.ready(node->host.ctx, p);
}

/* A free process slot, or NULL with *rc = AC_ELIMIT (pid space used up) or AC_ENOMEM. */
static ac_proc *slot_take(ac_node *node, int *rc) {
  uint32_t slot;
  if (node->free_slot) {
    slot = node->free_slot - 1;
    ac_proc *p = &node->chunks[slot >> AC__CHUNK_BITS][slot & (AC__CHUNK_SIZE - 1)];
    node->free_slot = p->name_entry;
    p->name_entry = 0; /* it was the free list's link, not a name */
    return p;
  }
  if (node->slot_count > AC_PID_SLOT_MAX) {
    *rc = AC_ELIMIT;
    return NULL;
  }
  *rc = AC_ENOMEM;
  slot = node->slot_count;
  uint32_t chunk = slot >> AC__CHUNK_BITS;
  if (chunk >= node->chunk_count) {
    if (ac_grow((void **)&node->chunks, &node->chunk_cap, node->chunk_count + 1, sizeof *node->chunks))
      return NULL;
    ac_proc *c = ac_calloc(AC__CHUNK_SIZE, sizeof(ac_proc));
    if (!c) return NULL;
    node->chunks[node->chunk_count++] = c;
    ac_alloc_account(&node->alloc, 0, (int64_t)(AC__CHUNK_SIZE * sizeof(ac_proc)));
    if (chunk == 0) c[0].head.pid = ac_node_pid(node); /* slot 0: the node itself */
  }
  /* The exit queue and the host's run queue get room for every slot here, where a failure can
   * still be returned, so that neither dooming a process nor making it ready needs memory. */
  if (ac_grow((void **)&node->doomed, &node->doomed_cap, node->slot_count + 1, sizeof *node->doomed))
    return NULL;
  if (node->host.reserve && node->host.reserve(node->host.ctx, node->index) != AC_OK) return NULL;
  node->slot_count++;
  ac_proc *p = &node->chunks[chunk][slot & (AC__CHUNK_SIZE - 1)];
  p->head.pid = ac_pid_make(node->index, slot, 0);
  return p;
}

/* Returns a dead process's slot to the free list with its generation bumped, or retires it. */
static void slot_put(ac_node *node, ac_proc *p) {
  uint32_t slot = ac_pid_slot(p->head.pid);
  uint32_t gen = ac_pid_gen(p->head.pid);
  memset(p, 0, sizeof *p);
  if (gen == AC_PID_GEN_MAX) {
    p->head.pid = ac_pid_make(node->index, slot, gen); /* retired: never handed out again */
    return;
  }
  p->head.pid = ac_pid_make(node->index, slot, gen + 1);
  p->name_entry = node->free_slot;
  node->free_slot = slot + 1;
}

int ac__spawn(ac_node *node, ac_pid parent, const ac_behaviour *b, ac_term arg, unsigned opts,
              ac_pid *pid_out, ac_ref *mon_out) {
  if (!b || !b->handle || !b->name || strlen(b->name) > AC_ATOM_LEN_MAX || !pid_out ||
      (opts & ~(unsigned)(AC_SPAWN_LINK | AC_SPAWN_MONITOR | AC_SPAWN_ACK)) ||
      ((opts & AC_SPAWN_MONITOR) && !mon_out))
    return AC_EINVAL;
  if (node->live_count >= node->cfg.process_count_max) return AC_ELIMIT;
  if (ac_term_size(arg) > node->cfg.message_size_max) return AC_ETOOBIG;
  ac_msg *init_arg = ac__msg_new(node, parent, arg);
  void *state = b->state_size ? ac_alloc_get(&node->alloc, b->state_size) : NULL;
  int slot_rc = AC_ENOMEM;
  ac_proc *p = (init_arg && (state || !b->state_size)) ? slot_take(node, &slot_rc) : NULL;
  if (!p) {
    ac__msg_free(node, init_arg);
    if (state) ac_alloc_put(&node->alloc, state, b->state_size);
    return slot_rc;
  }
  if (state) memset(state, 0, b->state_size);
  p->node = node;
  p->beh = b;
  p->state = state;
  p->mbox_tail = &p->mbox_head;
  p->save = &p->mbox_head;
  p->init_arg = init_arg;
  p->head.flags = AC__F_LIVE | AC__F_INIT | ((opts & AC_SPAWN_ACK) ? AC__F_ACK : 0);
  node->live_count++;
  ac_alloc_account(&node->alloc, (int64_t)sizeof(ac_proc), 0);
  ac_pid pid = p->head.pid;
  /* {Behaviour, Label}: the label the embedder gave for this spawn, else the behaviour's name. */
  const char *label = node->spawn_label ? node->spawn_label : b->name;
  node->spawn_label = NULL;
  if (node->spawn_code) ac__code_spawned(node, parent, pid, b->name, label);
  else ac__emit_atoms_tuple(node, AC_EV_SPAWN, 0, parent.bits, pid.bits, 0, b->name, label, NULL, 0);
  *pid_out = pid;
  ac_proc *parent_proc = ac__proc_get(node, parent);
  int rc = AC_OK;
  if ((opts & AC_SPAWN_LINK) && parent_proc) rc = ac__link(node, parent_proc, pid);
  if (rc == AC_OK && (opts & AC_SPAWN_MONITOR) && parent_proc)
    rc = ac__monitor(node, parent_proc, pid, mon_out);
  ac__make_runnable(node, p);
  if (rc != AC_OK) { /* the link or monitor could not be made: the child must not live on */
    ac__doom_atom(node, p, "system_limit");
    return rc;
  }
  return AC_OK;
}

int ac_spawn(ac_proc *self, const ac_behaviour *b, ac_term arg, unsigned opts, ac_pid *pid_out,
             ac_ref *mon_out) {
  AC__ASSERT_RUNNING(self);
  return ac__spawn(self->node, self->head.pid, b, arg, opts, pid_out, mon_out);
}

int ac_node_spawn(ac_node *node, const ac_behaviour *b, ac_term arg, ac_pid *pid_out) {
  return ac__spawn(node, ac_node_pid(node), b, arg, 0, pid_out, NULL);
}

int ac_node_spawn_as(ac_node *node, ac_pid parent, const ac_behaviour *b, ac_term arg,
                     ac_pid *pid_out) {
  if (ac_pid_is_none(parent) || ac__proc_get(node, parent)) return AC_EINVAL;
  return ac__spawn(node, parent, b, arg, 0, pid_out, NULL);
}

void ac__deliver(ac_node *node, ac_proc *p, ac_pid from, ac_term msg, uint64_t msg_id,
                 bool traced_send) {
  if (p->head.flags & AC__F_EXITING) return;
  if (p->mbox_len >= node->cfg.mailbox_len_max) {
    ac__doom_atom(node, p, "mailbox_overflow");
    return;
  }
  ac_msg *m = ac__msg_new(node, from, msg);
  if (!m) {
    ac__doom_atom(node, p, "out_of_memory");
    return;
  }
  m->id = msg_id;
  *p->mbox_tail = m;
  p->mbox_tail = &m->next;
  p->mbox_len++;
  /* A local send is delivered in the same step as its send event, which says all there is to
   * say; messages without one (EXIT, DOWN, arrivals from other nodes) get a deliver event. */
  if (!traced_send) ac__emit(node, AC_EV_DELIVER, 0, from.bits, p->head.pid.bits, msg_id, NULL, 0);
  if (!(p->head.flags & AC__F_WAITING)) return;
  /* Everything before this message was already tried: try it alone. */
  assert(*p->save == m);
  if (msg_matches(p, m)) {
    ac__timer_recv_cancel(node, p);
    p->head.flags = (p->head.flags & ~(uint32_t)AC__F_WAITING) | AC__F_MATCHED;
    ac__make_runnable(node, p);
  } else {
    p->save = &m->next;
  }
}

int ac__send(ac_node *node, ac_pid from, ac_pid to, ac_term msg) {
  uint32_t size = (uint32_t)ac_term_size(msg);
  if (size > node->cfg.message_size_max) return AC_ETOOBIG;
  if (ac_pid_is_none(to)) return AC_EINVAL;
  uint64_t id = ac__msg_id(node);
  ac__emit(node, AC_EV_SEND, 0, from.bits, to.bits, id, msg.p, size);
  if (ac_pid_node(to) != node->index) { /* unreachable: dropped, and the host traced it */
    ac__dist_msg(node, AC_DIST_SEND, ac_pid_node(to), from, to, NULL, msg, id, 0, 0);
    return AC_OK;
  }
  ac_proc *p = ac__proc_get(node, to);
  if (!p || (p->head.flags & AC__F_EXITING)) {
    ac__emit(node, AC_EV_SEND_DEAD, 0, from.bits, to.bits, id, NULL, 0);
    return AC_OK;
  }
  ac__deliver(node, p, from, msg, id, true);
  return AC_OK;
}

int ac_send(ac_proc *self, ac_pid to, ac_term msg) {
  AC__ASSERT_RUNNING(self);
  return ac__send(self->node, self->head.pid, to, msg);
}

int ac_send_alias(ac_proc *self, ac_pid to, ac_ref alias, ac_term msg) {
  AC__ASSERT_RUNNING(self);
  ac_node *node = self->node;
  uint32_t size = (uint32_t)ac_term_size(msg);
  if (size > node->cfg.message_size_max) return AC_ETOOBIG;
  if (ac_pid_is_none(to) || alias.bits == 0) return AC_EINVAL;
  uint64_t id = ac__msg_id(node);
  ac__emit(node, AC_EV_SEND, 0, self->head.pid.bits, to.bits, id, msg.p, size);
  if (ac_pid_node(to) != node->index) { /* the receiving node checks the alias */
    ac__dist_msg(node, AC_DIST_SEND, ac_pid_node(to), self->head.pid, to, NULL, msg, id, alias.bits, 0);
    return AC_OK;
  }
  ac_proc *p = ac__proc_get(node, to);
  if (!p || (p->head.flags & AC__F_EXITING) || !ac__has_monitor(node, p, alias.bits)) {
    ac__emit(node, AC_EV_SEND_DEAD, 0, self->head.pid.bits, to.bits, id, NULL, 0);
    return AC_OK;
  }
  ac__deliver(node, p, self->head.pid, msg, id, true);
  return AC_OK;
}

int ac_send_name(ac_proc *self, const char *name, ac_term msg) {
  AC__ASSERT_RUNNING(self);
  if (!name) return AC_EINVAL;
  ac_pid to = ac__whereis(self->node, name, strlen(name));
  if (ac_pid_is_none(to)) return AC_ENONAME;
  return ac__send(self->node, self->head.pid, to, msg);
}

int ac_node_send(ac_node *node, ac_pid to, ac_term msg) {
  int rc = ac__send(node, ac_node_pid(node), to, msg);
  ac__drain(node);
  return rc;
}

int ac_node_send_name(ac_node *node, const char *name, ac_term msg) {
  if (!name) return AC_EINVAL;
  ac_pid to = ac__whereis(node, name, strlen(name));
  if (ac_pid_is_none(to)) return AC_ENONAME;
  return ac_node_send(node, to, msg);
}


/* ---- Receive ----------------------------------------------------------------------------- */

static void receive_clear(ac_node *node, ac_proc *p) {
  ac__timer_recv_cancel(node, p);
  if (p->head.flags & AC__F_PATTERN) ac__msg_free(node, (ac_msg *)p->match_arg);
  p->head.flags &= ~(uint32_t)(AC__F_PATTERN | AC__F_TIMED_OUT | AC__F_WAITING);
  p->match = NULL;
  p->match_arg = NULL;
  p->recv_timeout_ns = AC_INFINITY;
}

int ac_receive(ac_proc *self, ac_match_fn match, const void *arg, int64_t timeout_ns) {
  AC__ASSERT_RUNNING(self);
  if (timeout_ns < AC_INFINITY) return AC_EINVAL;
  receive_clear(self->node, self);
  self->match = match;
  self->match_arg = arg;
  self->recv_timeout_ns = timeout_ns;
  self->head.flags |= AC__F_RECV_SET;
  return AC_OK;
}

int ac_yield(ac_proc *self) {
  AC__ASSERT_RUNNING(self);
  self->head.flags |= AC__F_YIELD;
  return AC_OK;
}

int ac_receive_pattern(ac_proc *self, ac_term pattern, int64_t timeout_ns) {
  AC__ASSERT_RUNNING(self);
  if (timeout_ns < AC_INFINITY) return AC_EINVAL;
  ac_msg *copy = ac__msg_new(self->node, self->head.pid, pattern);
  if (!copy) return AC_ENOMEM;
  ac_receive(self, pattern_match, copy, timeout_ns);
  self->head.flags |= AC__F_PATTERN;
  return AC_OK;
}

/* Starts the receive declared by the callback that just returned (or "receive any"). */
static void receive_begin(ac_node *node, ac_proc *p) {
  if (p->head.flags & AC__F_YIELD) { /* no receive: runnable again at once */
    p->head.flags = (p->head.flags & ~(uint32_t)(AC__F_YIELD | AC__F_RECV_SET)) | AC__F_CONTINUE;
    ac__make_runnable(node, p);
    return;
  }
  if (!(p->head.flags & AC__F_RECV_SET)) receive_clear(node, p);
  p->head.flags &= ~(uint32_t)AC__F_RECV_SET;
  p->recv_gen++;
  p->save = &p->mbox_head;
  while (*p->save && !msg_matches(p, *p->save)) p->save = &(*p->save)->next;
  if (*p->save) {
    p->head.flags |= AC__F_MATCHED;
    ac__make_runnable(node, p);
  } else if (p->recv_timeout_ns == 0) {
    p->head.flags |= AC__F_TIMED_OUT;
    ac__make_runnable(node, p);
  } else {
    p->head.flags |= AC__F_WAITING;
    if (p->recv_timeout_ns > 0 &&
        ac__timer_recv_arm(node, p, (uint64_t)p->recv_timeout_ns) != AC_OK)
      ac__doom_atom(node, p, "out_of_memory");
  }
}

/* The Erlang exit reason for a status a callback returned. */
static const char *status_atom(int rc) {
  switch (rc) {
    case AC_ENOPROC: return "noproc";
    case AC_ENONAME:
    case AC_ENAMETAKEN:
    case AC_EHASNAME:
    case AC_EBADNAME:
    case AC_EINVAL: return "badarg";
    case AC_ETOOBIG:
    case AC_ETOODEEP:
    case AC_ENOMEM:
    case AC_ELIMIT: return "system_limit";
    default: return NULL;
  }
}

int ac_status_reason(int status, ac_tbuf *b, ac_term *out) {
  const char *atom = status_atom(status);
  return atom ? ac_term_build(b, out, "a", atom)
              : ac_term_build(b, out, "{a,a}", "c_error", ac_errname(status));
}

static void doom_for_status(ac_node *node, ac_proc *p, int rc) {
  const char *atom = status_atom(rc);
  if (atom) { /* no memory needed: these are what an allocation failure raises */
    ac__doom_atom(node, p, atom);
    return;
  }
  ac_tbuf b;
  ac_term reason;
  if (ac_status_reason(rc, &b, &reason) == AC_OK) ac__doom(node, p, reason);
  ac_tb_free(&b);
}

/* {ack, Pid, ok} to the spawner: the init of a process spawned with AC_SPAWN_ACK is done. */
/* The init argument message stays (its sender is the spawner) until the ack is sent; it is
 * freed at the end of that step, since the init callback may still be reading it. */
static int send_ack(ac_node *node, ac_proc *p) {
  p->head.flags &= ~(uint32_t)AC__F_ACK;
  ac_msg *arg = p->init_arg;
  ac_tbuf b;
  ac_tb_init(&b);
  ac_term ack;
  int rc = ac_tb_fmt(&b, "{a,p,a}", "ack", p->head.pid, "ok");
  if (rc == AC_OK) rc = ac_tb_finish(&b, &ack);
  if (rc == AC_OK) rc = ac__send(node, p->head.pid, arg->from, ack);
  ac_tb_free(&b);
  return rc;
}

int ac_defer_ack(ac_proc *self) {
  AC__ASSERT_RUNNING(self);
  if (self->head.flags & AC__F_ACK) self->head.flags |= AC__F_ACK_DEFER;
  return AC_OK;
}

int ac_ack_parent(const ac_proc *self, ac_pid *parent_out) {
  AC__ASSERT_RUNNING(self);
  if (!parent_out || !(self->head.flags & AC__F_ACK) || !self->init_arg) return AC_ESTATE;
  *parent_out = self->init_arg->from;
  return AC_OK;
}

int ac_ack(ac_proc *self) {
  AC__ASSERT_RUNNING(self);
  if (!(self->head.flags & AC__F_ACK)) return AC_ESTATE;
  self->head.flags &= ~(uint32_t)AC__F_ACK_DEFER;
  return send_ack(self->node, self);
}

void ac_node_run(ac_node *node, ac_proc *p) {
  assert(p->head.flags & AC__F_RUNNABLE);
  assert(node->running == NULL && "ac_node_run is not re-entrant");
  p->head.flags = (p->head.flags & ~(uint32_t)AC__F_RUNNABLE) | AC__F_RUNNING;
  node->running = p;
  int rc = AC_OK;
  if (p->head.flags & AC__F_INIT) {
    p->head.flags &= ~(uint32_t)AC__F_INIT;
    if (p->beh->init) rc = p->beh->init(p, ac_msg_term(p->init_arg)); /* freed below */
  } else if (p->head.flags & AC__F_CONTINUE) {
    p->head.flags &= ~(uint32_t)AC__F_CONTINUE;
    rc = p->beh->handle(p, NULL);
  } else if (p->head.flags & AC__F_MATCHED) {
    /* Only a message the receive matched: one that arrived after a timeout fired is not. */
    p->head.flags &= ~(uint32_t)AC__F_MATCHED;
    ac_msg *m = *p->save;
    assert(m != NULL);
    *p->save = m->next;
    if (p->mbox_tail == &m->next) p->mbox_tail = p->save;
    p->mbox_len--;
    receive_clear(node, p);
    ac__emit(node, AC_EV_RECEIVE, 0, p->head.pid.bits, m->from.bits, m->id, NULL, 0);
    rc = p->beh->handle(p, m);
    ac__msg_free(node, m);
  } else {
    assert(p->head.flags & AC__F_TIMED_OUT);
    receive_clear(node, p);
    ac__emit(node, AC_EV_TIMEOUT, 0, p->head.pid.bits, 0, 0, NULL, 0);
    rc = p->beh->handle(p, NULL);
  }
  if ((p->head.flags & AC__F_ACK) && rc == AC_OK &&
      !(p->head.flags & (AC__F_EXITING | AC__F_YIELD | AC__F_ACK_DEFER)))
    rc = send_ack(node, p);
  if (p->init_arg && !(p->head.flags & AC__F_ACK)) { /* no ack (still) to send */
    ac__msg_free(node, p->init_arg);
    p->init_arg = NULL;
  }
  node->running = NULL;
  p->head.flags &= ~(uint32_t)AC__F_RUNNING;
  if (rc != AC_OK && !(p->head.flags & AC__F_EXITING)) doom_for_status(node, p, rc);
  if (p->head.flags & AC__F_EXITING) {
    ac__doomed_push(node, p); /* doomed while running: finalised now that it returned */
  } else {
    receive_begin(node, p);
  }
  ac__drain(node);
}

/* Frees everything a process owns and its slot, without any signal or event. */
void ac__proc_release(ac_node *node, ac_proc *p) {
  ac_msg *m = p->mbox_head;
  while (m) {
    ac_msg *next = m->next;
    ac__msg_free(node, m);
    m = next;
  }
  if (p->head.flags & AC__F_PATTERN) ac__msg_free(node, (ac_msg *)p->match_arg);
  ac__msg_free(node, p->init_arg);
  ac__msg_free(node, p->exit_reason);
  if (p->state) ac_alloc_put(&node->alloc, p->state, p->beh->state_size);
  ac__rel_free_all(node, p);
  node->live_count--;
  ac_alloc_account(&node->alloc, -(int64_t)sizeof(ac_proc), 0);
  slot_put(node, p);
}
