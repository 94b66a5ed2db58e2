/*
 * Seed sweeps and their reports (sweep.h).
 *
 * Design: every seed runs in a worker process, this binary itself (`run FILE --seed N --quiet`
 * and the options that change a run), so a crashing or runaway seed cannot take the sweep down
 * and every run starts from a fresh address space, as a user's replay will. The parent keeps at
 * most `jobs` workers (child.c: their output read with poll(), the verdict line parsed). A
 * failing seed is queued once more, ahead of new seeds: a second run with
 * another hash is reported as nondeterministic (a crashlab bug). Results are emitted in seed
 * order (a small pending list holds the ones that finished early), so the per-seed lines, the
 * JSON and JUnit files and the summary do not depend on which worker finished first.
 *
 * The summary is a function of the results only: totals, then the failure groups (by
 * signature, most seeds first, then smallest seed), each with its smallest seed and the command
 * that replays it. Wall time goes to stderr only. `crashlab report` rebuilds the same results
 * from JSON files and prints the same summary through the same function.
 *
 * Cost: one fork/exec per seed (about a millisecond) on top of the run itself; the parent
 * holds one small record per seed in flight or waiting to be emitted, and one per signature.
 */
#define _GNU_SOURCE

#include "sweep.h"

#include "alloc.h"
#include "child.h"
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define SWEEP_SEEDS_MAX 10000000u
#define SWEEP_GROUPS_MAX 10000u         /* signatures kept; the rest count as "other" */

enum { V_PASS = SCN_CHILD_PASS, V_FAIL = SCN_CHILD_FAIL, V_ERROR = SCN_CHILD_ERROR };
static const char *const verdict_word[] = {"pass", "fail", "error"};

typedef struct seed_result {
  uint64_t seed;
  scn_child_result run;     /* its verdict, message, sim_time, events, hash, wall_s */
  char rerun_hash[17];      /* a failing seed's second run ("" until it is back) */
  bool complete;            /* passed, or failed and re-run */
  bool nondeterministic;    /* the second run had another hash */
} seed_result;

typedef struct group {
  char signature[1024];
  uint64_t count;
  uint64_t smallest;
} group;

/* What the summary needs: the same for a sweep and for a report of its JSON files. */
typedef struct summary {
  const char *file;
  char options[512];        /* " --max-time 10s --unsafe": what replay commands add */
  uint64_t first, last;     /* the smallest and largest seed run */
  uint64_t total, passed, failed;
  uint64_t errors;          /* of the failed: scenario errors (JUnit tells them apart) */
  group *groups;
  uint32_t group_count, group_cap;
  uint64_t other;           /* failures beyond SWEEP_GROUPS_MAX signatures */
  uint64_t *nondet;         /* seeds that did not reproduce, in seed order */
  char (*nondet_hashes)[34];
  uint32_t nondet_count, nondet_cap;
} summary;

/* ---- The summary ------------------------------------------------------------------------- */

static int summary_add(summary *s, const seed_result *r) {
  s->total++;
  if (s->total == 1 || r->seed < s->first) s->first = r->seed;
  if (s->total == 1 || r->seed > s->last) s->last = r->seed;
  if (r->nondeterministic) {
    /* Two arrays of one capacity: both grow from the same cap to the same new one. */
    uint32_t cap = s->nondet_cap, hashes_cap = s->nondet_cap;
    if (ac_grow((void **)&s->nondet, &cap, s->nondet_count + 1, sizeof *s->nondet) ||
        ac_grow((void **)&s->nondet_hashes, &hashes_cap, s->nondet_count + 1, sizeof *s->nondet_hashes))
      return -1;
    s->nondet_cap = cap;
    s->nondet[s->nondet_count] = r->seed;
    snprintf(s->nondet_hashes[s->nondet_count], 34, "%s %s", r->run.hash, r->rerun_hash);
    s->nondet_count++;
  }
  if (r->run.verdict == V_PASS && !r->nondeterministic) {
    s->passed++;
    return 0;
  }
  s->failed++;
  if (r->run.verdict == V_ERROR) s->errors++;
  if (r->run.verdict == V_PASS) return 0; /* a pass that did not reproduce: listed above */
  char sig[1024];
  scn_child_signature(&r->run, sig, sizeof sig);
  for (uint32_t i = 0; i < s->group_count; i++) {
    group *g = &s->groups[i];
    if (strcmp(g->signature, sig) == 0) {
      g->count++;
      if (r->seed < g->smallest) g->smallest = r->seed;
      return 0;
    }
  }
  if (s->group_count == SWEEP_GROUPS_MAX) {
    s->other++;
    return 0;
  }
  if (ac_grow((void **)&s->groups, &s->group_cap, s->group_count + 1, sizeof *s->groups)) return -1;
  group *g = &s->groups[s->group_count++];
  snprintf(g->signature, sizeof g->signature, "%s", sig);
  g->count = 1;
  g->smallest = r->seed;
  return 0;
}

