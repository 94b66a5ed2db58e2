/*
 * The one place where faults are made and recorded (see fault.h), and the plan that replaces a
 * scenario's faults.
 *
 * A fault goes through two stages. prepare() resolves its names (nodes, the target process),
 * checks it and builds its record, changing nothing; commit() writes the record and then makes
 * the fault through the world's mechanisms (world.c and net.c, which record nothing of their
 * own). Under a plan, a scenario's fault is prepared (for its status and its record) but only a
 * planned fault with the same record at the same time is committed. Cost: one term built per
 * fault; a process target also looks up its registered name or walks up its supervisors.
 */
#include "fault.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "sup.h"

static const char *const kind_names[SIM_FK_COUNT] = {
    [SIM_FK_KILL] = "kill",           [SIM_FK_PAUSE] = "pause",
    [SIM_FK_RESUME] = "resume",       [SIM_FK_SLOW] = "slow",
    [SIM_FK_PARTITION] = "partition", [SIM_FK_ISOLATE] = "isolate",
    [SIM_FK_CUT] = "cut",             [SIM_FK_HEAL] = "heal",
    [SIM_FK_FLAKY_DOWN] = "flaky_down", [SIM_FK_FLAKY_UP] = "flaky_up",
    [SIM_FK_LINK] = "link",           [SIM_FK_NET_DEFAULT] = "net_default",
    [SIM_FK_CRASH_NODE] = "crash_node", [SIM_FK_RESTART_NODE] = "restart_node",
    [SIM_FK_CLOCK] = "clock",
};

const char *sim_fault_kind_name(int kind) {
  return kind > 0 && kind < SIM_FK_COUNT ? kind_names[kind] : NULL;
}

int sim_fault_kind_of(const char *name) {
  for (int k = 1; name && k < SIM_FK_COUNT; k++)
    if (strcmp(kind_names[k], name) == 0) return k;
  return 0;
}

/* The record's class (the AC_EV_FAULT flags) of each kind. */
static uint16_t kind_class(int kind) {
  switch (kind) {
    case SIM_FK_KILL: return SIM_FAULT_KILL;
    case SIM_FK_PAUSE: case SIM_FK_RESUME: case SIM_FK_SLOW: return SIM_FAULT_PROCESS;
    case SIM_FK_HEAL: return SIM_FAULT_HEAL;
    case SIM_FK_LINK: case SIM_FK_NET_DEFAULT: return SIM_FAULT_LINK;
    case SIM_FK_CRASH_NODE: return SIM_FAULT_CRASH;
    case SIM_FK_RESTART_NODE: return SIM_FAULT_RESTART;
    case SIM_FK_CLOCK: return SIM_FAULT_CLOCK;
    default: return SIM_FAULT_PARTITION; /* partition, isolate, cut, flaky */
  }
}

/* ---- Targets ----------------------------------------------------------------------------- */

#define SUP_DEPTH_MAX 16 /* supervisors walked up from a process to a registered one */

/* The live node that runs pid's incarnation, or NULL; *machine its machine (or -1). */
static ac_node *node_of_pid(const sim_world *w, ac_pid pid, int *machine) {
  int m = sim_node_of_index(w, ac_pid_node(pid));
  *machine = m;
  return m >= 0 && w->machines[m].index == ac_pid_node(pid) ? w->machines[m].node : NULL;
}

static int parent_sup_among(const ac_node *node, ac_pid pid, const ac_pid *links, uint32_t n,
                            ac_pid *sup, const char **id);

/* The supervisor that started pid as a child with an id, and that id; AC_ENOTFOUND if none. */
static int parent_sup(const ac_node *node, ac_pid pid, ac_pid *sup, const char **id) {
  ac_pid first[32], *links = first;
  uint32_t n = ac_node_relations(node, pid, AC_REL_LINKS, first, 32);
  if (n > 32) { /* every link is looked at, so that the target does not depend on how many */
    links = ac_malloc((size_t)n * sizeof *links);
    if (!links) return AC_ENOMEM;
    n = ac_node_relations(node, pid, AC_REL_LINKS, links, n);
  }
  int rc = parent_sup_among(node, pid, links, n, sup, id);
  if (links != first) free(links);
  return rc;
}

