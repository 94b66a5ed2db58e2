/*
 * Shrinking a failing run to the faults that matter (shrink.h).
 *
 * Design: every candidate is a child run of this binary, `crashlab run FILE --seed N --quiet
 * --faults CANDIDATE` (child.c), so the shrinker sees exactly what a user's replay sees. The
 * first run is traced, and its fault schedule (a plan, docs/sweeps.md "Fault plans") is read
 * from the trace (faults.c) into sim_planned values, the runner's own form of a plan, which this
 * file drops, moves and edits, and writes with the plan writer `crashlab trace --plan` uses.
 * A candidate "fails the same way" when its verdict is FAIL (or the failure an expect = "fail"
 * scenario expects) with the same signature as the first run (scn_child_signature: the
 * failure message with pids, refs and times taken out).
 *
 * Phases, each a sequence of candidate lists: delta debugging over the fault list (drop one of
 * n chunks; n doubles up to single faults when no chunk can go), then simplifications of what
 * is left: heals (and other ends of outages) earlier, partition groups with fewer nodes, other
 * faults later in time (a search that tries four evenly spaced times per round, to the
 * millisecond).
 *
 * Determinism: a candidate list is tried in order and the first candidate that fails the same
 * way is taken. Up to --jobs candidates run at once, speculatively: a later candidate's result
 * is used only when every earlier one is known to pass, so the outcome (the written file, the
 * fault counts) does not depend on the number of jobs; only the count of runs started does
 * (speculative runs that turned out not to be needed are counted and stopped).
 *
 * Cost: one child run per candidate; about k * log2(n) runs of delta debugging for k faults
 * that matter among n, plus a few per remaining fault for the simplifications. A result per
 * candidate text is remembered (its 64-bit hash), so no candidate runs twice.
 */
#define _GNU_SOURCE

#include "shrink.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alloc.h"
#include "child.h"
#include "faults.h"
#include "outfile.h"
#include "trace.h"

#define SHRINK_RUNS_DEFAULT 2000u

/* "s" after a count other than 1. */
static const char *plural(uint32_t n) { return n == 1 ? "" : "s"; }
#define SHRINK_SEARCH_POINTS 4u    /* times tried per round of a time search */
#define SHRINK_MS UINT64_C(1000000)

/* ---- Faults and plans -------------------------------------------------------------------- */

/* A list of faults being cut down. What its faults point to (names, groups, reasons) lives in
 * the shrinker's plan read (shrinker.read) and is shared by every copy. */
typedef struct plan {
  sim_planned *f;
  uint32_t n, cap;
} plan;

static int plan_reserve(plan *p, uint32_t n) {
  return ac_grow((void **)&p->f, &p->cap, n, sizeof *p->f) ? -1 : 0;
}

static int plan_copy(plan *dst, const plan *src) {
  if (plan_reserve(dst, src->n)) return -1;
  if (src->n) memcpy(dst->f, src->f, src->n * sizeof *src->f);
  dst->n = src->n;
  return 0;
}

/* ---- The shrinker ------------------------------------------------------------------------ */

typedef struct shrink_opts {
  const char *file;
  uint64_t seed;
  bool seed_given;
  const char *out_path;     /* NULL: beside the file */
  const char *faults_path;  /* start from this plan instead of the run's own faults */
  unsigned jobs;
  uint64_t runs_max;
  const char *pass[16];     /* options handed to every run */
  int pass_count;
} shrink_opts;

typedef struct cache_entry {
  uint64_t hash;
  bool same;
  char when[32];            /* the failure's virtual time (failure_time) */
} cache_entry;

typedef struct shrinker {
  const shrink_opts *o;
  char tmpdir[PATH_MAX];
  char seed_text[24];
  char signature[1024];     /* what the first run failed with */
  char message[1024];       /* its message as printed */
  scn_plan read;            /* the plan read: its scenario and seed, and the memory of its faults */
  scn_child children[SCN_JOBS_MAX];
  cache_entry *cache;
  uint32_t cache_count, cache_cap;
  uint64_t runs;            /* children started */
  uint32_t faults_before;
  uint32_t faults_now;
  char best_time[32];       /* when the best candidate so far failed */
  const char *phase;
  bool tty;
  bool out_of_runs;
  double drawn_s;
} shrinker;

static volatile sig_atomic_t shrink_signal;
static void on_shrink_signal(int sig) { shrink_signal = sig; }

/* ---- Writing a plan ---------------------------------------------------------------------- */

/* The plan file of a candidate. Returns a malloc'ed text (and its length), or NULL. */
static char *plan_text(const shrinker *s, const plan *p, size_t *len) {
  char *text = NULL;
  FILE *f = open_memstream(&text, len);
  if (!f) return NULL;
  scn_plan view = s->read;
  view.faults = p->f;
  view.count = p->n;
  int rc = scn_plan_write(f, &view);
  if (fclose(f) != 0 || rc != 0) {
    free(text);
    return NULL;
  }
  return text;
}

static uint64_t text_hash(const char *text, size_t len) {
  uint64_t h = UINT64_C(0xcbf29ce484222325);
  for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)text[i]) * UINT64_C(0x100000001b3);
  return h;
}

/* ---- Running candidates ------------------------------------------------------------------ */

static void progress(shrinker *s, bool force) {
  if (!s->tty) return;
  double t = scn_child_now_s();
  if (!force && t - s->drawn_s < 0.1) return;
  s->drawn_s = t;
  fprintf(stderr, "\r\033[Kshrink: %" PRIu64 " runs, %u of %u fault%s left (%s)", s->runs, s->faults_now,
          s->faults_before, plural(s->faults_before), s->phase);
  fflush(stderr);
}

