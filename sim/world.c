/*
 * The world's scheduler loop, its timer heap, its nodes and its host interface for them (see
 * world.h). The network between the nodes is sim/net.c; what the two share is sim/internal.h.
 *
 * Invariants: every item in `runq` is a process the node declared ready and has not run yet
 * (its head.host_index is its position); every item in `due` has time == now; the heap holds
 * only items later than now once the loop has moved the due ones out. Cost per step: one heap
 * peek, one draw from the scheduling stream (skipped when a single item is ready), one
 * swap-remove.
 */
#include "world.h"

#include <assert.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"


/* ---- Timer heap -------------------------------------------------------------------------- */

static bool entry_before(const heap_entry *x, const heap_entry *y) {
  return x->at_ns < y->at_ns || (x->at_ns == y->at_ns && x->seq < y->seq);
}

static void heap_place(sim_world *w, uint32_t i, const heap_entry *e) {
  w->heap[i] = *e;
  w->slots[e->slot].pos = i;
}

static void sift_up(sim_world *w, uint32_t i, heap_entry e) {
  while (i > 0) {
    uint32_t parent = (i - 1) / 4;
    if (!entry_before(&e, &w->heap[parent])) break;
    heap_place(w, i, &w->heap[parent]);
    i = parent;
  }
  heap_place(w, i, &e);
}

static void sift_down(sim_world *w, uint32_t i, heap_entry e) {
  uint32_t n = w->heap_len;
  for (;;) {
    uint32_t first = 4 * i + 1, best = i;
    const heap_entry *best_entry = &e;
    for (uint32_t c = first; c < first + 4 && c < n; c++) {
      if (entry_before(&w->heap[c], best_entry)) {
        best = c;
        best_entry = &w->heap[c];
      }
    }
    if (best == i) break;
    heap_place(w, i, &w->heap[best]);
    i = best;
  }
  heap_place(w, i, &e);
}

/* Pushes a copy of item; *handle (if not NULL) gets its handle. */
static int heap_push_h(sim_world *w, sim_item *item, uint64_t *handle) {
  if (ac_grow((void **)&w->heap, &w->heap_cap, w->heap_len + 1, sizeof *w->heap)) return AC_ENOMEM;
  /* Items moved to `due` give their slots back, so new items can be pushed while they wait:
   * due must hold everything in the heap and in due at once, and grows here, where a failure
   * can still be returned, never while the run loop fills it. */
  if (w->heap_len + 1 + w->due_len > w->due_cap) {
    uint32_t due_cap = w->due_cap;
    if (ac_grow((void **)&w->due, &due_cap, w->heap_len + 1 + w->due_len, sizeof *w->due))
      return AC_ENOMEM;
    w->due_cap = due_cap;
  }
  if (!w->slot_free) {
    /* items, slots and due grow together (and due again above, when due items have given
     * their slots back). */
    uint32_t old = w->slot_cap, cap = w->slot_cap, due_cap = w->due_cap;
    if (ac_grow((void **)&w->items, &cap, old + 1, sizeof *w->items) ||
        ac_grow((void **)&w->due, &due_cap, old + 1, sizeof *w->due) ||
        ac_grow((void **)&w->slots, &w->slot_cap, old + 1, sizeof *w->slots))
      return AC_ENOMEM;
    w->due_cap = due_cap;
    for (uint32_t k = w->slot_cap; k-- > old;) { /* chained so that low slots go first */
      w->slots[k].pos = w->slot_free;
      w->slots[k].gen = 0;
      w->slot_free = k + 1;
    }
  }
  uint32_t slot = w->slot_free - 1;
  heap_slot *hs = &w->slots[slot];
  w->slot_free = hs->pos;
  w->items[slot] = *item;
  hs->gen++;
  if (handle) *handle = (uint64_t)hs->gen << 32 | slot;
  assert(item->at_ns >= w->now_ns && "nothing is scheduled in the past");
  heap_entry e = {item->at_ns, w->seq++, slot};
  sift_up(w, w->heap_len++, e);
  assert(w->heap_len <= w->heap_cap && w->heap_len + w->due_len <= w->due_cap);
  return AC_OK;
}