/* parent_sup over the links given. */
static int parent_sup_among(const ac_node *node, ac_pid pid, const ac_pid *links, uint32_t n,
                            ac_pid *sup, const char **id) {
  for (uint32_t i = 0; i < n; i++) {
    ac_proc_info info;
    if (ac_node_info(node, links[i], &info) || !info.behaviour || strcmp(info.behaviour, "supervisor"))
      continue;
    int count = ac_sup_children(node, links[i], NULL, 0);
    if (count <= 0) continue;
    ac_sup_child_info *kids = ac_malloc((size_t)count * sizeof *kids);
    if (!kids) return AC_ENOMEM;
    count = ac_sup_children(node, links[i], kids, (size_t)count);
    for (int k = 0; k < count; k++)
      if (kids[k].id && ac_pid_eq(kids[k].pid, pid)) {
        *sup = links[i];
        *id = kids[k].id; /* the supervisor's own copy: lives as long as it */
        free(kids);
        return AC_OK;
      }
    free(kids);
  }
  return AC_ENOTFOUND;
}

int sim_fault_target_term(sim_world *w, ac_pid pid, ac_tbuf *b) {
  int m;
  ac_node *node = node_of_pid(w, pid, &m);
  ac_proc_info info;
  ac_tb_list_begin(b);
  if (m >= 0) ac_tb_fmt(b, "{a,a}", "node", w->machines[m].name);
  if (node && ac_node_info(node, pid, &info) == AC_OK && info.name) {
    ac_tb_fmt(b, "{a,a}", "name", info.name);
    return ac_tb_end(b);
  }
  const char *ids[SUP_DEPTH_MAX];
  ac_pid cur = pid, sup;
  for (uint32_t depth = 0; node && depth < SUP_DEPTH_MAX; depth++) {
    int rc = parent_sup(node, cur, &sup, &ids[depth]);
    if (rc == AC_ENOMEM) return rc;
    if (rc) break;
    if (ac_node_info(node, sup, &info) == AC_OK && info.name) {
      ac_tb_fmt(b, "{a,a}", "sup", info.name);
      ac_tb_tuple_begin(b);
      ac_tb_atom(b, "child");
      ac_tb_list_begin(b);
      for (uint32_t i = depth + 1; i-- > 0;) ac_tb_atom(b, ids[i]);
      ac_tb_end(b);
      ac_tb_end(b);
      return ac_tb_end(b);
    }
    cur = sup;
  }
  ac_tb_fmt(b, "{a,p}", "pid", pid);
  return ac_tb_end(b);
}

/* The pid a target names now. AC_ENOTFOUND (why says what is missing) or AC_EINVAL. */
static int target_pid(sim_world *w, const sim_target *t, ac_pid *out, char *why, size_t cap) {
  if (!t->node) {
    if (ac_pid_is_none(t->pid)) return snprintf(why, cap, "no target process"), AC_EINVAL;
    *out = t->pid;
    return AC_OK;
  }
  int m = sim_node_find(w, t->node);
  if (m < 0) return snprintf(why, cap, "unknown node '%s'", t->node), AC_ENOTFOUND;
  ac_node *node = w->machines[m].node;
  if (!node) return snprintf(why, cap, "node '%s' is down", t->node), AC_ENOTFOUND;
  if (t->name || !t->sup) {
    if (!t->name) return snprintf(why, cap, "target names no process"), AC_EINVAL;
    *out = ac_whereis(node, t->name);
    if (ac_pid_is_none(*out))
      return snprintf(why, cap, "no process is registered as '%s' on node '%s'", t->name, t->node), AC_ENOTFOUND;
    return AC_OK;
  }
  ac_pid cur = ac_whereis(node, t->sup);
  if (ac_pid_is_none(cur))
    return snprintf(why, cap, "no supervisor is registered as '%s' on node '%s'", t->sup, t->node), AC_ENOTFOUND;
  for (uint32_t i = 0; i < t->child_count; i++) {
    int count = ac_sup_children(node, cur, NULL, 0);
    ac_sup_child_info *kids = count > 0 ? ac_malloc((size_t)count * sizeof *kids) : NULL;
    if (count > 0 && !kids) return AC_ENOMEM;
    if (count > 0) count = ac_sup_children(node, cur, kids, (size_t)count);
    ac_pid next = AC_PID_NONE;
    for (int k = 0; k < count; k++)
      if (kids[k].id && strcmp(kids[k].id, t->child[i]) == 0) next = kids[k].pid;
    free(kids);
    if (ac_pid_is_none(next))
      return snprintf(why, cap, "supervisor '%s' on node '%s' has no running child '%s'", t->sup, t->node,
                      t->child[i]), AC_ENOTFOUND;
    cur = next;
  }
  *out = cur;
  return AC_OK;
}