/* A better plan was found: a line of its own when not on a terminal. */
__attribute__((format(printf, 3, 4))) static void improved(shrinker *s, uint32_t faults, const char *fmt, ...) {
  s->faults_now = faults;
  if (s->tty) {
    progress(s, true);
    return;
  }
  char what[160];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  fprintf(stderr, "shrink: run %" PRIu64 ": %s; %u of %u fault%s left\n", s->runs, what, faults,
          s->faults_before, plural(s->faults_before));
}

static void child_args(const shrinker *s, const char *plan_path, const char *trace_path, char **args) {
  int n = 0;
  args[n++] = "crashlab";
  args[n++] = "run";
  args[n++] = (char *)s->o->file;
  args[n++] = "--seed";
  args[n++] = (char *)s->seed_text;
  args[n++] = "--quiet";
  if (plan_path) {
    args[n++] = "--faults";
    args[n++] = (char *)plan_path;
  }
  if (trace_path) {
    args[n++] = "--trace";
    args[n++] = (char *)trace_path;
  }
  for (int i = 0; i < s->o->pass_count; i++) args[n++] = (char *)s->o->pass[i];
  args[n] = NULL;
}

/* The time the failure names ("... at 1.5s"), else the run's end. */
static void failure_time(const scn_child_result *r, char *out, size_t cap) {
  const char *at = NULL;
  for (const char *p = strstr(r->message, " at "); p; p = strstr(p + 1, " at ")) at = p + 4;
  uint64_t ns;
  char word[32];
  if (at && sscanf(at, "%31s", word) == 1 && sim_parse_duration(word, &ns) == 0)
    snprintf(out, cap, "%s", word);
  else
    snprintf(out, cap, "%s", r->sim_time);
}

/* A scenario with expect = "fail" turns the failure it expects into PASS; its first line still
 * says what failed, "... (expected: the scenario says expect = "fail")". For shrinking, that
 * failure is the one to keep: the result of the child that just ended in slot c is read as a
 * FAIL with that message. */
static void read_expected_failure(const scn_child *c, scn_child_result *r) {
  const char *out = c->out.data && c->out.len ? c->out.data : "";
  size_t first = strcspn(out, "\n");
  if (r->verdict != SCN_CHILD_PASS || strncmp(out, "PASS ", 5) == 0) return;
  const char *mark = strstr(out, " (expected: the scenario says expect = ");
  if (!mark || (size_t)(mark - out) > first) return;
  r->verdict = SCN_CHILD_FAIL;
  snprintf(r->message, sizeof r->message, "%.*s", (int)first, out);
}

/* Runs one child to its end (the first run, a check). */
static int run_one(shrinker *s, char **args, scn_child_result *r) {
  if (scn_child_run(&s->children[0], args, r) != 0) return scn_cli_fail("cannot run a child: %s", strerror(errno));
  s->runs++;
  read_expected_failure(&s->children[0], r);
  return 0;
}

static bool same_failure(const shrinker *s, const scn_child_result *r) {
  if (r->verdict != SCN_CHILD_FAIL) return false;
  char sig[1024];
  scn_child_signature(r, sig, sizeof sig);
  return strcmp(sig, s->signature) == 0;
}

static cache_entry *cache_find(shrinker *s, uint64_t hash) {
  for (uint32_t i = 0; i < s->cache_count; i++)
    if (s->cache[i].hash == hash) return &s->cache[i];
  return NULL;
}

static int cache_add(shrinker *s, uint64_t hash, bool same, const char *when) {
  if (ac_grow((void **)&s->cache, &s->cache_cap, s->cache_count + 1, sizeof *s->cache)) return -1;
  cache_entry *e = &s->cache[s->cache_count++];
  e->hash = hash;
  e->same = same;
  snprintf(e->when, sizeof e->when, "%s", when);
  return 0;
}

/* Makes candidate i of a list into *out. */
typedef int (*make_fn)(void *ctx, uint32_t i, plan *out);

enum { UNKNOWN = 0, PASSES = 1, SAME = 2 };

/* One search through a list of candidates (first_same). */
typedef struct search {
  make_fn make;
  void *ctx;
  uint32_t n;
  uint8_t *state;                         /* per candidate: UNKNOWN, PASSES, SAME */
  uint32_t next;                          /* the next candidate to start */
  uint32_t decided;                       /* candidates before it all pass */
  unsigned running;
  uint32_t slot_candidate[SCN_JOBS_MAX];
  uint64_t slot_hash[SCN_JOBS_MAX];
  plan cand;                              /* scratch */
} search;

/* Writes candidate `next` and starts it in a free slot, or settles it from the cache (no slot
 * used then). 1 started, 0 settled, -1 error (said). */
static int start_next(shrinker *s, search *q, unsigned slot) {
  size_t len = 0;
  char *text = q->make(q->ctx, q->next, &q->cand) == 0 ? plan_text(s, &q->cand, &len) : NULL;
  if (!text) return scn_cli_fail("out of memory");
  uint64_t hash = text_hash(text, len);
  cache_entry *known = cache_find(s, hash);
  if (known) {
    q->state[q->next++] = known->same ? SAME : PASSES;
    free(text);
    return 0;
  }
  char path[PATH_MAX + 32];
  snprintf(path, sizeof path, "%s/candidate%u.lua", s->tmpdir, slot);
  FILE *f = fopen(path, "w");
  bool written = f && fwrite(text, 1, len, f) == len;
  if (f && fclose(f) != 0) written = false;
  free(text);
  char *args[40];
  child_args(s, path, NULL, args);
  if (!written) return scn_cli_fail("cannot write %s: %s", path, strerror(errno));
  if (scn_child_start(&s->children[slot], args) != 0) return scn_cli_fail("cannot start a run: %s", strerror(errno));
  s->runs++;
  q->running++;
  q->slot_candidate[slot] = q->next++;
  q->slot_hash[slot] = hash;
  return 1;
}

