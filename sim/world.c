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

#include <stdlib.h>
#include <string.h>

enum { ITEM_TIMER = 1, ITEM_CALLBACK = 2, ITEM_DELIVER = 3 };

/* A message crossing the network: arrives at `at` on node `node`. */
typedef struct sim_packet {
  ac_pid from, to;
  uint32_t size;
  uint8_t data[];
} sim_packet;

/* A link of its own for one ordered pair, and the pair's last arrival (connection mode). */
typedef struct sim_pair {
  uint32_t from, to;
  bool has_link;
  sim_link link;
  uint64_t last_at;
  bool has_last;
  uint64_t busy_until; /* bandwidth: when the link has sent what it was given */
} sim_pair;

typedef struct sim_item {
  uint64_t at_ns;
  uint64_t seq;  /* insertion order: ties in time keep a deterministic heap order */
  uint32_t kind;
  uint32_t node;
  union {
    ac_timer timer;
    struct {
      sim_callback fn;
      void *arg;
    } cb;
    sim_packet *packet;
  } u;
} sim_item;

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

  ac_node **nodes;
  uint32_t node_count, node_cap;

  ac_proc **runq;
  uint32_t runq_len, runq_cap;
  sim_item *heap; /* 4-ary min-heap on (at_ns, seq) */
  uint32_t heap_len, heap_cap;
  sim_item *due;
  uint32_t due_len, due_cap;

  sim_named_stream **streams; /* each allocated alone: the rng pointers handed out stay valid */
  uint32_t stream_count;

  sim_callback step_hook;
  void *step_hook_arg;
  sim_event_fn event_hook;
  void *event_hook_arg;
  bool stop_requested;
  bool finished;
  sim_trace trace;

  sim_link net_default;
  sim_pair *pairs; /* pairs with a link of their own or an arrival to order after */
  uint32_t pair_count, pair_cap;
  sim_rng *net_rng;
  uint64_t net_lost, net_in_flight;
};

/* ---- Timer heap -------------------------------------------------------------------------- */

static bool item_before(const sim_item *x, const sim_item *y) {
  return x->at_ns < y->at_ns || (x->at_ns == y->at_ns && x->seq < y->seq);
}

static int grow(void **array, uint32_t *cap, size_t item_size) {
  uint32_t new_cap = *cap ? *cap * 2 : 64;
  void *p = realloc(*array, (size_t)new_cap * item_size);
  if (!p) return AC_ENOMEM;
  *array = p;
  *cap = new_cap;
  return AC_OK;
}

static int heap_push(sim_world *w, sim_item *item) {
  if (w->heap_len == w->heap_cap && grow((void **)&w->heap, &w->heap_cap, sizeof *w->heap))
    return AC_ENOMEM;
  item->seq = w->seq++;
  uint32_t i = w->heap_len++;
  while (i > 0) {
    uint32_t parent = (i - 1) / 4;
    if (!item_before(item, &w->heap[parent])) break;
    w->heap[i] = w->heap[parent];
    i = parent;
  }
  w->heap[i] = *item;
  return AC_OK;
}

static sim_item heap_pop(sim_world *w) {
  sim_item top = w->heap[0];
  sim_item last = w->heap[--w->heap_len];
  uint32_t i = 0, n = w->heap_len;
  for (;;) {
    uint32_t first = 4 * i + 1, best = i;
    const sim_item *best_item = &last;
    for (uint32_t c = first; c < first + 4 && c < n; c++) {
      if (item_before(&w->heap[c], best_item)) {
        best = c;
        best_item = &w->heap[c];
      }
    }
    if (best == i) break;
    w->heap[i] = w->heap[best];
    i = best;
  }
  if (n > 0) w->heap[i] = last;
  return top;
}

/* ---- Host interface for nodes ------------------------------------------------------------ */

static uint64_t host_now(void *ctx, uint32_t node) {
  (void)node;
  return ((sim_world *)ctx)->now_ns;
}

static void host_ready(void *ctx, ac_proc *p) {
  sim_world *w = ctx;
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
}