static int group_order(const void *pa, const void *pb) {
  const group *a = pa, *b = pb;
  if (a->count != b->count) return a->count > b->count ? -1 : 1;
  return a->smallest < b->smallest ? -1 : a->smallest > b->smallest;
}

/* A path as a shell reads it: quoted when it holds anything but safe characters. */
static void print_shell_word(FILE *out, const char *word) {
  if (!word[strspn(word, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+,=")]) {
    fputs(word, out);
    return;
  }
  fputc('\'', out);
  for (const char *p = word; *p; p++) {
    if (*p == '\'') fputs("'\\''", out);
    else fputc(*p, out);
  }
  fputc('\'', out);
}

static void summary_print(summary *s, FILE *out) {
  if (s->group_count) qsort(s->groups, s->group_count, sizeof *s->groups, group_order);
  fprintf(out, "sweep of %s", s->file);
  if (s->total) fprintf(out, ", seeds %" PRIu64 "..%" PRIu64, s->first, s->last);
  fprintf(out, ": %" PRIu64 " run, %" PRIu64 " passed, %" PRIu64 " failed\n", s->total, s->passed,
          s->failed);
  if (s->total && s->last - s->first + 1 != s->total)
    fprintf(out, "note: %" PRIu64 " seeds of %" PRIu64 "..%" PRIu64 " were not run (a shard missing?)\n",
            s->last - s->first + 1 - s->total, s->first, s->last);
  if (s->group_count)
    fprintf(out, "%u failure signature%s:\n", s->group_count, s->group_count == 1 ? "" : "s");
  for (uint32_t i = 0; i < s->group_count; i++) {
    const group *g = &s->groups[i];
    fprintf(out, "  %" PRIu64 " seed%s: %s\n", g->count, g->count == 1 ? "" : "s", g->signature);
    fprintf(out, "    smallest seed %" PRIu64 ": crashlab run ", g->smallest);
    print_shell_word(out, s->file);
    fprintf(out, " --seed %" PRIu64 "%s\n", g->smallest, s->options);
  }
  if (s->other)
    fprintf(out, "  %" PRIu64 " more failures with other signatures (more than %u signatures)\n",
            s->other, SWEEP_GROUPS_MAX);
  for (uint32_t i = 0; i < s->nondet_count; i++) {
    char a[17], b[17];
    sscanf(s->nondet_hashes[i], "%16s %16s", a, b);
    fprintf(out, "nondeterministic: seed %" PRIu64 " gave hash %s, then %s on a second run "
                 "(a crashlab bug: please report it with the scenario)\n", s->nondet[i], a, b);
  }
}

static void summary_free(summary *s) {
  free(s->groups);
  free(s->nondet);
  free(s->nondet_hashes);
}

/* ---- JSON and JUnit ---------------------------------------------------------------------- */

static void json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
    else if (*p == '\n') fputs("\\n", f);
    else if (*p < 0x20) fprintf(f, "\\u%04x", *p);
    else fputc(*p, f);
  }
  fputc('"', f);
}

static void xml_text(FILE *f, const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '<') fputs("&lt;", f);
    else if (*p == '>') fputs("&gt;", f);
    else if (*p == '&') fputs("&amp;", f);
    else if (*p == '"') fputs("&quot;", f);
    else if (*p < 0x20 && *p != '\n' && *p != '\t') fputc('?', f);
    else fputc(*p, f);
  }
}

static void json_record(FILE *f, bool first, const seed_result *r, const char *file, const char *options,
                        uint64_t range_first, uint64_t range_last) {
  fputs(first ? "[\n{" : ",\n{", f);
  fprintf(f, "\"seed\": %" PRIu64 ", \"verdict\": \"%s\", \"property\": ", r->seed,
          verdict_word[r->run.verdict]);
  json_string(f, r->run.property);
  fputs(", \"message\": ", f);
  json_string(f, r->run.message);
  fputs(", \"sim_time\": ", f);
  json_string(f, r->run.sim_time);
  fprintf(f, ", \"events\": %" PRIu64 ", \"hash\": \"%s\", \"wall_s\": %.6f, "
             "\"nondeterministic\": %s, \"rerun_hash\": \"%s\", \"file\": ",
          r->run.events, r->run.hash, r->run.wall_s, r->nondeterministic ? "true" : "false", r->rerun_hash);
  json_string(f, file);
  fputs(", \"options\": ", f);
  json_string(f, options);
  /* the whole sweep's range, also in a shard's file: report can tell a shard is missing */
  fprintf(f, ", \"range\": \"%" PRIu64 "..%" PRIu64 "\"}", range_first, range_last);
}

