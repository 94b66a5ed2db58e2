/*
 * Replay and diagnosis from traces (replay.h).
 *
 * A scenario run's trace opens with a run_info record (kind 37): a map term that says what the
 * run was a function of, beyond its seed: the crashlab version, the scenario file (as given,
 * and the working directory it was given from), the content hash of that file and of every
 * file it requires, and the options that change a run, as command-line words. The record is
 * written but not hashed (sim_trace_info): the run hash stays a function of (contents, seed,
 * version, options), not of the path a file was named by.
 *
 * `replay` checks the recorded files first (a changed file means the trace is of another
 * scenario: one message, exit 2), then re-runs `crashlab run FILE --seed N OPTIONS` as a child
 * process and compares the verdict line's hash with the trace's; when they differ it names what
 * differs (version, options), or says that nothing recorded did (a crashlab bug). `diff` walks
 * two traces in step and prints the first record that differs with the records before it.
 * `trace` with filters prints the records that pass every filter given.
 *
 * The record is written by scenarios/lua/run_info.c, which also says how required files are
 * found.
 */
#define _GNU_SOURCE

#include "replay.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alloc.h"
#include "child.h"
#include "faults.h"
#include "trace.h"

extern char **environ;

#define REPLAY_FILES_MAX SCN_RUN_INFO_FILES_MAX

/* ---- Reading run_info back --------------------------------------------------------------- */

typedef struct run_info {
  char version[64], path[1024], cwd[PATH_MAX], seed[24];
  char options[10][1024];
  int option_count;
  char file_path[REPLAY_FILES_MAX][1024];
  char file_hash[REPLAY_FILES_MAX][17];
  uint32_t file_count;
} run_info;

static int get_text(ac_term map, const char *key, char *out, size_t cap) {
  ac_tbuf kb;
  ac_term k, v;
  const uint8_t *bytes;
  size_t len;
  int rc = ac_term_build(&kb, &k, "a", key);
  if (rc == AC_OK) rc = ac_term_map_get(map, k, &v);
  if (rc == AC_OK) rc = ac_term_get_binary(v, &bytes, &len);
  if (rc == AC_OK) snprintf(out, cap, "%.*s", (int)len, (const char *)bytes);
  ac_tb_free(&kb);
  return rc;
}

static int get_list(ac_term map, const char *key, ac_term *out) {
  ac_tbuf kb;
  ac_term k;
  int rc = ac_term_build(&kb, &k, "a", key);
  if (rc == AC_OK) rc = ac_term_map_get(map, k, out);
  ac_tb_free(&kb);
  if (rc == AC_OK && ac_term_type(*out) != AC_T_LIST && ac_term_type(*out) != AC_T_NIL) rc = AC_EINVAL;
  return rc;
}

static int parse_run_info(const sim_record *rec, run_info *ri) {
  memset(ri, 0, sizeof *ri);
  ac_term map = {rec->payload}, list;
  if (!rec->payload_size || ac_term_type(map) != AC_T_MAP) return -1;
  if (get_text(map, "version", ri->version, sizeof ri->version) ||
      get_text(map, "path", ri->path, sizeof ri->path) || get_text(map, "cwd", ri->cwd, sizeof ri->cwd) ||
      get_text(map, "seed", ri->seed, sizeof ri->seed))
    return -1;
  if (get_list(map, "options", &list)) return -1;
  if (ac_term_type(list) == AC_T_LIST)
    for (ac_term e = ac_term_first(list); ri->option_count < (int)ac_term_count(list) && ri->option_count < 10;
         e = ac_term_next(e)) {
      const uint8_t *bytes;
      size_t len;
      if (ac_term_get_binary(e, &bytes, &len)) return -1;
      snprintf(ri->options[ri->option_count++], sizeof ri->options[0], "%.*s", (int)len, (const char *)bytes);
    }
  if (get_list(map, "files", &list)) return -1;
  if (ac_term_type(list) == AC_T_LIST)
    for (ac_term e = ac_term_first(list); ri->file_count < ac_term_count(list) && ri->file_count < REPLAY_FILES_MAX;
         e = ac_term_next(e)) {
      ac_term p, h;
      const uint8_t *pb, *hb;
      size_t pl, hl;
      if (ac_term_elem(e, 0, &p) || ac_term_elem(e, 1, &h) || ac_term_get_binary(p, &pb, &pl) ||
          ac_term_get_binary(h, &hb, &hl))
        return -1;
      snprintf(ri->file_path[ri->file_count], 1024, "%.*s", (int)pl, (const char *)pb);
      snprintf(ri->file_hash[ri->file_count], 17, "%.*s", (int)hl, (const char *)hb);
      ri->file_count++;
    }
  return ri->file_count ? 0 : -1;
}

