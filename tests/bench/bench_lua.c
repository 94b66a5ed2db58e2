/*
 * Lua process benchmarks, through the scenario runner as users run them:
 *   bench_lua ring N M   a ring of N Lua processes passes a token N*M hops
 *                        -> ring_lua_NxM value=<msgs/s> unit=msgs/s
 *   bench_lua spawn N    N Lua processes, each waiting in receive
 *                        -> spawn_lua_bytes value=<bytes/proc> unit=bytes/proc
 * The scenario is written to a temporary file with the sizes filled in. The ring's figure
 * divides the hops by the wall time of the whole run minus the time of the same run with a
 * token that makes no hops, so building the ring is not counted. The spawn figure is the growth
 * of Lua memory plus runtime memory between a run with N processes and one with N/10,
 * divided by the difference in processes, so fixed costs cancel.
 */
#include "bench_common.h"

#include <inttypes.h>
#include <stdlib.h>
#include <unistd.h>

#include "runner.h"

#define RING_SRC \
    "local cl = require 'crashlab'\n" \
    "cl.scenario { name = 'ring_lua' }\n" \
    "local N, HOPS = %u, %llu\n" \
    "local function node(next)\n" \
    "  if not next then next = cl.receive()[2] end\n" \
    "  while true do\n" \
    "    local t = cl.receive()\n" \
    "    if t > 0 then cl.send(next, t - 1) else return end\n" \
    "  end\n" \
    "end\n" \
    "local first = cl.spawn(node)\n" \
    "local next = first\n" \
    "for i = N - 1, 1, -1 do next = cl.spawn(node, next) end\n" \
    "cl.send(first, { 'next', next })\n" \
    "if HOPS > 0 then cl.at('1ms', function() cl.send(first, HOPS - 1) end) end\n"

#define SPAWN_SRC \
    "local cl = require 'crashlab'\n" \
    "cl.scenario { name = 'spawn_lua' }\n" \
    "local function idle() cl.receive() end\n" \
    "for i = 1, %u do cl.spawn(idle) end\n"

#define RESTART_SRC \
    "local cl = require 'crashlab'\n" \
    "cl.scenario { name = 'restart_lua', limits = { instructions = 1000000000000 } }\n" \
    "local N, KILLS = %u, %llu\n" \
    "local pids, left = {}, KILLS\n" \
    "local killer = cl.spawn(function()\n" \
    "  for _ = 1, N do local m = cl.receive(); pids[m[2]] = m[3] end\n" \
    "  while left > 0 do\n" \
    "    left = left - 1\n" \
    "    local i = math.random(N)\n" \
    "    cl.exit(pids[i], 'kill')\n" \
    "    local m = cl.receive({ 'started', i, cl._ })\n" \
    "    pids[i] = m[3]\n" \
    "  end\n" \
    "end)\n" \
    "local function worker(i, k) cl.send(k, { 'started', i, cl.self() }); cl.receive('never') end\n" \
    "local children = {}\n" \
    "for i = 1, N do children[i] = { id = 'w' .. i, start = { worker, i, killer } } end\n" \
    "cl.supervisor.start { strategy = 'one_for_one', intensity = KILLS > 0 and KILLS or 1,\n" \
    "                      period = '1s', children = children }\n"

/* The wall time of the work alone: the full run's minus the empty run's. At the smoke test's
 * sizes the work takes less time than the noise between two runs, and on a busy machine the
 * empty run can be the slower one: the difference is then zero or negative (a figure of
 * "-1234.5" or "inf" that the smoke test's "value=[0-9.]+" refuses). The full run's time then
 * bounds the work, so the figure is a lower bound, never negative or infinite. */
static double work_seconds(double full, double empty) {
  double secs = full - empty;
  if (secs > 0) return secs;
  printf("# the work took less than the noise between runs: the full run's time is used\n");
  return full > 0 ? full : 1e-9;
}