int sim__heap_push(sim_world *w, sim_item *item) { return heap_push_h(w, item, NULL); }

static void slot_release(sim_world *w, uint32_t slot) {
  w->slots[slot].gen++; /* its handle is stale from now on */
  w->slots[slot].pos = w->slot_free;
  w->slot_free = slot + 1;
}

/* The item at the top of the heap (heap_len > 0). */
static sim_item *heap_top(const sim_world *w) { return &w->items[w->heap[0].slot]; }

/* Takes the heap entry at position i out; returns its item. */
static sim_item heap_take(sim_world *w, uint32_t i) {
  assert(i < w->heap_len);
  uint32_t slot = w->heap[i].slot;
  assert(slot < w->slot_cap && w->slots[slot].pos == i && "an entry's slot knows its place");
  sim_item item = w->items[slot];
  slot_release(w, slot);
  heap_entry last = w->heap[--w->heap_len];
  if (i < w->heap_len) {
    if (i > 0 && entry_before(&last, &w->heap[(i - 1) / 4])) sift_up(w, i, last);
    else sift_down(w, i, last);
  }
  return item;
}

static sim_item heap_pop(sim_world *w) { return heap_take(w, 0); }

/* ---- Machines, incarnations and clocks --------------------------------------------------- */

sim_machine *sim__machine_of_index(const sim_world *w, uint32_t index) {
  return index < w->node_count ? &w->machines[w->node_machine[index]] : NULL;
}

/* A machine's clock at virtual time t: base_local + (t - base_global) * (1 + drift). */
static uint64_t clock_at(const sim_machine *m, uint64_t t) {
  uint64_t elapsed = t - m->clock_base_global;
  if (m->drift == 0) return m->clock_base_local + elapsed;
  double local = (double)m->clock_base_local + (double)elapsed * (1.0 + m->drift);
  return local <= 0 ? 0 : local >= 1.8e19 ? UINT64_MAX : (uint64_t)local;
}

/* ---- Host interface for nodes ------------------------------------------------------------ */

static uint64_t host_now(void *ctx, uint32_t node) {
  sim_world *w = ctx;
  sim_machine *m = sim__machine_of_index(w, node);
  return m ? clock_at(m, w->now_ns) : w->now_ns;
}

static sim_proc_fault *proc_fault(const sim_world *w, ac_pid pid) {
  for (uint32_t i = 0; i < w->fault_count; i++)
    if (ac_pid_eq(w->faults[i].pid, pid)) return &w->faults[i];
  return NULL;
}

static void runq_push(sim_world *w, ac_proc *p);

static void host_ready(void *ctx, ac_proc *p) {
  sim_world *w = ctx;
  sim_proc_fault *f = w->fault_count ? proc_fault(w, ac_proc_head_of(p)->pid) : NULL;
  if (f && (f->paused || f->slow_ns)) { /* held back */
    f->parked = p;
    if (!f->paused) {
      sim_item item = {.at_ns = sim__after(w, f->slow_ns), .kind = ITEM_WAKE};
      item.u.wake.pid = f->pid;
      item.u.wake.seq = ++f->wake_seq;
      if (sim__heap_push(w, &item)) abort(); /* as for the run queue: nothing sensible to do */
    }
    return;
  }
  runq_push(w, p);
}

static void runq_push(sim_world *w, ac_proc *p) {
  /* Every process slot reserved its place (host_reserve), and a process is ready once. */
  assert(w->runq_len < w->runq_cap && "the run queue has room for every process slot");
  ac_proc_head_of(p)->host_index = w->runq_len;
  w->runq[w->runq_len++] = p;
}

static void runq_remove(sim_world *w, uint32_t i) {
  assert(i < w->runq_len && ac_proc_head_of(w->runq[i])->host_index == i);
  ac_proc *last = w->runq[--w->runq_len];
  w->runq[i] = last;
  ac_proc_head_of(last)->host_index = i;
}