/* Where a recorded path is now: as recorded if it is absolute or exists from here, else
 * under the directory the run was started from. */
static void locate(const run_info *ri, const char *recorded, char *out, size_t cap) {
  if (recorded[0] == '/' || access(recorded, F_OK) == 0 || !ri->cwd[0]) snprintf(out, cap, "%s", recorded);
  else snprintf(out, cap, "%s/%s", ri->cwd, recorded);
}

/* ---- crashlab replay --------------------------------------------------------------------- */

/* Whether the recorded file path is the run's --faults plan (it is among the files, after the
 * scenario and what it requires). */
static bool is_plan(const run_info *ri, const char *path) {
  for (int i = 0; i + 1 < ri->option_count; i++)
    if (strcmp(ri->options[i], "--faults") == 0 && strcmp(ri->options[i + 1], path) == 0) return true;
  return false;
}

void scn_replay_usage(FILE *out) {
  fprintf(out,
          "usage: crashlab replay TRACE [--max-time T] [--unsafe] [--crashes=fail|count]\n"
          "                       [--trace-limit SIZE] [--trace FILE] [--quiet] [--stats]\n"
          "\n"
          "Re-runs the scenario run that TRACE recorded (written by crashlab run --trace): the\n"
          "same file, seed and options, read from the trace's run_info record, and checks that\n"
          "the run hash is the trace's. Options given here replace the recorded ones (the hash\n"
          "then usually differs, and the report names those that change a run; --trace, --quiet\n"
          "and --stats change only what is shown).\n"
          "Exit status: 0 reproduced (same hash), 1 another hash (what changed is named), 2 bad\n"
          "input: a damaged trace, a trace without run_info (an older crashlab, or a demo), a\n"
          "scenario file that is missing or whose contents changed since the trace was written.\n");
}

/* Reads the whole trace: run_info (the first record) into ri, the verified hash into *hash. */
static int read_trace_info(const char *path, run_info *ri, uint64_t *hash, char *tool, size_t tool_cap) {
  sim_trace_reader r;
  sim_record rec;
  int rc = sim_trace_reader_open(&r, path);
  bool have_info = false, first = true;
  if (rc == AC_OK) {
    snprintf(tool, tool_cap, "%s", r.tool);
    while ((rc = sim_trace_reader_next(&r, &rec)) == 1) {
      if (first && rec.kind == AC_EV_RUN_INFO) {
        if (parse_run_info(&rec, ri) != 0) {
          fprintf(stderr, "crashlab: %s: the run_info record cannot be read (a damaged trace?)\n", path);
          sim_trace_reader_close(&r);
          return -1;
        }
        have_info = true;
      }
      first = false;
    }
  }
  if (rc < 0) {
    fprintf(stderr, "crashlab: %s\n", r.error);
    sim_trace_reader_close(&r);
    return -1;
  }
  *hash = r.hash;
  sim_trace_reader_close(&r);
  if (!have_info) {
    fprintf(stderr, "crashlab: %s: no run_info record: the trace was written by a crashlab older "
                    "than the replay command, or by a demo; record the run again with crashlab run "
                    "FILE.lua --seed N --trace FILE\n", path);
    return -1;
  }
  return 0;
}

/* Runs argv as a child with its stdout passed through, and finds the verdict line's hash.
 * Returns the child's exit status, or -1 if it could not be started. */