static void junit_case(FILE *f, const seed_result *r, const char *file, const char *options) {
  fprintf(f, "    <testcase classname=\"");
  xml_text(f, file);
  fprintf(f, "\" name=\"seed %" PRIu64 "\" time=\"%.6f\"", r->seed, r->run.wall_s);
  if (r->run.verdict == V_PASS && !r->nondeterministic) {
    fputs("/>\n", f);
    return;
  }
  fputs(">\n      <", f);
  const char *tag = r->run.verdict == V_ERROR ? "error" : "failure";
  fprintf(f, "%s message=\"", tag);
  xml_text(f, r->nondeterministic ? "nondeterministic: a second run had another hash" : r->run.message);
  fprintf(f, "\">hash %s; replay: crashlab run ", r->run.hash);
  xml_text(f, file);
  fprintf(f, " --seed %" PRIu64, r->seed);
  xml_text(f, options);
  fprintf(f, "</%s>\n    </testcase>\n", tag);
}

/* ---- Arguments --------------------------------------------------------------------------- */

typedef struct sweep_opts {
  const char *file;
  uint64_t first, last;     /* the whole range */
  uint64_t shard_k, shard_n; /* 1/1 when not sharded */
  unsigned jobs;
  const char *json_path, *junit_path;
  const char *pass[16];     /* options handed to every worker */
  int pass_count;
  char options[512];        /* the same as text, for replay commands */
} sweep_opts;


/* A text for %s that may be missing. */
static const char *or_empty(const char *s) { return s ? s : ""; }

static int parse_decimal(const char *s, size_t len, uint64_t *out) {
  if (len == 0 || len > 19) return -1;
  uint64_t v = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (uint64_t)(s[i] - '0');
  }
  *out = v;
  return 0;
}

static int parse_seeds(const char *text, sweep_opts *o) {
  const char *dots = text ? strstr(text, "..") : NULL;
  if (!dots || parse_decimal(text, (size_t)(dots - text), &o->first) ||
      parse_decimal(dots + 2, strlen(dots + 2), &o->last))
    return scn_cli_fail("--seeds needs a range A..B of seed numbers, such as 1..1000, got '%s'", or_empty(text));
  if (o->last < o->first)
    return scn_cli_fail("--seeds %s: the range is empty (B is smaller than A)", text);
  if (o->last - o->first >= SWEEP_SEEDS_MAX)
    return scn_cli_fail("--seeds %s: more than 10000000 seeds in one sweep (split it with --shard "
                       "or into several ranges)", or_empty(text));
  return 0;
}

static int parse_shard(const char *text, sweep_opts *o) {
  const char *slash = text ? strchr(text, '/') : NULL;
  if (!slash || parse_decimal(text, (size_t)(slash - text), &o->shard_k) ||
      parse_decimal(slash + 1, strlen(slash + 1), &o->shard_n) || o->shard_k < 1 ||
      o->shard_n < 1 || o->shard_k > o->shard_n)
    return scn_cli_fail("--shard needs K/N with 1 <= K <= N (the K-th of N slices), got '%s'", or_empty(text));
  return 0;
}

bool scn_sweep_wanted(int argc, char **argv) {
  for (int i = 2; i < argc; i++)
    if (strcmp(argv[i], "--seeds") == 0 || strcmp(argv[i], "--jobs") == 0 ||
        strcmp(argv[i], "--shard") == 0 || strcmp(argv[i], "--json") == 0 ||
        strcmp(argv[i], "--junit") == 0)
      return true;
  return false;
}

static int add_pass(sweep_opts *o, const char *a, const char *v) {
  if (o->pass_count + 2 > (int)(sizeof o->pass / sizeof o->pass[0])) return -1;
  o->pass[o->pass_count++] = a;
  size_t len = strlen(o->options);
  snprintf(o->options + len, sizeof o->options - len, " %s", a);
  if (v) {
    o->pass[o->pass_count++] = v;
    len = strlen(o->options);
    snprintf(o->options + len, sizeof o->options - len, " %s", v);
  }
  return 0;
}