/* Writes a scenario into a temporary file and runs it quietly. */
static int run_src(const char *src, scn_result *r, double *seconds) {
  char path[] = "/tmp/crashlab-bench-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return -1;
  size_t len = strlen(src);
  if (write(fd, src, len) != (ssize_t)len) {
    close(fd);
    remove(path);
    return -1;
  }
  close(fd);
  scn_options o = {.path = path, .quiet = true, .hold_verdict = true,
                   .memory_max = UINT64_C(16) << 30};
  double t0 = bench_seconds();
  scn_verdict v = scn_run_file(&o, r);
  *seconds = bench_seconds() - t0;
  remove(path);
  return v == SCN_PASS ? 0 : -1;
}

static int bench_ring(unsigned n, unsigned m) {
  char src[2048];
  scn_result r;
  double full, empty;
  unsigned long long hops = (unsigned long long)n * m;
  snprintf(src, sizeof src, RING_SRC, n, hops);
  if (run_src(src, &r, &full)) return 1;
  uint64_t events = r.events;
  snprintf(src, sizeof src, RING_SRC, n, 0ULL);
  if (run_src(src, &r, &empty)) return 1;
  double secs = work_seconds(full, empty);
  printf("# ring_lua n=%u m=%u hops=%llu seconds=%.3f (setup %.3f) events=%" PRIu64 "\n", n, m,
         hops, secs, empty, events);
  printf("ring_lua_%ux%u value=%.1f unit=msgs/s\n", n, m, (double)hops / secs);
  return 0;
}

static int bench_spawn(unsigned n) {
  char src[1024];
  scn_result big, small;
  double secs;
  unsigned small_n = n / 10;
  snprintf(src, sizeof src, SPAWN_SRC, n);
  if (run_src(src, &big, &secs)) return 1;
  snprintf(src, sizeof src, SPAWN_SRC, small_n);
  if (run_src(src, &small, &secs)) return 1;
  double lua = (double)(big.lua_bytes - small.lua_bytes) / (n - small_n);
  double rt = (double)(big.runtime_bytes - small.runtime_bytes) / (n - small_n);
  printf("# spawn_lua n=%u lua_bytes/proc=%.1f runtime_bytes/proc=%.1f\n", n, lua, rt);
  printf("spawn_lua_bytes value=%.1f unit=bytes/proc\n", lua + rt);
  return 0;
}

/* Restarts per second with Lua workers: the same run with and without the kills, so that
 * starting the tree is not counted. */
static int bench_restart(unsigned n, unsigned long long kills) {
  char src[4096];
  scn_result r;
  double full, empty;
  snprintf(src, sizeof src, RESTART_SRC, n, kills);
  if (run_src(src, &r, &full)) return 1;
  uint64_t events = r.events;
  snprintf(src, sizeof src, RESTART_SRC, n, 0ULL);
  if (run_src(src, &r, &empty)) return 1;
  double secs = work_seconds(full, empty);
  printf("# restart_lua n=%u kills=%llu seconds=%.3f (setup %.3f) events=%" PRIu64 "\n", n, kills,
         secs, empty, events);
  printf("restart_lua_%u value=%.1f unit=restarts/s\n", n, (double)kills / secs);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "restart") == 0)
    return bench_restart((unsigned)strtoul(argv[2], NULL, 10), strtoull(argv[3], NULL, 10));
  if (argc == 4 && strcmp(argv[1], "ring") == 0)
    return bench_ring((unsigned)strtoul(argv[2], NULL, 10), (unsigned)strtoul(argv[3], NULL, 10));
  if (argc == 3 && strcmp(argv[1], "spawn") == 0) {
    unsigned n = (unsigned)strtoul(argv[2], NULL, 10);
    if (n < 10) {
      fprintf(stderr, "bench_lua: spawn needs N >= 10\n");
      return 2;
    }
    return bench_spawn(n);
  }
  fprintf(stderr, "usage: bench_lua ring N M | bench_lua spawn N | bench_lua restart N KILLS\n");
  return 2;
}