static int host_timer_start(void *ctx, uint64_t delay_ns, const ac_timer *t) {
  sim_world *w = ctx;
  /* Saturates: a delay past the end of time fires never rather than wrapping into the past. */
  uint64_t at = delay_ns > UINT64_MAX - w->now_ns ? UINT64_MAX : w->now_ns + delay_ns;
  sim_item item = {.at_ns = at, .kind = ITEM_TIMER, .node = t->node};
  item.u.timer = *t;
  return heap_push(w, &item);
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

/* ---- The network ------------------------------------------------------------------------- */

static sim_pair *pair_find(const sim_world *w, uint32_t from, uint32_t to) {
  for (uint32_t i = 0; i < w->pair_count; i++) /* a handful of nodes: a scan is enough */
    if (w->pairs[i].from == from && w->pairs[i].to == to) return &w->pairs[i];
  return NULL;
}

static sim_pair *pair_get(sim_world *w, uint32_t from, uint32_t to) {
  sim_pair *p = pair_find(w, from, to);
  if (p) return p;
  if (w->pair_count == w->pair_cap && grow((void **)&w->pairs, &w->pair_cap, sizeof *w->pairs))
    return NULL;
  p = &w->pairs[w->pair_count++];
  memset(p, 0, sizeof *p);
  p->from = from;
  p->to = to;
  return p;
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
  return AC_OK;
}

int sim_net_link(sim_world *w, uint32_t from, uint32_t to, const sim_link *link) {
  if (link_check(link) || from > AC_NODE_MAX || to > AC_NODE_MAX) return AC_EINVAL;
  sim_pair *p = pair_get(w, from, to);
  if (!p) return AC_ENOMEM;
  p->link = *link;
  p->has_link = true;
  return AC_OK;
}

sim_link sim_net_get(const sim_world *w, uint32_t from, uint32_t to) {
  const sim_pair *p = pair_find(w, from, to);
  return p && p->has_link ? p->link : w->net_default;
}

int sim_net_partition(sim_world *w, const uint32_t *group, uint32_t node_count) {
  if (!group || node_count > w->node_count) return AC_EINVAL;
  for (uint32_t a = 0; a < node_count; a++)
    for (uint32_t b = 0; b < node_count; b++) {
      if (a == b || group[a] == group[b]) continue;
      sim_link l = sim_net_get(w, a, b);
      l.down = true;
      int rc = sim_net_link(w, a, b, &l);
      if (rc) return rc;
    }
  return AC_OK;
}

void sim_net_heal(sim_world *w) {
  w->net_default.down = false;
  for (uint32_t i = 0; i < w->pair_count; i++) w->pairs[i].link.down = false;
}

uint64_t sim_net_lost(const sim_world *w) { return w->net_lost; }
uint64_t sim_net_in_flight(const sim_world *w) { return w->net_in_flight; }

static void net_event(sim_world *w, uint16_t kind, uint16_t flags, uint32_t node, ac_pid from,
                      ac_pid to, ac_term msg) {
  ac_event ev = {kind, flags, node, from.bits, to.bits, 0, msg.p, (uint32_t)ac_term_size(msg)};
  host_event(w, &ev);
}

static int send_packet(sim_world *w, uint64_t at, ac_pid from, ac_pid to, ac_term msg) {
  size_t size = ac_term_size(msg);
  sim_packet *pk = malloc(sizeof *pk + size);
  if (!pk) return AC_ENOMEM;
  pk->from = from;
  pk->to = to;
  pk->size = (uint32_t)size;
  memcpy(pk->data, msg.p, size);
  sim_item item = {.at_ns = at, .kind = ITEM_DELIVER, .node = ac_pid_node(to)};
  item.u.packet = pk;
  int rc = heap_push(w, &item);
  if (rc) free(pk);
  else w->net_in_flight++;
  return rc;
}

/* host->route: a message for a pid of another node leaves over the link to that node. */
static int host_route(void *ctx, uint32_t from_node, ac_pid from, ac_pid to, ac_term msg) {
  sim_world *w = ctx;
  uint32_t dest = ac_pid_node(to);
  if (!w->net_rng) w->net_rng = sim_stream(w, "network");
  if (!w->net_rng) return AC_ENOMEM;
  sim_link link = sim_net_get(w, from_node, dest);
  if (dest >= w->node_count || link.down ||
      (link.datagram && link.loss > 0 && sim_rng_unit(w->net_rng) < link.loss)) {
    /* An unknown node is as far as a partitioned one: Erlang drops the message, silently. */
    w->net_lost++;
    net_event(w, AC_EV_NET_DROP, link.down || dest >= w->node_count ? 1 : 2, from_node, from, to, msg);
    return AC_OK;
  }
  uint64_t delay = sim_dist_sample(&link.latency, w->net_rng);
  uint64_t sent = w->now_ns; /* when its last byte has left */
  if (link.bandwidth) {
    sim_pair *p = pair_get(w, from_node, dest);
    if (!p) return AC_ENOMEM;
    uint64_t start = p->busy_until > w->now_ns ? p->busy_until : w->now_ns;
    uint64_t bytes = ac_term_size(msg);
    uint64_t tx = bytes >= UINT64_MAX / 1000000000u
                      ? UINT64_MAX / 2
                      : (bytes * 1000000000u + link.bandwidth - 1) / link.bandwidth;
    sent = tx > UINT64_MAX / 2 - start ? UINT64_MAX / 2 : start + tx;
    p->busy_until = sent;
  }
  uint64_t at = delay > UINT64_MAX - sent ? UINT64_MAX : sent + delay;
  if (!link.datagram) { /* connection mode: never before the previous message of the pair */
    sim_pair *p = pair_get(w, from_node, dest);
    if (!p) return AC_ENOMEM;
    /* Strictly after: deliveries due at one instant run in a seeded order, which would
     * reorder the pair's messages; one nanosecond apart they keep theirs. */
    if (p->has_last && at <= p->last_at) at = p->last_at + 1;
    p->last_at = at;
    p->has_last = true;
    return send_packet(w, at, from, to, msg);
  }
  int rc = send_packet(w, at, from, to, msg);
  if (rc == AC_OK && link.dup > 0 && sim_rng_unit(w->net_rng) < link.dup) {
    net_event(w, AC_EV_NET_DUP, 0, from_node, from, to, msg);
    uint64_t d2 = sim_dist_sample(&link.latency, w->net_rng);
    rc = send_packet(w, d2 > UINT64_MAX - w->now_ns ? UINT64_MAX : w->now_ns + d2, from, to, msg);
  }
  return rc;
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
  sim_rng_seed(&w->sched, cfg->seed, sim_stream_id("sched"));
  sim_trace_init(&w->trace);
  if (cfg->trace_path) {
    int rc = sim_trace_open(&w->trace, cfg->trace_path, cfg->seed, name);
    if (rc) {
      free(w->name);
      free(w);
      return rc;
    }
  }
  *out = w;
  return AC_OK;
}

void sim_world_destroy(sim_world *w) {
  if (!w) return;
  sim_trace_close(&w->trace, false);
  sim_trace_keep_recent(&w->trace, 0);
  for (uint32_t i = 0; i < w->heap_len; i++) {
    if (w->heap[i].kind == ITEM_TIMER) ac_node_timer_drop(w->nodes[w->heap[i].node], &w->heap[i].u.timer);
    if (w->heap[i].kind == ITEM_DELIVER) free(w->heap[i].u.packet);
  }
  for (uint32_t i = 0; i < w->due_len; i++) {
    if (w->due[i].kind == ITEM_TIMER) ac_node_timer_drop(w->nodes[w->due[i].node], &w->due[i].u.timer);
    if (w->due[i].kind == ITEM_DELIVER) free(w->due[i].u.packet);
  }
  free(w->pairs);
  for (uint32_t i = 0; i < w->node_count; i++) ac_node_destroy(w->nodes[i]);
  for (uint32_t i = 0; i < w->stream_count; i++) {
    free(w->streams[i]->name);
    free(w->streams[i]);
  }
  free(w->streams);
  free(w->nodes);
  free(w->runq);
  free(w->heap);
  free(w->due);
  free(w->name);
  free(w);
}

int sim_node_add(sim_world *w, const char *name, const ac_node_config *cfg, ac_node **out) {
  if (!name || !*name || strlen(name) > AC_ATOM_LEN_MAX) return AC_EINVAL;
  for (uint32_t i = 0; i < w->node_count; i++)
    if (strcmp(ac_node_name(w->nodes[i]), name) == 0) return AC_EINVAL;
  if (w->node_count > AC_NODE_MAX) return AC_ELIMIT;
  if (w->node_count == w->node_cap && grow((void **)&w->nodes, &w->node_cap, sizeof *w->nodes))
    return AC_ENOMEM;
  ac_host host = {w, host_now, host_ready, host_unready, host_timer_start, host_route, host_event};
  ac_node *node;
  int rc = ac_node_create(&node, w->node_count, name, cfg, &host);
  if (rc) return rc;
  w->nodes[w->node_count++] = node;
  ac_tbuf b;
  ac_tb_init(&b);
  ac_term t;
  ac_tb_atom(&b, name);
  if (ac_tb_finish(&b, &t) == AC_OK) {
    ac_event ev = {AC_EV_NODE, 0, ac_node_index(node), ac_node_index(node), 0, 0, t.p,
                   (uint32_t)ac_term_size(t)};
    host_event(w, &ev);
  }
  ac_tb_free(&b);
  if (out) *out = node;
  return AC_OK;
}

ac_node *sim_node(sim_world *w, uint32_t index) {
  return index < w->node_count ? w->nodes[index] : NULL;
}
uint32_t sim_node_count(const sim_world *w) { return w->node_count; }

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

void sim_request_stop(sim_world *w) { w->stop_requested = true; }

void sim_set_event_hook(sim_world *w, sim_event_fn fn, void *arg) {
  w->event_hook = fn;
  w->event_hook_arg = arg;
}

static void fire(sim_world *w, const sim_item *item) {
  if (item->kind == ITEM_TIMER) {
    ac_node_timer(w->nodes[item->node], &item->u.timer);
  } else if (item->kind == ITEM_DELIVER) {
    sim_packet *pk = item->u.packet;
    ac_term msg = {pk->data};
    w->net_in_flight--;
    /* A dead receiver drops it, as a local send to a dead pid does. */
    ac_node_deliver(w->nodes[item->node], pk->from, pk->to, msg);
    free(pk);
  } else {
    item->u.cb.fn(w, item->u.cb.arg);
  }
}

/* Drops dead timers (completed receives, cancelled timers) from the top of the heap, so that
 * they neither take a scheduling draw nor move the clock. */
static void drop_dead_timers(sim_world *w) {
  while (w->heap_len && w->heap[0].kind == ITEM_TIMER &&
         !ac_node_timer_live(w->nodes[w->heap[0].node], &w->heap[0].u.timer)) {
    sim_item dead = heap_pop(w);
    ac_node_timer_drop(w->nodes[dead.node], &dead.u.timer);
  }
}

/* Moves every heap item due now into `due`. */
static void collect_due(sim_world *w) {
  for (drop_dead_timers(w); w->heap_len && w->heap[0].at_ns <= w->now_ns; drop_dead_timers(w)) {
    if (w->due_len == w->due_cap && grow((void **)&w->due, &w->due_cap, sizeof *w->due)) abort();
    w->due[w->due_len++] = heap_pop(w);
  }
}

sim_stop_reason sim_run(sim_world *w, const sim_limits *limits) {
  uint64_t time_max = limits ? limits->time_ns_max : 0;
  uint64_t steps_max = limits ? limits->step_count_max : 0;
  w->stop_requested = false;
  for (;;) {
    if (steps_max && w->steps >= steps_max) return SIM_STOP_STEP_LIMIT;
    collect_due(w);
    uint64_t ready = (uint64_t)w->runq_len + w->due_len;
    if (ready == 0) {
      if (w->heap_len == 0) return SIM_STOP_QUIESCENT;
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
    if (w->step_hook) w->step_hook(w, w->step_hook_arg);
    if (w->stop_requested) return SIM_STOP_REQUESTED;
  }
}

int sim_finish(sim_world *w) {
  if (w->finished) return w->trace.err;
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