/* ac_host.reserve: one more process slot somewhere, so one more place in the run queue. */
static int host_reserve(void *ctx, uint32_t node) {
  (void)node;
  sim_world *w = ctx;
  if (ac_grow((void **)&w->runq, &w->runq_cap, w->runq_slots + 1, sizeof *w->runq)) return AC_ENOMEM;
  w->runq_slots++;
  return AC_OK;
}

static void host_unready(void *ctx, ac_proc *p) {
  sim_world *w = ctx;
  uint32_t i = ac_proc_head_of(p)->host_index;
  if (i < w->runq_len && w->runq[i] == p) runq_remove(w, i);
  sim_proc_fault *f = w->fault_count ? proc_fault(w, ac_proc_head_of(p)->pid) : NULL;
  if (f && f->parked == p) f->parked = NULL;
}

/* A slowed process's extra time is over: it joins the run queue. */
static void wake_fire(sim_world *w, ac_pid pid, uint64_t seq) {
  sim_proc_fault *f = proc_fault(w, pid);
  if (!f || !f->parked || f->paused || f->wake_seq != seq) return;
  ac_proc *p = f->parked;
  f->parked = NULL;
  runq_push(w, p);
}

int sim__proc_fault_set(sim_world *w, ac_pid pid, bool paused, uint64_t slow_ns) {
  sim_proc_fault *f = proc_fault(w, pid);
  if (!f) {
    if (!paused && !slow_ns) return AC_OK;
    if (ac_grow((void **)&w->faults, &w->fault_cap, w->fault_count + 1, sizeof *w->faults))
      return AC_ENOMEM;
    f = &w->faults[w->fault_count++];
    memset(f, 0, sizeof *f);
    f->pid = pid;
  }
  f->paused = paused;
  f->slow_ns = slow_ns;
  if (paused && !f->parked) /* runnable now: it stops where it is */
    for (uint32_t i = 0; i < w->runq_len; i++)
      if (ac_pid_eq(ac_proc_head_of(w->runq[i])->pid, pid)) {
        f->parked = w->runq[i];
        runq_remove(w, i);
        break;
      }
  ac_proc *p = f->parked;
  if (!paused && p) { /* resumed: what it was held for runs now (or after its delay) */
    f->parked = NULL;
    f->wake_seq++;
    host_ready(w, p);
    f = proc_fault(w, pid);
  }
  if (f && !f->paused && !f->slow_ns && !f->parked) { /* back to normal: forget it */
    *f = w->faults[--w->fault_count];
  }
  return AC_OK;
}

/* Virtual time, saturated: a delay past the end of time fires never rather than wrapping. */
uint64_t sim__after(const sim_world *w, uint64_t delay_ns) {
  return delay_ns > UINT64_MAX - w->now_ns ? UINT64_MAX : w->now_ns + delay_ns;
}

static int host_timer_start(void *ctx, uint64_t delay_ns, const ac_timer *t, uint64_t *handle) {
  sim_world *w = ctx;
  /* The delay is on the node's clock: a clock that runs fast fires its timers early. */
  sim_machine *m = sim__machine_of_index(w, t->node);
  if (m && m->drift != 0) {
    /* Rounded up: when it fires, the node's clock has reached the time it asked for. */
    double d = ceil((double)delay_ns / (1.0 + m->drift));
    delay_ns = d >= 1.8e19 ? UINT64_MAX : (uint64_t)d;
  }
  sim_item item = {.at_ns = sim__after(w, delay_ns), .kind = ITEM_TIMER, .node = t->node,
                   .cancellable = handle != NULL};
  item.u.timer = *t;
  return heap_push_h(w, &item, handle);
}

/* Takes a cancelled timer out of the heap at once: a receive timeout that was not needed
 * (nearly all of them) then costs no heap room and no pop. One already moved to `due` stays
 * (it was counted among the ready items: taking it out would change the schedule); its
 * handle is stale by then. */