static int run_passthrough(char **argv, char *hash, size_t cap) {
  int fds[2];
  hash[0] = 0;
  if (pipe(fds) != 0) return -1;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&fa, fds[0]);
  pid_t pid;
  fflush(stdout);
  int rc = posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    return -1;
  }
  FILE *in = fdopen(fds[0], "r");
  char *line = NULL;
  size_t line_cap = 0;
  while (in && getline(&line, &line_cap, in) >= 0) {
    fputs(line, stdout);
    const char *h = strstr(line, " hash=");
    if ((strncmp(line, "PASS ", 5) == 0 || strncmp(line, "FAIL ", 5) == 0) && h)
      snprintf(hash, cap, "%.16s", h + 6);
  }
  free(line);
  if (in) fclose(in);
  else close(fds[0]);
  fflush(stdout);
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int scn_replay_main(int argc, char **argv) {
  const char *trace = NULL;
  char *extra[16];
  int extra_count = 0;
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--max-time") == 0 || strcmp(a, "--trace") == 0 || strcmp(a, "--crashes") == 0 ||
        strcmp(a, "--trace-limit") == 0) {
      if (!v) {
        fprintf(stderr, "crashlab: %s needs a value\n", a);
        return 2;
      }
      extra[extra_count++] = argv[i++];
      extra[extra_count++] = argv[i];
    } else if (strcmp(a, "--unsafe") == 0 || strcmp(a, "--quiet") == 0 || strcmp(a, "--stats") == 0 ||
               strncmp(a, "--crashes=", 10) == 0) {
      extra[extra_count++] = argv[i];
    } else if (a[0] == '-') {
      fprintf(stderr, "crashlab: unknown option '%s' (crashlab replay --help)\n", a);
      return 2;
    } else if (!trace) {
      trace = a;
    } else {
      fprintf(stderr, "crashlab: unexpected argument '%s'\n", a);
      return 2;
    }
    if (extra_count > 12) {
      fprintf(stderr, "crashlab: too many options\n");
      return 2;
    }
  }
  if (!trace) {
    fprintf(stderr, "crashlab: replay needs a trace file (crashlab replay TRACE)\n");
    return 2;
  }
  run_info *ri = malloc(sizeof *ri);
  uint64_t recorded_hash = 0;
  char tool[64];
  if (!ri || read_trace_info(trace, ri, &recorded_hash, tool, sizeof tool) != 0) {
    free(ri);
    return 2;
  }
  /* The files first: a changed file makes the trace one of another scenario. */
  char scenario[PATH_MAX + 1100];
  for (uint32_t i = 0; i < ri->file_count; i++) {
    char where[PATH_MAX + 1100], now[17];
    locate(ri, ri->file_path[i], where, sizeof where);
    if (i == 0) snprintf(scenario, sizeof scenario, "%s", where);
    scn_file_hash(where, now);
    if (strcmp(now, "unreadable") == 0 && strcmp(ri->file_hash[i], "unreadable") != 0) {
      fprintf(stderr, "crashlab: %s: cannot open: %s (the trace %s was recorded from it)\n", where,
              strerror(errno), trace);
      free(ri);
      return 2;
    }
    if (strcmp(now, ri->file_hash[i]) != 0) {
      if (is_plan(ri, ri->file_path[i]))
        fprintf(stderr, "crashlab: %s, the fault plan of the run (--faults), changed since the trace %s was "
                        "recorded (contents hash %s, the trace has %s): the trace is of a run with another "
                        "plan, so replay would not be the same run\n", where, trace, now, ri->file_hash[i]);
      else
        fprintf(stderr, "crashlab: %s changed since the trace %s was recorded (contents hash %s, "
                        "the trace has %s): the trace is of another version of the scenario, so "
                        "replay would not be the same run\n", where, trace, now, ri->file_hash[i]);
      free(ri);
      return 2;
    }
  }
  char *args[48] = {"crashlab", "run", scenario, "--seed", ri->seed};
  int n = 5;
  char plan[PATH_MAX + 1100]; /* a --faults plan, found as the files are */
  for (int i = 0; i < ri->option_count; i++) {
    args[n++] = ri->options[i];
    if (strcmp(ri->options[i], "--faults") == 0 && i + 1 < ri->option_count) {
      locate(ri, ri->options[++i], plan, sizeof plan);
      args[n++] = plan;
    }
  }
  for (int i = 0; i < extra_count; i++) args[n++] = extra[i];
  args[n] = NULL;
  printf("replaying: crashlab run %s --seed %s", scenario, ri->seed);
  for (int i = 5; i < n; i++) printf(" %s", args[i]);
  printf("\n");
  char hash[32];
  int code = run_passthrough(args, hash, sizeof hash);
  char recorded[17];
  snprintf(recorded, sizeof recorded, "%016" PRIx64, recorded_hash);
  int status;
  if (code < 0 || !hash[0]) {
    fprintf(stderr, "crashlab: replay: the run did not end with a verdict line (exit status %d)\n", code);
    status = 2;
  } else if (strcmp(hash, recorded) == 0) {
    printf("replay: reproduced: hash %s is the trace's\n", hash);
    status = 0;
  } else {
    printf("replay: NOT reproduced: hash %s, the trace has %s\n", hash, recorded);
    int named = 0;
    char this_tool[80];
    snprintf(this_tool, sizeof this_tool, "crashlab %s", CRASHLAB_VERSION);
    if (strcmp(ri->version, CRASHLAB_VERSION) != 0) {
      printf("  version: the trace was written by crashlab %s, this is %s\n", ri->version, this_tool);
      named++;
    }
    /* Only the options that change a run count (scn_child_run_option: --max-time, --unsafe,
     * --crashes, --trace-limit); --quiet, --stats and --trace only change what is shown. */
    char given[1024] = "";
    size_t len = 0;
    for (int i = 0; i < extra_count && len < sizeof given; i++) {
      int takes = scn_child_run_option(extra[i]);
      if (takes < 0) {
        if (strcmp(extra[i], "--trace") == 0) i++; /* and its file */
        continue;
      }
      len += (size_t)snprintf(given + len, sizeof given - len, "%s%s", len ? " " : "", extra[i]);
      if (takes == 1 && i + 1 < extra_count && len < sizeof given)
        len += (size_t)snprintf(given + len, sizeof given - len, " %s", extra[++i]);
    }
    if (given[0]) {
      printf("  options: recorded [");
      for (int i = 0; i < ri->option_count; i++) printf("%s%s", i ? " " : "", ri->options[i]);
      printf("], given here [%s]\n", given);
      named++;
    }
    if (!named)
      printf("  nothing recorded changed (files, version, options): the run is not deterministic, "
             "a crashlab bug: please report it with the scenario and the trace\n");
    status = 1;
  }
  free(ri);
  return status;
}

