/*
 * The `crashlab` command line.
 *
 *   crashlab run FILE.lua [--seed N] [--trace FILE] [--quiet] [--check-determinism]
 *                         [--max-time T] [--unsafe] [--stats] [--trace-limit SIZE]
 *                         [--crashes=fail|count]
 *   crashlab demo NAME [--seed N] [--trace FILE] [--quiet] [--check-determinism] [--n N] [--m M]
 *   crashlab demo --list
 *   crashlab trace FILE          print a trace file readably and verify its hash
 *   crashlab --help | --version
 *
 * A demo prints its trace as readable lines (unless --quiet), then exactly one verdict line:
 *   PASS demo=NAME seed=N events=E sim_time=T hash=H
 * Exit status: 0 pass, 1 the demo's check failed, 2 usage or input error (or the trace passed
 * --trace-limit), 130 interrupted by SIGINT/SIGTERM (the trace is complete up to there).
 * --check-determinism runs the same command twice more in separate OS processes (so address
 * layouts differ) and compares their hashes with this one.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app.h"
#include "child.h"
#include "demos.h"
#include "runner.h"
#include "replay.h"
#include "shrink.h"
#include "sweep.h"

#define EXIT_PASS 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2

static void usage(FILE *out) {
  fprintf(out,
          "crashlab %s: deterministic fault-injection simulator for Erlang-style systems\n"
          "\n"
          "usage:\n"
          "  crashlab run FILE.lua [options]  run a scenario\n"
          "  crashlab demo NAME [options]   run a built-in demo system\n"
          "  crashlab demo --list           list the demos\n"
          "  crashlab trace FILE [filters]  print a trace file and verify it\n"
          "  crashlab trace FILE --plan     its faults as a plan file (run FILE --faults PLAN)\n"
          "  crashlab run FILE --seeds A..B sweep seeds in worker processes (run --help)\n"
          "  crashlab report SHARD.json...  merge the JSON files of sweep shards\n"
          "  crashlab replay TRACE          re-run a trace's scenario and seed, check its hash\n"
          "  crashlab diff A.trace B.trace  the first record where two traces differ\n"
          "  crashlab shrink FILE --seed N  cut a failing run down to the faults that matter\n"
          "  crashlab viz TRACE [options]   watch a trace; --png, --perfetto, --dot exports\n"
          "                                 (crashlab viz --help)\n"
          "  crashlab --help | --version\n"
          "\n"
          "Each command's options: crashlab COMMAND --help (run, demo, trace, viz, ...).\n"
          "\n"
          "The last line is 'PASS|FAIL scenario=NAME seed=N events=E sim_time=T hash=H'\n"
          "(demo=NAME for demos). Exit status: 0 pass (or an expected failure seen),\n"
          "1 a property or check failed, 2 a usage or scenario error (or the trace limit),\n"
          "130 interrupted by SIGINT or SIGTERM (the verdict line then says INTERRUPTED and\n"
          "the trace is complete up to the interruption).\n",
          CRASHLAB_VERSION);
}

/* Each subcommand's own help: `crashlab run --help`, `crashlab demo --help`,
 * `crashlab trace --help` (`crashlab viz --help` is viz/app.c's). */
static void run_usage(FILE *out) {
  fprintf(out,
          "usage: crashlab run FILE.lua [options]\n"
          "\n"
          "Runs a scenario for one seed and prints its report; the last line is the verdict,\n"
          "'PASS|FAIL scenario=NAME seed=N events=E sim_time=T hash=H'.\n"
          "\n"
          "options:\n"
          "  --seed N              the seed (default: the scenario's, else 1)\n"
          "  --trace FILE          write the binary trace to FILE\n"
          "  --quiet               print only the verdict (and a failure's report)\n"
          "  --check-determinism   also run twice in separate processes and compare hashes\n"
          "  --max-time T          cap on virtual time, e.g. 10s, 5m (default 1h)\n"
          "  --unsafe              full Lua standard library (no sandbox)\n"
          "  --stats               print wall time, speed (virtual/wall) and peak memory\n"
          "  --viz                 watch the run live in the visualiser's window\n"
          "  --viz-script FILE     --viz, the window driven by a script file (tests)\n"
          "  --trace-limit SIZE    end the run (exit 2) when the trace passes SIZE bytes\n"
          "                        (500K, 200M, 1G; default 1G); the trace stays complete\n"
          "  --crashes=fail|count  fail the run when a process crashes with a Lua error of the\n"
          "                        scenario's code, or only count such crashes (the default)\n"
          "  --faults PLAN         make the faults of a plan file instead of the scenario's own\n"
          "                        (crashlab trace TRACE --plan writes one; docs/sweeps.md)\n"
          "\n"
          "On a terminal, a run that takes more than a second shows a status line on stderr\n"
          "(virtual time, events, speed), erased before the verdict.\n"
          "Exit status: 0 pass (or an expected failure seen), 1 a property failed, 2 a usage or\n"
          "scenario error, 130 interrupted. The scenario API: docs/scenario-api.md.\n");
}