static void host_timer_cancel(void *ctx, uint64_t handle) {
  sim_world *w = ctx;
  uint32_t slot = (uint32_t)handle, gen = (uint32_t)(handle >> 32);
  if (slot >= w->slot_cap || w->slots[slot].gen != gen) return;
  assert(w->items[slot].kind == ITEM_TIMER && w->items[slot].cancellable);
  (void)heap_take(w, w->slots[slot].pos); /* only receive timeouts come here: they own nothing */
}

void sim__event(void *ctx, const ac_event *ev) {
  sim_world *w = ctx;
  sim_trace_record(&w->trace, w->now_ns, ev);
  if (w->event_hook) {
    sim_record r = {ev->kind, ev->flags, ev->payload_size, w->now_ns, ev->node,
                    ev->a,    ev->b,     ev->c,            ev->payload};
    w->event_hook(&r, w->event_hook_arg);
  }
}

static const char *host_node_name(void *ctx, uint32_t index) {
  sim_machine *m = sim__machine_of_index(ctx, index);
  return m ? m->name : NULL;
}

/* ---- Nodes -------------------------------------------------------------------------------- */

static int incarnation_new(sim_world *w, uint32_t machine) {
  if (w->node_count > AC_NODE_MAX) return AC_ELIMIT;
  uint32_t cap = w->node_cap; /* two arrays, one capacity: it is raised once both have it */
  if (ac_grow((void **)&w->nodes, &cap, w->node_count + 1, sizeof *w->nodes)) return AC_ENOMEM;
  cap = w->node_cap;
  if (ac_grow((void **)&w->node_machine, &cap, w->node_count + 1, sizeof *w->node_machine))
    return AC_ENOMEM;
  w->node_cap = cap;
  sim_machine *m = &w->machines[machine];
  ac_host host = {.ctx = w,
                  .now_ns = host_now,
                  .ready = host_ready,
                  .unready = host_unready,
                  .timer_start = host_timer_start,
                  .timer_cancel = host_timer_cancel,
                  .route = sim__net_route,
                  .node_name = host_node_name,
                  .connect = sim__net_connect,
                  .event = sim__event,
                  .reserve = host_reserve};
  ac_node *node;
  int rc = ac_node_create(&node, w->node_count, m->name, m->has_cfg ? &m->cfg : NULL, &host);
  if (rc) return rc;
  ac_node_set_code(node, m->code);
  uint32_t index = w->node_count++;
  w->nodes[index] = node;
  w->node_machine[index] = machine;
  m->node = node;
  m->index = index;
  ac_tbuf b;
  ac_tb_init(&b);
  ac_term t;
  ac_tb_atom(&b, m->name);
  if (ac_tb_finish(&b, &t) == AC_OK) {
    ac_event ev = {AC_EV_NODE, 0, index, index, machine, 0, t.p, (uint32_t)ac_term_size(t)};
    sim__event(w, &ev);
  }
  ac_tb_free(&b);
  return AC_OK;
}

int sim_node_add(sim_world *w, const char *name, const ac_node_config *cfg, ac_node **out) {
  if (!name || !*name || strlen(name) > AC_ATOM_LEN_MAX) return AC_EINVAL;
  if (sim_node_find(w, name) >= 0) return AC_EINVAL; /* a duplicate */
  if (w->machine_count > AC_NODE_MAX || w->node_count > AC_NODE_MAX) return AC_ELIMIT;
  if (ac_grow((void **)&w->machines, &w->machine_cap, w->machine_count + 1, sizeof *w->machines))
    return AC_ENOMEM;
  if (sim__net_reserve(w, w->machine_count + 1)) return AC_ENOMEM;
  sim_machine *m = &w->machines[w->machine_count];
  memset(m, 0, sizeof *m);
  strcpy(m->name, name);
  if (cfg) {
    m->has_cfg = true;
    m->cfg = *cfg;
  }
  m->clock_base_global = w->now_ns;
  m->clock_base_local = w->now_ns;
  if (ac_code_create(&m->code)) return AC_ENOMEM;
  int rc = incarnation_new(w, w->machine_count);
  if (rc) {
    ac_code_destroy(m->code);
    m->code = NULL;
    return rc;
  }
  w->machine_count++;
  if (out) *out = m->node;
  return AC_OK;
}

