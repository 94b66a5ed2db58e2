/*
 * Built-in demos (see demos.h). Each is a handful of C behaviours. What a run counts is in its
 * scn_demo_run, which the behaviours reach through their node's user pointer (the ring's
 * processes reach the run's scn_ring_tally the same way), so runs never share a counter.
 */
#include "demos.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define MS (UINT64_C(1000000))
#define TIES_MAX 64u

struct scn_demo_run {
  scn_ring_tally ring;      /* first: the ring's node user pointer is the run's */
  const scn_demo *demo;
  sim_world *w;
  uint32_t n, m;            /* the size parameters (the setup replaces 0 by its default) */
  ac_pid ring_first;        /* ring: where the token starts */
  int64_t pongs_seen;       /* pingpong */
  int64_t keeper_restarts;  /* supervise */
  int64_t observer_downs;
  uint32_t ties_seen;       /* ties: arrivals, and the first TIES_MAX in order */
  int64_t ties_order[TIES_MAX];
};

/* The run a process of a demo belongs to. */
static scn_demo_run *run_of(ac_proc *self) { return ac_node_user(ac_proc_node(self)); }

/* Builds a term from a format into a fresh builder; the caller frees it. */
static ac_term build(ac_tbuf *b, const char *fmt, ...) {
  ac_term t;
  va_list ap;
  va_start(ap, fmt);
  int rc = ac_term_vbuild(b, &t, fmt, ap);
  va_end(ap);
  (void)rc;
  assert(rc == AC_OK && "demo term formats are fixed and valid");
  return t;
}

/* ---- ring -------------------------------------------------------------------------------- */

static int ring_handle(ac_proc *self, const ac_msg *msg) {
  ac_pid *next = ac_state(self);
  ac_term t = ac_msg_term(msg);
  int64_t token;
  if (ac_term_get_int(t, &token) == AC_OK) {
    scn_ring_tally *tally = ac_node_user(ac_proc_node(self));
    tally->hops++;
    if (token == 0) {
      tally->finished++;
      return AC_OK;
    }
    ac_tbuf b;
    ac_tb_init(&b);
    ac_tb_int(&b, token - 1);
    ac_term out;
    int rc = ac_tb_finish(&b, &out);
    if (rc == AC_OK) rc = ac_send(self, *next, out);
    ac_tb_free(&b);
    return rc;
  }
  ac_term e;
  if (ac_term_type(t) == AC_T_TUPLE && ac_term_count(t) == 2 &&
      ac_term_is_atom(ac_term_first(t), "next") && ac_term_elem(t, 1, &e) == AC_OK)
    return ac_term_get_pid(e, next);
  return AC_EINVAL; /* an unexpected message crashes the node: badarg */
}

static int ring_init(ac_proc *self, ac_term arg) {
  ac_pid *next = ac_state(self);
  if (ac_term_type(arg) == AC_T_PID) return ac_term_get_pid(arg, next);
  return AC_OK;
}

const ac_behaviour scn_ring_node = {"ring_node", sizeof(ac_pid), ring_init, ring_handle, NULL};

int scn_ring_build(ac_node *node, uint32_t n, scn_ring_tally *tally, ac_pid *first) {
  if (n == 0) return AC_EINVAL;
  *tally = (scn_ring_tally){0, 0};
  ac_node_set_user(node, tally);
  ac_tbuf b;
  ac_term none = build(&b, "n");
  int rc = ac_node_spawn(node, &scn_ring_node, none, first);
  ac_tb_free(&b);
  if (rc) return rc;
  ac_pid next = *first;
  for (uint32_t i = n - 1; i >= 1; i--) {
    ac_term arg = build(&b, "p", next);
    rc = ac_node_spawn(node, &scn_ring_node, arg, &next);
    ac_tb_free(&b);
    if (rc) return rc;
  }
  ac_term set = build(&b, "{a,p}", "next", next);
  rc = ac_node_send(node, *first, set);
  ac_tb_free(&b);
  return rc;
}

static void ring_start(sim_world *w, void *arg) {
  scn_demo_run *run = arg;
  ac_tbuf b;
  ac_term token = build(&b, "i", (int64_t)run->n * run->m - 1);
  ac_node_send(sim_node(w, 0), run->ring_first, token);
  ac_tb_free(&b);
}

