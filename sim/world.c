/*
 * The world's scheduler loop, its timer heap and its host interface for nodes (see world.h).
 *
 * Invariants: every item in `runq` is a process the node declared ready and has not run yet
 * (its head.host_index is its position); every item in `due` has time == now; the heap holds
 * only items later than now once the loop has moved the due ones out. Cost per step: one heap
 * peek, one draw from the scheduling stream (skipped when a single item is ready), one
 * swap-remove.
 */
#include "world.h"

#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum { ITEM_NONE = 0, ITEM_TIMER = 1, ITEM_CALLBACK = 2, ITEM_DELIVER = 3, ITEM_TICK = 4,
       ITEM_WAKE = 5 };

/* A process fault: paused (it is not scheduled), or slowed (each time it becomes runnable it
 * runs only after `slow_ns`: extra virtual CPU time per message). */
typedef struct sim_proc_fault {
  ac_pid pid;
  bool paused;
  uint64_t slow_ns;
  ac_proc *parked;   /* runnable, held back by the fault (or NULL) */
  uint64_t wake_seq; /* the ITEM_WAKE that will release it (a later ready bumps it) */
} sim_proc_fault;

/* Packet ops of the world's own, beside the ac_dist ops: connection upkeep, never traced. */
enum { PK_TICK = 100, PK_CLOSE = 101 };

/* A message or signal crossing the network, from machine `src` to incarnation `dest`. */
typedef struct sim_packet {
  uint32_t op, flags;
  uint32_t src, dest;   /* machine it left, node index it is for */
  uint64_t epoch;       /* connection it travels on (0: datagram) */
  ac_pid from, to;
  uint64_t ref;
  uint64_t msg_id;      /* the message's id (its send record's c), 0 for other signals */
  uint32_t size;        /* bytes of the term */
  uint32_t name_len;    /* bytes of the name after it (REG_SEND), 0 else */
  uint8_t data[];       /* term, then name and its NUL */
} sim_packet;

/*
 * Machine `from`'s side of everything toward machine `to`: the link's settings, the order and
 * bandwidth bookkeeping of what it sends, and its view of the connection (Erlang's
 * distribution: set up by the first signal, kept alive by ticks, lost when nothing has been
 * heard for the tick time).
 */
typedef struct sim_pair {
  bool has_link;
  sim_link link;
  uint64_t last_at;
  bool has_last;
  uint64_t busy_until; /* bandwidth: when the link has sent what it was given */
  bool conn_up;        /* `from` believes it is connected to `to` */
  uint32_t peer;       /* the incarnation of `to` it is connected to */
  uint64_t epoch;      /* the connection's serial, unique in the run */
  uint64_t last_heard; /* last arrival from `to` on this connection */
  bool flaky;          /* a flaky setting covers this direction (sim_net_flaky) */
} sim_pair;

/* A named node: its current incarnation (a core node), its clock and its settings. */
typedef struct sim_machine {
  char name[AC_ATOM_LEN_MAX + 1];
  ac_node *node;        /* NULL while crashed */
  uint32_t index;       /* the incarnation: the node index its pids carry */
  bool has_cfg;
  ac_node_config cfg;
  uint64_t clock_base_global, clock_base_local;
  double drift;         /* the clock runs at (1 + drift) times virtual time */
} sim_machine;

typedef struct sim_item {
  uint64_t at_ns;
  uint16_t kind;
  uint16_t cancellable; /* a timer the core cancels when it dies: live until then */
  uint32_t node;
  union {
    ac_timer timer;
    struct {
      sim_callback fn;
      void *arg;
    } cb;
    sim_packet *packet;
    struct {
      uint32_t from, to; /* machines */
      uint64_t epoch;
    } tick;
    struct {
      ac_pid pid;
      uint64_t seq;
    } wake;
  } u;
} sim_item;

/* The heap orders small entries; the items stay in slots, so that a timer can be taken out
 * of the heap when it is cancelled (a receive that got its message), through its handle:
 * slot | generation << 32. */
typedef struct heap_entry {
  uint64_t at_ns;
  uint64_t seq;  /* insertion order: ties in time keep a deterministic heap order */
  uint32_t slot;
} heap_entry;

typedef struct heap_slot {
  uint32_t pos;  /* the entry's place in the heap; when free, the next free slot + 1 */
  uint32_t gen;  /* bumped each time the slot is taken: a stale handle matches no item */
} heap_slot;

typedef struct sim_named_stream {
  char *name;
  sim_rng rng;
} sim_named_stream;

struct sim_world {
  uint64_t seed;
  uint64_t now_ns;
  uint64_t steps;
  uint64_t seq;
  char *name;
  sim_rng sched;

  sim_machine *machines;
  uint32_t machine_count, machine_cap;
  ac_node **nodes;          /* by node index (incarnation): NULL once it crashed */
  uint32_t *node_machine;   /* by node index: its machine */
  uint32_t node_count, node_cap;
  sim_boot_fn boot;
  void *boot_arg;

  ac_proc **runq;
  uint32_t runq_len, runq_cap;
  heap_entry *heap;   /* 4-ary min-heap on (at_ns, seq) of the items in `slots` */
  uint32_t heap_len, heap_cap;
  sim_item *items;    /* the items themselves, where they stay while their entries move */
  heap_slot *slots;   /* beside them, small: every move of an entry writes its slot's pos */
  uint32_t slot_cap, slot_free; /* free slots are chained through pos (index + 1, 0: none) */
  sim_item *due;
  uint32_t due_len, due_cap;