ac_node *sim_node(sim_world *w, uint32_t machine) {
  return machine < w->machine_count ? w->machines[machine].node : NULL;
}
uint32_t sim_node_count(const sim_world *w) { return w->machine_count; }

int sim_node_find(const sim_world *w, const char *name) {
  if (!name) return AC_EINVAL;
  for (uint32_t i = 0; i < w->machine_count; i++)
    if (strcmp(w->machines[i].name, name) == 0) return (int)i;
  return AC_ENOTFOUND;
}

const char *sim_node_name(const sim_world *w, uint32_t machine) {
  return machine < w->machine_count ? w->machines[machine].name : NULL;
}

int sim_node_of_index(const sim_world *w, uint32_t index) {
  return index < w->node_count ? (int)w->node_machine[index] : AC_ENOTFOUND;
}

uint32_t sim_node_incarnation(const sim_world *w, uint32_t machine) {
  return machine < w->machine_count ? w->machines[machine].index : 0;
}

void sim_set_boot_hook(sim_world *w, sim_boot_fn fn, void *arg) {
  w->boot = fn;
  w->boot_arg = arg;
}

/* Forgets every queued item that belongs to a node index (its timers, its runnable processes). */
static void purge_node(sim_world *w, uint32_t index, ac_node *node) {
  for (uint32_t i = 0; i < w->fault_count; i++)
    if (ac_pid_node(w->faults[i].pid) == index) w->faults[i].parked = NULL;
  for (uint32_t i = 0; i < w->runq_len;)
    if (ac_proc_node(w->runq[i]) == node) runq_remove(w, i);
    else i++;
  for (uint32_t i = 0; i < w->heap_len + w->due_len; i++) {
    sim_item *it = i < w->heap_len ? &w->items[w->heap[i].slot] : &w->due[i - w->heap_len];
    if (it->kind == ITEM_TIMER && it->node == index) {
      ac_node_timer_drop(node, &it->u.timer);
      it->kind = ITEM_NONE; /* stays in its place, does nothing when its time comes */
    }
  }
}

int sim__node_crash(sim_world *w, uint32_t machine) {
  if (machine >= w->machine_count) return AC_EINVAL;
  sim_machine *m = &w->machines[machine];
  if (!m->node) return AC_ESTATE;
  ac_node *node = m->node;
  m->node = NULL;
  w->nodes[m->index] = NULL;
  purge_node(w, m->index, node);
  sim__net_node_crashed(w, machine);
  ac_node_destroy(node);
  return AC_OK;
}

int sim__node_restart(sim_world *w, uint32_t machine) {
  if (machine >= w->machine_count) return AC_EINVAL;
  sim_machine *m = &w->machines[machine];
  if (m->node) return AC_ESTATE;
  int rc = incarnation_new(w, machine);
  if (rc) return rc;
  if (w->boot) w->boot(w, machine, m->node, w->boot_arg);
  return AC_OK;
}

int sim__clock_set(sim_world *w, uint32_t machine, int64_t jump_ns, double drift) {
  if (machine >= w->machine_count || !(drift > -1.0 && drift < 1e6)) return AC_EINVAL;
  sim_machine *m = &w->machines[machine];
  uint64_t local = clock_at(m, w->now_ns);
  if (jump_ns < 0 && (uint64_t)(-(jump_ns + 1)) + 1 > local) local = 0;
  else local += (uint64_t)jump_ns;
  m->clock_base_global = w->now_ns;
  m->clock_base_local = local;
  m->drift = drift;
  return AC_OK;
}

uint64_t sim_node_now(const sim_world *w, uint32_t machine) {
  return machine < w->machine_count ? clock_at(&w->machines[machine], w->now_ns) : w->now_ns;
}

/* ---- World ------------------------------------------------------------------------------- */