static int parse_args(int argc, char **argv, sweep_opts *o) {
  memset(o, 0, sizeof *o);
  o->shard_k = o->shard_n = 1;
  o->jobs = scn_default_jobs();
  bool have_seeds = false;
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--seeds") == 0) {
      if (parse_seeds(v, o)) return -1;
      have_seeds = true;
      i++;
    } else if (strcmp(a, "--jobs") == 0) {
      uint64_t n;
      if (!v || parse_decimal(v, strlen(v), &n) || n < 1 || n > SCN_JOBS_MAX)
        return scn_cli_fail("--jobs needs a number of worker processes from 1 to %u, got '%s'", SCN_JOBS_MAX,
                            or_empty(v));
      o->jobs = (unsigned)n;
      i++;
    } else if (strcmp(a, "--shard") == 0) {
      if (parse_shard(v, o)) return -1;
      i++;
    } else if (strcmp(a, "--json") == 0 || strcmp(a, "--junit") == 0) {
      if (!v || !*v) return scn_cli_fail("%s needs a file name", a);
      *(a[3] == 's' ? &o->json_path : &o->junit_path) = v;
      i++;
    } else if (scn_child_run_option(a) == 1 || strcmp(a, "--faults") == 0) {
      if (!v) return scn_cli_fail("%s needs a value", a);
      if (add_pass(o, a, v)) return scn_cli_fail("too many options%s", "");
      i++;
    } else if (scn_child_run_option(a) == 0) {
      if (add_pass(o, a, NULL)) return scn_cli_fail("too many options%s", "");
    } else if (strcmp(a, "--seed") == 0 || strcmp(a, "--trace") == 0 || strcmp(a, "--viz") == 0 ||
               strcmp(a, "--viz-script") == 0 || strcmp(a, "--check-determinism") == 0 ||
               strcmp(a, "--stats") == 0) {
      return scn_cli_fail("%s cannot be combined with --seeds (a sweep runs many seeds: replay "
                         "one with crashlab run FILE --seed N)", a);
    } else if (strcmp(a, "--quiet") == 0) {
      /* a sweep's workers are quiet anyway */
    } else if (a[0] == '-') {
      return scn_cli_fail("unknown option '%s' (crashlab run --help)", a);
    } else if (!o->file) {
      o->file = a;
    } else {
      return scn_cli_fail("unexpected argument '%s'", a);
    }
  }
  if (!o->file) return scn_cli_fail("run needs a scenario file (crashlab run FILE.lua --seeds A..B)%s", "");
  if (!have_seeds) return scn_cli_fail("--jobs, --shard, --json and --junit need --seeds A..B%s", "");
  if (o->shard_n > o->last - o->first + 1)
    return scn_cli_fail("--shard: more slices than seeds in the range%s", "");
  if (access(o->file, R_OK) != 0) {
    fprintf(stderr, "crashlab: %s: cannot open: %s\n", o->file, strerror(errno));
    return -1;
  }
  return 0;
}

/* ---- Workers ----------------------------------------------------------------------------- */

/* What a child of the sweep runs; children[i] and workers[i] go together. */
typedef struct worker {
  uint64_t seed;
  bool rerun;
} worker;

static int worker_start(scn_child *child, worker *wk, const sweep_opts *o, uint64_t seed, bool rerun) {
  char seed_text[24];
  snprintf(seed_text, sizeof seed_text, "%" PRIu64, seed);
  char *args[32] = {"crashlab", "run", (char *)o->file, "--seed", seed_text, "--quiet"};
  int n = 6;
  for (int i = 0; i < o->pass_count; i++) args[n++] = (char *)o->pass[i];
  args[n] = NULL;
  if (scn_child_start(child, args) != 0) return -1;
  wk->seed = seed;
  wk->rerun = rerun;
  return 0;
}

/* ---- The sweep --------------------------------------------------------------------------- */

static volatile sig_atomic_t sweep_signal;
static void on_sweep_signal(int sig) { sweep_signal = sig; }

typedef struct sweep {
  const sweep_opts *o;
  uint64_t lo, hi;          /* this shard's seeds */
  uint64_t next_seed;       /* next seed to start */
  uint64_t next_emit;       /* next seed to emit, in order */
  uint64_t *reruns;         /* failing seeds waiting for their second run */
  uint32_t rerun_count, rerun_cap;
  seed_result *pending;     /* finished, not yet emitted */
  uint32_t pending_count, pending_cap;
  scn_child *children;      /* jobs slots */
  worker *workers;          /* what each slot runs */
  unsigned active;
  summary sum;
  sim_outfile json_out;  /* --json FILE, written to the end (outfile.h) */
  char note[1024];        /* the smallest seed's "crashlab: note: ..." line (scn_child_note) ... */
  uint64_t note_seed, note_count; /* ... that seed, and how many seeds printed one */
  FILE *json, *junit_body;
  bool json_first;
  bool tty;
  double start_s, drawn_s;
  uint64_t done, fails;
} sweep;

static seed_result *pending_find(sweep *s, uint64_t seed) {
  for (uint32_t i = 0; i < s->pending_count; i++)
    if (s->pending[i].seed == seed) return &s->pending[i];
  return NULL;
}

static void progress(sweep *s, bool force) {
  double t = scn_child_now_s();
  if (!s->tty || (!force && t - s->drawn_s < 0.1)) return;
  s->drawn_s = t;
  uint64_t total = s->hi - s->lo + 1;
  double rate = t > s->start_s ? (double)s->done / (t - s->start_s) : 0;
  double eta = rate > 0 ? (double)(total - s->done) / rate : 0;
  char bar[31];
  size_t filled = (size_t)(30 * s->done / total);
  for (size_t i = 0; i < 30; i++) bar[i] = i < filled ? '#' : '.';
  bar[30] = 0;
  char eta_text[32] = "?"; /* nothing done yet: no rate to tell from */
  if (s->done) snprintf(eta_text, sizeof eta_text, "%.0fs", eta);
  fprintf(stderr, "\r\033[K[%s] %" PRIu64 "/%" PRIu64 " passed %" PRIu64 " failed %" PRIu64
                  " %.1f seeds/s ETA %s",
          bar, s->done, total, s->done - s->fails, s->fails, rate, eta_text);
  fflush(stderr);
}