  sim_named_stream **streams; /* each allocated alone: the rng pointers handed out stay valid */
  uint32_t stream_count;

  sim_callback step_hook;
  void *step_hook_arg;
  sim_event_fn event_hook;
  void *event_hook_arg;
  volatile sig_atomic_t stop_requested; /* set from a signal handler too */
  bool finished;
  sim_trace trace;

  sim_link net_default;
  sim_pair *pairs;          /* pairs[from * pair_dim + to] */
  uint32_t pair_dim;
  sim_rng *net_rng;
  uint64_t net_lost, net_in_flight;
  uint64_t tick_ns;         /* the net tick time */
  sim_proc_fault *faults;   /* paused or slowed processes (a handful: a scan is enough) */
  uint32_t fault_count, fault_cap;
  uint64_t epoch_seq;
  bool links_dirty;         /* a link setting changed since the last links check */
  uint8_t *links_last;      /* payload of the last links record (NULL: none yet) */
  size_t links_last_size;
  bool ended;               /* the run_end record was written */
};

/* ---- Timer heap -------------------------------------------------------------------------- */

static int grow(void **array, uint32_t *cap, size_t item_size) {
  uint32_t new_cap = *cap ? *cap * 2 : 64;
  void *p = realloc(*array, (size_t)new_cap * item_size);
  if (!p) return AC_ENOMEM;
  *array = p;
  *cap = new_cap;
  return AC_OK;
}

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
  if (w->heap_len == w->heap_cap && grow((void **)&w->heap, &w->heap_cap, sizeof *w->heap))
    return AC_ENOMEM;
  if (!w->slot_free) {
    uint32_t old = w->slot_cap, cap = w->slot_cap;
    if (grow((void **)&w->items, &cap, sizeof *w->items)) return AC_ENOMEM;
    if (grow((void **)&w->slots, &w->slot_cap, sizeof *w->slots)) return AC_ENOMEM;
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
  heap_entry e = {item->at_ns, w->seq++, slot};
  sift_up(w, w->heap_len++, e);
  return AC_OK;
}

static int heap_push(sim_world *w, sim_item *item) { return heap_push_h(w, item, NULL); }

static void slot_release(sim_world *w, uint32_t slot) {
  w->slots[slot].gen++; /* its handle is stale from now on */
  w->slots[slot].pos = w->slot_free;
  w->slot_free = slot + 1;
}

/* The item at the top of the heap (heap_len > 0). */
static sim_item *heap_top(const sim_world *w) { return &w->items[w->heap[0].slot]; }