int sim_world_create(sim_world **out, const sim_config *cfg) {
  if (!out || !cfg) return AC_EINVAL;
  sim_world *w = ac_calloc(1, sizeof *w);
  if (!w) return AC_ENOMEM;
  const char *name = cfg->name ? cfg->name : "unnamed";
  w->name = ac_malloc(strlen(name) + 1);
  if (!w->name) {
    free(w);
    return AC_ENOMEM;
  }
  strcpy(w->name, name);
  w->seed = cfg->seed;
  w->tick_ns = SIM_NET_TICK_DEFAULT;
  sim_rng_seed(&w->sched, cfg->seed, sim_stream_id("sched"));
  sim_trace_init(&w->trace);
  if (cfg->trace_path || cfg->trace_fd > 0) {
    int rc = cfg->trace_fd > 0 ? sim_trace_open_fd(&w->trace, cfg->trace_fd, cfg->seed, name)
                               : sim_trace_open(&w->trace, cfg->trace_path, cfg->seed, name);
    if (rc) {
      free(w->name);
      free(w);
      return rc;
    }
  }
  w->trace.limit_bytes = cfg->trace_limit_bytes;
  *out = w;
  return AC_OK;
}

static void item_drop(sim_world *w, sim_item *it) {
  if (it->kind == ITEM_TIMER && w->nodes[it->node]) ac_node_timer_drop(w->nodes[it->node], &it->u.timer);
  if (it->kind == ITEM_DELIVER) free(it->u.packet);
}

void sim_world_destroy(sim_world *w) {
  if (!w) return;
  sim_trace_close(&w->trace, false);
  sim_trace_keep_recent(&w->trace, 0);
  for (uint32_t i = 0; i < w->heap_len; i++) item_drop(w, &w->items[w->heap[i].slot]);
  for (uint32_t i = 0; i < w->due_len; i++) item_drop(w, &w->due[i]);
  sim__net_free(w);
  for (uint32_t i = 0; i < w->node_count; i++) ac_node_destroy(w->nodes[i]);
  for (uint32_t i = 0; i < w->machine_count; i++) ac_code_destroy(w->machines[i].code);
  for (uint32_t i = 0; i < w->stream_count; i++) {
    free(w->streams[i]->name);
    free(w->streams[i]);
  }
  free(w->streams);
  free(w->nodes);
  free(w->node_machine);
  free(w->machines);
  free(w->faults);
  free(w->plan_done);
  free(w->runq);
  free(w->heap);
  free(w->items);
  free(w->slots);
  free(w->due);
  free(w->name);
  free(w);
}

int sim_at(sim_world *w, uint64_t at_ns, sim_callback fn, void *arg) {
  if (!fn || at_ns < w->now_ns) return AC_EINVAL;
  sim_item item = {.at_ns = at_ns, .kind = ITEM_CALLBACK};
  item.u.cb.fn = fn;
  item.u.cb.arg = arg;
  return sim__heap_push(w, &item);
}

void sim_set_step_hook(sim_world *w, sim_callback fn, void *arg) {
  w->step_hook = fn;
  w->step_hook_arg = arg;
}

void sim_request_stop(sim_world *w) { w->stop_requested = 1; }

void sim_set_event_hook(sim_world *w, sim_event_fn fn, void *arg) {
  w->event_hook = fn;
  w->event_hook_arg = arg;
}

static void fire(sim_world *w, const sim_item *item) {
  if (item->kind == ITEM_TIMER) {
    ac_node_timer(w->nodes[item->node], &item->u.timer);
  } else if (item->kind == ITEM_DELIVER) {
    sim__net_arrive(w, item->u.packet);
    free(item->u.packet);
  } else if (item->kind == ITEM_WAKE) {
    wake_fire(w, item->u.wake.pid, item->u.wake.seq);
  } else if (item->kind == ITEM_TICK) {
    sim__net_tick(w, item->u.tick.from, item->u.tick.to, item->u.tick.epoch);
  } else if (item->kind == ITEM_CALLBACK) {
    item->u.cb.fn(w, item->u.cb.arg);
  }
}

/* Drops dead timers (completed receives, cancelled timers) from the top of the heap, so that
 * they neither take a scheduling draw nor move the clock. */