static int ring_setup(scn_demo_run *run, sim_world *w) {
  if (!run->n) run->n = 5;
  if (!run->m) run->m = 3;
  ac_node *node;
  int rc = sim_node_add(w, "a", NULL, &node);
  if (rc == AC_OK) rc = scn_ring_build(node, run->n, &run->ring, &run->ring_first);
  if (rc == AC_OK) rc = sim_at(w, 1 * MS, ring_start, run);
  return rc;
}

static bool ring_check(const scn_demo_run *run, char *why, size_t cap) {
  uint64_t want = (uint64_t)run->n * run->m;
  snprintf(why, cap, "token made %" PRIu64 " of %" PRIu64 " hops", run->ring.hops, want);
  return run->ring.hops == want && run->ring.finished == 1;
}

/* ---- pingpong ---------------------------------------------------------------------------- */

typedef struct pinger_state {
  ac_pid ponger;
  int64_t sent, received, count;
} pinger_state;

static int ponger_handle(ac_proc *self, const ac_msg *msg) {
  ac_term t = ac_msg_term(msg), from, n;
  if (ac_term_is_atom(t, "stop")) return ac_stop_atom(self, "normal");
  if (ac_term_count(t) != 3 || ac_term_elem(t, 1, &from) || ac_term_elem(t, 2, &n)) return AC_EINVAL;
  ac_pid to;
  int64_t k;
  if (ac_term_get_pid(from, &to) || ac_term_get_int(n, &k)) return AC_EINVAL;
  ac_tbuf b;
  int rc = ac_send(self, to, build(&b, "{a,i}", "pong", k));
  ac_tb_free(&b);
  return rc;
}

static const ac_behaviour ponger = {"ponger", 0, NULL, ponger_handle, NULL};

static int send_ping(ac_proc *self, pinger_state *s) {
  ac_tbuf b;
  int rc = ac_send(self, s->ponger, build(&b, "{a,p,i}", "ping", ac_self(self), s->sent++));
  ac_tb_free(&b);
  if (rc) return rc;
  ac_term pattern = build(&b, "{a,a}", "pong", "_");
  rc = ac_receive_pattern(self, pattern, 500 * (int64_t)MS);
  ac_tb_free(&b);
  return rc;
}

static int pinger_init(ac_proc *self, ac_term arg) {
  pinger_state *s = ac_state(self);
  ac_term e;
  if (ac_term_elem(arg, 0, &e) || ac_term_get_pid(e, &s->ponger)) return AC_EINVAL;
  if (ac_term_elem(arg, 1, &e) || ac_term_get_int(e, &s->count)) return AC_EINVAL;
  return send_ping(self, s);
}

static int pinger_handle(ac_proc *self, const ac_msg *msg) {
  pinger_state *s = ac_state(self);
  if (msg == NULL) { /* the pause between pings (or a lost pong) is over */
    if (s->received == s->count) {
      ac_tbuf b;
      ac_send(self, s->ponger, build(&b, "a", "stop"));
      ac_tb_free(&b);
      return ac_stop_atom(self, "normal");
    }
    return send_ping(self, s);
  }
  s->received++;
  run_of(self)->pongs_seen++;
  /* Wait 100 ms of virtual time: a receive that nothing matches, with a timeout. */
  ac_tbuf b;
  int rc = ac_receive_pattern(self, build(&b, "a", "never"), 100 * (int64_t)MS);
  ac_tb_free(&b);
  return rc;
}

static const ac_behaviour pinger = {"pinger", sizeof(pinger_state), pinger_init, pinger_handle,
                                    NULL};

static int pingpong_setup(scn_demo_run *run, sim_world *w) {
  if (!run->n) run->n = 3;
  ac_node *node;
  int rc = sim_node_add(w, "a", NULL, &node);
  if (rc == AC_OK) ac_node_set_user(node, run);
  ac_pid pong_pid, ping_pid;
  ac_tbuf b;
  if (rc == AC_OK) rc = ac_node_spawn(node, &ponger, build(&b, "n"), &pong_pid);
  ac_tb_free(&b);
  if (rc == AC_OK) rc = ac_node_register(node, "ponger", pong_pid);
  if (rc == AC_OK)
    rc = ac_node_spawn(node, &pinger, build(&b, "{p,i}", pong_pid, (int64_t)run->n),
                       &ping_pid);
  ac_tb_free(&b);
  return rc;
}