/* Fills the free slots with the next candidates, while the run budget lasts. */
static int start_more(shrinker *s, search *q) {
  for (unsigned slot = 0; slot < s->o->jobs && q->next < q->n && !shrink_signal;) {
    if (s->children[slot].pid) {
      slot++;
      continue;
    }
    if (s->runs >= s->o->runs_max) {
      s->out_of_runs = true;
      break;
    }
    int rc = start_next(s, q, slot);
    if (rc < 0) return -1;
    slot += (unsigned)rc; /* a settled candidate left the slot free */
  }
  return 0;
}

/* Takes the results of the runs that ended. */
static int collect(shrinker *s, search *q) {
  if (scn_child_poll(s->children, s->o->jobs, s->tty ? 100 : -1) != 0)
    return scn_cli_fail("waiting for the runs: %s", strerror(errno));
  for (unsigned slot = 0; slot < s->o->jobs; slot++) {
    if (!scn_child_ended(&s->children[slot])) continue;
    scn_child_result r;
    scn_child_finish(&s->children[slot], &r);
    read_expected_failure(&s->children[slot], &r);
    q->running--;
    if (r.exit_code == 130) shrink_signal = SIGINT;
    bool same = same_failure(s, &r);
    q->state[q->slot_candidate[slot]] = same ? SAME : PASSES;
    char when[32];
    failure_time(&r, when, sizeof when);
    if (cache_add(s, q->slot_hash[slot], same, when) != 0) return scn_cli_fail("out of memory");
  }
  progress(s, false);
  return 0;
}

/*
 * Tries candidates 0..n-1 in order and returns the index of the first that fails the same
 * way, or -1 (none, or the run budget or a signal ended the search; s->out_of_runs says which).
 * Up to jobs candidates run at once; a result decides only once every earlier candidate is
 * known, so the answer is the one a single job would give. -2 on a system error (said).
 */
static int64_t first_same(shrinker *s, make_fn make, void *ctx, uint32_t n) {
  search q = {.make = make, .ctx = ctx, .n = n, .state = calloc(n ? n : 1, 1)};
  if (!q.state) return -2;
  int status = 0;
  for (;;) {
    while (q.decided < n && q.state[q.decided] == PASSES) q.decided++;
    if (q.decided == n || q.state[q.decided] == SAME) break;
    if ((status = start_more(s, &q)) != 0) break;
    if (q.running == 0) {
      if (q.next < n && !shrink_signal && !s->out_of_runs) continue; /* all settled so far */
      break;
    }
    if ((status = collect(s, &q)) != 0 || (shrink_signal && q.running == 0)) break;
  }
  while (q.decided < n && q.state[q.decided] == PASSES) q.decided++;
  int64_t answer = q.decided < n && q.state[q.decided] == SAME ? (int64_t)q.decided : -1;
  /* Runs that can no longer change the answer are stopped (they are this shrinker's own
   * children), then reaped. */
  for (unsigned slot = 0; slot < s->o->jobs; slot++) {
    if (!s->children[slot].pid) continue;
    kill(s->children[slot].pid, SIGKILL);
    while (!scn_child_ended(&s->children[slot])) scn_child_poll(&s->children[slot], 1, -1);
    scn_child_result r;
    scn_child_finish(&s->children[slot], &r);
  }
  if (answer >= 0) { /* when the plan kept failed: its run is in the cache */
    size_t len = 0;
    char *text = make(ctx, (uint32_t)answer, &q.cand) == 0 ? plan_text(s, &q.cand, &len) : NULL;
    cache_entry *e = text ? cache_find(s, text_hash(text, len)) : NULL;
    if (e) snprintf(s->best_time, sizeof s->best_time, "%s", e->when);
    free(text);
  }
  free(q.cand.f);
  free(q.state);
  return status ? -2 : answer;
}

/* ---- Delta debugging --------------------------------------------------------------------- */

typedef struct chunks {
  const plan *current;
  uint32_t n;               /* chunks */
} chunks;

/* Candidate i: the current plan without its i-th of n chunks. */
static int make_without_chunk(void *ctx, uint32_t i, plan *out) {
  const chunks *c = ctx;
  uint32_t len = c->current->n;
  uint32_t lo = (uint32_t)((uint64_t)len * i / c->n), hi = (uint32_t)((uint64_t)len * (i + 1) / c->n);
  if (plan_reserve(out, len)) return -1;
  out->n = 0;
  for (uint32_t k = 0; k < len; k++)
    if (k < lo || k >= hi) out->f[out->n++] = c->current->f[k];
  return 0;
}

/* Cuts *p down to a 1-minimal list: no single fault (and no chunk tried) can be dropped. */
static int ddmin(shrinker *s, plan *p) {
  s->phase = "dropping faults";
  plan next = {0};
  uint32_t n = 2;
  uint32_t was;
  while (p->n >= 1 && !shrink_signal && !s->out_of_runs) {
    if (n > p->n) n = p->n;
    chunks c = {p, n};
    int64_t k = first_same(s, make_without_chunk, &c, n);
    if (k == -2) {
      free(next.f);
      return -1;
    }
    if (k >= 0) {
      was = p->n;
      if (make_without_chunk(&c, (uint32_t)k, &next) || plan_copy(p, &next)) {
        free(next.f);
        return -1;
      }
      improved(s, p->n, "dropped %u fault%s", was - p->n, was - p->n == 1 ? "" : "s");
      n = n > 2 ? n - 1 : 2;
      continue;
    }
    if (n >= p->n) break;
    n = 2 * n < p->n ? 2 * n : p->n;
  }
  free(next.f);
  return 0;
}

