/*
 * Embedding crashlab from C: two processes play ping-pong in a simulated world.
 *
 *   pingpong [SEED [EXCHANGES]]      (defaults: seed 42, 10 exchanges)
 *
 * This is the smallest complete program that uses the library the way a user would: it is
 * built against the installed package (find_package(crashlab) and crashlab::sim, see
 * CMakeLists.txt beside it) and only includes the public headers.
 *
 * What it shows, in order of appearance:
 *  - behaviours: a process is a struct of C callbacks (init, handle, terminate) plus a block
 *    of per-process state; there is no thread per process. A callback runs to completion and
 *    declares what it waits for next with ac_receive_pattern(), Erlang's selective receive.
 *  - terms: messages are Erlang terms built with an ac_tbuf and ac_tb_fmt() and read back in
 *    place with the ac_term_* accessors. A send copies the term, so the builder can be freed
 *    as soon as ac_send() returns.
 *  - virtual time: the ponger answers after 1 ms with ac_send_after(), and the pinger waits at
 *    most one second for each answer. No wall clock is involved: the whole run takes
 *    microseconds of real time and its virtual time is exactly EXCHANGES milliseconds.
 *  - determinism: the world is created with a seed; the same seed gives the same run and so
 *    the same run hash, printed at the end, on every machine.
 *
 * Exit status: 0 when every exchange happened and both processes ended normally, 1 otherwise.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "node.h"  /* processes: ac_send, ac_receive_pattern, ac_behaviour, ... */
#include "term.h"  /* messages: ac_tbuf, ac_tb_fmt, ac_term_* */
#include "world.h" /* the simulator: sim_world, sim_run, sim_hash, ... */

/* Virtual time is counted in nanoseconds. */
#define MS_NS ((int64_t)1000000)

/* What the processes report to main(). A process's own state is freed when it exits, so the
 * results it must outlive it live here (a run is single-threaded). */
static struct {
  int64_t exchanges;      /* pongs the pinger received */
  int64_t exits_normal;   /* processes that ended with reason 'normal' */
} results;

/* Builds a term from a format into `b` (which the caller frees with ac_tb_free). A format
 * error is a bug in this program, not a run-time condition, hence abort(). */
static ac_term build(ac_tbuf *b, const char *fmt, ...) {
  ac_term t;
  va_list ap;
  va_start(ap, fmt);
  int rc = ac_term_vbuild(b, &t, fmt, ap);
  va_end(ap);
  if (rc != AC_OK) abort();
  return t;
}

/* Both processes record how they ended. `reason` is an Erlang term, e.g. normal or
 * {badmatch,...}; only ac_self()/ac_state() may be used in terminate. */
static void note_exit(ac_proc *self, ac_term reason) {
  (void)self;
  if (ac_term_is_atom(reason, "normal")) results.exits_normal++;
}

/* ---- pong: answers {ping, From, K} with {pong, K}, one millisecond later ------------------ */

/* Erlang:
 *   pong() -> receive {ping, From, K} -> erlang:send_after(1, From, {pong, K}), pong();
 *                     stop -> ok end. */
static int pong_handle(ac_proc *self, const ac_msg *msg) {
  ac_term t = ac_msg_term(msg);
  if (ac_term_is_atom(t, "stop")) return ac_stop_atom(self, "normal");

  ac_term from_term, k_term;
  ac_pid from;
  int64_t k;
  if (ac_term_elem(t, 1, &from_term) != AC_OK || ac_term_get_pid(from_term, &from) != AC_OK ||
      ac_term_elem(t, 2, &k_term) != AC_OK || ac_term_get_int(k_term, &k) != AC_OK)
    return AC_EINVAL; /* a malformed message: the process exits with reason badarg */

  ac_tbuf b;
  int rc = ac_send_after(self, 1 * MS_NS, from, build(&b, "{a, i}", "pong", k), NULL);
  ac_tb_free(&b);
  /* Without an ac_receive* call the next receive takes any message, which is what pong wants.
   * Returning an error code makes the process exit with the matching Erlang reason. */
  return rc;
}

static const ac_behaviour pong_behaviour = {
    .name = "pong",
    .handle = pong_handle,
    .terminate = note_exit,
};

/* ---- ping: sends N pings, one at a time, waiting for each pong ---------------------------- */

typedef struct ping_state {
  ac_pid pong;      /* who to ping */
  int64_t total;    /* exchanges to make */
  int64_t next;     /* number of the next ping */
} ping_state;