static bool pingpong_check(const scn_demo_run *run, char *why, size_t cap) {
  uint32_t left = ac_node_process_count(sim_node(run->w, 0));
  snprintf(why, cap, "%" PRId64 " of %u pongs came back; %u processes left", run->pongs_seen,
           run->n, left);
  return run->pongs_seen == run->n && left == 0;
}

/* ---- supervise: a trapped exit turned into a restart, by hand ----------------------------- */

typedef struct keeper_state {
  int64_t restarts;
  int64_t restarts_max;
} keeper_state;

static int worker_init(ac_proc *self, ac_term arg) {
  (void)arg;
  ac_tbuf b;
  int rc = ac_register(self, "worker", ac_self(self));
  /* Crash after 50 ms of virtual time: nothing matches 'never'. */
  if (rc == AC_OK) rc = ac_receive_pattern(self, build(&b, "a", "never"), 50 * (int64_t)MS);
  ac_tb_free(&b);
  return rc;
}

static int worker_handle(ac_proc *self, const ac_msg *msg) {
  (void)msg;
  ac_tbuf b;
  int rc = ac_stop(self, build(&b, "{a,i}", "crash", (int64_t)ac_now(self)));
  ac_tb_free(&b);
  return rc;
}

static const ac_behaviour worker = {"worker", 0, worker_init, worker_handle, NULL};

static int keeper_start_worker(ac_proc *self) {
  ac_tbuf b;
  ac_pid w;
  int rc = ac_spawn(self, &worker, build(&b, "n"), AC_SPAWN_LINK, &w, NULL);
  ac_tb_free(&b);
  return rc;
}

static int keeper_init(ac_proc *self, ac_term arg) {
  keeper_state *s = ac_state(self);
  if (ac_term_get_int(arg, &s->restarts_max)) return AC_EINVAL;
  ac_trap_exit(self, true, NULL);
  return keeper_start_worker(self);
}

static int keeper_handle(ac_proc *self, const ac_msg *msg) {
  keeper_state *s = ac_state(self);
  ac_term t = ac_msg_term(msg);
  if (ac_term_count(t) != 3 || !ac_term_is_atom(ac_term_first(t), "EXIT")) return AC_OK;
  if (s->restarts == s->restarts_max) return ac_stop_atom(self, "gave_up");
  s->restarts++;
  run_of(self)->keeper_restarts++;
  return keeper_start_worker(self);
}

static const ac_behaviour keeper = {"keeper", sizeof(keeper_state), keeper_init, keeper_handle,
                                    NULL};

static int observer_init(ac_proc *self, ac_term arg) {
  ac_pid target;
  ac_ref ref;
  if (ac_term_get_pid(arg, &target)) return AC_EINVAL;
  return ac_monitor(self, target, &ref);
}

static int observer_handle(ac_proc *self, const ac_msg *msg) {
  ac_term reason;
  if (ac_term_elem(ac_msg_term(msg), 4, &reason) == AC_OK && ac_term_is_atom(reason, "gave_up"))
    run_of(self)->observer_downs++;
  return ac_stop_atom(self, "normal");
}

static const ac_behaviour observer = {"observer", 0, observer_init, observer_handle, NULL};

static int supervise_setup(scn_demo_run *run, sim_world *w) {
  if (!run->n) run->n = 3;
  ac_node *node;
  ac_pid k, o;
  ac_tbuf b;
  int rc = sim_node_add(w, "a", NULL, &node);
  if (rc == AC_OK) ac_node_set_user(node, run);
  if (rc == AC_OK) rc = ac_node_spawn(node, &keeper, build(&b, "i", (int64_t)run->n), &k);
  ac_tb_free(&b);
  if (rc == AC_OK) rc = ac_node_spawn(node, &observer, build(&b, "p", k), &o);
  ac_tb_free(&b);
  return rc;
}

static bool supervise_check(const scn_demo_run *run, char *why, size_t cap) {
  snprintf(why, cap, "%" PRId64 " restarts of %u, %" PRId64 " DOWN with gave_up seen",
           run->keeper_restarts, run->n, run->observer_downs);
  return run->keeper_restarts == run->n && run->observer_downs == 1;
}

/* ---- ties: same-instant sends whose order the seed chooses -------------------------------- */

