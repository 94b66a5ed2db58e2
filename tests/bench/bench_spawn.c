/*
 * Spawn benchmark: COUNT idle processes, each waiting in receive. Prints the cost per process
 * from the node allocator's own counters (every byte the runtime holds for them: process
 * structs, table chunks, states) and from the growth of the peak resident set size.
 */
#include "bench_common.h"

#include <inttypes.h>
#include <stdlib.h>

#include "demos.h"

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: bench_spawn COUNT\n");
    return 2;
  }
  uint32_t count = (uint32_t)strtoul(argv[1], NULL, 10);
  if (count < 1) {
    fprintf(stderr, "bench_spawn: COUNT must be >= 1\n");
    return 2;
  }
  sim_config cfg = {1, "bench_spawn", NULL, -1, 0};
  sim_world *w;
  ac_node *node;
  if (sim_world_create(&w, &cfg) || sim_node_add(w, "a", NULL, &node)) return 1;
  ac_tbuf b;
  ac_term arg;
  ac_tb_init(&b);
  ac_tb_atom(&b, "idle");
  ac_tb_finish(&b, &arg);
  const ac_alloc_stats *st = ac_node_alloc_stats(node);
  uint64_t reserved0 = st->bytes_reserved, in_use0 = st->bytes_in_use, rss0 = bench_status_bytes("VmHWM");
  double t0 = bench_seconds();
  for (uint32_t i = 0; i < count; i++) {
    ac_pid pid;
    if (ac_node_spawn(node, &scn_idle, arg, &pid) != AC_OK) {
      fprintf(stderr, "bench_spawn: spawn %u failed\n", i);
      return 1;
    }
  }
  sim_run(w, NULL); /* each process runs its init and waits in receive */
  double t1 = bench_seconds();
  uint64_t rss1 = bench_status_bytes("VmHWM");
  if (ac_node_process_count(node) != count) {
    fprintf(stderr, "bench_spawn: %u processes alive, expected %u\n", ac_node_process_count(node), count);
    return 1;
  }
  printf("# spawn count=%u seconds=%.3f in_use=%" PRIu64 " reserved=%" PRIu64 " sizeof(proc)~%" PRIu64 "\n",
         count, t1 - t0, st->bytes_in_use, st->bytes_reserved - reserved0, st->bytes_in_use / count);
  /* What the live processes hold (in use), not the pages the allocator keeps for reuse. */
  printf("spawn_bytes_alloc value=%.1f unit=bytes/proc\n", (double)(st->bytes_in_use - in_use0) / count);
  printf("spawn_bytes_rss value=%.1f unit=bytes/proc\n", (double)(rss1 - rss0) / count);
  ac_tb_free(&b);
  sim_world_destroy(w);
  return 0;
}