static void demo_usage(FILE *out) {
  fprintf(out,
          "usage: crashlab demo NAME [options]\n"
          "       crashlab demo --list\n"
          "\n"
          "Runs a built-in demo system (written in C) and prints its trace readably, then one\n"
          "line 'PASS|FAIL demo=NAME seed=N events=E sim_time=T hash=H'.\n"
          "\n"
          "options:\n"
          "  --list                list the demos and their parameters\n"
          "  --seed N              the run's seed (default 1); same seed, same run\n"
          "  --trace FILE          write the binary trace to FILE\n"
          "  --quiet               print only the verdict line\n"
          "  --check-determinism   also run twice in separate processes and compare hashes\n"
          "  --n N, --m M          the demo's size parameters (see --list)\n"
          "  --trace-limit SIZE    end the run (exit 2) when the trace passes SIZE bytes\n");
}

static void trace_usage(FILE *out) {
  fprintf(out,
          "usage: crashlab trace FILE [filters]\n"
          "\n"
          "Prints a trace file written with --trace, one record per line, and verifies its\n"
          "record count and hash: the last line says '# N records, hash=H verified'. A damaged\n"
          "file prints every good record, then one error naming the byte offset (exit 2).\n"
          "To watch a trace: crashlab viz FILE (crashlab viz --help).\n");
}

static int parse_u64(const char *opt, const char *text, uint64_t *out) {
  char *end;
  errno = 0;
  if (!text || !*text) goto bad;
  for (const char *c = text; *c; c++)
    if (*c < '0' || *c > '9') goto bad; /* decimal digits only: no sign, space, octal or hex */
  unsigned long long v = strtoull(text, &end, 10);
  if (errno == ERANGE) {
    fprintf(stderr, "crashlab: %s %s is out of range (0 to %" PRIu64 ")\n", opt, text, UINT64_MAX);
    return -1;
  }
  if (errno || *end) goto bad;
  *out = v;
  return 0;
bad:
  fprintf(stderr, "crashlab: %s needs a non-negative integer, got '%s'\n", opt, text ? text : "");
  return -1;
}

#define TRACE_LIMIT_DEFAULT (UINT64_C(1) << 30)
#define EXIT_INTERRUPTED 130

/* A byte count: digits, optionally followed by K, M or G (powers of 1024). */
static int parse_size(const char *opt, const char *text, uint64_t *out) {
  char *end;
  errno = 0;
  if (!text || *text < '0' || *text > '9') goto bad;
  unsigned long long v = strtoull(text, &end, 10);
  unsigned shift = 0;
  if (*end == 'K') shift = 10;
  else if (*end == 'M') shift = 20;
  else if (*end == 'G') shift = 30;
  if (errno || (shift && end[1]) || (!shift && *end) || v == 0 || v > (UINT64_MAX >> shift)) goto bad;
  *out = (uint64_t)v << shift;
  return 0;
bad:
  fprintf(stderr, "crashlab: %s needs a size in bytes, such as 500K, 200M or 1G, got '%s'\n", opt,
          text ? text : "");
  return -1;
}

/* The options of `run` and `demo`, read by one parser (parse_options). Most are common; an
 * option of one command is unknown to the other. */