/* ---- Prepare and commit ------------------------------------------------------------------ */

typedef struct prep {
  const sim_fault *f;
  uint16_t cls;         /* the record's flags */
  ac_pid pid;           /* process faults: the process (the record's a) */
  int after;            /* the status commit returns (AC_ENOPROC: a pid of a node gone) */
  uint32_t node, from, to;
  int32_t *group;       /* partition: each machine's group, -1 for none */
  sim_link link;        /* link, net_default: the settings once made */
  ac_tbuf b;
  ac_term t;
} prep;

static void prep_free(prep *p) {
  free(p->group);
  p->group = NULL;
  ac_tb_free(&p->b);
}

static int need_node(sim_world *w, const char *name, uint32_t *out, const char *field, char *why, size_t cap) {
  int m = name ? sim_node_find(w, name) : AC_EINVAL;
  if (m < 0) {
    if (name) snprintf(why, cap, "unknown node '%s'", name);
    else snprintf(why, cap, "%s is missing", field);
    return name ? AC_ENOTFOUND : AC_EINVAL;
  }
  *out = (uint32_t)m;
  return AC_OK;
}

static bool probability(double p) { return p >= 0 && p <= 1; }

/* The link settings of f merged over those in force, checked. */
static int merged_link(sim_world *w, const sim_fault *f, uint32_t from, uint32_t to, sim_link *out,
                       char *why, size_t cap) {
  uint32_t set = f->link_fields ? f->link_fields : SIM_LINK_ALL;
  sim_link l = sim_net_get(w, from, to);
  if (set & SIM_LINK_LATENCY) l.latency = f->link.latency;
  if (set & SIM_LINK_LOSS) l.loss = f->link.loss;
  if (set & SIM_LINK_DUP) l.dup = f->link.dup;
  if (set & SIM_LINK_BANDWIDTH) l.bandwidth = f->link.bandwidth;
  if (set & SIM_LINK_MODE) l.datagram = f->link.datagram;
  if (set & SIM_LINK_DOWN) l.down = f->link.down;
  if (sim_dist_check(&l.latency) || !probability(l.loss) || !probability(l.dup))
    return snprintf(why, cap, "bad link settings"), AC_EINVAL;
  *out = l;
  return AC_OK;
}

/* {latency, [{dist, D}, {Field, Value}...]}: the fields cl.net.link's latency table has. */
static void latency_term(ac_tbuf *b, const sim_dist *d) {
  static const char *const a_names[] = {"value", "min", "mean", "mean", "scale"};
  ac_tb_tuple_begin(b);
  ac_tb_atom(b, "latency");
  ac_tb_list_begin(b);
  ac_tb_fmt(b, "{a,a}", "dist", sim_dist_name(d->kind));
  ac_tb_fmt(b, "{a,i}", a_names[d->kind], (int64_t)d->a_ns);
  if (d->kind == SIM_DIST_UNIFORM) ac_tb_fmt(b, "{a,i}", "max", (int64_t)d->b_ns);
  if (d->kind == SIM_DIST_NORMAL) ac_tb_fmt(b, "{a,i}", "sd", (int64_t)d->b_ns);
  if (d->kind == SIM_DIST_PARETO) ac_tb_fmt(b, "{a,d}", "shape", d->shape);
  if (d->cap_ns) ac_tb_fmt(b, "{a,i}", "cap", (int64_t)d->cap_ns);
  ac_tb_end(b);
  ac_tb_end(b);
}