/* ---- Simplifying what is left ------------------------------------------------------------ */

typedef struct variants {
  plan *list;
  uint32_t n;
} variants;

static int make_variant(void *ctx, uint32_t i, plan *out) {
  const variants *v = ctx;
  return plan_copy(out, &v->list[i]);
}

static void variants_free(variants *v) {
  for (uint32_t i = 0; i < v->n; i++) free(v->list[i].f);
  free(v->list);
}

/* Tries the variants in order and takes the first that fails the same way into *p: 1 taken,
 * 0 none, -1 error. j is the fault the variants change, what says how. */
static int try_variants(shrinker *s, plan *p, variants *v, uint32_t j, const char *what) {
  int64_t k = v->n ? first_same(s, make_variant, v, v->n) : -1;
  int rc = k == -2 ? -1 : 0;
  if (k >= 0) {
    if (plan_copy(p, &v->list[k])) rc = -1;
    else {
      rc = 1;
      char at[32];
      sim_format_duration(p->f[j].at_ns, at, sizeof at);
      improved(s, p->n, "fault %u (%s) %s, at %s", j + 1, sim_fault_kind_name(p->f[j].fault.kind), what, at);
    }
  }
  variants_free(v);
  return rc;
}

/* A variant of p with fault j at a new time (the list stays in time order: the caller keeps
 * t between j's neighbours). */
static int add_moved(variants *v, const plan *p, uint32_t j, uint64_t t) {
  plan *grown = realloc(v->list, (v->n + 1) * sizeof *grown);
  if (!grown) return -1;
  v->list = grown;
  plan *q = &v->list[v->n];
  *q = (plan){0};
  if (plan_copy(q, p)) return -1;
  q->f[j].at_ns = t;
  v->n++;
  return 0;
}

/*
 * Moves fault j as early (earlier = true) or as late as it goes while the run fails the same
 * way, between its time and bound (not reached). Each round tries SHRINK_SEARCH_POINTS whole
 * milliseconds evenly spread over the range still open, the earliest (or latest) first, and
 * narrows the range to the step around the one taken, down to a millisecond. Returns 1 moved,
 * 0 not, -1 error.
 */
static int move_in_time(shrinker *s, plan *p, uint32_t j, bool earlier, uint64_t bound) {
  /* The open range (lo, hi): the fault fails the same way at hi (earlier) or lo (later). */
  uint64_t lo = earlier ? bound : p->f[j].at_ns, hi = earlier ? p->f[j].at_ns : bound;
  int moved = 0;
  while (hi - lo >= 2 * SHRINK_MS && !shrink_signal && !s->out_of_runs) {
    uint64_t t[SHRINK_SEARCH_POINTS];
    uint32_t nt = 0;
    for (uint32_t k = 1; k <= SHRINK_SEARCH_POINTS; k++) {
      uint32_t kk = earlier ? k : SHRINK_SEARCH_POINTS + 1 - k;
      uint64_t x = lo + (hi - lo) / (SHRINK_SEARCH_POINTS + 1) * kk;
      x = (x + SHRINK_MS / 2) / SHRINK_MS * SHRINK_MS;
      if (x <= lo || x >= hi || (nt && x == t[nt - 1])) continue;
      t[nt++] = x;
    }
    if (nt == 0) break;
    variants v = {0};
    for (uint32_t i = 0; i < nt; i++)
      if (add_moved(&v, p, j, t[i])) {
        variants_free(&v);
        return -1;
      }
    int rc = try_variants(s, p, &v, j, earlier ? "earlier" : "later");
    if (rc < 0) return -1;
    if (rc == 0) { /* every time tried was too far: the answer is within the last step */
      if (earlier) lo = t[nt - 1];
      else hi = t[nt - 1];
      continue;
    }
    moved = 1;
    uint32_t idx = 0;
    while (idx < nt && t[idx] != p->f[j].at_ns) idx++;
    if (earlier) {
      hi = t[idx];
      if (idx > 0) lo = t[idx - 1];
    } else {
      lo = t[idx];
      if (idx > 0) hi = t[idx - 1];
    }
  }
  return moved;
}

/* Whether a fault ends an outage: a heal ends a partition, restart_node a crash, resume a
 * pause, flaky_up a flaky_down. */
static bool ends_outage(const sim_planned *f) {
  int k = f->fault.kind;
  return k == SIM_FK_HEAL || k == SIM_FK_RESTART_NODE || k == SIM_FK_RESUME || k == SIM_FK_FLAKY_UP;
}

/* The ends of outages as early as they go: shorter partitions (and crashes, pauses, flaky
 * spells). */
static int ends_earlier(shrinker *s, plan *p) {
  s->phase = "shorter outages";
  int changed = 0;
  for (uint32_t j = 0; j < p->n && !shrink_signal && !s->out_of_runs; j++) {
    if (!ends_outage(&p->f[j])) continue;
    int rc = move_in_time(s, p, j, true, j ? p->f[j - 1].at_ns : 0);
    if (rc < 0) return -1;
    changed |= rc;
  }
  return changed;
}

/* A copy of partition f without the node members[i] (and without its group when it was the
 * group's only node), in the shrinker's memory. -1 when out of memory. */