enum { CMD_RUN = 1, CMD_DEMO = 2 };
typedef struct cli_opts {
  const char *target;         /* run: the scenario file; demo: the demo's name */
  uint64_t seed;              /* used when seed_given (a demo's default is 1) */
  bool seed_given;
  const char *trace_path;     /* --trace, or NULL */
  uint64_t trace_limit;       /* --trace-limit in bytes (TRACE_LIMIT_DEFAULT) */
  bool quiet;
  bool check_determinism;
  uint64_t max_time_ns;       /* run: --max-time (0: none) */
  bool unsafe, stats, viz;    /* run: --unsafe, --stats, --viz (also set by --viz-script) */
  const char *viz_script;     /* run: --viz-script, or NULL */
  const char *faults_path;    /* run: --faults, a fault plan, or NULL */
  int crashes;                /* run: --crashes, SCN_CRASHES_* */
  uint64_t n, m;              /* demo: --n, --m (0: the demo's default) */
  bool list;                  /* demo: --list */
} cli_opts;

/* Runs `argv` (this program, with --quiet) as a child and takes the hash of its verdict line. */
static int run_child_hash(char **argv, char *hash, size_t cap) {
  scn_child c = {.out_fd = -1, .err_fd = -1};
  scn_child_result r;
  int rc = scn_child_run(&c, argv, &r);
  scn_child_free(&c);
  if (rc != 0 || !r.hash[0]) return -1;
  snprintf(hash, cap, "%s", r.hash);
  return 0;
}

/* Runs argv twice more as separate OS processes and compares their hashes with `hash`. */
static int check_hashes(char **argv, const char *hash) {
  char h1[32], h2[32];
  if (run_child_hash(argv, h1, sizeof h1) || run_child_hash(argv, h2, sizeof h2)) {
    fprintf(stderr, "crashlab: could not run the determinism check's child processes\n");
    return -1;
  }
  int same = strcmp(h1, hash) == 0 && strcmp(h2, hash) == 0;
  printf("determinism: %s (hashes %s %s %s in 3 OS processes)\n", same ? "OK" : "MISMATCH",
         hash, h1, h2);
  return same ? 0 : 1;
}

static int check_determinism(const cli_opts *o, const char *hash) {
  char seed[32], n[32], m[32];
  snprintf(seed, sizeof seed, "%" PRIu64, o->seed);
  snprintf(n, sizeof n, "%" PRIu64, o->n);
  snprintf(m, sizeof m, "%" PRIu64, o->m);
  char *argv[] = {"crashlab", "demo", (char *)o->target, "--seed", seed, "--n", n, "--m", m,
                  "--quiet", NULL};
  return check_hashes(argv, hash);
}

static void print_record(const sim_record *rec, void *arg) {
  (void)arg;
  char line[1280];
  sim_format_record(rec, line, sizeof line);
  puts(line);
}

static int cmd_demo(const cli_opts *o) {
  const scn_demo *demo = scn_demo_find(o->target);
  if (!demo) {
    fprintf(stderr, "crashlab: unknown demo '%s' (crashlab demo --list shows them)\n", o->target);
    return EXIT_USAGE;
  }
  sim_config cfg = {o->seed, demo->name, o->trace_path, -1, o->trace_limit};
  sim_world *w;
  int rc = sim_world_create(&w, &cfg);
  if (rc) {
    int err = errno;
    if (rc == AC_EIO && o->trace_path)
      fprintf(stderr, "crashlab: cannot write the trace %s: %s\n", o->trace_path, strerror(err));
    else
      fprintf(stderr, "crashlab: cannot start the run: %s\n", ac_strerror(rc));
    return EXIT_USAGE;
  }
  /* The readable trace is printed as it happens, from the same records the trace file gets. */
  if (!o->quiet) sim_set_event_hook(w, print_record, NULL);
  scn_demo_params params = {(uint32_t)o->n, (uint32_t)o->m};
  scn_demo_run *run;
  rc = scn_demo_open(&run, demo, w, &params);
  if (rc) {
    fprintf(stderr, "crashlab: demo %s: setup failed: %s\n", demo->name, ac_strerror(rc));
    sim_world_destroy(w);
    return EXIT_USAGE;
  }
  scn_watch_world(w);
  sim_stop_reason stop = scn_signal_seen() ? SIM_STOP_REQUESTED : sim_run(w, NULL);
  scn_unwatch_world(w);
  char why[512];
  bool pass = scn_demo_check(run, why, sizeof why);
  int interrupted = scn_signal_seen();
  bool trace_full = stop == SIM_STOP_TRACE_LIMIT;
  char limit_text[96];
  snprintf(limit_text, sizeof limit_text, "the trace reached its limit of %" PRIu64 " bytes (--trace-limit)",
           o->trace_limit);
  if (trace_full) sim_end(w, SIM_END_TRACE_LIMIT, 2, limit_text);
  else if (interrupted) sim_end(w, SIM_END_INTERRUPTED, pass ? 0 : 1, interrupted == SIGTERM ? "SIGTERM" : "SIGINT");
  else sim_end(w, SIM_END_FINISHED, pass ? 0 : 1, why);
  rc = sim_finish(w);
  if (rc) fprintf(stderr, "crashlab: writing the trace %s failed: %s\n", o->trace_path, ac_strerror(rc));
  if (!o->quiet) printf("%s: %s\n", demo->name, why);
  char sim_time[32];
  sim_format_duration(sim_now(w), sim_time, sizeof sim_time);
  char hash[17];
  snprintf(hash, sizeof hash, "%016" PRIx64, sim_hash(w));
  if (trace_full)
    fprintf(stderr, "crashlab: the trace reached its limit of %" PRIu64 " bytes (--trace-limit); "
                    "the run stopped at %s and the trace is complete up to there\n",
            o->trace_limit, sim_time);
  int status = rc != 0 || trace_full ? EXIT_USAGE : interrupted ? EXIT_INTERRUPTED : pass ? EXIT_PASS : EXIT_FAIL;
  if (o->check_determinism && status == EXIT_PASS && check_determinism(o, hash) != 0) status = EXIT_FAIL;
  printf("%s demo=%s seed=%" PRIu64 " events=%" PRIu64 " sim_time=%s hash=%s\n",
         status == EXIT_PASS ? "PASS" : status == EXIT_INTERRUPTED ? "INTERRUPTED" : "FAIL", demo->name, o->seed, sim_event_count(w), sim_time,
         hash);
  sim_world_destroy(w);
  scn_demo_close(run);
  return status;
}