static int prep_process(sim_world *w, prep *p, char *why, size_t cap) {
  const sim_fault *f = p->f;
  int rc = target_pid(w, &f->target, &p->pid, why, cap);
  if (rc) return rc;
  int m;
  if (f->kind == SIM_FK_KILL && !node_of_pid(w, p->pid, &m)) p->after = AC_ENOPROC;
  ac_tbuf *b = &p->b;
  ac_tb_tuple_begin(b);
  bool resume = f->kind == SIM_FK_RESUME || (f->kind == SIM_FK_SLOW && f->slow_ns == 0);
  ac_tb_atom(b, resume ? "resume" : kind_names[f->kind]);
  ac_tb_pid(b, p->pid);
  if (f->kind == SIM_FK_KILL && f->reason.p) ac_tb_term(b, f->reason);
  else if (f->kind == SIM_FK_KILL) ac_tb_atom(b, "kill");
  if (f->kind == SIM_FK_SLOW && !resume) ac_tb_int(b, (int64_t)f->slow_ns);
  rc = sim_fault_target_term(w, p->pid, b);
  ac_tb_end(b);
  return rc;
}

static int prep_partition(sim_world *w, prep *p, char *why, size_t cap) {
  const sim_fault *f = p->f;
  if (f->group_count < 1 || !f->group_size || !f->members)
    return snprintf(why, cap, "a partition needs groups"), AC_EINVAL;
  p->group = ac_malloc((w->machine_count ? w->machine_count : 1) * sizeof *p->group);
  if (!p->group) return AC_ENOMEM;
  for (uint32_t i = 0; i < w->machine_count; i++) p->group[i] = -1;
  ac_tbuf *b = &p->b;
  ac_tb_tuple_begin(b);
  ac_tb_atom(b, "partition");
  ac_tb_list_begin(b);
  size_t at = 0;
  for (uint32_t g = 0; g < f->group_count; g++) {
    ac_tb_list_begin(b);
    for (uint32_t i = 0; i < f->group_size[g]; i++) {
      uint32_t m;
      int rc = need_node(w, f->members[at++], &m, "a group's node", why, cap);
      if (rc) return rc;
      if (p->group[m] >= 0) return snprintf(why, cap, "node '%s' is in two groups", w->machines[m].name), AC_EINVAL;
      p->group[m] = (int32_t)g;
      ac_tb_atom(b, w->machines[m].name);
    }
    ac_tb_end(b);
  }
  ac_tb_end(b);
  return ac_tb_end(b);
}

static int prep_link(sim_world *w, prep *p, char *why, size_t cap) {
  const sim_fault *f = p->f;
  const char *from = "default", *to = "default";
  int rc;
  if (f->kind == SIM_FK_LINK) {
    if ((rc = need_node(w, f->from, &p->from, "from", why, cap)) ||
        (rc = need_node(w, f->to, &p->to, "to", why, cap)))
      return rc;
    if (p->from == p->to) return snprintf(why, cap, "a node has no link to itself"), AC_EINVAL;
    from = w->machines[p->from].name;
    to = w->machines[p->to].name;
  } else {
    p->from = p->to = UINT32_MAX;
  }
  if ((rc = merged_link(w, f, p->from, p->to, &p->link, why, cap))) return rc;
  const sim_link *l = &p->link;
  ac_tbuf *b = &p->b;
  ac_tb_tuple_begin(b);
  ac_tb_fmt(b, "a,a,a", "link", from, to);
  ac_tb_list_begin(b);
  ac_tb_fmt(b, "{a,a},{a,a},{a,d},{a,d},{a,i}", "down", l->down ? "true" : "false", "mode",
            l->datagram ? "datagram" : "connection", "loss", l->loss, "dup", l->dup, "bandwidth",
            (int64_t)l->bandwidth);
  latency_term(b, &l->latency);
  ac_tb_end(b); /* the settings */
  return ac_tb_end(b);
}

/* Resolves and checks f and builds its record in p (which the caller frees with prep_free).
 * Changes nothing. */