static void emit(sweep *s, const seed_result *r) {
  const sweep_opts *o = s->o;
  bool failed = r->run.verdict != V_PASS || r->nondeterministic;
  s->done++;
  if (failed) s->fails++;
  if (!s->tty) {
    fprintf(stderr, "seed %" PRIu64 " %s", r->seed, failed ? (r->run.verdict == V_ERROR ? "ERROR" : "FAIL") : "PASS");
    if (r->run.message[0]) fprintf(stderr, " %s", r->run.message);
    if (r->nondeterministic) fprintf(stderr, " (nondeterministic: hash %s, then %s)", r->run.hash, r->rerun_hash);
    fputc('\n', stderr);
  }
  if (s->json) {
    json_record(s->json, s->json_first, r, o->file, o->options, o->first, o->last);
    s->json_first = false;
  }
  if (s->junit_body) junit_case(s->junit_body, r, o->file, o->options);
  summary_add(&s->sum, r);
  progress(s, false);
}

/* Emits the finished results that come next in seed order. */
static void emit_ready(sweep *s) {
  seed_result *r;
  while ((r = pending_find(s, s->next_emit)) && r->complete) {
    seed_result copy = *r;
    *r = s->pending[--s->pending_count];
    emit(s, &copy);
    s->next_emit++;
  }
}

static int finish_worker(sweep *s, scn_child *child, const worker *wk) {
  seed_result r;
  memset(&r, 0, sizeof r);
  int status = scn_child_finish(child, &r.run);
  r.seed = wk->seed;
  s->active--;
  char note[sizeof s->note];
  if (!wk->rerun && scn_child_note(child, note, sizeof note) && (s->note_count++ == 0 || wk->seed < s->note_seed)) {
    memcpy(s->note, note, sizeof note);
    s->note_seed = wk->seed;
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 130 && !sweep_signal) sweep_signal = SIGINT;
  if (wk->rerun) {
    seed_result *first = pending_find(s, wk->seed);
    if (!first) return 0;
    snprintf(first->rerun_hash, sizeof first->rerun_hash, "%s", r.run.hash);
    /* A scenario error has no hash: the same error message twice is a reproduction. */
    first->nondeterministic = r.run.verdict != first->run.verdict ||
                              (r.run.verdict == V_ERROR ? strcmp(r.run.message, first->run.message) != 0
                                                        : strcmp(first->run.hash, r.run.hash) != 0);
    first->complete = true;
  } else {
    r.complete = r.run.verdict == V_PASS;
    if (ac_grow((void **)&s->pending, &s->pending_cap, s->pending_count + 1, sizeof *s->pending)) return -1;
    s->pending[s->pending_count++] = r;
    if (!r.complete) {
      if (ac_grow((void **)&s->reruns, &s->rerun_cap, s->rerun_count + 1, sizeof *s->reruns)) return -1;
      s->reruns[s->rerun_count++] = r.seed;
    }
  }
  emit_ready(s);
  return 0;
}

/* Starts workers while there is work and a free slot; reruns first. */
static int fill(sweep *s) {
  for (unsigned i = 0; i < s->o->jobs && !sweep_signal; i++) {
    worker *wk = &s->workers[i];
    if (s->children[i].pid) continue;
    bool rerun = s->rerun_count > 0;
    if (!rerun && s->next_seed > s->hi) break;
    uint64_t seed = rerun ? s->reruns[--s->rerun_count] : s->next_seed++;
    if (worker_start(&s->children[i], wk, s->o, seed, rerun) != 0) {
      fprintf(stderr, "crashlab: cannot start a worker process: %s\n", strerror(errno));
      return -1;
    }
    s->active++;
  }
  return 0;
}

static int drain(sweep *s) {
  unsigned jobs = s->o->jobs;
  if (scn_child_poll(s->children, jobs, s->tty ? 200 : -1) != 0) return -1;
  for (unsigned i = 0; i < jobs; i++)
    if (scn_child_ended(&s->children[i]) && finish_worker(s, &s->children[i], &s->workers[i]) != 0)
      return -1;
  progress(s, false);
  return 0;
}