/* Prints the trace as it reads it: every good record, then, on a damaged file (truncated,
 * a corrupt payload, a hash that does not match), one error line naming the offset, exit 2.
 * Only a verified trace gets the closing "verified" line. */
static int cmd_trace(const char *path) {
  sim_trace_reader r;
  sim_record rec;
  int rc = sim_trace_reader_open(&r, path);
  if (rc == AC_OK) {
    printf("# trace of '%s' seed=%" PRIu64 " written by %s\n", r.name, r.seed, r.tool);
    rc = 1;
  }
  while (rc == 1 && (rc = sim_trace_reader_next(&r, &rec)) == 1) {
    char line[1280];
    sim_format_record(&rec, line, sizeof line);
    puts(line);
  }
  if (rc < 0) {
    fflush(stdout);
    fprintf(stderr, "crashlab: %s\n", r.error);
    sim_trace_reader_close(&r);
    return EXIT_USAGE;
  }
  printf("# %" PRIu64 " records, hash=%016" PRIx64 " verified\n", r.count, r.hash);
  sim_trace_reader_close(&r);
  return EXIT_PASS;
}

static int parse_options(int argc, char **argv, int command, cli_opts *o);

static int demo_main(int argc, char **argv) {
  cli_opts o;
  if (parse_options(argc, argv, CMD_DEMO, &o)) return EXIT_USAGE;
  if (o.list) {
    for (const scn_demo *d = scn_demos; d->name; d++) printf("%-10s %s\n", d->name, d->summary);
    return EXIT_PASS;
  }
  if (!o.seed_given) o.seed = 1;
  if (!o.target) {
    fprintf(stderr, "crashlab: demo needs a NAME (crashlab demo --list)\n");
    return EXIT_USAGE;
  }
  if (o.n * (o.m ? o.m : 1) > 1000000000u) {
    fprintf(stderr, "crashlab: --n times --m must be at most 1000000000\n");
    return EXIT_USAGE;
  }
  if (strcmp(o.target, "ties") == 0 && o.n > 64) {
    fprintf(stderr, "crashlab: ties takes --n up to 64\n");
    return EXIT_USAGE;
  }
  scn_install_signal_handlers();
  return cmd_demo(&o);
}

/* A duration option (--max-time): more than zero, with a unit. */
static int parse_duration_opt(const char *opt, const char *text, uint64_t *ns) {
  if (sim_parse_duration(text, ns) == 0 && *ns > 0) return 0;
  fprintf(stderr, "crashlab: %s needs a duration with a unit, such as 10s or 5m, got '%s'\n", opt,
          text ? text : "");
  return -1;
}