static void drop_dead_timers(sim_world *w) {
  while (w->heap_len && (heap_top(w)->kind == ITEM_NONE ||
                         (heap_top(w)->kind == ITEM_TIMER && !heap_top(w)->cancellable &&
                          !ac_node_timer_live(w->nodes[heap_top(w)->node], &heap_top(w)->u.timer)))) {
    sim_item dead = heap_pop(w);
    if (dead.kind == ITEM_TIMER) ac_node_timer_drop(w->nodes[dead.node], &dead.u.timer);
  }
}

/* Moves every heap item due now into `due`. */
static void collect_due(sim_world *w) {
  for (drop_dead_timers(w); w->heap_len && w->heap[0].at_ns <= w->now_ns; drop_dead_timers(w)) {
    assert(w->due_len < w->due_cap && "due grows with the slots (heap_push_h)");
    w->due[w->due_len++] = heap_pop(w);
  }
}

/* Whether the heap holds nothing but ticks of steady connections and dead items: then nothing
 * will ever happen again, and a run is over (the connection ticks alone do not keep it going).
 * Checked only when a tick is next, which is rare. */
static bool only_background(const sim_world *w) {
  for (uint32_t i = 0; i < w->heap_len; i++) {
    const sim_item *it = &w->items[w->heap[i].slot];
    if (it->kind == ITEM_NONE) continue;
    if (it->kind == ITEM_TICK) {
      if (sim__net_steady(w, it->u.tick.from, it->u.tick.to, it->u.tick.epoch)) continue;
      return false;
    }
    if (it->kind == ITEM_TIMER && !it->cancellable && !ac_node_timer_live(w->nodes[it->node], &it->u.timer))
      continue;
    return false;
  }
  return true;
}

sim_stop_reason sim_run(sim_world *w, const sim_limits *limits) {
  uint64_t time_max = limits ? limits->time_ns_max : 0;
  uint64_t steps_max = limits ? limits->step_count_max : 0;
  sim_net_links_check(w); /* what the setup changed */
  w->started = true;
  for (;;) {
    if (steps_max && w->steps >= steps_max) return SIM_STOP_STEP_LIMIT;
    collect_due(w);
    assert((w->heap_len == 0 || w->heap[0].at_ns > w->now_ns) && "what is due now is in due");
    uint64_t ready = (uint64_t)w->runq_len + w->due_len;
    if (ready == 0) {
      bool idle = w->heap_len == 0 || (heap_top(w)->kind == ITEM_TICK && only_background(w));
      int planned = sim__plan_idle(w, idle ? UINT64_MAX : w->heap[0].at_ns, time_max);
      if (planned == 2 && w->step_hook) w->step_hook(w, w->step_hook_arg); /* as after a step */
      if (planned == 2 && w->stop_requested) {
        w->stop_requested = 0;
        return SIM_STOP_REQUESTED;
      }
      if (planned) continue;
      if (idle) return SIM_STOP_QUIESCENT;
      if (time_max && w->heap[0].at_ns > time_max) {
        w->now_ns = time_max;
        return SIM_STOP_TIME_LIMIT;
      }
      assert(w->heap[0].at_ns > w->now_ns && "the clock only moves forward");
      w->now_ns = w->heap[0].at_ns;
      continue;
    }
    uint64_t pick = ready == 1 ? 0 : sim_rng_below(&w->sched, ready);
    if (pick < w->runq_len) {
      ac_proc *p = w->runq[pick];
      runq_remove(w, (uint32_t)pick);
      ac_node_run(ac_proc_node(p), p);
    } else {
      uint32_t i = (uint32_t)(pick - w->runq_len);
      sim_item item = w->due[i];
      w->due[i] = w->due[--w->due_len];
      fire(w, &item);
    }
    w->steps++;
    if (w->links_dirty) sim_net_links_check(w);
    if (w->step_hook) w->step_hook(w, w->step_hook_arg);
    if (w->stop_requested) {
      w->stop_requested = 0; /* cleared here, not on entry: a request made before the run
                                (a signal during setup) still stops it */
      return SIM_STOP_REQUESTED;
    }
    if (w->trace.over_limit) return SIM_STOP_TRACE_LIMIT;
  }
}

