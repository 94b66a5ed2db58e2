/*
 * Benchmark of the visualiser's model: load a large trace and seek in it (issue 12, section 5:
 * a 1,000,000-event trace loads in at most 2 s and a seek to a random time takes at most 50 ms,
 * median of 100; the model's memory is reported).
 *
 * The trace is synthesised in memory (records pointing at a few encoded payloads), not read
 * from a file, so the figure is the model's own cost: 2,000 processes over 3 nodes, each under
 * its node's supervisor and linked to it, sending local and remote messages (remote ones
 * delivered a few records later, some dropped), receiving, and crashing now and then to be
 * restarted as a new pid. "Load" is appending every record (payload copies, whole-trace
 * tables, head state and snapshots). Usage: bench_viz_model [EVENTS] (default 1000000).
 */
#include "bench_common.h"

#include <stdlib.h>

#include "model.h"
#include "term.h"

#define NPROCS 2000u
#define NNODES 3u

typedef struct payloads {
  ac_tbuf spawn, msg, boom, sup_started, child, restarting, node[NNODES];
} payloads;

static uint64_t rng = 88172645463325252u;
static uint32_t rnd(uint32_t n) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng % n);
}

static void put(sim_record *r, uint16_t kind, uint64_t t, uint32_t node, uint64_t a, uint64_t b,
                uint64_t c, const ac_tbuf *p) {
  memset(r, 0, sizeof *r);
  r->kind = kind, r->time_ns = t, r->node = node, r->a = a, r->b = b, r->c = c;
  if (p) r->payload = p->data, r->payload_size = (uint32_t)p->size;
}

static int cmp_double(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return a < b ? -1 : a > b;
}

