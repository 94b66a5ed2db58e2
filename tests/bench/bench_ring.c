/*
 * Ring benchmark: N processes in a ring pass an integer token around M times (N*M messages),
 * with the trace hash on, as every run has it. Prints `ring_NxM value=<msgs/s> unit=msgs/s`
 * (the protocol of tests/bench/run). The ring is built and a warm-up lap run before timing.
 */
#include "bench_common.h"

#include <inttypes.h>
#include <stdlib.h>

#include "demos.h"

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: bench_ring N M\n");
    return 2;
  }
  uint32_t n = (uint32_t)strtoul(argv[1], NULL, 10), m = (uint32_t)strtoul(argv[2], NULL, 10);
  if (n < 2 || m < 1) {
    fprintf(stderr, "bench_ring: N must be >= 2 and M >= 1\n");
    return 2;
  }
  sim_config cfg = {1, "bench_ring", NULL, -1, 0};
  sim_world *w;
  ac_node *node;
  ac_pid first;
  scn_ring_tally tally;
  if (sim_world_create(&w, &cfg) || sim_node_add(w, "a", NULL, &node) ||
      scn_ring_build(node, n, &tally, &first)) {
    fprintf(stderr, "bench_ring: setup failed\n");
    return 1;
  }
  sim_run(w, NULL);
  ac_tbuf b;
  ac_term token;
  ac_tb_init(&b);
  ac_tb_int(&b, (int64_t)n - 1); /* warm-up: one lap */
  ac_tb_finish(&b, &token);
  ac_node_send(node, first, token);
  sim_run(w, NULL);
  uint64_t hops_before = tally.hops;
  ac_tb_reset(&b);
  ac_tb_int(&b, (int64_t)n * m - 1);
  ac_tb_finish(&b, &token);
  double t0 = bench_seconds();
  ac_node_send(node, first, token);
  sim_run(w, NULL);
  double t1 = bench_seconds();
  ac_tb_free(&b);
  uint64_t hops = tally.hops - hops_before;
  if (hops != (uint64_t)n * m) {
    fprintf(stderr, "bench_ring: token made %" PRIu64 " hops, expected %" PRIu64 "\n", hops,
            (uint64_t)n * m);
    return 1;
  }
  printf("# ring n=%u m=%u hops=%" PRIu64 " seconds=%.3f events=%" PRIu64 " hash=%016" PRIx64 "\n",
         n, m, hops, t1 - t0, sim_event_count(w), sim_hash(w));
  printf("ring_%ux%u value=%.1f unit=msgs/s\n", n, m, (double)hops / (t1 - t0));
  sim_world_destroy(w);
  return 0;
}