/* ---- crashlab diff ----------------------------------------------------------------------- */

void scn_diff_usage(FILE *out) {
  fprintf(out,
          "usage: crashlab diff A.trace B.trace\n"
          "\n"
          "Prints the first record where two traces differ (kind, time, node, fields or payload),\n"
          "with the records before it that both share; or 'identical'. The run_info records are\n"
          "not compared (they say where the file was, not what happened).\n"
          "Exit status: 0 identical, 1 they differ, 2 a file is missing or damaged.\n");
}

#define DIFF_CONTEXT 5

static int next_event(sim_trace_reader *r, sim_record *rec) {
  int rc;
  while ((rc = sim_trace_reader_next(r, rec)) == 1 && rec->kind == AC_EV_RUN_INFO) {
  }
  return rc;
}

static bool same_record(const sim_record *a, const sim_record *b) {
  return a->kind == b->kind && a->flags == b->flags && a->time_ns == b->time_ns && a->node == b->node &&
         a->a == b->a && a->b == b->b && a->c == b->c && a->payload_size == b->payload_size &&
         (a->payload_size == 0 || memcmp(a->payload, b->payload, a->payload_size) == 0);
}

int scn_diff_main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "crashlab: usage: crashlab diff A.trace B.trace\n");
    return 2;
  }
  sim_trace_reader ra, rb;
  int rc_a = sim_trace_reader_open(&ra, argv[2]);
  int rc_b = rc_a == AC_OK ? sim_trace_reader_open(&rb, argv[3]) : AC_OK;
  if (rc_a != AC_OK || rc_b != AC_OK) {
    fprintf(stderr, "crashlab: %s\n", rc_a != AC_OK ? ra.error : rb.error);
    sim_trace_reader_close(&ra);
    if (rc_a == AC_OK) sim_trace_reader_close(&rb);
    return 2;
  }
  char context[DIFF_CONTEXT][512];
  uint64_t index = 0;
  int status = 0;
  for (;;) {
    sim_record a, b;
    int ga = next_event(&ra, &a);
    /* a's payload stays valid until ra's next call: format it before reading b */
    char line_a[512] = "";
    if (ga == 1) sim_format_record(&a, line_a, sizeof line_a);
    uint8_t *copy = NULL;
    if (ga == 1 && a.payload_size) {
      copy = malloc(a.payload_size);
      if (copy) memcpy(copy, a.payload, a.payload_size);
      a.payload = copy;
    }
    int gb = next_event(&rb, &b);
    if (ga < 0 || gb < 0) {
      fprintf(stderr, "crashlab: %s\n", ga < 0 ? ra.error : rb.error);
      free(copy);
      status = 2;
      break;
    }
    if (ga == 0 && gb == 0) {
      printf("identical: %" PRIu64 " records, hash %016" PRIx64 "\n", index, ra.hash);
      free(copy);
      break;
    }
    bool same = ga == 1 && gb == 1 && (copy || !a.payload_size) && same_record(&a, &b);
    if (!same) {
      char line_b[512] = "";
      if (gb == 1) sim_format_record(&b, line_b, sizeof line_b);
      printf("the traces diverge at record %" PRIu64 ":\n", index + 1);
      uint64_t shown = index < DIFF_CONTEXT ? index : DIFF_CONTEXT;
      for (uint64_t i = index - shown; i < index; i++) printf("    %s\n", context[i % DIFF_CONTEXT]);
      printf("  A %s\n", ga == 1 ? line_a : "(ends here)");
      printf("  B %s\n", gb == 1 ? line_b : "(ends here)");
      printf("A: %s, B: %s\n", argv[2], argv[3]);
      free(copy);
      status = 1;
      break;
    }
    snprintf(context[index % DIFF_CONTEXT], sizeof context[0], "%s", line_a);
    index++;
    free(copy);
  }
  sim_trace_reader_close(&ra);
  sim_trace_reader_close(&rb);
  return status;
}

