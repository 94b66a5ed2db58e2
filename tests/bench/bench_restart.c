/*
 * tests/bench/bench_restart N KILLS: restart throughput of a one_for_one supervisor.
 *
 * N C workers under a one_for_one supervisor (intensity KILLS, so it never gives up). A killer
 * process kills a random worker, waits until its new incarnation says it started (every
 * worker tells the killer {started, I, Pid} in its init), and does it again, KILLS times;
 * the same protocol as tests/bench/erlang/restart.erl. All of it runs at one virtual instant,
 * so every restart stays in the intensity window: crashlab keeps the window as a ring of
 * timestamps (O(1) a restart), where OTP walks its restart list.
 * Prints:  restart_N value=<restarts/s> unit=restarts/s   (wall time, trace hash on)
 */
#include "bench_common.h"

#include <stdlib.h>

#include "sup.h"
#include "world.h"

typedef struct killer {
  ac_pid *pids;
  uint32_t n, started;
  uint64_t kills_left, rng;
  double t0, t1;
} killer;

static uint32_t next_random(killer *k, uint32_t n) {
  k->rng ^= k->rng << 13; /* xorshift64: enough to pick victims */
  k->rng ^= k->rng >> 7;
  k->rng ^= k->rng << 17;
  return (uint32_t)(k->rng % n);
}

static int worker_init(ac_proc *self, ac_term arg) {
  ac_term e;
  int64_t i;
  ac_pid to;
  if (ac_term_elem(arg, 0, &e) || ac_term_get_int(e, &i) || ac_term_elem(arg, 1, &e) ||
      ac_term_get_pid(e, &to))
    return AC_EINVAL;
  ac_tbuf b;
  ac_tb_init(&b);
  ac_term msg;
  int rc = ac_tb_fmt(&b, "{a,i,p}", "started", i, ac_self(self));
  if (rc == AC_OK) rc = ac_tb_finish(&b, &msg);
  if (rc == AC_OK) rc = ac_send(self, to, msg);
  ac_tb_free(&b);
  return rc;
}

static int worker_handle(ac_proc *self, const ac_msg *m) {
  (void)self;
  (void)m;
  return AC_OK;
}

static const ac_behaviour worker = {"worker", 0, worker_init, worker_handle, NULL};

static killer K;

static int kill_one(ac_proc *self) {
  if (K.kills_left == 0) {
    K.t1 = bench_seconds();
    return ac_stop_atom(self, "normal");
  }
  K.kills_left--;
  return ac_exit_atom(self, K.pids[next_random(&K, K.n)], "kill");
}

static int killer_handle(ac_proc *self, const ac_msg *m) {
  ac_term t = ac_msg_term(m), e;
  int64_t i;
  ac_pid pid;
  if (ac_term_elem(t, 1, &e) || ac_term_get_int(e, &i) || ac_term_elem(t, 2, &e) ||
      ac_term_get_pid(e, &pid) || i < 0 || (uint64_t)i >= K.n)
    return AC_EINVAL;
  K.pids[i] = pid;
  if (K.started < K.n) { /* the first starts */
    if (++K.started < K.n) return AC_OK;
    K.t0 = bench_seconds();
  }
  return kill_one(self);
}

static const ac_behaviour killer_behaviour = {"killer", 0, NULL, killer_handle, NULL};

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: bench_restart N KILLS\n");
    return 2;
  }
  uint32_t n = (uint32_t)strtoul(argv[1], NULL, 10);
  uint64_t kills = strtoull(argv[2], NULL, 10);
  if (n == 0 || n > 1000000 || kills == 0 || kills > 100000000) {
    fprintf(stderr, "bench_restart: N in 1..1000000, KILLS in 1..100000000\n");
    return 2;
  }
  sim_config cfg = {1, "bench_restart", NULL, -1, 0};
  sim_world *w;
  ac_node *node;
  if (sim_world_create(&w, &cfg) || sim_node_add(w, "a", NULL, &node)) return 1;
  K = (killer){calloc(n, sizeof(ac_pid)), n, 0, kills, 0x9e3779b97f4a7c15u, 0, 0};
  ac_tbuf nb;
  ac_tb_init(&nb);
  ac_term nil;
  ac_tb_fmt(&nb, "n");
  ac_tb_finish(&nb, &nil);
  ac_pid kp;
  if (!K.pids || ac_node_spawn(node, &killer_behaviour, nil, &kp)) return 1;
  ac_child_spec *specs = calloc(n, sizeof *specs);
  ac_tbuf *args = calloc(n, sizeof *args);
  char (*ids)[16] = calloc(n, sizeof *ids);
  if (!specs || !args || !ids) return 1;
  for (uint32_t i = 0; i < n; i++) {
    snprintf(ids[i], sizeof ids[i], "w%u", i);
    ac_tb_init(&args[i]);
    ac_term arg;
    if (ac_tb_fmt(&args[i], "{i,p}", (int64_t)i, kp) || ac_tb_finish(&args[i], &arg)) return 1;
    specs[i] = ac_child_spec_worker(ids[i], &worker, arg);
  }
  ac_sup_flags flags = ac_sup_flags_default();
  flags.intensity = kills > 1000000 ? 1000000 : (uint32_t)kills;
  flags.period_ns = 1000000000u;
  ac_sup_config sc = {flags, specs, n};
  ac_pid sup;
  if (ac_supervisor_start(node, NULL, &sc, &sup)) return 1;
  sim_run(w, NULL);
  if (K.kills_left || K.t1 == 0) {
    fprintf(stderr, "bench_restart: the run stopped with %llu kills left\n",
            (unsigned long long)K.kills_left);
    return 1;
  }
  double secs = K.t1 - K.t0;
  printf("# crashlab restart n=%u kills=%llu seconds=%.3f events=%llu hash=%016llx\n", n,
         (unsigned long long)kills, secs, (unsigned long long)sim_event_count(w),
         (unsigned long long)sim_hash(w));
  printf("restart_%u value=%.1f unit=restarts/s\n", n, (double)kills / secs);
  for (uint32_t i = 0; i < n; i++) ac_tb_free(&args[i]);
  ac_tb_free(&nb);
  free(args);
  free(specs);
  free(ids);
  free(K.pids);
  sim_world_destroy(w);
  return 0;
}