/* --stats: how fast and how big the run was, on stderr (wall clock: outside the simulation,
 * so it cannot change the run). */
static void print_stats(const scn_result *r, double wall_s) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  fflush(stdout);
  double sim_s = (double)r->sim_time_ns / 1e9;
  fprintf(stderr,
          "stats: wall=%.3fs sim=%.3fs speed=%.1fx events=%" PRIu64 " events_per_s=%.0f "
          "peak_rss=%ldKiB\n",
          wall_s, sim_s, wall_s > 0 ? sim_s / wall_s : 0.0, r->events,
          wall_s > 0 ? (double)r->events / wall_s : 0.0, ru.ru_maxrss);
}

static double monotonic_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run_scenario(scn_options *o, int check, int stats);

/*
 * run --viz: the simulation runs in a child process that writes its trace into a pipe, and
 * this process shows it (viz_live). The child is the same run as without --viz (only where the
 * trace goes differs), so its verdict and hash are the same; a full pipe holds it back until
 * the viewer reads on. The child starts only once the window is open (a byte on the `go`
 * pipe): with no window it prints nothing and the one error line is the viewer's. When the
 * window closes first, the child ends at its next write (SIGPIPE). The exit status is the run's.
 */
static int run_live(scn_options *o, int stats, viz_live_opts *live) {
  int fds[2], go[2];
  if (pipe(fds) != 0) {
    fprintf(stderr, "crashlab: --viz: cannot make a pipe: %s\n", strerror(errno));
    return EXIT_USAGE;
  }
  /* A larger pipe lets the run write ahead while the viewer draws a frame (Linux; where the
   * call is missing or refused, the default buffer only costs speed). */
#ifdef __linux__
  (void)fcntl(fds[1], 1031 /* F_SETPIPE_SZ */, 1 << 20);
#endif
  if (pipe(go) != 0) {
    fprintf(stderr, "crashlab: --viz: cannot make a pipe: %s\n", strerror(errno));
    close(fds[0]);
    close(fds[1]);
    return EXIT_USAGE;
  }
  fflush(stdout);
  fflush(stderr);
  pid_t child = fork();
  if (child < 0) {
    fprintf(stderr, "crashlab: --viz: cannot start the run: %s\n", strerror(errno));
    close(fds[0]);
    close(fds[1]);
    close(go[0]);
    close(go[1]);
    return EXIT_USAGE;
  }
  if (child == 0) {
    close(fds[0]);
    close(go[1]);
    char byte;
    ssize_t got;
    while ((got = read(go[0], &byte, 1)) < 0 && errno == EINTR) {
    }
    close(go[0]);
    if (got != 1) _exit(EXIT_USAGE); /* no window: the viewer has said why */
    o->trace_fd = fds[1];
    int code = run_scenario(o, 0, stats);
    fflush(stdout);
    fflush(stderr);
    _exit(code);
  }
  close(fds[1]);
  close(go[0]);
  live->ready_fd = go[1];
  int shown = viz_live(fds[0], live);
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (shown != 0) return shown;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  /* The window was closed before the run ended: the run was cut short on purpose. */
  return EXIT_PASS;
}

/* The file name that follows option `opt`, or NULL with the error printed. */
static const char *file_arg(const char *opt, const char *v) {
  if (!v) fprintf(stderr, "crashlab: %s needs a file name\n", opt);
  return v;
}

/* Reads the options of `command` (CMD_RUN or CMD_DEMO) from argv[2...] into *o (zeroed first;
 * the trace limit defaults to TRACE_LIMIT_DEFAULT). On a bad or unknown option, a missing
 * value or a second target, prints one "crashlab: ..." line and returns -1. --list stops the
 * reading (demo --list ignores what follows); --help and --version are handled in main. */