static int without_node(shrinker *s, sim_fault *f, uint32_t i) {
  uint32_t g = 0, first = 0;
  while (first + f->group_size[g] <= i) first += f->group_size[g++];
  bool whole = f->group_size[g] == 1;
  uint32_t total = first, groups = f->group_count - (whole ? 1 : 0);
  for (uint32_t k = g; k < f->group_count; k++) total += f->group_size[k];
  const char **members = scn_plan_own(&s->read, (total ? total : 1) * sizeof *members);
  uint32_t *sizes = scn_plan_own(&s->read, (groups ? groups : 1) * sizeof *sizes);
  if (!members || !sizes) return -1;
  memcpy(members, f->members, i * sizeof *members);
  memcpy(members + i, f->members + i + 1, (total - i - 1) * sizeof *members);
  for (uint32_t k = 0, at = 0; k < f->group_count; k++)
    if (k != g || !whole) sizes[at++] = f->group_size[k] - (k == g ? 1 : 0);
  f->members = members;
  f->group_size = sizes;
  f->group_count = groups;
  return 0;
}

/* Partitions with fewer nodes: one node out of a group that has more than one, or a whole
 * group out of a partition of more than two groups. Repeats until nothing can go. */
static int fewer_nodes(shrinker *s, plan *p) {
  s->phase = "fewer nodes";
  int changed = 0;
  for (uint32_t j = 0; j < p->n && !shrink_signal && !s->out_of_runs; j++) {
    while (p->f[j].fault.kind == SIM_FK_PARTITION) {
      const sim_fault *ft = &p->f[j].fault;
      variants v = {0};
      for (uint32_t g = 0, i = 0; g < ft->group_count; g++)
        for (uint32_t m = 0; m < ft->group_size[g]; m++, i++) {
          if (ft->group_size[g] == 1 && ft->group_count <= 2) continue;
          plan *grown = realloc(v.list, (v.n + 1) * sizeof *grown);
          if (!grown) {
            variants_free(&v);
            return -1;
          }
          v.list = grown;
          plan *q = &v.list[v.n];
          *q = (plan){0};
          v.n++;
          if (plan_copy(q, p) || without_node(s, &q->f[j].fault, i)) {
            variants_free(&v);
            return -1;
          }
        }
      int rc = try_variants(s, p, &v, j, "with a node fewer");
      if (rc < 0) return -1;
      if (rc == 0) break;
      changed = 1;
    }
  }
  return changed;
}

/* The other faults as late as they go (before the next fault, or before the failure). */
static int faults_later(shrinker *s, plan *p, uint64_t end_ns) {
  s->phase = "faults later";
  int changed = 0;
  for (uint32_t j = p->n; j-- > 0 && !shrink_signal && !s->out_of_runs;) {
    if (ends_outage(&p->f[j])) continue;
    uint64_t hi = j + 1 < p->n ? p->f[j + 1].at_ns : end_ns;
    if (hi <= p->f[j].at_ns) continue;
    int rc = move_in_time(s, p, j, false, hi);
    if (rc < 0) return -1;
    changed |= rc;
  }
  return changed;
}

/* ---- Arguments --------------------------------------------------------------------------- */

void scn_shrink_usage(FILE *out) {
  fprintf(out,
          "usage: crashlab shrink FILE.lua --seed N [options]\n"
          "\n"
          "Cuts a failing run down to the faults that matter. The run of FILE with seed N must\n"
          "fail; its fault schedule is read from its trace, then faults are dropped (delta\n"
          "debugging: chunks, then single faults) while every run still fails with the same\n"
          "signature (the failure message with pids, refs and times taken out), and what is\n"
          "left is simplified: heals earlier, partitions with fewer nodes, faults later. Each\n"
          "try is a run 'crashlab run FILE --seed N --faults PLAN'. The result is a scenario\n"
          "file that runs FILE with only the remaining faults and fails the same way on its own.\n"
          "\n"
          "options:\n"
          "  --seed N              the failing seed (required)\n"
          "  --out FILE            where to write the shrunk scenario (default: beside FILE,\n"
          "                        NAME.shrunk.lua); never FILE itself\n"
          "  --jobs N              runs at once (default: one per core); the result does not\n"
          "                        depend on it\n"
          "  --max-runs N          stop after N runs and write what was reached (default 2000;\n"
          "                        a search stopped so can depend on --jobs)\n"
          "  --faults PLAN         start from this plan instead of the run's own faults\n"
          "  --max-time T, --unsafe, --crashes=fail|count, --trace-limit SIZE\n"
          "                        as for crashlab run, given to every run\n"
          "\n"
          "On a terminal a status line shows the runs done and the faults left; otherwise a\n"
          "line is printed each time the plan gets smaller or simpler. Exit status: 0 written\n"
          "(and checked to fail the same way), 1 the written file did not fail the same way,\n"
          "2 bad input (a seed that passes: nothing to shrink), 130 interrupted.\n");
}

/* A whole number from lo to hi: decimal digits only (no sign, space or hex). */
static int parse_count(const char *opt, const char *v, uint64_t lo, uint64_t hi, uint64_t *out) {
  bool digits = v && *v;
  for (const char *c = v; digits && *c; c++) digits = *c >= '0' && *c <= '9';
  errno = 0;
  unsigned long long n = digits ? strtoull(v, NULL, 10) : 0;
  if (!digits || errno == ERANGE || n < lo || n > hi)
    return scn_cli_fail("%s needs a whole number from %" PRIu64 " to %" PRIu64 ", got '%s'", opt, lo, hi, v ? v : "");
  *out = n;
  return 0;
}