/* Sends ping number s->next and waits for the matching {pong, K}. */
static int ping_send_next(ac_proc *self, ping_state *s) {
  ac_tbuf b;
  int64_t k = s->next++;
  int rc = ac_send(self, s->pong, build(&b, "{a, p, i}", "ping", ac_self(self), k));
  ac_tb_free(&b);
  if (rc != AC_OK) return rc;
  /* Selective receive: only {pong, K} for this K matches; anything else stays in the mailbox.
   * The pattern is copied by the runtime, so the builder can go at once. */
  rc = ac_receive_pattern(self, build(&b, "{a, i}", "pong", k), 1000 * MS_NS);
  ac_tb_free(&b);
  return rc;
}

/* init(Arg) with Arg = {PongPid, N}. */
static int ping_init(ac_proc *self, ac_term arg) {
  ping_state *s = ac_state(self); /* zeroed by the runtime at spawn */
  ac_term e;
  if (ac_term_elem(arg, 0, &e) != AC_OK || ac_term_get_pid(e, &s->pong) != AC_OK ||
      ac_term_elem(arg, 1, &e) != AC_OK || ac_term_get_int(e, &s->total) != AC_OK)
    return AC_EINVAL;
  return ping_send_next(self, s);
}

static int ping_handle(ac_proc *self, const ac_msg *msg) {
  ping_state *s = ac_state(self);
  if (msg == NULL) /* the receive timed out: no pong within a second of virtual time */
    return ac_stop_atom(self, "no_pong");
  results.exchanges++;
  if (s->next < s->total) return ping_send_next(self, s);

  /* All done: tell pong to stop, then stop ourselves. */
  ac_tbuf b;
  int rc = ac_send(self, s->pong, build(&b, "a", "stop"));
  ac_tb_free(&b);
  return rc != AC_OK ? rc : ac_stop_atom(self, "normal");
}

static const ac_behaviour ping_behaviour = {
    .name = "ping",
    .state_size = sizeof(ping_state),
    .init = ping_init,
    .handle = ping_handle,
    .terminate = note_exit,
};

/* ---- main: build the world, spawn the two processes, run ---------------------------------- */

static int parse_arg(const char *text, uint64_t *out) {
  char *end;
  unsigned long long v = strtoull(text, &end, 10);
  if (*text == '\0' || *text == '-' || *end != '\0') return -1;
  *out = v;
  return 0;
}

int main(int argc, char **argv) {
  uint64_t seed = 42, exchanges = 10;
  if (argc > 3 || (argc > 1 && parse_arg(argv[1], &seed) != 0) ||
      (argc > 2 && (parse_arg(argv[2], &exchanges) != 0 || exchanges == 0 || exchanges > 1000000))) {
    fprintf(stderr, "usage: pingpong [SEED [EXCHANGES (1..1000000)]]\n");
    return 2;
  }

  /* A world: the seed, a name for the trace header, and no trace file (it is still hashed). */
  sim_config cfg = {.seed = seed, .name = "pingpong-example", .trace_path = NULL};
  sim_world *w;
  int rc = sim_world_create(&w, &cfg);
  if (rc != AC_OK) {
    fprintf(stderr, "pingpong: cannot create the world: %s\n", ac_strerror(rc));
    return 1;
  }

  /* One node, "a", with the default limits. Its processes get pids <0.N.G>. */
  ac_node *node;
  rc = sim_node_add(w, "a", NULL, &node);

  /* Spawning from outside any process (a "node call"): the processes run their init only
   * once sim_run starts, as their first scheduled step. */
  ac_pid pong = AC_PID_NONE, ping = AC_PID_NONE;
  ac_tbuf b;
  if (rc == AC_OK) {
    rc = ac_node_spawn(node, &pong_behaviour, build(&b, "n"), &pong);
    ac_tb_free(&b);
  }
  if (rc == AC_OK) {
    rc = ac_node_spawn(node, &ping_behaviour, build(&b, "{p, i}", pong, (int64_t)exchanges), &ping);
    ac_tb_free(&b);
  }
  if (rc != AC_OK) {
    fprintf(stderr, "pingpong: setup failed: %s\n", ac_strerror(rc));
    sim_world_destroy(w);
    return 1;
  }

  /* Run until nothing is runnable and no timer is left (no limits: NULL). */
  sim_stop_reason why = sim_run(w, NULL);
  rc = sim_finish(w);

  bool ok = why == SIM_STOP_QUIESCENT && rc == AC_OK &&
            results.exchanges == (int64_t)exchanges && results.exits_normal == 2 &&
            ac_node_process_count(node) == 0;
  printf("pingpong: %" PRId64 " of %" PRIu64 " exchanges, seed=%" PRIu64 " events=%" PRIu64
         " sim_time=%" PRIu64 "ns hash=%016" PRIx64 "\n",
         results.exchanges, exchanges, seed, sim_event_count(w), sim_now(w), sim_hash(w));
  printf("%s\n", ok ? "PASS" : "FAIL");

  sim_world_destroy(w); /* also destroys the node */
  return ok ? 0 : 1;
}