static int parse_options(int argc, char **argv, int command, cli_opts *o) {
  memset(o, 0, sizeof *o);
  o->trace_limit = TRACE_LIMIT_DEFAULT;
  bool run = command == CMD_RUN, demo = command == CMD_DEMO;
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (demo && strcmp(a, "--list") == 0) {
      o->list = true;
      return 0;
    } else if (strcmp(a, "--seed") == 0) {
      if (parse_u64(a, v, &o->seed)) return -1;
      o->seed_given = true;
      i++;
    } else if (strcmp(a, "--trace") == 0) {
      if (!(o->trace_path = file_arg(a, v))) return -1;
      i++;
    } else if (run && strcmp(a, "--faults") == 0) {
      if (!(o->faults_path = file_arg(a, v))) return -1;
      i++;
    } else if (run && strcmp(a, "--viz-script") == 0) {
      if (!(o->viz_script = file_arg(a, v))) return -1;
      o->viz = true;
      i++;
    } else if (strcmp(a, "--trace-limit") == 0) {
      if (parse_size(a, v, &o->trace_limit)) return -1;
      i++;
    } else if (strcmp(a, "--quiet") == 0) {
      o->quiet = true;
    } else if (strcmp(a, "--check-determinism") == 0) {
      o->check_determinism = true;
    } else if (run && strcmp(a, "--max-time") == 0) {
      if (parse_duration_opt(a, v, &o->max_time_ns)) return -1;
      i++;
    } else if (run && strcmp(a, "--unsafe") == 0) {
      o->unsafe = true;
    } else if (run && strcmp(a, "--stats") == 0) {
      o->stats = true;
    } else if (run && strcmp(a, "--viz") == 0) {
      o->viz = true;
    } else if (run && strncmp(a, "--crashes", 9) == 0 && (a[9] == 0 || a[9] == '=')) {
      const char *c = a[9] == '=' ? a + 10 : v;
      if (a[9] == 0) i++;
      if (c && strcmp(c, "fail") == 0) o->crashes = SCN_CRASHES_FAIL;
      else if (c && strcmp(c, "count") == 0) o->crashes = SCN_CRASHES_COUNT;
      else {
        fprintf(stderr, "crashlab: --crashes takes fail or count, got '%s'\n", c ? c : "");
        return -1;
      }
    } else if (demo && (strcmp(a, "--n") == 0 || strcmp(a, "--m") == 0)) {
      uint64_t *dst = a[2] == 'n' ? &o->n : &o->m;
      if (parse_u64(a, v, dst)) return -1;
      if (*dst > 10000000) {
        fprintf(stderr, "crashlab: %s must be at most 10000000\n", a);
        return -1;
      }
      i++;
    } else if (a[0] == '-') {
      fprintf(stderr, "crashlab: unknown option '%s' (crashlab --help)\n", a);
      return -1;
    } else if (!o->target) {
      o->target = a;
    } else {
      fprintf(stderr, "crashlab: unexpected argument '%s'\n", a);
      return -1;
    }
  }
  return 0;
}

static int run_main(int argc, char **argv) {
  cli_opts c;
  if (parse_options(argc, argv, CMD_RUN, &c)) return EXIT_USAGE;
  scn_options o = {0};
  o.path = c.target;
  o.seed = c.seed;
  o.seed_given = c.seed_given;
  o.trace_path = c.trace_path;
  o.trace_fd = -1;
  o.trace_limit_bytes = c.trace_limit;
  o.max_time_ns = c.max_time_ns;
  o.quiet = c.quiet;
  o.unsafe = c.unsafe;
  o.crashes = c.crashes;
  o.faults_path = c.faults_path;
  int check = c.check_determinism, stats = c.stats, viz = c.viz;
  viz_live_opts live = {0};
  live.script = c.viz_script;
  if (!o.path) {
    fprintf(stderr, "crashlab: run needs a scenario file (crashlab run FILE.lua)\n");
    return EXIT_USAGE;
  }
  /* The live status line: on a terminal only, never with --quiet (display only: it reads the
   * wall clock and cannot change the run). CRASHLAB_STATUS_AFTER_MS sets when it appears
   * (default 1000; tests use 0). */
  o.status_line = !o.quiet && isatty(STDERR_FILENO);
  o.status_after_ms = 1000;
  const char *after = getenv("CRASHLAB_STATUS_AFTER_MS");
  if (after && *after >= '0' && *after <= '9') o.status_after_ms = (uint32_t)strtoul(after, NULL, 10);
  if (viz) {
    o.status_line = false; /* the window shows the run */
    if (o.trace_path || check) {
      fprintf(stderr, "crashlab: --viz cannot be combined with %s (record the trace with "
                      "--trace, then watch it with crashlab viz TRACE)\n",
              o.trace_path ? "--trace" : "--check-determinism");
      return EXIT_USAGE;
    }
    return run_live(&o, stats, &live);
  }
  return run_scenario(&o, check, stats);
}