static int prepare(sim_world *w, const sim_fault *f, prep *p, char *why, size_t cap) {
  memset(p, 0, sizeof *p);
  ac_tb_init(&p->b);
  p->f = f;
  p->cls = kind_class(f->kind);
  ac_tbuf *b = &p->b;
  int rc = AC_OK;
  const char *name;
  switch (f->kind) {
    case SIM_FK_KILL: case SIM_FK_PAUSE: case SIM_FK_RESUME: case SIM_FK_SLOW:
      rc = prep_process(w, p, why, cap);
      break;
    case SIM_FK_PARTITION: rc = prep_partition(w, p, why, cap); break;
    case SIM_FK_LINK: case SIM_FK_NET_DEFAULT: rc = prep_link(w, p, why, cap); break;
    case SIM_FK_HEAL: case SIM_FK_ISOLATE: case SIM_FK_CRASH_NODE: case SIM_FK_RESTART_NODE: case SIM_FK_CLOCK:
      if (f->kind == SIM_FK_HEAL && !f->node) { /* every link: `heal`; else {heal, Node} */
        rc = ac_tb_atom(b, "heal");
        break;
      }
      if ((rc = need_node(w, f->node, &p->node, "node", why, cap))) break;
      name = w->machines[p->node].name;
      if (f->kind == SIM_FK_CRASH_NODE && !w->machines[p->node].node)
        return snprintf(why, cap, "node '%s' is down already", name), AC_ESTATE;
      if (f->kind == SIM_FK_RESTART_NODE && w->machines[p->node].node)
        return snprintf(why, cap, "node '%s' is up", name), AC_ESTATE;
      if (f->kind == SIM_FK_CLOCK && !(f->drift > -1.0 && f->drift < 1e6))
        return snprintf(why, cap, "drift must be above -1 and below 1e6"), AC_EINVAL;
      if (f->kind == SIM_FK_CLOCK) rc = ac_tb_fmt(b, "{a,a,i,d}", "clock", name, f->jump_ns, f->drift);
      else rc = ac_tb_fmt(b, "{a,a}", kind_names[f->kind], name);
      break;
    case SIM_FK_CUT: case SIM_FK_FLAKY_DOWN: case SIM_FK_FLAKY_UP:
      if ((rc = need_node(w, f->from, &p->from, "from", why, cap)) ||
          (rc = need_node(w, f->to, &p->to, "to", why, cap)))
        break;
      if (p->from == p->to) return snprintf(why, cap, "a node has no link to itself"), AC_EINVAL;
      rc = ac_tb_fmt(b, "{a,a,a}", kind_names[f->kind], w->machines[p->from].name, w->machines[p->to].name);
      break;
    default: return snprintf(why, cap, "unknown fault kind %d", f->kind), AC_EINVAL;
  }
  if (rc == AC_OK) rc = ac_tb_finish(b, &p->t);
  if (rc == AC_ENOMEM) snprintf(why, cap, "out of memory");
  return rc;
}

static void set_down(sim_world *w, uint32_t a, uint32_t b, bool down) {
  sim_link l = sim_net_get(w, a, b);
  l.down = down;
  int rc = sim_net_link(w, a, b, &l);
  assert(rc == AC_OK && "a link that is in force is valid");
  (void)rc;
}

/* Records the prepared fault, then makes it. */
static int commit(sim_world *w, prep *p) {
  const sim_fault *f = p->f;
  ac_event ev = {AC_EV_FAULT, p->cls, 0, p->pid.bits, 0, 0, p->t.p, (uint32_t)ac_term_size(p->t)};
  sim__event(w, &ev);
  int rc = p->after;
  int m;
  ac_node *node;
  switch (f->kind) {
    case SIM_FK_KILL: {
      ac_term reason;
      (void)ac_term_elem(p->t, 2, &reason); /* the record holds it: {kill, Pid, Reason, Target} */
      node = node_of_pid(w, p->pid, &m);
      if (node) rc = ac_node_exit(node, p->pid, reason);
      break;
    }
    case SIM_FK_PAUSE: rc = sim__proc_fault_set(w, p->pid, true, 0); break;
    case SIM_FK_RESUME: rc = sim__proc_fault_set(w, p->pid, false, 0); break;
    case SIM_FK_SLOW: rc = sim__proc_fault_set(w, p->pid, false, f->slow_ns); break;
    case SIM_FK_PARTITION:
      for (uint32_t x = 0; x < w->machine_count; x++)
        for (uint32_t y = 0; y < w->machine_count; y++)
          if (x != y && p->group[x] >= 0 && p->group[y] >= 0 && p->group[x] != p->group[y])
            set_down(w, x, y, true);
      break;
    case SIM_FK_ISOLATE: sim__net_isolate(w, p->node); break;
    case SIM_FK_HEAL:
      if (f->node) sim__net_rejoin(w, p->node);
      else sim__net_heal_all(w);
      break;
    case SIM_FK_CUT: set_down(w, p->from, p->to, true); break;
    case SIM_FK_FLAKY_DOWN: case SIM_FK_FLAKY_UP:
      set_down(w, p->from, p->to, f->kind == SIM_FK_FLAKY_DOWN);
      set_down(w, p->to, p->from, f->kind == SIM_FK_FLAKY_DOWN);
      break;
    case SIM_FK_LINK: rc = sim_net_link(w, p->from, p->to, &p->link); break;
    case SIM_FK_NET_DEFAULT: rc = sim_net_default(w, &p->link); break;
    case SIM_FK_CRASH_NODE: rc = sim__node_crash(w, p->node); break;
    case SIM_FK_RESTART_NODE: rc = sim__node_restart(w, p->node); break;
    case SIM_FK_CLOCK: rc = sim__clock_set(w, p->node, f->jump_ns, f->drift); break;
    default: assert(!"prepare refused unknown kinds");
  }
  if (p->cls == SIM_FAULT_PARTITION || p->cls == SIM_FAULT_HEAL || p->cls == SIM_FAULT_LINK)
    sim_net_links_check(w); /* the links record follows its fault at once */
  return rc;
}