int main(int argc, char **argv) {
  uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 1000000u;
  if (n < 20000) n = 20000;
  payloads p;
  ac_term t;
  ac_tb_init(&p.spawn), ac_tb_fmt(&p.spawn, "{a, a}", "lua", "worker"), ac_tb_finish(&p.spawn, &t);
  ac_tb_init(&p.msg), ac_tb_fmt(&p.msg, "{a, i, s}", "req", (int64_t)42, "payload"),
      ac_tb_finish(&p.msg, &t);
  ac_tb_init(&p.boom), ac_tb_fmt(&p.boom, "{a, a}", "badmatch", "boom"), ac_tb_finish(&p.boom, &t);
  ac_tb_init(&p.sup_started),
      ac_tb_fmt(&p.sup_started, "{a, a, i, i}", "supervisor_started", "one_for_one",
                (int64_t)1000000, (int64_t)5000000000),
      ac_tb_finish(&p.sup_started, &t);
  ac_tb_init(&p.child), ac_tb_fmt(&p.child, "{a, a}", "child_started", "worker"),
      ac_tb_finish(&p.child, &t);
  ac_tb_init(&p.restarting), ac_tb_fmt(&p.restarting, "{a, a}", "restarting", "worker"),
      ac_tb_finish(&p.restarting, &t);
  for (uint32_t k = 0; k < NNODES; k++) {
    char name[16];
    snprintf(name, sizeof name, "n%u@host", k);
    ac_tb_init(&p.node[k]), ac_tb_fmt(&p.node[k], "a", name), ac_tb_finish(&p.node[k], &t);
  }

  /* Synthesise the records. */
  sim_record *rec = malloc((size_t)(n + 16) * sizeof *rec);
  uint64_t pids[NPROCS], sups[NNODES];
  uint32_t slot[NNODES] = {1, 1, 1};
  uint64_t pending_id[4096], pending_to[4096], pending_from[4096];
  uint32_t npending = 0, r = 0;
  uint64_t now = 0, msg_id[NNODES] = {0, 0, 0};
  if (!rec) return 1;
  for (uint32_t k = 0; k < NNODES; k++) {
    put(&rec[r++], AC_EV_NODE, 0, k, k, k, 0, &p.node[k]);
    sups[k] = ac_pid_make(k, slot[k]++, 1).bits;
    put(&rec[r++], AC_EV_SPAWN, 0, k, ac_pid_make(k, 0, 1).bits, sups[k], 0, &p.spawn);
    put(&rec[r++], AC_EV_SUPERVISOR, 0, k, sups[k], 0, 0, &p.sup_started);
  }
  for (uint32_t i = 0; i < NPROCS; i++) {
    uint32_t k = i % NNODES;
    pids[i] = ac_pid_make(k, slot[k]++, 1).bits;
    put(&rec[r++], AC_EV_SPAWN, now, k, sups[k], pids[i], 0, &p.spawn);
    put(&rec[r++], AC_EV_SUPERVISOR, now, k, sups[k], pids[i], 0, &p.child);
    put(&rec[r++], AC_EV_LINK, now, k, sups[k], pids[i], 0, NULL);
  }
  while (r < n) {
    now += 1000 + rnd(20000);
    uint32_t x = rnd(1000);
    uint32_t from = rnd(NPROCS), to = rnd(NPROCS);
    uint64_t a = pids[from], b = pids[to];
    uint32_t fnode = ac_pid_node((ac_pid){a}), tnode = ac_pid_node((ac_pid){b});
    if (x < 4) { /* a crash and its restart */
      put(&rec[r++], AC_EV_EXIT, now, fnode, a, 0, 0, &p.boom);
      put(&rec[r++], AC_EV_SUPERVISOR, now, fnode, sups[fnode], 0, 0, &p.restarting);
      pids[from] = ac_pid_make(fnode, slot[fnode]++, 1).bits;
      put(&rec[r++], AC_EV_SPAWN, now, fnode, sups[fnode], pids[from], 0, &p.spawn);
      put(&rec[r++], AC_EV_SUPERVISOR, now, fnode, sups[fnode], pids[from], 0, &p.child);
      put(&rec[r++], AC_EV_LINK, now, fnode, sups[fnode], pids[from], 0, NULL);
    } else if (x < 450) { /* a send */
      uint64_t id = ((uint64_t)fnode << 40) | ++msg_id[fnode];
      put(&rec[r++], AC_EV_SEND, now, fnode, a, b, id, &p.msg);
      if (fnode != tnode && npending < 4096) {
        pending_id[npending] = id, pending_to[npending] = b, pending_from[npending] = a;
        npending++;
      }
    } else if (x < 700 && npending) { /* a remote message arrives (or is lost) */
      uint32_t k = rnd(npending);
      uint32_t tn = ac_pid_node((ac_pid){pending_to[k]});
      if (rnd(50) == 0)
        put(&rec[r++], AC_EV_NET_DROP, now, tn, pending_from[k], pending_to[k], pending_id[k],
            &p.msg);
      else
        put(&rec[r++], AC_EV_DELIVER, now, tn, pending_from[k], pending_to[k], pending_id[k],
            NULL);
      npending--;
      pending_id[k] = pending_id[npending], pending_to[k] = pending_to[npending];
      pending_from[k] = pending_from[npending];
    } else {
      put(&rec[r++], AC_EV_RECEIVE, now, tnode, b, a, 0, NULL);
    }
  }
  n = r;

  /* Load. */
  viz_model m;
  viz_model_init(&m);
  double t0 = bench_seconds();
  for (uint32_t i = 0; i < n; i++)
    if (viz_model_append(&m, &rec[i])) {
      fprintf(stderr, "bench_viz_model: append failed at %u\n", i);
      return 1;
    }
  double load_ms = (bench_seconds() - t0) * 1e3;

  /* Seek to 100 random times (and step back once after each). */
  double seek_ms[100];
  uint64_t first = viz_model_first_ns(&m), last = viz_model_last_ns(&m);
  for (int k = 0; k < 100; k++) {
    uint64_t at = first + (uint64_t)((double)(last - first) * (double)rnd(1000000) / 1e6);
    double s0 = bench_seconds();
    viz_model_seek_time(&m, at);
    seek_ms[k] = (bench_seconds() - s0) * 1e3;
  }
  double b0 = bench_seconds();
  for (int k = 0; k < 100; k++) viz_model_seek(&m, viz_model_pos(&m) ? viz_model_pos(&m) - 1 : 0);
  double back_ms = (bench_seconds() - b0) * 1e3 / 100;
  qsort(seek_ms, 100, sizeof seek_ms[0], cmp_double);

  uint64_t records_bytes = (uint64_t)n * sizeof(viz_event) + m.arena_len;
  printf("events=%u processes=%u snapshots=%u spacing=%u\n", n, m.nprocs, m.nsnaps, m.spacing);
  printf("viz_load_ms=%.1f target=2000\n", load_ms);
  printf("viz_seek_median_ms=%.3f target=50 (max %.3f)\n", (seek_ms[49] + seek_ms[50]) / 2,
         seek_ms[99]);
  printf("viz_step_back_ms=%.3f\n", back_ms);
  printf("viz_model_bytes=%llu (records and payloads %llu, snapshots %llu) peak_rss=%llu\n",
         (unsigned long long)viz_model_memory_bytes(&m), (unsigned long long)records_bytes,
         (unsigned long long)m.snap_bytes, (unsigned long long)bench_status_bytes("VmHWM"));
  viz_model_free(&m);
  free(rec);
  ac_tb_free(&p.spawn), ac_tb_free(&p.msg), ac_tb_free(&p.boom), ac_tb_free(&p.sup_started);
  ac_tb_free(&p.child), ac_tb_free(&p.restarting);
  for (uint32_t k = 0; k < NNODES; k++) ac_tb_free(&p.node[k]);
  return 0;
}