/* Writes the JUnit file (through sim_outfile: no half-written file under its name). */
static int write_junit(const sweep *s, const char *path, FILE *body) {
  sim_outfile out;
  if (sim_outfile_open(&out, path) != 0) {
    fprintf(stderr, "crashlab: --junit %s: cannot write: %s\n", path, strerror(errno));
    return -1;
  }
  FILE *f = out.file;
  const char *base = strrchr(s->o->file, '/');
  base = base ? base + 1 : s->o->file;
  fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"");
  xml_text(f, base);
  fprintf(f, "\" tests=\"%" PRIu64 "\" failures=\"%" PRIu64 "\" errors=\"%" PRIu64 "\" time=\"%.3f\">\n",
          s->sum.total, s->sum.failed - s->sum.errors, s->sum.errors, scn_child_now_s() - s->start_s);
  rewind(body);
  char chunk[8192];
  size_t got;
  while ((got = fread(chunk, 1, sizeof chunk, body)) > 0) fwrite(chunk, 1, got, f);
  fputs("  </testsuite>\n</testsuites>\n", f);
  if (sim_outfile_close(&out, true) != 0) {
    fprintf(stderr, "crashlab: --junit %s: cannot write: %s\n", path, strerror(errno));
    return -1;
  }
  return 0;
}

static int finish_json(sim_outfile *out, bool empty, const char *path) {
  fputs(empty ? "[\n]\n" : "\n]\n", out->file);
  if (sim_outfile_close(out, true) != 0) {
    fprintf(stderr, "crashlab: --json %s: cannot write: %s\n", path, strerror(errno));
    return -1;
  }
  return 0;
}

int scn_sweep_main(int argc, char **argv) {
  sweep_opts o;
  if (parse_args(argc, argv, &o)) return 2;
  sweep s = {0};
  s.o = &o;
  uint64_t count = o.last - o.first + 1;
  s.lo = o.first + count * (o.shard_k - 1) / o.shard_n;
  s.hi = o.first + count * o.shard_k / o.shard_n - 1;
  s.next_seed = s.next_emit = s.lo;
  s.sum.file = o.file;
  snprintf(s.sum.options, sizeof s.sum.options, "%s", o.options);
  s.tty = isatty(STDERR_FILENO);
  s.json_first = true;
  if (o.json_path) {
    if (sim_outfile_open(&s.json_out, o.json_path) != 0) {
      fprintf(stderr, "crashlab: --json %s: cannot write: %s\n", o.json_path, strerror(errno));
      return 2;
    }
    s.json = s.json_out.file;
  }
  if (o.junit_path && !(s.junit_body = tmpfile())) {
    fprintf(stderr, "crashlab: --junit %s: cannot make a temporary file: %s\n", o.junit_path, strerror(errno));
    sim_outfile_close(&s.json_out, false);
    return 2;
  }
  s.workers = calloc(o.jobs, sizeof *s.workers);
  s.children = calloc(o.jobs, sizeof *s.children);
  struct sigaction sa = {0}, old_int, old_term;
  sa.sa_handler = on_sweep_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  s.start_s = scn_child_now_s();
  int rc = s.workers && s.children ? 0 : -1;
  while (rc == 0) {
    if (fill(&s) != 0) rc = -1;
    if (s.active == 0) break;
    if (drain(&s) != 0) rc = -1;
  }
  while (s.active) drain(&s); /* after an error or a signal: let running seeds end */
  double wall = scn_child_now_s() - s.start_s;
  if (s.tty) fputs("\r\033[K", stderr);
  sigaction(SIGINT, &old_int, NULL);
  sigaction(SIGTERM, &old_term, NULL);
  int status;
  if (sweep_signal || rc != 0) {
    if (sweep_signal) fprintf(stderr, "crashlab: sweep interrupted after %" PRIu64 " seeds\n", s.done);
    sim_outfile_close(&s.json_out, false);
    status = sweep_signal ? 130 : 2;
  } else {
    status = s.sum.failed ? 1 : 0;
    if (s.json && finish_json(&s.json_out, s.json_first, o.json_path) != 0) status = 2;
    if (s.junit_body && write_junit(&s, o.junit_path, s.junit_body) != 0) status = 2;
    summary_print(&s.sum, stdout);
    fflush(stdout);
    if (s.note_count == 1)
      fprintf(stderr, "crashlab: note: seed %" PRIu64 ": %s\n", s.note_seed, s.note);
    else if (s.note_count > 1)
      fprintf(stderr, "crashlab: note: %" PRIu64 " seeds printed a note; the smallest, seed %" PRIu64 ": %s\n",
              s.note_count, s.note_seed, s.note);
    fprintf(stderr, "%" PRIu64 " seeds in %.2fs: %.1f seeds/s on %u job%s%s\n", s.done, wall,
            wall > 0 ? (double)s.done / wall : 0.0, o.jobs, o.jobs == 1 ? "" : "s",
            o.shard_n > 1 ? " (one shard)" : "");
    if (o.shard_n > 1)
      fprintf(stderr, "shard %" PRIu64 "/%" PRIu64 ": seeds %" PRIu64 "..%" PRIu64 " of %" PRIu64
                      "..%" PRIu64 "\n", o.shard_k, o.shard_n, s.lo, s.hi, o.first, o.last);
  }
  if (s.junit_body) fclose(s.junit_body);
  for (unsigned i = 0; s.children && i < o.jobs; i++) scn_child_free(&s.children[i]);
  free(s.children);
  free(s.workers);
  free(s.pending);
  free(s.reruns);
  summary_free(&s.sum);
  return status;
}