/* ---- Plans ------------------------------------------------------------------------------- */

/* Makes planned fault i (at the end of its instant); a fault that cannot be made is reported. */
static void plan_make(sim_world *w, uint32_t i) {
  char why[256] = "";
  prep p;
  int rc = prepare(w, &w->plan[i].fault, &p, why, sizeof why);
  if (rc == AC_OK) {
    w->plan_done[i] = 1;
    rc = commit(w, &p);
    if (rc == AC_ENOMEM) snprintf(why, sizeof why, "out of memory");
    else if (rc == AC_ENOPROC) rc = AC_OK; /* the attempt is what was planned */
  }
  prep_free(&p);
  w->plan_done[i] = 1;
  if (rc && w->plan_error) w->plan_error(w, i, rc, why[0] ? why : ac_strerror(rc), w->plan_error_arg);
}

int sim_fault_apply(sim_world *w, const sim_fault *f) {
  char why[256];
  prep p;
  int rc = prepare(w, f, &p, why, sizeof why);
  if (rc || !w->planned) {
    if (rc == AC_OK) rc = commit(w, &p);
    prep_free(&p);
    return rc;
  }
  /* Under a plan: made only in the shape of an equal planned fault due now ... */
  rc = p.after;
  bool made = false;
  for (uint32_t i = w->plan_next; i < w->plan_count && w->plan[i].at_ns <= w->now_ns && !made; i++) {
    if (w->plan_done[i] || w->plan[i].at_ns != w->now_ns) continue;
    prep q;
    int qrc = prepare(w, &w->plan[i].fault, &q, why, sizeof why);
    made = qrc == AC_OK && q.cls == p.cls && ac_pid_eq(q.pid, p.pid) && ac_term_equal(q.t, p.t);
    if (made) {
      w->plan_done[i] = 1;
      rc = commit(w, &q);
    }
    prep_free(&q);
  }
  /* ... except the setup's link settings and clocks (before the run starts): they are the
   * network and the machines the scenario is about, not faults done to them. */
  bool setup = !w->started && (f->kind == SIM_FK_LINK || f->kind == SIM_FK_NET_DEFAULT || f->kind == SIM_FK_CLOCK);
  if (!made && setup) rc = commit(w, &p);
  prep_free(&p);
  return rc;
}

int sim_fault_plan(sim_world *w, const sim_planned *plan, uint32_t count, sim_plan_error_fn on_error,
                   void *arg) {
  for (uint32_t i = 0; i < count; i++)
    if (plan[i].at_ns < w->now_ns || (i > 0 && plan[i].at_ns < plan[i - 1].at_ns)) return AC_EINVAL;
  uint8_t *done = ac_calloc(count ? count : 1, 1);
  if (!done) return AC_ENOMEM;
  free(w->plan_done);
  w->plan_done = done;
  w->plan = plan;
  w->plan_count = count;
  w->plan_next = 0;
  w->plan_error = on_error;
  w->plan_error_arg = arg;
  w->planned = true;
  return AC_OK;
}