void sim_end(sim_world *w, uint16_t why, uint32_t verdict, const char *detail) {
  if (w->ended) return;
  w->ended = true;
  sim_net_links_check(w);
  ac_tbuf b;
  ac_tb_init(&b);
  ac_term t;
  const char *text = detail ? detail : "";
  if (ac_tb_binary(&b, text, strlen(text)) == AC_OK && ac_tb_finish(&b, &t) == AC_OK) {
    ac_event ev = {AC_EV_RUN_END, why, 0, verdict, 0, 0, t.p, (uint32_t)ac_term_size(t)};
    sim__event(w, &ev);
  }
  ac_tb_free(&b);
}

void sim_property_failed(sim_world *w, const char *name, const char *message) {
  ac_tbuf b;
  ac_term t;
  if (ac_term_build(&b, &t, "{b,b}", name, strlen(name), message, strlen(message)) == AC_OK) {
    ac_event ev = {AC_EV_PROPERTY, 1, 0, 0, 0, 0, t.p, (uint32_t)ac_term_size(t)};
    sim__event(w, &ev);
  }
  ac_tb_free(&b);
}

bool sim_trace_limit_reached(const sim_world *w) { return w->trace.over_limit; }

int sim_finish(sim_world *w) {
  if (w->finished) return w->trace.err;
  sim_end(w, SIM_END_FINISHED, 0, "finished"); /* when the host has not said why */
  w->finished = true;
  return sim_trace_close(&w->trace, true);
}

uint64_t sim_now(const sim_world *w) { return w->now_ns; }
uint64_t sim_hash(const sim_world *w) { return w->trace.hash; }
uint64_t sim_event_count(const sim_world *w) { return w->trace.count; }
uint64_t sim_event_kind_count(const sim_world *w, uint16_t kind) {
  return w->trace.kind_count[kind < 64 ? kind : 63];
}
uint64_t sim_step_count(const sim_world *w) { return w->steps; }
uint64_t sim_seed(const sim_world *w) { return w->seed; }

sim_rng *sim_stream(sim_world *w, const char *name) {
  for (uint32_t i = 0; i < w->stream_count; i++)
    if (strcmp(w->streams[i]->name, name) == 0) return &w->streams[i]->rng;
  if (ac_grow((void **)&w->streams, &w->stream_cap, w->stream_count + 1, sizeof *w->streams))
    return NULL;
  sim_named_stream *s = ac_malloc(sizeof *s);
  char *copy = ac_malloc(strlen(name) + 1);
  if (!s || !copy) {
    free(s);
    free(copy);
    return NULL;
  }
  strcpy(copy, name);
  s->name = copy;
  sim_rng_seed(&s->rng, w->seed, sim_stream_id(name));
  w->streams[w->stream_count++] = s;
  return &s->rng;
}

void sim_process_rng(const sim_world *w, ac_pid pid, sim_rng *out) {
  sim_rng_seed(out, w->seed, sim_stream_id("proc") ^ (pid.bits * UINT64_C(0x9e3779b97f4a7c15)));
}

int sim_keep_recent(sim_world *w, uint32_t n) { return sim_trace_keep_recent(&w->trace, n); }

uint32_t sim_recent_events(const sim_world *w, sim_record *out, uint32_t cap) {
  return sim_trace_recent(&w->trace, out, cap);
}

void sim_run_info(sim_world *w, ac_term info) {
  ac_event ev = {AC_EV_RUN_INFO, 0, 0, 0, 0, 0, info.p, (uint32_t)ac_term_size(info)};
  sim_trace_info(&w->trace, w->now_ns, &ev);
}

void sim_note(sim_world *w, ac_term t) {
  ac_event ev = {AC_EV_NOTE, 0, 0, 0, 0, 0, t.p, (uint32_t)ac_term_size(t)};
  sim__event(w, &ev);
}