/* ---- crashlab trace with filters --------------------------------------------------------- */

void scn_trace_filter_usage(FILE *out) {
  fprintf(out,
          "\n"
          "filters (records that pass every filter given are printed; the last line then says\n"
          "'# M of N records shown, hash=H verified'):\n"
          "  --node NAME           records that happened on node NAME\n"
          "  --pid <0.12.0>        records about that process (as the trace prints pids)\n"
          "  --name REGNAME        records about the process(es) that held that registered name\n"
          "  --kind K,K,...        records of these kinds (spawn, exit, send, fault, ...)\n"
          "  --from T, --to T      records in that virtual time window (1.5s, 250ms, 0)\n"
          "  --grep TEXT           records whose printed line holds TEXT\n"
          "\n"
          "crashlab trace TRACE --plan prints the run's faults instead, as a fault plan file for\n"
          "crashlab run FILE --faults PLAN (docs/sweeps.md, \"Fault plans\").\n");
}

typedef struct trace_filter {
  const char *node;
  bool by_pid;
  uint64_t *pids;           /* pid bits to match (--pid, or the holders of --name) */
  uint32_t pid_count, pid_cap;
  const char *name;
  bool kinds[65536 / 64];   /* indexed by kind when by_kind (kinds < 1024 only) */
  bool by_kind;
  uint64_t from_ns, to_ns;
  const char *grep;
} trace_filter;

static bool world_kind(uint16_t k) {
  return k == AC_EV_FAULT || k == AC_EV_LINKS || k == AC_EV_PROPERTY || k == AC_EV_RUN_END ||
         k == AC_EV_RUN_INFO;
}

static bool b_is_pid(uint16_t k) {
  switch (k) {
    case AC_EV_SPAWN: case AC_EV_SEND: case AC_EV_DELIVER: case AC_EV_RECEIVE: case AC_EV_LINK:
    case AC_EV_UNLINK: case AC_EV_MONITOR: case AC_EV_DEMONITOR: case AC_EV_DOWN: case AC_EV_SIGNAL:
    case AC_EV_TIMER_START: case AC_EV_TIMER_FIRE: case AC_EV_SEND_DEAD: case AC_EV_SUPERVISOR:
    case AC_EV_NET_DROP: case AC_EV_NET_DUP:
      return true;
    default:
      return false;
  }
}

static bool a_is_pid(uint16_t k) {
  return k != AC_EV_NODE && k != AC_EV_NODEUP && k != AC_EV_NODEDOWN && k != AC_EV_RUN_END &&
         k != AC_EV_LINKS && k != AC_EV_PROPERTY && k != AC_EV_RUN_INFO;
}

static int add_pid(trace_filter *f, uint64_t bits) {
  for (uint32_t i = 0; i < f->pid_count; i++)
    if (f->pids[i] == bits) return 0;
  if (ac_grow((void **)&f->pids, &f->pid_cap, f->pid_count + 1, sizeof *f->pids)) return -1;
  f->pids[f->pid_count++] = bits;
  return 0;
}