static int parse_args(int argc, char **argv, shrink_opts *o) {
  memset(o, 0, sizeof *o);
  o->jobs = scn_default_jobs();
  o->runs_max = SHRINK_RUNS_DEFAULT;
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--seed") == 0) {
      if (parse_count(a, v, 0, UINT64_MAX, &o->seed)) return -1;
      o->seed_given = true;
      i++;
    } else if (strcmp(a, "--jobs") == 0) {
      uint64_t n;
      if (parse_count(a, v, 1, SCN_JOBS_MAX, &n)) return -1;
      o->jobs = (unsigned)n;
      i++;
    } else if (strcmp(a, "--max-runs") == 0) {
      if (parse_count(a, v, 1, 100000000, &o->runs_max)) return -1;
      i++;
    } else if (strcmp(a, "--out") == 0 || strcmp(a, "--faults") == 0) {
      if (!v || !*v) return scn_cli_fail("%s needs a file name", a);
      *(a[2] == 'o' ? &o->out_path : &o->faults_path) = v;
      i++;
    } else if (scn_child_run_option(a) == 1) {
      if (!v) return scn_cli_fail("%s needs a value", a);
      if (o->pass_count + 2 > 16) return scn_cli_fail("too many options");
      o->pass[o->pass_count++] = a;
      o->pass[o->pass_count++] = v;
      i++;
    } else if (scn_child_run_option(a) == 0) {
      if (o->pass_count + 1 > 16) return scn_cli_fail("too many options");
      o->pass[o->pass_count++] = a;
    } else if (a[0] == '-') {
      return scn_cli_fail("unknown option '%s' (crashlab shrink --help)", a);
    } else if (!o->file) {
      o->file = a;
    } else {
      return scn_cli_fail("unexpected argument '%s'", a);
    }
  }
  if (!o->file) return scn_cli_fail("shrink needs a scenario file (crashlab shrink FILE.lua --seed N)");
  if (!o->seed_given)
    return scn_cli_fail("shrink needs the failing seed: crashlab shrink %s --seed N (a sweep, crashlab run "
                "FILE --seeds A..B, lists failing seeds)", o->file);
  struct stat st;
  if (stat(o->file, &st) != 0) return scn_cli_fail("%s: cannot open: %s", o->file, strerror(errno));
  if (S_ISDIR(st.st_mode)) return scn_cli_fail("%s: is a directory, not a scenario file", o->file);
  if (o->faults_path && access(o->faults_path, R_OK) != 0)
    return scn_cli_fail("%s: cannot open: %s", o->faults_path, strerror(errno));
  return 0;
}

/* NAME.lua -> NAME.shrunk.lua beside it. */
static char *default_out(const char *file) {
  size_t len = strlen(file);
  bool lua = len > 4 && strcmp(file + len - 4, ".lua") == 0;
  size_t stem = lua ? len - 4 : len;
  char *out = malloc(stem + sizeof ".shrunk.lua");
  if (out) snprintf(out, stem + sizeof ".shrunk.lua", "%.*s.shrunk.lua", (int)stem, file);
  return out;
}

/* Whether a file can be made in the folder of path (checked before the runs, so that a bad
 * --out does not cost them). */
static bool folder_writable(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return access(".", W_OK) == 0;
  if (slash == path) return access("/", W_OK) == 0;
  char *dir = strndup(path, (size_t)(slash - path));
  bool ok = dir && access(dir, W_OK) == 0;
  free(dir);
  return ok;
}