/* ---- crashlab report --------------------------------------------------------------------- */

void scn_sweep_usage(FILE *out) {
  fprintf(out,
          "\n"
          "sweep options (crashlab run FILE.lua --seeds A..B ...; docs/sweeps.md):\n"
          "  --seeds A..B          run every seed from A to B (at most 10000000) in worker\n"
          "                        processes; failing seeds are run twice (nondeterminism check)\n"
          "  --jobs N              worker processes (default: one per core)\n"
          "  --shard K/N           run only the K-th of N equal slices of the range\n"
          "  --json FILE           one JSON object per seed (crashlab report merges such files)\n"
          "  --junit FILE          JUnit XML, one testcase per seed\n"
          "A sweep prints a summary that groups failures by signature, with the smallest seed of\n"
          "each group and the command that replays it. Exit status 1 if any seed failed.\n");
}

void scn_report_usage(FILE *out) {
  fprintf(out,
          "usage: crashlab report SHARD.json...\n"
          "\n"
          "Merges the JSON files of sweeps (crashlab run FILE --seeds A..B --shard K/N --json F)\n"
          "and prints the summary one sweep of the whole range prints. Exit status: 0 every seed\n"
          "of the range ran and passed, 1 a seed failed, 2 the merge is incomplete (seeds of the\n"
          "range were not run: a shard missing; the summary is printed, and one line on stderr\n"
          "says how many seeds ran), or a file is missing, damaged, overlaps another or is of\n"
          "another sweep.\n");
}

/* The JSON value of "key" in one record line: a string (unescaped into out) or a bare word
 * (number, true, false). 0 when found. Only this file's own output is read. */
static int json_get(const char *line, const char *key, char *out, size_t cap) {
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\": ", key);
  const char *p = strstr(line, pat);
  if (!p) return -1;
  p += strlen(pat);
  size_t o = 0;
  if (*p != '"') {
    size_t n = strcspn(p, ",}");
    snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), p);
    return 0;
  }
  for (p++; *p && *p != '"'; p++) {
    char c = *p;
    if (c == '\\') {
      p++;
      if (*p == 'n') c = '\n';
      else if (*p == 'u') {
        unsigned v = 0;
        if (sscanf(p + 1, "%4x", &v) != 1) return -1;
        c = (char)v;
        p += 4;
      } else if (*p) c = *p;
      else return -1;
    }
    if (o + 1 < cap) out[o++] = c;
  }
  if (*p != '"') return -1;
  out[o] = 0;
  return 0;
}

static int parse_record(const char *line, seed_result *r, char *file, size_t file_cap, char *options,
                        size_t options_cap, char *range, size_t range_cap) {
  memset(r, 0, sizeof *r);
  if (json_get(line, "range", range, range_cap)) range[0] = '\0'; /* files of an older crashlab */
  char seed[32], verdict[16], events[32], nondet[8];
  if (json_get(line, "seed", seed, sizeof seed) || json_get(line, "verdict", verdict, sizeof verdict) ||
      json_get(line, "message", r->run.message, sizeof r->run.message) ||
      json_get(line, "property", r->run.property, sizeof r->run.property) ||
      json_get(line, "hash", r->run.hash, sizeof r->run.hash) || json_get(line, "events", events, sizeof events) ||
      json_get(line, "nondeterministic", nondet, sizeof nondet) ||
      json_get(line, "rerun_hash", r->rerun_hash, sizeof r->rerun_hash) ||
      json_get(line, "file", file, file_cap) || json_get(line, "options", options, options_cap) ||
      parse_decimal(seed, strlen(seed), &r->seed))
    return -1;
  r->run.verdict = strcmp(verdict, "pass") == 0 ? V_PASS : strcmp(verdict, "fail") == 0 ? V_FAIL
             : strcmp(verdict, "error") == 0 ? V_ERROR : -1;
  if (r->run.verdict < 0) return -1;
  r->run.events = strtoull(events, NULL, 10);
  r->nondeterministic = strcmp(nondet, "true") == 0;
  return 0;
}

static int seed_order(const void *pa, const void *pb) {
  uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
  return a < b ? -1 : a > b;
}

