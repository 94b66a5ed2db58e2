/*
 * The network model between machines (see world.h, "Network"): per directed pair of machines a
 * link (latency distribution, loss, duplication, bandwidth, down), Erlang's distribution
 * connections (set up by the first signal, kept alive by ticks, lost when nothing is heard for
 * the tick time), packets in flight as heap items of the world, and the `links` record that
 * tells a viewer which links are down or flaky.
 *
 * Invariants: pairs[from * pair_dim + to] exists for every from, to < machine_count; a
 * connection is up on one side only while that side's epoch names it; net_in_flight counts the
 * ITEM_DELIVER items in the heap and the due array. Cost per remote send: one latency sample,
 * one malloc for the packet, one heap push.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static sim_pair *pair_at(const sim_world *w, uint32_t from, uint32_t to) {
  return from < w->pair_dim && to < w->pair_dim ? &w->pairs[(size_t)from * w->pair_dim + to] : NULL;
}

/* Makes room in the pair matrix for `count` machines. */
int sim__net_reserve(sim_world *w, uint32_t count) {
  if (count <= w->pair_dim) return AC_OK;
  uint32_t dim = w->pair_dim ? w->pair_dim : 4;
  while (dim < count) dim *= 2;
  sim_pair *pairs = ac_calloc((size_t)dim * dim, sizeof *pairs);
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

/* One direction of an isolation: counted, its state before the first saved. */
static void isolate_one(sim_world *w, uint32_t from, uint32_t to) {
  sim_pair *p = pair_at(w, from, to);
  sim_link l = sim_net_get(w, from, to);
  if (p->isolations++ == 0) p->down_before = l.down;
  l.down = true;
  p->link = l;
  p->has_link = true;
  w->links_dirty = true;
}

static void rejoin_one(sim_world *w, uint32_t from, uint32_t to) {
  sim_pair *p = pair_at(w, from, to);
  if (p->isolations == 0 || --p->isolations > 0) return;
  p->link = sim_net_get(w, from, to);
  p->link.down = p->down_before;
  p->has_link = true;
  w->links_dirty = true;
}

void sim__net_isolate(sim_world *w, uint32_t m) {
  for (uint32_t x = 0; x < w->machine_count; x++)
    if (x != m) {
      isolate_one(w, m, x);
      isolate_one(w, x, m);
    }
}

void sim__net_rejoin(sim_world *w, uint32_t m) {
  for (uint32_t x = 0; x < w->machine_count; x++)
    if (x != m) {
      rejoin_one(w, m, x);
      rejoin_one(w, x, m);
    }
}

void sim__net_heal_all(sim_world *w) {
  w->links_dirty = true;
  w->net_default.down = false;
  for (size_t i = 0; i < (size_t)w->pair_dim * w->pair_dim; i++) w->pairs[i].link.down = false;
}

int sim_net_flaky(sim_world *w, uint32_t from, uint32_t to, bool flaky) {
  sim_pair *p = pair_at(w, from, to);
  if (!p || from >= w->machine_count || to >= w->machine_count || from == to) return AC_EINVAL;
  if (p->flaky != flaky) w->links_dirty = true;
  p->flaky = flaky;
  return AC_OK;
}

/* A machine's name with its number, to sort machines by name (qsort has no context argument
 * in C11, and a file-level pointer to the world would be state shared by every run). */
typedef struct named {
  const char *name;
  uint32_t machine;
} named;

static int named_cmp(const void *x, const void *y) {
  return strcmp(((const named *)x)->name, ((const named *)y)->name);
}

static int u64_cmp(const void *x, const void *y) {
  uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
  return (a > b) - (a < b);
}

/* Appends the list [{From, To}, ...] of the pairs whose link is down (flaky false) or that have
 * a flaky setting (flaky true), sorted by the names (from, then to); adds how many to
 * *count_out. Each pair is sorted as one integer: the two machines' ranks in name order. */
static int links_list(sim_world *w, ac_tbuf *b, bool flaky, uint32_t *count_out) {
  uint32_t n = w->machine_count, count = 0;
  named *order = ac_malloc((n ? n : 1) * sizeof *order);
  uint32_t *rank = ac_malloc((n ? n : 1) * sizeof *rank);
  uint64_t *keys = ac_malloc((size_t)(n ? n : 1) * (n ? n : 1) * sizeof *keys);
  if (!order || !rank || !keys) {
    free(order);
    free(rank);
    free(keys);
    return AC_ENOMEM;
  }
  for (uint32_t m = 0; m < n; m++) order[m] = (named){w->machines[m].name, m};
  qsort(order, n, sizeof *order, named_cmp);
  for (uint32_t r = 0; r < n; r++) rank[order[r].machine] = r;
  for (uint32_t a = 0; a < n; a++)
    for (uint32_t c = 0; c < n; c++) {
      if (a == c) continue;
      bool on = flaky ? pair_at(w, a, c)->flaky : sim_net_get(w, a, c).down;
      if (on) keys[count++] = (uint64_t)rank[a] << 32 | rank[c];
    }
  qsort(keys, count, sizeof *keys, u64_cmp);
  ac_tb_list_begin(b);
  for (uint32_t i = 0; i < count; i++)
    ac_tb_fmt(b, "{a,a}", order[keys[i] >> 32].name, order[(uint32_t)keys[i]].name);
  ac_tb_end(b);
  free(order);
  free(rank);
  free(keys);
  *count_out += count;
  return AC_OK;
}

void sim_net_links_check(sim_world *w) {
  if (!w->links_dirty) return;
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
    uint8_t *copy = same ? NULL : ac_malloc(size);
    /* Out of memory, the check stays due and is made again after the next step. */
    if (same || copy) w->links_dirty = false;
    if (copy) {
      memcpy(copy, t.p, size);
      free(w->links_last);
      w->links_last = copy;
      w->links_last_size = size;
      ac_event ev = {AC_EV_LINKS, 0, 0, 0, 0, 0, t.p, (uint32_t)size};
      sim__event(w, &ev);
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
  sim__event(w, &ev);
}

static sim_packet *packet_new(uint32_t op, uint32_t src, const ac_dist *d, uint64_t epoch) {
  size_t size = d ? ac_term_size(d->term) : 0;
  size_t name_len = d && d->name ? strlen(d->name) + 1 : 0;
  sim_packet *pk = ac_malloc(sizeof *pk + size + name_len);
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
  int rc = sim__heap_push(w, &item);
  if (rc) free(pk);
  else w->net_in_flight++;
  return rc;
}

static sim_rng *net_rng(sim_world *w) {
  if (!w->net_rng) w->net_rng = sim_stream(w, "network");
  return w->net_rng;
}

static int tick_arm(sim_world *w, uint32_t from, uint32_t to, uint64_t epoch) {
  sim_item item = {.at_ns = sim__after(w, w->tick_ns / 4), .kind = ITEM_TICK};
  item.u.tick.from = from;
  item.u.tick.to = to;
  item.u.tick.epoch = epoch;
  return sim__heap_push(w, &item);
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

int sim__net_connect(void *ctx, uint32_t from, uint32_t to) {
  sim_world *w = ctx;
  sim_machine *mf = sim__machine_of_index(w, from), *mt = sim__machine_of_index(w, to);
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
int sim__net_route(void *ctx, uint32_t from_node, const ac_dist *d) {
  sim_world *w = ctx;
  sim_machine *ms = sim__machine_of_index(w, from_node), *md = sim__machine_of_index(w, d->dest);
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
      sim__event(w, &ev);
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
void sim__net_tick(sim_world *w, uint32_t a, uint32_t b, uint64_t epoch) {
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
void sim__net_arrive(sim_world *w, sim_packet *pk) {
  w->net_in_flight--;
  sim_machine *md = sim__machine_of_index(w, pk->dest);
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

/* Whether a connection will go on as it is for ever: both sides up on it, both nodes up and
 * the links both ways up. Its ticks then change nothing. */
bool sim__net_steady(const sim_world *w, uint32_t a, uint32_t b, uint64_t epoch) {
  const sim_pair *ab = pair_at(w, a, b), *ba = pair_at(w, b, a);
  return ab->conn_up && ba->conn_up && ab->epoch == epoch && ba->epoch == epoch &&
         w->machines[a].node && w->machines[b].node && !sim_net_get(w, a, b).down &&
         !sim_net_get(w, b, a).down;
}

void sim__net_node_crashed(sim_world *w, uint32_t machine) {
  for (uint32_t other = 0; other < w->machine_count; other++) {
    sim_pair *p = pair_at(w, machine, other);
    if (p) p->conn_up = false; /* its own side goes with it, silently; the others find out */
  }
}

void sim__net_free(sim_world *w) {
  free(w->pairs);
  free(w->links_last);
  w->pairs = NULL;
  w->links_last = NULL;
  w->pair_dim = 0;
}