/* Takes the heap entry at position i out; returns its item. */
static sim_item heap_take(sim_world *w, uint32_t i) {
  uint32_t slot = w->heap[i].slot;
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

static sim_machine *machine_of_index(const sim_world *w, uint32_t index) {
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
  sim_machine *m = machine_of_index(w, node);
  return m ? clock_at(m, w->now_ns) : w->now_ns;
}

static sim_proc_fault *proc_fault(const sim_world *w, ac_pid pid) {
  for (uint32_t i = 0; i < w->fault_count; i++)
    if (ac_pid_eq(w->faults[i].pid, pid)) return &w->faults[i];
  return NULL;
}

static void runq_push(sim_world *w, ac_proc *p);
static uint64_t after(const sim_world *w, uint64_t delay_ns);

static void host_ready(void *ctx, ac_proc *p) {
  sim_world *w = ctx;
  sim_proc_fault *f = w->fault_count ? proc_fault(w, ac_proc_head_of(p)->pid) : NULL;
  if (f && (f->paused || f->slow_ns)) { /* held back */
    f->parked = p;
    if (!f->paused) {
      sim_item item = {.at_ns = after(w, f->slow_ns), .kind = ITEM_WAKE};
      item.u.wake.pid = f->pid;
      item.u.wake.seq = ++f->wake_seq;
      if (heap_push(w, &item)) abort(); /* as for the run queue: nothing sensible to do */
    }
    return;
  }
  runq_push(w, p);
}

static void runq_push(sim_world *w, ac_proc *p) {
  if (w->runq_len == w->runq_cap && grow((void **)&w->runq, &w->runq_cap, sizeof *w->runq)) {
    /* Losing a runnable process would silently change semantics; running out of memory for
     * an array of pointers leaves nothing sensible to do. */
    abort();
  }
  ac_proc_head_of(p)->host_index = w->runq_len;
  w->runq[w->runq_len++] = p;
}

static void runq_remove(sim_world *w, uint32_t i) {
  ac_proc *last = w->runq[--w->runq_len];
  w->runq[i] = last;
  ac_proc_head_of(last)->host_index = i;
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

int sim_proc_fault_set(sim_world *w, ac_pid pid, bool paused, uint64_t slow_ns) {
  ac_tbuf b;
  ac_tb_init(&b);
  ac_term t;
  int rc = paused    ? ac_tb_fmt(&b, "{a,p}", "pause", pid)
           : slow_ns ? ac_tb_fmt(&b, "{a,p,i}", "slow", pid, (int64_t)slow_ns)
                     : ac_tb_fmt(&b, "{a,p}", "resume", pid);
  if (rc == AC_OK && ac_tb_finish(&b, &t) == AC_OK) sim_fault_on(w, SIM_FAULT_PROCESS, pid, t);
  ac_tb_free(&b);
  sim_proc_fault *f = proc_fault(w, pid);
  if (!f) {
    if (!paused && !slow_ns) return AC_OK;
    if (w->fault_count == w->fault_cap &&
        grow((void **)&w->faults, &w->fault_cap, sizeof *w->faults))
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
static uint64_t after(const sim_world *w, uint64_t delay_ns) {
  return delay_ns > UINT64_MAX - w->now_ns ? UINT64_MAX : w->now_ns + delay_ns;
}

static int host_timer_start(void *ctx, uint64_t delay_ns, const ac_timer *t, uint64_t *handle) {
  sim_world *w = ctx;
  /* The delay is on the node's clock: a clock that runs fast fires its timers early. */
  sim_machine *m = machine_of_index(w, t->node);
  if (m && m->drift != 0) {
    /* Rounded up: when it fires, the node's clock has reached the time it asked for. */
    double d = ceil((double)delay_ns / (1.0 + m->drift));
    delay_ns = d >= 1.8e19 ? UINT64_MAX : (uint64_t)d;
  }
  sim_item item = {.at_ns = after(w, delay_ns), .kind = ITEM_TIMER, .node = t->node,
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
  (void)heap_take(w, w->slots[slot].pos); /* only receive timeouts come here: they own nothing */
}

static void host_event(void *ctx, const ac_event *ev) {
  sim_world *w = ctx;
  sim_trace_record(&w->trace, w->now_ns, ev);
  if (w->event_hook) {
    sim_record r = {ev->kind, ev->flags, ev->payload_size, w->now_ns, ev->node,
                    ev->a,    ev->b,     ev->c,            ev->payload};
    w->event_hook(&r, w->event_hook_arg);
  }
}

static const char *host_node_name(void *ctx, uint32_t index) {
  sim_machine *m = machine_of_index(ctx, index);
  return m ? m->name : NULL;
}

/* ---- The network ------------------------------------------------------------------------- */

static sim_pair *pair_at(const sim_world *w, uint32_t from, uint32_t to) {
  return from < w->pair_dim && to < w->pair_dim ? &w->pairs[(size_t)from * w->pair_dim + to] : NULL;
}

/* Makes room in the pair matrix for `count` machines. */
static int pairs_reserve(sim_world *w, uint32_t count) {
  if (count <= w->pair_dim) return AC_OK;
  uint32_t dim = w->pair_dim ? w->pair_dim : 4;
  while (dim < count) dim *= 2;
  sim_pair *pairs = calloc((size_t)dim * dim, sizeof *pairs);
  if (!pairs) return AC_ENOMEM;
  for (uint32_t a = 0; a < w->pair_dim; a++)
    memcpy(&pairs[(size_t)a * dim], &w->pairs[(size_t)a * w->pair_dim], w->pair_dim * sizeof *pairs);
  free(w->pairs);
  w->pairs = pairs;
  w->pair_dim = dim;
  return AC_OK;
}

static int link_check(const sim_link *l) {
  if (!l || sim_dist_check(&l->latency) || !(l->loss >= 0 && l->loss <= 1) ||
      !(l->dup >= 0 && l->dup <= 1))
    return AC_EINVAL;
  return AC_OK;
}

int sim_net_default(sim_world *w, const sim_link *link) {
  if (link_check(link)) return AC_EINVAL;
  w->net_default = *link;
  w->links_dirty = true;
  return AC_OK;
}

int sim_net_link(sim_world *w, uint32_t from, uint32_t to, const sim_link *link) {
  if (link_check(link) || from >= w->machine_count || to >= w->machine_count || from == to)
    return AC_EINVAL;
  sim_pair *p = pair_at(w, from, to);
  p->link = *link;
  p->has_link = true;
  w->links_dirty = true;
  return AC_OK;
}

int sim_net_reset(sim_world *w, uint32_t from, uint32_t to) {
  sim_pair *p = pair_at(w, from, to);
  if (!p || from >= w->machine_count || to >= w->machine_count) return AC_EINVAL;
  p->has_link = false;
  w->links_dirty = true;
  return AC_OK;
}

sim_link sim_net_get(const sim_world *w, uint32_t from, uint32_t to) {
  const sim_pair *p = pair_at(w, from, to);
  return p && p->has_link ? p->link : w->net_default;
}

int sim_net_partition(sim_world *w, const uint32_t *group, uint32_t node_count) {
  if (!group || node_count > w->machine_count) return AC_EINVAL;
  /* The fault record: {partition, [[Name...], ...]}, groups in order of their first node. */
  ac_tbuf tb;
  ac_tb_init(&tb);
  ac_tb_tuple_begin(&tb);
  ac_tb_atom(&tb, "partition");
  ac_tb_list_begin(&tb);
  for (uint32_t a = 0; a < node_count; a++) {
    bool first = true;
    for (uint32_t b = 0; b < a && first; b++) first = group[b] != group[a];
    if (!first) continue;
    ac_tb_list_begin(&tb);
    for (uint32_t b = a; b < node_count; b++)
      if (group[b] == group[a]) ac_tb_atom(&tb, w->machines[b].name);
    ac_tb_end(&tb);
  }
  ac_tb_end(&tb);
  ac_tb_end(&tb);
  ac_term t;
  if (ac_tb_finish(&tb, &t) == AC_OK) sim_fault(w, SIM_FAULT_PARTITION, t);
  ac_tb_free(&tb);
  for (uint32_t a = 0; a < node_count; a++)
    for (uint32_t b = 0; b < node_count; b++) {
      if (a == b || group[a] == group[b]) continue;
      sim_link l = sim_net_get(w, a, b);
      l.down = true;
      int rc = sim_net_link(w, a, b, &l);
      if (rc) return rc;
    }
  sim_net_links_check(w);
  return AC_OK;
}

void sim_net_heal(sim_world *w) {
  sim_faultf(w, SIM_FAULT_HEAL, "a", "heal");
  w->links_dirty = true;
  w->net_default.down = false;
  for (size_t i = 0; i < (size_t)w->pair_dim * w->pair_dim; i++) w->pairs[i].link.down = false;
  sim_net_links_check(w);
}

int sim_net_flaky(sim_world *w, uint32_t from, uint32_t to, bool flaky) {
  sim_pair *p = pair_at(w, from, to);
  if (!p || from >= w->machine_count || to >= w->machine_count || from == to) return AC_EINVAL;
  if (p->flaky != flaky) w->links_dirty = true;
  p->flaky = flaky;
  return AC_OK;
}

/* Orders directed pairs of machines by their names (from, then to). */
static const sim_world *pair_sort_world;
static int pair_cmp(const void *x, const void *y) {
  const uint32_t *p = x, *q = y;
  int c = strcmp(pair_sort_world->machines[p[0]].name, pair_sort_world->machines[q[0]].name);
  return c ? c : strcmp(pair_sort_world->machines[p[1]].name, pair_sort_world->machines[q[1]].name);
}

/* Appends the sorted list [{From, To}, ...] of the pairs whose link is down (flaky false) or
 * that have a flaky setting (flaky true); adds how many to *count_out. */
static int links_list(sim_world *w, ac_tbuf *b, bool flaky, uint32_t *count_out) {
  uint32_t n = w->machine_count, count = 0;
  uint32_t *pairs = malloc((size_t)(n ? n : 1) * (n ? n : 1) * 2 * sizeof *pairs);
  if (!pairs) return AC_ENOMEM;
  for (uint32_t a = 0; a < n; a++)
    for (uint32_t c = 0; c < n; c++) {
      if (a == c) continue;
      bool on = flaky ? pair_at(w, a, c)->flaky : sim_net_get(w, a, c).down;
      if (!on) continue;
      pairs[2 * count] = a;
      pairs[2 * count + 1] = c;
      count++;
    }
  pair_sort_world = w;
  qsort(pairs, count, 2 * sizeof *pairs, pair_cmp);
  ac_tb_list_begin(b);
  for (uint32_t i = 0; i < count; i++)
    ac_tb_fmt(b, "{a,a}", w->machines[pairs[2 * i]].name, w->machines[pairs[2 * i + 1]].name);
  ac_tb_end(b);
  free(pairs);
  *count_out += count;
  return AC_OK;
}

void sim_net_links_check(sim_world *w) {
  if (!w->links_dirty) return;
  w->links_dirty = false;
  ac_tbuf b;
  ac_tb_init(&b);
  ac_tb_tuple_begin(&b);
  ac_term t;
  uint32_t count = 0;
  if (links_list(w, &b, false, &count) == AC_OK && links_list(w, &b, true, &count) == AC_OK &&
      ac_tb_end(&b) == AC_OK && ac_tb_finish(&b, &t) == AC_OK) {
    size_t size = ac_term_size(t);
    bool same = w->links_last ? size == w->links_last_size && memcmp(t.p, w->links_last, size) == 0
                              : count == 0; /* no record for "all up" at the start */
    uint8_t *copy = same ? NULL : malloc(size);
    if (copy) {
      memcpy(copy, t.p, size);
      free(w->links_last);
      w->links_last = copy;
      w->links_last_size = size;
      ac_event ev = {AC_EV_LINKS, 0, 0, 0, 0, 0, t.p, (uint32_t)size};
      host_event(w, &ev);
    }
  }
  ac_tb_free(&b);
}

int sim_net_tick(sim_world *w, uint64_t tick_ns) {
  if (tick_ns < 4 || tick_ns > SIM_DIST_MAX_NS) return AC_EINVAL;
  w->tick_ns = tick_ns;
  return AC_OK;
}
uint64_t sim_net_tick_time(const sim_world *w) { return w->tick_ns; }

bool sim_net_connected(const sim_world *w, uint32_t from, uint32_t to) {
  const sim_pair *p = pair_at(w, from, to);
  return p && p->conn_up;
}

uint64_t sim_net_lost(const sim_world *w) { return w->net_lost; }
uint64_t sim_net_in_flight(const sim_world *w) { return w->net_in_flight; }

/* net_drop: flags = why | op << 8. */
static void net_drop(sim_world *w, uint32_t why, const ac_dist *d, uint32_t node) {
  w->net_lost++;
  ac_event ev = {AC_EV_NET_DROP, (uint16_t)(why | d->op << 8), node, d->from.bits, d->to.bits,
                 d->msg_id, d->term.p, (uint32_t)ac_term_size(d->term)};
  host_event(w, &ev);
}

static sim_packet *packet_new(uint32_t op, uint32_t src, const ac_dist *d, uint64_t epoch) {
  size_t size = d ? ac_term_size(d->term) : 0;
  size_t name_len = d && d->name ? strlen(d->name) + 1 : 0;
  sim_packet *pk = malloc(sizeof *pk + size + name_len);
  if (!pk) return NULL;
  memset(pk, 0, sizeof *pk);
  pk->op = op;
  pk->src = src;
  pk->epoch = epoch;
  if (d) {
    pk->flags = d->flags;
    pk->dest = d->dest;
    pk->from = d->from;
    pk->to = d->to;
    pk->ref = d->ref;
    pk->msg_id = d->msg_id;
    pk->size = (uint32_t)size;
    pk->name_len = (uint32_t)name_len;
    memcpy(pk->data, d->term.p, size);
    if (name_len) memcpy(pk->data + size, d->name, name_len);
  }
  return pk;
}

static int packet_push(sim_world *w, uint64_t at, sim_packet *pk) {
  sim_item item = {.at_ns = at, .kind = ITEM_DELIVER, .node = pk->dest};
  item.u.packet = pk;
  int rc = heap_push(w, &item);
  if (rc) free(pk);
  else w->net_in_flight++;
  return rc;
}

static sim_rng *net_rng(sim_world *w) {
  if (!w->net_rng) w->net_rng = sim_stream(w, "network");
  return w->net_rng;
}

static int tick_arm(sim_world *w, uint32_t from, uint32_t to, uint64_t epoch) {
  sim_item item = {.at_ns = after(w, w->tick_ns / 4), .kind = ITEM_TICK};
  item.u.tick.from = from;
  item.u.tick.to = to;
  item.u.tick.epoch = epoch;
  return heap_push(w, &item);
}

/* Machine `a` stops believing it is connected to `b`: nodedown on a's node. */
static void conn_lost(sim_world *w, uint32_t a, uint32_t b) {
  sim_pair *p = pair_at(w, a, b);
  if (!p->conn_up) return;
  p->conn_up = false;
  if (w->machines[a].node) ac_node_nodedown(w->machines[a].node, p->peer);
}

/*
 * Machine a needs a connection to machine b (now at incarnation b_index): AC_OK when it has one,
 * or one could be set up now (b is up and the links both ways are), else AC_ENOCONN. Setting one
 * up is instant; a side that still holds an older connection loses it first (nodedown), as a
 * node does when the other end reconnects.
 */
static int conn_ensure(sim_world *w, uint32_t a, uint32_t b) {
  sim_pair *ab = pair_at(w, a, b), *ba = pair_at(w, b, a);
  sim_machine *mb = &w->machines[b];
  if (ab->conn_up && mb->node && ab->peer == mb->index && ba->conn_up && ba->epoch == ab->epoch)
    return AC_OK;
  if (ab->conn_up && (!mb->node || ab->peer != mb->index)) conn_lost(w, a, b);
  if (!mb->node || !w->machines[a].node || sim_net_get(w, a, b).down || sim_net_get(w, b, a).down)
    return AC_ENOCONN;
  if (ab->conn_up) return AC_OK; /* b's side went down on its own and a has not noticed yet:
                                    what a sends is lost until a's ticks tell it */
  conn_lost(w, b, a);
  uint64_t epoch = ++w->epoch_seq;
  ab->conn_up = ba->conn_up = true;
  ab->epoch = ba->epoch = epoch;
  ab->peer = mb->index;
  ba->peer = w->machines[a].index;
  ab->last_heard = ba->last_heard = w->now_ns;
  ab->has_last = ba->has_last = false;
  if (tick_arm(w, a, b, epoch) || tick_arm(w, b, a, epoch)) return AC_ENOMEM;
  ac_node_nodeup(w->machines[a].node, mb->index);
  ac_node_nodeup(mb->node, w->machines[a].index);
  return AC_OK;
}

static int host_connect(void *ctx, uint32_t from, uint32_t to) {
  sim_world *w = ctx;
  sim_machine *mf = machine_of_index(w, from), *mt = machine_of_index(w, to);
  if (!mf || !mt) return AC_ENOCONN;
  return conn_ensure(w, (uint32_t)(mf - w->machines), (uint32_t)(mt - w->machines));
}

/* When a packet of `bytes` sent now over link a->b arrives: bandwidth queueing, latency, and in
 * connection mode never before the pair's previous packet. */
static uint64_t arrival(sim_world *w, sim_pair *p, const sim_link *link, uint64_t bytes) {
  uint64_t delay = sim_dist_sample(&link->latency, net_rng(w));
  uint64_t sent = w->now_ns; /* when its last byte has left */
  if (link->bandwidth && bytes) {
    uint64_t start = p->busy_until > w->now_ns ? p->busy_until : w->now_ns;
    uint64_t tx = bytes >= UINT64_MAX / 1000000000u
                      ? UINT64_MAX / 2
                      : (bytes * 1000000000u + link->bandwidth - 1) / link->bandwidth;
    sent = tx > UINT64_MAX / 2 - start ? UINT64_MAX / 2 : start + tx;
    p->busy_until = sent;
  }
  uint64_t at = delay > UINT64_MAX - sent ? UINT64_MAX : sent + delay;
  if (!link->datagram) {
    /* Strictly after: deliveries due at one instant run in a seeded order, which would
     * reorder the pair's messages; one nanosecond apart they keep theirs. */
    if (p->has_last && at <= p->last_at) at = p->last_at + 1;
    p->last_at = at;
    p->has_last = true;
  }
  return at;
}

/* host->route: a message or signal leaves over the link to its node. */
static int host_route(void *ctx, uint32_t from_node, const ac_dist *d) {
  sim_world *w = ctx;
  sim_machine *ms = machine_of_index(w, from_node), *md = machine_of_index(w, d->dest);
  if (!net_rng(w)) return AC_ENOMEM;
  if (!ms || !md || ms == md) { /* an unknown node: as far as a partitioned one */
    net_drop(w, 3, d, from_node);
    return AC_ENOCONN;
  }
  uint32_t a = (uint32_t)(ms - w->machines), b = (uint32_t)(md - w->machines);
  sim_link link = sim_net_get(w, a, b);
  sim_pair *p = pair_at(w, a, b);
  ac_dist out = *d;
  out.dest = md->index; /* a pid of an earlier incarnation: the node there says noproc */
  if (link.datagram) {
    if (!md->node || link.down || (link.loss > 0 && sim_rng_unit(w->net_rng) < link.loss)) {
      net_drop(w, !md->node ? 3 : link.down ? 1 : 2, d, from_node);
      return AC_OK;
    }
    sim_packet *pk = packet_new(d->op, a, &out, 0);
    if (!pk) return AC_ENOMEM;
    int rc = packet_push(w, arrival(w, p, &link, pk->size), pk);
    if (rc == AC_OK && link.dup > 0 && sim_rng_unit(w->net_rng) < link.dup) {
      ac_event ev = {AC_EV_NET_DUP, (uint16_t)(d->op << 8), from_node, d->from.bits, d->to.bits,
                     d->msg_id, NULL, 0};
      host_event(w, &ev);
      pk = packet_new(d->op, a, &out, 0);
      rc = pk ? packet_push(w, arrival(w, p, &link, pk->size), pk) : AC_ENOMEM;
    }
    return rc;
  }
  int rc = conn_ensure(w, a, b);
  if (rc) {
    net_drop(w, 3, d, from_node);
    return rc;
  }
  if (link.down) { /* the connection is up but this direction is cut: lost on the way */
    net_drop(w, 1, d, from_node);
    return AC_OK;
  }
  sim_packet *pk = packet_new(d->op, a, &out, p->epoch);
  if (!pk) return AC_ENOMEM;
  return packet_push(w, arrival(w, p, &link, pk->size), pk);
}

/* A connection side's tick: lost if nothing was heard for the tick time, else a tick goes out. */
static void tick_fire(sim_world *w, uint32_t a, uint32_t b, uint64_t epoch) {
  sim_pair *p = pair_at(w, a, b);
  if (!p->conn_up || p->epoch != epoch) return; /* a tick of an older connection */
  if (w->now_ns - p->last_heard >= w->tick_ns) {
    conn_lost(w, a, b);
    /* It tells the other side, which hears it if the link still carries it. */
    sim_link link = sim_net_get(w, a, b);
    sim_packet *pk = link.down ? NULL : packet_new(PK_CLOSE, a, NULL, epoch);
    if (pk) {
      pk->dest = w->machines[b].index;
      packet_push(w, arrival(w, p, &link, 0), pk);
    }
    return;
  }
  sim_link link = sim_net_get(w, a, b);
  if (!link.down && !link.datagram) {
    sim_packet *pk = packet_new(PK_TICK, a, NULL, epoch);
    if (pk) {
      pk->dest = w->machines[b].index;
      packet_push(w, arrival(w, p, &link, 0), pk);
    }
  }
  tick_arm(w, a, b, epoch);
}

/* A packet reaches its node. On a connection, only if the receiving side still holds that
 * connection: what was in flight when it was lost is lost with it. */
static void packet_arrive(sim_world *w, sim_packet *pk) {
  w->net_in_flight--;
  sim_machine *md = machine_of_index(w, pk->dest);
  uint32_t b = md ? (uint32_t)(md - w->machines) : 0;
  ac_dist d = {pk->op, pk->dest, pk->from, pk->to, pk->ref, pk->flags,
               pk->name_len ? (const char *)pk->data + pk->size : NULL, {pk->data}, pk->msg_id};
  static const uint8_t nil[] = {AC_T_NIL};
  if (pk->op >= PK_TICK) d.term.p = nil;
  bool alive = md && md->node && md->index == pk->dest;
  if (md && sim_net_get(w, pk->src, b).down) { /* cut while it travelled: lost on the way */
    if (pk->op < PK_TICK) net_drop(w, 1, &d, pk->dest);
    return;
  }
  if (pk->epoch) {
    sim_pair *side = alive ? pair_at(w, b, pk->src) : NULL;
    if (!side || !side->conn_up || side->epoch != pk->epoch) {
      if (pk->op < PK_TICK) net_drop(w, 4, &d, pk->dest);
      return;
    }
    side->last_heard = w->now_ns;
    if (pk->op == PK_TICK) return;
    if (pk->op == PK_CLOSE) {
      conn_lost(w, b, pk->src);
      return;
    }
  } else if (!alive) {
    net_drop(w, 3, &d, pk->dest);
    return;
  }
  ac_node_arrive(md->node, &d);
}

/* ---- Nodes -------------------------------------------------------------------------------- */

static int incarnation_new(sim_world *w, uint32_t machine) {
  if (w->node_count > AC_NODE_MAX) return AC_ELIMIT;
  if (w->node_count == w->node_cap) {
    uint32_t cap = w->node_cap ? w->node_cap * 2 : 8;
    ac_node **nodes = realloc(w->nodes, cap * sizeof *nodes);
    if (!nodes) return AC_ENOMEM;
    w->nodes = nodes;
    uint32_t *nm = realloc(w->node_machine, cap * sizeof *nm);
    if (!nm) return AC_ENOMEM;
    w->node_machine = nm;
    w->node_cap = cap;
  }
  sim_machine *m = &w->machines[machine];
  ac_host host = {.ctx = w,
                  .now_ns = host_now,
                  .ready = host_ready,
                  .unready = host_unready,
                  .timer_start = host_timer_start,
                  .timer_cancel = host_timer_cancel,
                  .route = host_route,
                  .node_name = host_node_name,
                  .connect = host_connect,
                  .event = host_event};
  ac_node *node;
  int rc = ac_node_create(&node, w->node_count, m->name, m->has_cfg ? &m->cfg : NULL, &host);
  if (rc) return rc;
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
    host_event(w, &ev);
  }
  ac_tb_free(&b);
  return AC_OK;
}

int sim_node_add(sim_world *w, const char *name, const ac_node_config *cfg, ac_node **out) {
  if (!name || !*name || strlen(name) > AC_ATOM_LEN_MAX) return AC_EINVAL;
  if (sim_node_find(w, name) >= 0) return AC_EINVAL;
  if (w->machine_count > AC_NODE_MAX || w->node_count > AC_NODE_MAX) return AC_ELIMIT;
  if (w->machine_count == w->machine_cap &&
      grow((void **)&w->machines, &w->machine_cap, sizeof *w->machines))
    return AC_ENOMEM;
  if (pairs_reserve(w, w->machine_count + 1)) return AC_ENOMEM;
  sim_machine *m = &w->machines[w->machine_count];
  memset(m, 0, sizeof *m);
  strcpy(m->name, name);
  if (cfg) {
    m->has_cfg = true;
    m->cfg = *cfg;
  }
  m->clock_base_global = w->now_ns;
  m->clock_base_local = w->now_ns;
  int rc = incarnation_new(w, w->machine_count);
  if (rc) return rc;
  w->machine_count++;
  if (out) *out = m->node;
  return AC_OK;
}

ac_node *sim_node(sim_world *w, uint32_t machine) {
  return machine < w->machine_count ? w->machines[machine].node : NULL;
}
uint32_t sim_node_count(const sim_world *w) { return w->machine_count; }

int sim_node_find(const sim_world *w, const char *name) {
  for (uint32_t i = 0; i < w->machine_count; i++)
    if (strcmp(w->machines[i].name, name) == 0) return (int)i;
  return -1;
}

const char *sim_node_name(const sim_world *w, uint32_t machine) {
  return machine < w->machine_count ? w->machines[machine].name : NULL;
}

int sim_node_of_index(const sim_world *w, uint32_t index) {
  return index < w->node_count ? (int)w->node_machine[index] : -1;
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

void sim_fault(sim_world *w, uint16_t kind, ac_term what) { sim_fault_on(w, kind, AC_PID_NONE, what); }

void sim_fault_on(sim_world *w, uint16_t kind, ac_pid target, ac_term what) {
  ac_event ev = {AC_EV_FAULT, kind, 0, target.bits, 0, 0, what.p, (uint32_t)ac_term_size(what)};
  host_event(w, &ev);
}

int sim_proc_kill(sim_world *w, ac_pid pid, ac_term reason) {
  int m = sim_node_of_index(w, ac_pid_node(pid));
  ac_node *node = m >= 0 && w->machines[m].index == ac_pid_node(pid) ? w->machines[m].node : NULL;
  ac_tbuf b;
  ac_tb_init(&b);
  ac_term t;
  if (ac_tb_fmt(&b, "{a,p,t}", "kill", pid, reason) == AC_OK && ac_tb_finish(&b, &t) == AC_OK)
    sim_fault_on(w, SIM_FAULT_KILL, pid, t);
  ac_tb_free(&b);
  return node ? ac_node_exit(node, pid, reason) : AC_ENOPROC;
}

void sim_faultf(sim_world *w, uint16_t kind, const char *fmt, ...) {
  ac_tbuf b;
  ac_tb_init(&b);
  va_list ap;
  va_start(ap, fmt);
  ac_tb_vfmt(&b, fmt, ap);
  va_end(ap);
  ac_term t;
  if (ac_tb_finish(&b, &t) == AC_OK) sim_fault(w, kind, t);
  ac_tb_free(&b);
}

int sim_node_crash(sim_world *w, uint32_t machine) {
  if (machine >= w->machine_count) return AC_EINVAL;
  sim_machine *m = &w->machines[machine];
  if (!m->node) return AC_ESTATE;
  sim_faultf(w, SIM_FAULT_CRASH, "{a,a}", "crash_node", m->name);
  ac_node *node = m->node;
  m->node = NULL;
  w->nodes[m->index] = NULL;
  purge_node(w, m->index, node);
  for (uint32_t other = 0; other < w->machine_count; other++) {
    sim_pair *p = pair_at(w, machine, other);
    if (p) p->conn_up = false; /* its own side goes with it, silently; the others find out */
  }
  ac_node_destroy(node);
  return AC_OK;
}

int sim_node_restart(sim_world *w, uint32_t machine) {
  if (machine >= w->machine_count) return AC_EINVAL;
  sim_machine *m = &w->machines[machine];
  if (m->node) return AC_ESTATE;
  sim_faultf(w, SIM_FAULT_RESTART, "{a,a}", "restart_node", m->name);
  int rc = incarnation_new(w, machine);
  if (rc) return rc;
  if (w->boot) w->boot(w, machine, m->node, w->boot_arg);
  return AC_OK;
}

int sim_clock_set(sim_world *w, uint32_t machine, int64_t jump_ns, double drift) {
  if (machine >= w->machine_count || !(drift > -1.0 && drift < 1e6)) return AC_EINVAL;
  sim_machine *m = &w->machines[machine];
  uint64_t local = clock_at(m, w->now_ns);
  if (jump_ns < 0 && (uint64_t)(-(jump_ns + 1)) + 1 > local) local = 0;
  else local += (uint64_t)jump_ns;
  m->clock_base_global = w->now_ns;
  m->clock_base_local = local;
  m->drift = drift;
  sim_faultf(w, SIM_FAULT_CLOCK, "{a,a,i,d}", "clock", m->name, (int64_t)jump_ns, drift);
  return AC_OK;
}

uint64_t sim_node_now(const sim_world *w, uint32_t machine) {
  return machine < w->machine_count ? clock_at(&w->machines[machine], w->now_ns) : w->now_ns;
}

/* ---- World ------------------------------------------------------------------------------- */

int sim_world_create(sim_world **out, const sim_config *cfg) {
  if (!out || !cfg) return AC_EINVAL;
  sim_world *w = calloc(1, sizeof *w);
  if (!w) return AC_ENOMEM;
  const char *name = cfg->name ? cfg->name : "unnamed";
  w->name = malloc(strlen(name) + 1);
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
  free(w->pairs);
  for (uint32_t i = 0; i < w->node_count; i++) ac_node_destroy(w->nodes[i]);
  for (uint32_t i = 0; i < w->stream_count; i++) {
    free(w->streams[i]->name);
    free(w->streams[i]);
  }
  free(w->streams);
  free(w->nodes);
  free(w->node_machine);
  free(w->machines);
  free(w->faults);
  free(w->links_last);
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
  return heap_push(w, &item);
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
    packet_arrive(w, item->u.packet);
    free(item->u.packet);
  } else if (item->kind == ITEM_WAKE) {
    wake_fire(w, item->u.wake.pid, item->u.wake.seq);
  } else if (item->kind == ITEM_TICK) {
    tick_fire(w, item->u.tick.from, item->u.tick.to, item->u.tick.epoch);
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
    if (w->due_len == w->due_cap && grow((void **)&w->due, &w->due_cap, sizeof *w->due)) abort();
    w->due[w->due_len++] = heap_pop(w);
  }
}

/* Whether a connection will go on as it is for ever: both sides up on it, both nodes up and
 * the links both ways up. Its ticks then change nothing. */
static bool conn_steady(const sim_world *w, uint32_t a, uint32_t b, uint64_t epoch) {
  const sim_pair *ab = pair_at(w, a, b), *ba = pair_at(w, b, a);
  return ab->conn_up && ba->conn_up && ab->epoch == epoch && ba->epoch == epoch &&
         w->machines[a].node && w->machines[b].node && !sim_net_get(w, a, b).down &&
         !sim_net_get(w, b, a).down;
}

/* Whether the heap holds nothing but ticks of steady connections and dead items: then nothing
 * will ever happen again, and a run is over (the connection ticks alone do not keep it going).
 * Checked only when a tick is next, which is rare. */
static bool only_background(const sim_world *w) {
  for (uint32_t i = 0; i < w->heap_len; i++) {
    const sim_item *it = &w->items[w->heap[i].slot];
    if (it->kind == ITEM_NONE) continue;
    if (it->kind == ITEM_TICK) {
      if (conn_steady(w, it->u.tick.from, it->u.tick.to, it->u.tick.epoch)) continue;
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
  for (;;) {
    if (steps_max && w->steps >= steps_max) return SIM_STOP_STEP_LIMIT;
    collect_due(w);
    uint64_t ready = (uint64_t)w->runq_len + w->due_len;
    if (ready == 0) {
      if (w->heap_len == 0 || (heap_top(w)->kind == ITEM_TICK && only_background(w)))
        return SIM_STOP_QUIESCENT;
      if (time_max && w->heap[0].at_ns > time_max) {
        w->now_ns = time_max;
        return SIM_STOP_TIME_LIMIT;
      }
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
    host_event(w, &ev);
  }
  ac_tb_free(&b);
}

void sim_property_failed(sim_world *w, const char *name, const char *message) {
  ac_tbuf b;
  ac_tb_init(&b);
  ac_term t;
  if (ac_tb_fmt(&b, "{b,b}", name, strlen(name), message, strlen(message)) == AC_OK &&
      ac_tb_finish(&b, &t) == AC_OK) {
    ac_event ev = {AC_EV_PROPERTY, 1, 0, 0, 0, 0, t.p, (uint32_t)ac_term_size(t)};
    host_event(w, &ev);
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
  sim_named_stream **list = realloc(w->streams, (w->stream_count + 1) * sizeof *list);
  if (!list) return NULL;
  w->streams = list;
  sim_named_stream *s = malloc(sizeof *s);
  char *copy = malloc(strlen(name) + 1);
  if (!s || !copy) {
    free(s);
    free(copy);
    return NULL;
  }
  strcpy(copy, name);
  s->name = copy;
  sim_rng_seed(&s->rng, w->seed, sim_stream_id(name));
  list[w->stream_count++] = s;
  return &s->rng;
}

void sim_process_rng(const sim_world *w, ac_pid pid, sim_rng *out) {
  sim_rng_seed(out, w->seed, sim_stream_id("proc") ^ (pid.bits * UINT64_C(0x9e3779b97f4a7c15)));
}

int sim_keep_recent(sim_world *w, uint32_t n) { return sim_trace_keep_recent(&w->trace, n); }

uint32_t sim_recent_events(const sim_world *w, sim_record *out, uint32_t cap) {
  return sim_trace_recent(&w->trace, out, cap);
}

void sim_note(sim_world *w, ac_term t) {
  ac_event ev = {AC_EV_NOTE, 0, 0, 0, 0, 0, t.p, (uint32_t)ac_term_size(t)};
  host_event(w, &ev);
}