static bool has_pid(const trace_filter *f, uint64_t bits) {
  for (uint32_t i = 0; i < f->pid_count; i++)
    if (f->pids[i] == bits) return true;
  return false;
}

static int parse_time(const char *opt, const char *text, uint64_t *ns) {
  char *end;
  errno = 0;
  double v = text ? strtod(text, &end) : -1;
  static const struct {
    const char *unit;
    double ns;
  } units[] = {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
  if (text && end != text && !errno && v >= 0) {
    if (v == 0 && *end == 0) {
      *ns = 0;
      return 0;
    }
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
      if (strcmp(end, units[i].unit) == 0 && v * units[i].ns < 1.8e19) {
        *ns = (uint64_t)(v * units[i].ns + 0.5);
        return 0;
      }
  }
  fprintf(stderr, "crashlab: %s needs a virtual time with a unit, such as 1.5s or 250ms, got '%s'\n",
          opt, text ? text : "");
  return -1;
}

static int parse_kinds(trace_filter *f, const char *list) {
  f->by_kind = true;
  char word[64];
  for (const char *p = list;;) {
    size_t n = strcspn(p, ",");
    snprintf(word, sizeof word, "%.*s", (int)(n < sizeof word ? n : sizeof word - 1), p);
    bool found = false;
    for (unsigned k = 1; k < 1024 && !found; k++) {
      const char *name = ac_event_name((uint16_t)k);
      if (name && strcmp(name, word) == 0) f->kinds[k] = found = true;
    }
    if (!found) {
      fprintf(stderr, "crashlab: --kind: unknown event kind '%s' (kinds:", word);
      for (unsigned k = 1; k < 1024; k++)
        if (ac_event_name((uint16_t)k)) fprintf(stderr, " %s", ac_event_name((uint16_t)k));
      fprintf(stderr, ")\n");
      return -1;
    }
    if (!p[n]) break;
    p += n + 1;
  }
  return 0;
}

/* --name: the pids that registered the name anywhere in the trace (first pass). */
static int holders(trace_filter *f, const char *path) {
  sim_trace_reader r;
  sim_record rec;
  int rc = sim_trace_reader_open(&r, path) == AC_OK ? 1 : -1;
  while (rc == 1 && (rc = sim_trace_reader_next(&r, &rec)) == 1) {
    const char *name;
    size_t len;
    if (rec.kind == AC_EV_REGISTER && rec.payload_size &&
        ac_term_get_atom((ac_term){rec.payload}, &name, &len) == AC_OK && len == strlen(f->name) &&
        memcmp(name, f->name, len) == 0 && add_pid(f, rec.a) != 0)
      rc = AC_ENOMEM;
  }
  sim_trace_reader_close(&r);
  if (rc < 0) return 0; /* the printing pass reports the damage */
  if (f->pid_count == 0) {
    fprintf(stderr, "crashlab: --name %s: no process registered that name in %s\n", f->name, path);
    return -1;
  }
  return 0;
}

static bool passes(const trace_filter *f, const sim_record *rec, const char *node_name, const char *line) {
  if (f->by_kind && (rec->kind >= 1024 || !f->kinds[rec->kind])) return false;
  if (rec->time_ns < f->from_ns || rec->time_ns > f->to_ns) return false;
  if (f->node && (world_kind(rec->kind) || !node_name || strcmp(node_name, f->node) != 0)) return false;
  if (f->by_pid && !((a_is_pid(rec->kind) && has_pid(f, rec->a)) || (b_is_pid(rec->kind) && has_pid(f, rec->b))))
    return false;
  if (f->grep && !strstr(line, f->grep)) return false;
  return true;
}

static int parse_filters(int argc, char **argv, trace_filter *f, const char **path) {
  f->to_ns = UINT64_MAX;
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    bool takes = strcmp(a, "--node") == 0 || strcmp(a, "--pid") == 0 || strcmp(a, "--name") == 0 ||
                 strcmp(a, "--kind") == 0 || strcmp(a, "--from") == 0 || strcmp(a, "--to") == 0 ||
                 strcmp(a, "--grep") == 0;
    if (takes && (!v || !*v)) {
      fprintf(stderr, "crashlab: %s needs a value (crashlab trace --help)\n", a);
      return -1;
    }
    if (strcmp(a, "--node") == 0) f->node = v;
    else if (strcmp(a, "--name") == 0) f->name = v, f->by_pid = true;
    else if (strcmp(a, "--grep") == 0) f->grep = v;
    else if (strcmp(a, "--kind") == 0) {
      if (parse_kinds(f, v)) return -1;
    } else if (strcmp(a, "--from") == 0) {
      if (parse_time(a, v, &f->from_ns)) return -1;
    } else if (strcmp(a, "--to") == 0) {
      if (parse_time(a, v, &f->to_ns)) return -1;
    } else if (strcmp(a, "--pid") == 0) {
      unsigned node, slot, gen;
      char end;
      if (sscanf(v, "<%u.%u.%u%c", &node, &slot, &gen, &end) != 4 || end != '>' || v[strlen(v) - 1] != '>' ||
          node > 0xffff || slot > AC_PID_SLOT_MAX || gen > AC_PID_GEN_MAX) {
        fprintf(stderr, "crashlab: --pid needs a pid as the trace prints it, such as <0.12.0>, got '%s'\n", v);
        return -1;
      }
      f->by_pid = true;
      if (add_pid(f, ac_pid_make(node, slot, gen).bits)) return -1;
    } else if (a[0] == '-') {
      fprintf(stderr, "crashlab: unknown option '%s' (crashlab trace --help)\n", a);
      return -1;
    } else if (!*path) {
      *path = a;
    } else {
      fprintf(stderr, "crashlab: unexpected argument '%s'\n", a);
      return -1;
    }
    if (takes) i++;
  }
  if (!*path) {
    fprintf(stderr, "crashlab: trace needs a file (crashlab trace FILE [filters])\n");
    return -1;
  }
  if (f->from_ns > f->to_ns) {
    fprintf(stderr, "crashlab: --from is after --to: no record can be in that window\n");
    return -1;
  }
  return 0;
}