bool sim_fault_planned(const sim_world *w) { return w->planned; }

uint32_t sim_fault_plan_unmade(const sim_world *w, uint32_t *first_index) {
  uint32_t n = 0;
  for (uint32_t i = 0; w->planned && i < w->plan_count; i++) {
    if (w->plan_done[i]) continue;
    if (n++ == 0) *first_index = i;
  }
  return n;
}

int sim__plan_idle(sim_world *w, uint64_t next_ns, uint64_t time_max) {
  if (!w->planned) return 0;
  while (w->plan_next < w->plan_count && w->plan_done[w->plan_next]) w->plan_next++;
  if (w->plan_next == w->plan_count) return 0;
  uint64_t at = w->plan[w->plan_next].at_ns;
  if (at <= w->now_ns) { /* the instant is over: what the scenario did not ask for is made now */
    for (uint32_t i = w->plan_next; i < w->plan_count && w->plan[i].at_ns <= w->now_ns; i++)
      if (!w->plan_done[i]) plan_make(w, i);
    return 2;
  }
  if (at < next_ns && (!time_max || at <= time_max)) {
    w->now_ns = at;
    return 1;
  }
  return 0;
}

/* ---- The C API's fault calls, as faults ------------------------------------------------- */

int sim_proc_kill(sim_world *w, ac_pid pid, ac_term reason) {
  sim_fault f = {.kind = SIM_FK_KILL, .target = {.pid = pid}, .reason = reason};
  return sim_fault_apply(w, &f);
}

int sim_proc_fault_set(sim_world *w, ac_pid pid, bool paused, uint64_t slow_ns) {
  sim_fault f = {.kind = paused ? SIM_FK_PAUSE : slow_ns ? SIM_FK_SLOW : SIM_FK_RESUME,
                 .target = {.pid = pid}, .slow_ns = slow_ns};
  return sim_fault_apply(w, &f);
}

int sim_node_crash(sim_world *w, uint32_t machine) {
  if (machine >= w->machine_count) return AC_EINVAL;
  sim_fault f = {.kind = SIM_FK_CRASH_NODE, .node = w->machines[machine].name};
  return sim_fault_apply(w, &f);
}

int sim_node_restart(sim_world *w, uint32_t machine) {
  if (machine >= w->machine_count) return AC_EINVAL;
  sim_fault f = {.kind = SIM_FK_RESTART_NODE, .node = w->machines[machine].name};
  return sim_fault_apply(w, &f);
}

int sim_clock_set(sim_world *w, uint32_t machine, int64_t jump_ns, double drift) {
  if (machine >= w->machine_count) return AC_EINVAL;
  sim_fault f = {.kind = SIM_FK_CLOCK, .node = w->machines[machine].name, .jump_ns = jump_ns, .drift = drift};
  return sim_fault_apply(w, &f);
}

int sim_net_partition(sim_world *w, const uint32_t *group, uint32_t node_count) {
  if (!group || node_count > w->machine_count) return AC_EINVAL;
  /* Groups in the order of their first node, each in machine order. */
  const char **members = ac_malloc((node_count ? node_count : 1) * sizeof *members);
  uint32_t *sizes = ac_malloc((node_count ? node_count : 1) * sizeof *sizes);
  uint32_t groups = 0, at = 0;
  if (!members || !sizes) {
    free(members);
    free(sizes);
    return AC_ENOMEM;
  }
  for (uint32_t a = 0; a < node_count; a++) {
    bool first = true;
    for (uint32_t b = 0; b < a && first; b++) first = group[b] != group[a];
    if (!first) continue;
    sizes[groups] = 0;
    for (uint32_t b = a; b < node_count; b++)
      if (group[b] == group[a]) {
        members[at++] = w->machines[b].name;
        sizes[groups]++;
      }
    groups++;
  }
  sim_fault f = {.kind = SIM_FK_PARTITION, .members = members, .group_size = sizes, .group_count = groups};
  int rc = sim_fault_apply(w, &f);
  free(members);
  free(sizes);
  return rc;
}

int sim_net_heal(sim_world *w) {
  sim_fault f = {.kind = SIM_FK_HEAL};
  return sim_fault_apply(w, &f);
}