int scn_report_main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "crashlab: report needs one or more JSON files written by crashlab run --seeds "
                    "... --json FILE (crashlab report SHARD.json...)\n");
    return 2;
  }
  summary sum = {0};
  static char file[4096], options[512], range[64];
  uint64_t *seeds = NULL;
  uint32_t seed_count = 0, seed_cap = 0;
  int status = 0;
  char *line = NULL;
  size_t line_cap = 0;
  seed_result *r = malloc(sizeof *r);
  for (int i = 2; i < argc && status == 0 && r; i++) {
    FILE *f = fopen(argv[i], "r");
    if (!f) {
      fprintf(stderr, "crashlab: %s: cannot open: %s\n", argv[i], strerror(errno));
      status = 2;
      break;
    }
    ssize_t len;
    unsigned lineno = 0;
    bool opened = false, closed = false;
    while ((len = getline(&line, &line_cap, f)) >= 0) {
      lineno++;
      if (lineno == 1 && strcmp(line, "[\n") == 0) {
        opened = true;
        continue;
      }
      if (strcmp(line, "]\n") == 0) {
        closed = true;
        continue;
      }
      char this_file[4096], this_options[512], this_range[64];
      if (!opened || closed || line[0] == '\n' ||
          parse_record(line + (line[0] == ',' ? 1 : 0), r, this_file, sizeof this_file, this_options,
                       sizeof this_options, this_range, sizeof this_range) != 0) {
        fprintf(stderr, "crashlab: %s:%u: not a seed record of crashlab run --seeds --json\n", argv[i], lineno);
        status = 2;
        break;
      }
      if (!file[0]) {
        snprintf(file, sizeof file, "%s", this_file);
        snprintf(options, sizeof options, "%s", this_options);
        snprintf(range, sizeof range, "%s", this_range);
      } else if (strcmp(file, this_file) != 0 || strcmp(options, this_options) != 0 ||
                 strcmp(range, this_range) != 0) {
        fprintf(stderr, "crashlab: %s:%u: a sweep of %s%s%s%s, not of %s%s%s%s: report merges the shards of "
                        "one sweep\n", argv[i], lineno, this_file, this_options, this_range[0] ? ", seeds " : "",
                this_range, file, options, range[0] ? ", seeds " : "", range);
        status = 2;
        break;
      }
      if (ac_grow((void **)&seeds, &seed_cap, seed_count + 1, sizeof *seeds)) {
        status = 2;
        break;
      }
      seeds[seed_count++] = r->seed;
      sum.file = file;
      if (summary_add(&sum, r) != 0) status = 2;
    }
    if (status == 0 && (!opened || !closed)) {
      fprintf(stderr, "crashlab: %s: %s\n", argv[i],
              opened ? "incomplete (no closing ']'): was the sweep interrupted?"
                     : "empty or not a JSON file of crashlab run --seeds --json");
      status = 2;
    }
    fclose(f);
  }
  if (!r) status = 2;
  if (status == 0 && seed_count) {
    qsort(seeds, seed_count, sizeof *seeds, seed_order);
    for (size_t i = 1; i < seed_count; i++)
      if (seeds[i] == seeds[i - 1]) {
        fprintf(stderr, "crashlab: seed %" PRIu64 " appears twice: the files overlap (the same shard "
                        "given twice?)\n", seeds[i]);
        status = 2;
        break;
      }
  }
  if (status == 0) {
    if (!sum.file) sum.file = "(no seeds)";
    snprintf(sum.options, sizeof sum.options, "%s", options);
    /* nondeterministic seeds in seed order, as a sweep lists them */
    for (uint32_t i = 1; i < sum.nondet_count; i++)
      for (uint32_t j = i; j > 0 && sum.nondet[j] < sum.nondet[j - 1]; j--) {
        uint64_t t = sum.nondet[j];
        sum.nondet[j] = sum.nondet[j - 1];
        sum.nondet[j - 1] = t;
        char h[34];
        memcpy(h, sum.nondet_hashes[j], sizeof h);
        memcpy(sum.nondet_hashes[j], sum.nondet_hashes[j - 1], sizeof h);
        memcpy(sum.nondet_hashes[j - 1], h, sizeof h);
      }
    /* The range the sweep was asked for (older files: the seeds seen), and how much of it ran. */
    uint64_t first = sum.first, last = sum.last;
    const char *dots = strstr(range, "..");
    if (dots && parse_decimal(range, (size_t)(dots - range), &first) == 0 &&
        parse_decimal(dots + 2, strlen(dots + 2), &last) == 0 && first <= last) {
      sum.first = first; /* the summary's note counts the seeds not run against it */
      sum.last = last;
    }
    summary_print(&sum, stdout);
    status = sum.failed ? 1 : 0;
    uint64_t want = sum.last - sum.first + 1;
    if (sum.total && sum.total != want) {
      fflush(stdout);
      fprintf(stderr, "crashlab: report: incomplete: %" PRIu64 " of the %" PRIu64 " seeds %" PRIu64 "..%" PRIu64
                      " were run (a shard missing?); the summary counts only those, exit 2\n",
              sum.total, want, sum.first, sum.last);
      status = 2;
    }
  }
  free(r);
  free(line);
  free(seeds);
  summary_free(&sum);
  return status;
}