int scn_trace_main(int argc, char **argv) {
  for (int i = 2; i < argc; i++) /* --plan: the run's faults as a plan file, not records */
    if (strcmp(argv[i], "--plan") == 0) {
      if (argc != 4) {
        fprintf(stderr, "crashlab: --plan takes the trace alone: crashlab trace TRACE --plan\n");
        return 2;
      }
      return scn_trace_plan_main(argv[i == 2 ? 3 : 2]);
    }
  static trace_filter f;
  memset(&f, 0, sizeof f);
  const char *path = NULL;
  if (parse_filters(argc, argv, &f, &path) || (f.name && holders(&f, path))) {
    free(f.pids);
    return 2;
  }
  sim_trace_reader r;
  sim_record rec;
  char names[256][64]; /* node index -> name, from the node records (the first 256 indexes) */
  memset(names, 0, sizeof names);
  int rc = sim_trace_reader_open(&r, path);
  uint64_t shown = 0;
  bool node_seen = false;
  if (rc == AC_OK) {
    printf("# trace of '%s' seed=%" PRIu64 " written by %s\n", r.name, r.seed, r.tool);
    rc = 1;
  }
  while (rc == 1 && (rc = sim_trace_reader_next(&r, &rec)) == 1) {
    const char *atom;
    size_t len;
    if (rec.kind == AC_EV_NODE && rec.a < 256 && rec.payload_size &&
        ac_term_get_atom((ac_term){rec.payload}, &atom, &len) == AC_OK) {
      snprintf(names[rec.a], sizeof names[0], "%.*s", (int)len, atom);
      if (f.node && strcmp(names[rec.a], f.node) == 0) node_seen = true;
    }
    uint32_t index = rec.kind == AC_EV_NODE ? (uint32_t)rec.a : rec.node;
    char line[1280];
    sim_format_record(&rec, line, sizeof line);
    if (passes(&f, &rec, index < 256 && names[index][0] ? names[index] : NULL, line)) {
      puts(line);
      shown++;
    }
  }
  if (rc < 0) {
    fflush(stdout);
    fprintf(stderr, "crashlab: %s\n", r.error);
    sim_trace_reader_close(&r);
    free(f.pids);
    return 2;
  }
  printf("# %" PRIu64 " of %" PRIu64 " records shown, hash=%016" PRIx64 " verified\n", shown, r.count, r.hash);
  sim_trace_reader_close(&r);
  free(f.pids);
  if (f.node && !node_seen) {
    fprintf(stderr, "crashlab: --node %s: no node of that name in %s\n", f.node, path);
    return 2;
  }
  return 0;
}