/* Runs the scenario of `o` and prints its verdict (and --stats, --check-determinism). */
static int run_scenario(scn_options *o_in, int check, int stats) {
  scn_options o = *o_in;
  scn_result r;
  o.hold_verdict = check || stats; /* the verdict line is the last line, after --stats */
  double t0 = monotonic_s();
  scn_install_signal_handlers();
  scn_verdict v = scn_run_file(&o, &r);
  if (v == SCN_ERROR) return EXIT_USAGE;
  if (v == SCN_INTERRUPTED) {
    if (o.hold_verdict) scn_print_verdict(&r);
    return EXIT_INTERRUPTED;
  }
  if (stats) print_stats(&r, monotonic_s() - t0);
  if (!check) {
    if (o.hold_verdict) scn_print_verdict(&r);
    return v == SCN_PASS ? EXIT_PASS : EXIT_FAIL;
  }
  if (check) {
    char seed[32], hash[17], max_time[32];
    snprintf(seed, sizeof seed, "%" PRIu64, r.seed);
    snprintf(hash, sizeof hash, "%016" PRIx64, r.hash);
    snprintf(max_time, sizeof max_time, "%" PRIu64 "ns", o.max_time_ns);
    char *args[12] = {"crashlab", "run", (char *)o.path, "--seed", seed, "--quiet"};
    int n = 6;
    if (o.max_time_ns) {
      args[n++] = "--max-time";
      args[n++] = max_time;
    }
    if (o.unsafe) args[n++] = "--unsafe";
    if (o.crashes) args[n++] = o.crashes == SCN_CRASHES_FAIL ? "--crashes=fail" : "--crashes=count";
    if (o.faults_path) {
      args[n++] = "--faults";
      args[n++] = (char *)o.faults_path;
    }
    args[n] = NULL;
    if (check_hashes(args, hash) != 0) {
      r.verdict = SCN_FAIL;
      v = SCN_FAIL;
    }
    scn_print_verdict(&r);
  }
  return v == SCN_PASS ? EXIT_PASS : EXIT_FAIL;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return EXIT_USAGE;
  }
  /* viz has a help text of its own. */
  if (strcmp(argv[1], "viz") == 0) return viz_main(argc - 1, argv + 1);
  for (int i = 1; i < argc; i++) { /* anywhere: `crashlab run x.lua --help` helps too */
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      if (strcmp(argv[1], "run") == 0) run_usage(stdout), scn_sweep_usage(stdout);
      else if (strcmp(argv[1], "report") == 0) scn_report_usage(stdout);
      else if (strcmp(argv[1], "replay") == 0) scn_replay_usage(stdout);
      else if (strcmp(argv[1], "diff") == 0) scn_diff_usage(stdout);
      else if (strcmp(argv[1], "shrink") == 0) scn_shrink_usage(stdout);
      else if (strcmp(argv[1], "trace") == 0) trace_usage(stdout), scn_trace_filter_usage(stdout);
      else if (strcmp(argv[1], "demo") == 0) demo_usage(stdout);
      else usage(stdout);
      return EXIT_PASS;
    }
    if (strcmp(argv[i], "--version") == 0) {
      printf("crashlab %s\n", CRASHLAB_VERSION);
      return EXIT_PASS;
    }
  }
  if (strcmp(argv[1], "demo") == 0) return demo_main(argc, argv);
  if (strcmp(argv[1], "viz") == 0) return viz_main(argc - 1, argv + 1);
  if (strcmp(argv[1], "run") == 0)
    return scn_sweep_wanted(argc, argv) ? scn_sweep_main(argc, argv) : run_main(argc, argv);
  if (strcmp(argv[1], "report") == 0) return scn_report_main(argc, argv);
  if (strcmp(argv[1], "replay") == 0) return scn_replay_main(argc, argv);
  if (strcmp(argv[1], "diff") == 0) return scn_diff_main(argc, argv);
  if (strcmp(argv[1], "shrink") == 0) return scn_shrink_main(argc, argv);
  if (strcmp(argv[1], "trace") == 0) {
    if (argc > 3) return scn_trace_main(argc, argv); /* with filters */
    if (argc != 3) {
      fprintf(stderr, "crashlab: usage: crashlab trace FILE\n");
      return EXIT_USAGE;
    }
    return cmd_trace(argv[2]);
  }
  fprintf(stderr, "crashlab: unknown command '%s' (crashlab --help)\n", argv[1]);
  return EXIT_USAGE;
}