static int tie_sender_init(ac_proc *self, ac_term arg) {
  ac_tbuf b;
  ac_tb_init(&b);
  ac_tb_term(&b, arg);
  ac_term t;
  int rc = ac_tb_finish(&b, &t);
  if (rc == AC_OK) rc = ac_send_name(self, "collector", t);
  ac_tb_free(&b);
  if (rc == AC_OK) rc = ac_stop_atom(self, "normal");
  return rc;
}

static int tie_sender_handle(ac_proc *self, const ac_msg *msg) {
  (void)self;
  (void)msg;
  return AC_OK;
}

static const ac_behaviour tie_sender = {"sender", 0, tie_sender_init, tie_sender_handle, NULL};

static int collector_handle(ac_proc *self, const ac_msg *msg) {
  int64_t v;
  if (ac_term_get_int(ac_msg_term(msg), &v)) return AC_EINVAL;
  scn_demo_run *run = run_of(self);
  if (run->ties_seen < TIES_MAX) run->ties_order[run->ties_seen] = v;
  run->ties_seen++;
  if (run->ties_seen == run->n) return ac_stop_atom(self, "normal");
  return AC_OK;
}

static const ac_behaviour collector = {"collector", 0, NULL, collector_handle, NULL};

static int ties_setup(scn_demo_run *run, sim_world *w) {
  if (!run->n) run->n = 8;
  if (run->n > TIES_MAX) run->n = TIES_MAX;
  ac_node *node;
  ac_pid c, s;
  ac_tbuf b;
  int rc = sim_node_add(w, "a", NULL, &node);
  if (rc == AC_OK) ac_node_set_user(node, run);
  if (rc == AC_OK) rc = ac_node_spawn(node, &collector, build(&b, "n"), &c);
  ac_tb_free(&b);
  if (rc == AC_OK) rc = ac_node_register(node, "collector", c);
  for (uint32_t i = 0; rc == AC_OK && i < run->n; i++) {
    rc = ac_node_spawn(node, &tie_sender, build(&b, "i", (int64_t)i), &s);
    ac_tb_free(&b);
  }
  return rc;
}

static bool ties_check(const scn_demo_run *run, char *why, size_t cap) {
  size_t used = (size_t)snprintf(why, cap, "arrival order:");
  for (uint32_t i = 0; i < run->ties_seen && i < TIES_MAX && used < cap; i++)
    used += (size_t)snprintf(why + used, cap - used, " %" PRId64, run->ties_order[i]);
  return run->ties_seen == run->n;
}

/* ---- idle (for the spawn benchmark) ------------------------------------------------------- */

static int idle_handle(ac_proc *self, const ac_msg *msg) {
  (void)msg;
  return ac_stop_atom(self, "normal");
}

const ac_behaviour scn_idle = {"idle", 0, NULL, idle_handle, NULL};

/* ---- Table -------------------------------------------------------------------------------- */

const scn_demo scn_demos[] = {
    {"pingpong", "two processes exchange pings (N, default 3) with pauses of virtual time",
     pingpong_setup, pingpong_check},
    {"ring", "a token passes around a ring of N processes (default 5) M times (default 3)",
     ring_setup, ring_check},
    {"supervise", "a process that traps exits restarts a crashing linked worker N times (default 3) "
                  "by hand, then gives up; an observer's monitor sees it go",
     supervise_setup, supervise_check},
    {"ties", "N senders (default 8) message a collector at the same instant: the seed picks "
             "the arrival order",
     ties_setup, ties_check},
    {NULL, NULL, NULL, NULL},
};

const scn_demo *scn_demo_find(const char *name) {
  for (const scn_demo *d = scn_demos; d->name; d++)
    if (strcmp(d->name, name) == 0) return d;
  return NULL;
}

int scn_demo_open(scn_demo_run **out, const scn_demo *d, sim_world *w, const scn_demo_params *params) {
  *out = NULL;
  scn_demo_run *run = calloc(1, sizeof *run);
  if (!run) return AC_ENOMEM;
  run->demo = d;
  run->w = w;
  run->n = params->n;
  run->m = params->m;
  int rc = d->setup(run, w);
  if (rc != AC_OK) {
    free(run);
    return rc;
  }
  *out = run;
  return AC_OK;
}

bool scn_demo_check(const scn_demo_run *run, char *why, size_t why_cap) {
  return run->demo->check(run, why, why_cap);
}

void scn_demo_close(scn_demo_run *run) { free(run); }