static bool same_file(const char *a, const char *b) {
  struct stat sa, sb;
  return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* ---- The output file --------------------------------------------------------------------- */

static char *read_all(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *text = NULL;
  size_t cap = 0;
  *len = 0;
  for (;;) {
    if (ac_grow_bytes(&text, &cap, *len + 4096 + 1)) {
      free(text);
      fclose(f);
      return NULL;
    }
    size_t got = fread(text + *len, 1, cap - *len - 1, f);
    *len += got;
    if (got == 0) break;
  }
  bool bad = ferror(f);
  fclose(f);
  if (bad) {
    free(text);
    return NULL;
  }
  text[*len] = 0;
  return text;
}

/* A comment line per line of text, each "-- " + line. */
static void put_comment(FILE *f, const char *text) {
  for (const char *line = text; *line;) {
    size_t n = strcspn(line, "\n");
    fprintf(f, "--   %.*s\n", (int)n, line);
    line += n;
    if (*line) line++;
  }
}

/*
 * The shrunk scenario: `--! seed N`, a header saying where it came from, the plan as
 * cl.fault_plan{...}, then the original text unchanged (its own leading `--!` directives
 * dropped: the new one rules). Written through sim_outfile, so a file under the final name is
 * always complete.
 */
static int write_out(const shrinker *s, const char *out_path, const plan *p, const char *source,
                     uint32_t before, const char *time_before, const char *time_after) {
  sim_outfile out;
  if (sim_outfile_open(&out, out_path) != 0) return scn_cli_fail("cannot write %s: %s", out_path, strerror(errno));
  FILE *f = out.file;
  fprintf(f, "--! seed %" PRIu64 "\n", s->o->seed);
  fprintf(f, "-- Shrunk by crashlab %s from %s, seed %" PRIu64 ": %u fault%s -> %u, failure at %s -> %s.\n",
          CRASHLAB_VERSION, s->o->file, s->o->seed, before, plural(before), p->n, time_before, time_after);
  fputs("-- It fails with the signature\n", f);
  put_comment(f, s->signature);
  fputs("-- The plan below replaces the scenario's own faults; the scenario follows unchanged.\n", f);
  fputs("local cl = require \"crashlab\"\n", f);
  fputs("cl.fault_plan { ", f);
  scn_plan_write_faults(f, p->f, p->n);
  fputs(" }\n", f);
  const char *text = source;
  while (strncmp(text, "--!", 3) == 0) { /* the original's own directives */
    const char *nl = strchr(text, '\n');
    text = nl ? nl + 1 : text + strlen(text);
  }
  fputs(text, f);
  if (*text && text[strlen(text) - 1] != '\n') fputc('\n', f);
  if (sim_outfile_close(&out, true) != 0) return scn_cli_fail("cannot write %s: %s", out_path, strerror(errno));
  return 0;
}

/* ---- Reading the first run's plan -------------------------------------------------------- */

/* The faults of the plan read into *out, which can then be cut and moved. */
static int plan_take(shrinker *s, plan *out) {
  if (plan_reserve(out, s->read.count)) return scn_cli_fail("out of memory");
  if (s->read.count) memcpy(out->f, s->read.faults, s->read.count * sizeof *out->f);
  out->n = s->read.count;
  return 0;
}

/* ---- The command ------------------------------------------------------------------------- */

static void shrinker_free(shrinker *s) {
  scn_plan_free(&s->read);
  free(s->cache);
  for (unsigned i = 0; i < SCN_JOBS_MAX; i++) scn_child_free(&s->children[i]);
  if (s->tmpdir[0]) {
    char path[PATH_MAX + 32];
    for (unsigned i = 0; i < SCN_JOBS_MAX; i++) {
      snprintf(path, sizeof path, "%s/candidate%u.lua", s->tmpdir, i);
      unlink(path);
    }
    snprintf(path, sizeof path, "%s/first.trace", s->tmpdir);
    unlink(path);
    rmdir(s->tmpdir);
  }
}

static int make_tmpdir(shrinker *s) {
  const char *base = getenv("TMPDIR");
  if (!base || !*base) base = "/tmp";
  snprintf(s->tmpdir, sizeof s->tmpdir, "%s/crashlab-shrink-XXXXXX", base);
  if (!mkdtemp(s->tmpdir)) {
    int e = errno;
    s->tmpdir[0] = 0;
    return scn_cli_fail("cannot make a temporary folder in %s: %s", base, strerror(e));
  }
  return 0;
}

/* Passes on what the run said of its plan ("crashlab: note: 1 fault of the plan was never
 * made: ..."): such a fault is dropped at once, and the user should know why. */
static void forward_note(const scn_child *c) {
  char note[1024];
  if (scn_child_note(c, note, sizeof note)) fprintf(stderr, "crashlab: note: %s\n", note);
}

/* The first run: it must fail; its signature is the one to keep, its plan the one to cut. */
static int first_run(shrinker *s, plan *p, scn_child_result *r) {
  char trace[PATH_MAX + 32];
  snprintf(trace, sizeof trace, "%s/first.trace", s->tmpdir);
  char *args[40];
  child_args(s, s->o->faults_path, trace, args);
  if (run_one(s, args, r)) return -1;
  if (r->exit_code == 130) return scn_cli_fail("interrupted");
  forward_note(&s->children[0]);
  if (r->verdict == SCN_CHILD_PASS)
    return scn_cli_fail("%s passes with seed %" PRIu64 ": nothing to shrink (shrink takes a failing seed; a "
                "sweep, crashlab run %s --seeds A..B, finds them)", s->o->file, s->o->seed, s->o->file);
  if (r->verdict == SCN_CHILD_ERROR) return scn_cli_fail("%s", r->message);
  scn_child_signature(r, s->signature, sizeof s->signature);
  snprintf(s->message, sizeof s->message, "%s", r->message);
  char err[1024] = "";
  if (s->o->faults_path ? scn_plan_load(&s->read, s->o->faults_path, err, sizeof err) != 0
                        : scn_plan_from_trace(trace, &s->read, err, sizeof err) != 0)
    return s->o->faults_path ? scn_cli_fail("%s", err)
                             : scn_cli_fail("cannot read the fault plan of the run from its trace: %s", err);
  return plan_take(s, p);
}

/* The whole plan run again through --faults must fail the same way: otherwise the plan does
 * not stand for the run, and nothing cut from it would mean anything. */
static int check_full_plan(shrinker *s, const plan *p) {
  variants v = {calloc(1, sizeof(plan)), 1};
  if (!v.list || plan_copy(&v.list[0], p)) {
    variants_free(&v);
    return scn_cli_fail("out of memory");
  }
  int64_t k = first_same(s, make_variant, &v, 1);
  variants_free(&v);
  if (k == -2) return -1;
  if (k < 0 && !shrink_signal)
    return scn_cli_fail("the fault plan read from the run of %s seed %" PRIu64 " does not make it fail the "
                "same way when run on its own (--faults): nothing to shrink against",
                s->o->file, s->o->seed);
  return k < 0 ? -1 : 0;
}

/* Runs the written file alone (its own seed and plan) and compares the signature. */
static int check_out(shrinker *s, const char *out_path, scn_child_result *r) {
  char *args[40];
  int n = 0;
  args[n++] = "crashlab";
  args[n++] = "run";
  args[n++] = (char *)out_path;
  args[n++] = "--quiet";
  for (int i = 0; i < s->o->pass_count; i++) args[n++] = (char *)s->o->pass[i];
  args[n] = NULL;
  if (run_one(s, args, r)) return -1;
  return same_failure(s, r) ? 0 : 1;
}

/* Drops and simplifies the faults of *p: delta debugging, then rounds of simplification
 * while one of them changes something (three at most), each followed by delta debugging again
 * (a fault moved can make another one unneeded), so what is left stays 1-minimal. -1 on an
 * error (said). */
static int shrink_plan(shrinker *s, plan *p) {
  if (ddmin(s, p)) return -1;
  for (int round = 0; round < 3 && !shrink_signal && !s->out_of_runs; round++) {
    int changed = 0, rc;
    if ((rc = ends_earlier(s, p)) < 0) return -1;
    changed |= rc;
    if ((rc = fewer_nodes(s, p)) < 0) return -1;
    changed |= rc;
    uint64_t end_ns;
    if (sim_parse_duration(s->best_time, &end_ns) != 0) end_ns = 0;
    if ((rc = faults_later(s, p, end_ns)) < 0) return -1;
    changed |= rc;
    if (!changed) break;
    if (ddmin(s, p)) return -1;
  }
  return 0;
}

/* The summary on stdout: what failed, before and after, the runs, the faults left, the file. */
static void report(const shrinker *s, const plan *p, const char *out_path, const char *time_before,
                   uint64_t runs, int check, const scn_child_result *last) {
  printf("shrink of %s seed %" PRIu64 ": %s\n", s->o->file, s->o->seed, s->signature);
  printf("  before: %u fault%s, failure at %s\n", s->faults_before, plural(s->faults_before), time_before);
  printf("  after:  %u fault%s, failure at %s\n", p->n, plural(p->n), s->best_time);
  if (p->n == s->faults_before && p->n > 0 && !s->out_of_runs) /* no run budget cut the search short */
  {
    if (p->n == 1) printf("  the 1 fault could not be dropped: it is needed\n");
    else printf("  none of the %u faults could be dropped: each is needed\n", p->n);
  }
  printf("  runs:   %" PRIu64 "%s\n", runs,
         s->out_of_runs ? " (stopped at --max-runs: the plan may shrink further)" : "");
  for (uint32_t i = 0; i < p->n; i++) {
    fputs("    ", stdout);
    scn_plan_write_fault(stdout, &p->f[i]);
    fputc('\n', stdout);
  }
  if (p->n == 0) printf("    (none: the run fails the same way without any of its faults)\n");
  if (check == 0)
    printf("wrote %s: crashlab run %s fails the same way\n", out_path, out_path);
  else
    printf("wrote %s, but it does not fail the same way on its own: %s\n", out_path,
           last->verdict == SCN_CHILD_PASS ? "it passes" : last->message);
  fflush(stdout);
}

int scn_shrink_main(int argc, char **argv) {
  shrink_opts o;
  if (parse_args(argc, argv, &o)) return 2;
  char *out_default = o.out_path ? NULL : default_out(o.file);
  const char *out_path = o.out_path ? o.out_path : out_default;
  if (!out_path) return scn_cli_fail("out of memory"), 2;
  if (same_file(out_path, o.file) || strcmp(out_path, o.file) == 0) {
    scn_cli_fail("--out %s is the scenario itself: shrink never overwrites the original (give another "
         "--out)", out_path);
    free(out_default);
    return 2;
  }
  if (!folder_writable(out_path)) {
    scn_cli_fail("cannot write %s: %s", out_path, strerror(errno));
    free(out_default);
    return 2;
  }
  shrinker *s = calloc(1, sizeof *s);
  if (!s) {
    free(out_default);
    return scn_cli_fail("out of memory"), 2;
  }
  s->o = &o;
  s->tty = isatty(STDERR_FILENO);
  s->phase = "first run";
  snprintf(s->seed_text, sizeof s->seed_text, "%" PRIu64, o.seed);
  for (unsigned i = 0; i < SCN_JOBS_MAX; i++) s->children[i].out_fd = s->children[i].err_fd = -1;
  struct sigaction sa = {0}, old_int, old_term;
  sa.sa_handler = on_shrink_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  plan p = {0};
  size_t source_len = 0;
  char *source = read_all(o.file, &source_len);
  int status = 2;
  scn_child_result first, last;
  char time_before[32];
  double start_s = scn_child_now_s();
  if (!source) {
    scn_cli_fail("%s: cannot read: %s", o.file, strerror(errno));
    goto done;
  }
  if (make_tmpdir(s) || first_run(s, &p, &first)) goto done;
  failure_time(&first, time_before, sizeof time_before);
  snprintf(s->best_time, sizeof s->best_time, "%s", time_before);
  s->faults_before = s->faults_now = p.n;
  s->phase = "checking the plan";
  if (!s->tty)
    fprintf(stderr, "shrink: seed %" PRIu64 " fails with %u fault%s: %s\n", o.seed, p.n, plural(p.n), s->message);
  if (check_full_plan(s, &p) || shrink_plan(s, &p)) goto done;
  if (s->tty) fputs("\r\033[K", stderr);
  if (shrink_signal) {
    scn_cli_fail("shrink interrupted after %" PRIu64 " runs; nothing written", s->runs);
    status = 130;
    goto done;
  }
  uint64_t runs = s->runs;
  if (write_out(s, out_path, &p, source, s->faults_before, time_before, s->best_time)) goto done;
  int check = check_out(s, out_path, &last);
  if (check < 0) goto done;
  report(s, &p, out_path, time_before, runs, check, &last);
  status = check == 0 ? 0 : 1;
  fprintf(stderr, "%" PRIu64 " runs in %.2fs on %u job%s\n", s->runs, scn_child_now_s() - start_s, o.jobs,
          o.jobs == 1 ? "" : "s");
done:
  if (s->tty && status == 2) fputs("\r\033[K", stderr);
  sigaction(SIGINT, &old_int, NULL);
  sigaction(SIGTERM, &old_term, NULL);
  free(p.f);
  free(source);
  free(out_default);
  shrinker_free(s);
  free(s);
  return status;
}
