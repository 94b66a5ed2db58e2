/*
 * The run (see runner.h; internal.h lists the runner's other parts): the world and its hooks,
 * the signal registry, the live status line, the run loop, the report and the verdict.
 *
 * Errors: anything wrong with the scenario itself (syntax, a runtime error in setup or in a
 * callback, an error inside a property, a bad argument) is a scenario error: one message naming
 * FILE:LINE on stderr and exit status 2. The trace, if one was asked for, is still complete up
 * to that point and ends with a run_end record that carries the error (a viewer shows where the
 * run broke). A Lua error inside a process is not a scenario error: it ends that process, as in
 * Erlang.
 *
 * Every run ends with one run_end record saying why: the stop time, quiescence, the time cap, a
 * failed property, a scenario error, SIGINT/SIGTERM (the handlers only set a flag and ask the
 * world to stop; the run then ends normally), the memory limit or the trace limit.
 */
#define _POSIX_C_SOURCE 200809L
#include "internal.h"
#include "plan.h"
#include "run_info.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <lauxlib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define MEMORY_DEFAULT (256u * 1024u * 1024u)
#define MAX_TIME_DEFAULT (UINT64_C(3600) * 1000000000u) /* 1 h of virtual time */
#define RECENT_EVENTS 20
#define INSTRUCTIONS_DEFAULT 200000000LL

scn_run *scn_run_of(lua_State *L) { return *(scn_run **)lua_getextraspace(L); }

scn_run *scn_world_run(lua_State *L) {
  scn_run *run = scn_run_of(L);
  if (run->in_predicate) luaL_error(L, "a receive predicate must not call crashlab functions (it decides, it does not act)");
  if (!run->w && scn_need_world(run) != 0) luaL_error(L, "%s", run->error_msg);
  return run;
}

/* ---- The live status line (display only) ------------------------------------------------- */

/* On a terminal, a run that takes a while shows where it is on stderr. It reads the wall clock,
 * which is display only: nothing of it reaches the simulation, so it cannot change the run or
 * its hash. */
/* Whether a status line is on the terminal now: the terminal's state, not a run's (every run
 * of the process shares one stderr), so the first output of any run erases it. */
static bool status_shown;

static double wall_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void scn_status_clear(void) {
  if (!status_shown) return;
  fflush(stdout);
  fputs("\r\033[K", stderr);
  fflush(stderr);
  status_shown = false;
}

static void status_draw(scn_run *run) {
  double now = wall_s();
  if (now < run->status_next_s) return;
  run->status_next_s = now + 0.25; /* four times a second */
  char t[32], lim[32], line[200];
  uint64_t sim_ns = sim_now(run->w);
  sim_format_duration(sim_ns, t, sizeof t);
  sim_format_duration(run->limit_ns, lim, sizeof lim);
  double elapsed = now - run->status_start_s;
  int n = snprintf(line, sizeof line, "[%s of %s, %.0f%%] %" PRIu64 " events, %.3gx real time",
                   t, lim, run->limit_ns ? 100.0 * (double)sim_ns / (double)run->limit_ns : 0.0,
                   sim_event_count(run->w), elapsed > 0 ? (double)sim_ns / 1e9 / elapsed : 0.0);
  (void)n;
  fflush(stdout);
  fprintf(stderr, "\r\033[K%s", line);
  fflush(stderr);
  status_shown = true;
}

static void step_hook(sim_world *w, void *arg) {
  (void)w;
  scn_run *run = arg;
  if (run->opts->status_line && (++run->steps & 1023) == 0) status_draw(run);
  if (run->mem_exceeded) {
    scn_error(run, "memory limit of %" PRIu64 " MiB exceeded", run->mem_max >> 20);
    return;
  }
  scn__check_props_step(run);
}

/* Memory of the runtimes of every node that is up. */
static uint64_t runtime_bytes(const scn_run *run) {
  uint64_t sum = 0;
  for (uint32_t i = 0; run->w && i < sim_node_count(run->w); i++) {
    ac_node *n = sim_node(run->w, i);
    if (n) sum += ac_node_alloc_stats(n)->bytes_in_use;
  }
  return sum;
}

/* The runtime's memory against the run's limit: checked as events pass (on_event) and once
 * more when the run ends, so an overrun in the last events is caught too. */
static void check_runtime_memory(scn_run *run) {
  run->mem_unchecked = 0;
  if (runtime_bytes(run) > run->mem_max && !run->error)
    scn_error(run, "memory limit of %" PRIu64 " MiB exceeded by the runtime (messages waiting "
                   "in mailboxes, process states)", run->mem_max >> 20);
}

/* Every exit is kept for cl.exits() (the first 100,000 of them). */
static void on_event(const sim_record *rec, void *arg) {
  scn_run *run = arg;
  /* A run must let time pass: a chain of new processes, or a livelock spread over many,
   * escapes the per-process budget but not this one (a quarter of the instruction budget, in
   * events, at one virtual instant). */
  if (rec->time_ns != run->instant_ns) {
    run->instant_ns = rec->time_ns;
    run->instant_events = 0;
  } else if (++run->instant_events == run->instr_max / 4) {
    char t[32];
    sim_format_duration(rec->time_ns, t, sizeof t);
    scn_error(run, "runaway run: %lld events at %s without virtual time passing (processes "
                   "that never wait, or a livelock among them)", run->instr_max / 4, t);
  }
  /* Messages waiting in mailboxes live in the runtime, not in Lua: they count against the
   * run's memory limit too, so a mailbox bomb is a clear error, not an OOM. The sum over the
   * nodes is taken after every 64 KiB of message payload or 256 events, whichever comes first:
   * the limit is overshot by at most that much, and the check costs nothing on the hot path. */
  run->mem_unchecked += rec->payload_size + 256u;
  if (run->mem_unchecked >= (1u << 16)) check_runtime_memory(run);
  if (rec->kind == AC_EV_EXIT) scn__record_exit(run, rec);
}

/* ---- The run ----------------------------------------------------------------------------- */

/* SIGINT / SIGTERM: the handler only notes the signal and asks every active world to stop
 * after its current step (a store to a sig_atomic_t each); each run then ends as any other,
 * with a complete trace whose run_end says "interrupted". The flag is process-wide (a handler
 * has no argument), the worlds it stops are a registry of slots, so that several runs in one
 * process are all stopped. Slots are written only outside the handler, which only reads them. */
#define SIGNAL_WORLDS_MAX 64
static volatile sig_atomic_t signal_seen;
static sim_world *volatile signal_worlds[SIGNAL_WORLDS_MAX];

static void on_signal(int sig) {
  signal_seen = sig;
  for (size_t i = 0; i < SIGNAL_WORLDS_MAX; i++) {
    sim_world *w = signal_worlds[i];
    if (w) sim_request_stop(w);
  }
}

void scn_install_signal_handlers(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
}

int scn_watch_world(sim_world *w) {
  if (!w) return AC_OK;
  size_t i = 0;
  while (i < SIGNAL_WORLDS_MAX && signal_worlds[i]) i++;
  if (i == SIGNAL_WORLDS_MAX) return AC_ELIMIT;
  signal_worlds[i] = w;
  if (signal_seen) sim_request_stop(w); /* a signal before the run: it stops at once */
  return AC_OK;
}

void scn_unwatch_world(sim_world *w) {
  for (size_t i = 0; w && i < SIGNAL_WORLDS_MAX; i++)
    if (signal_worlds[i] == w) signal_worlds[i] = NULL;
}

int scn_signal_seen(void) { return signal_seen; }

int scn_need_world(scn_run *run) {
  if (run->w) return 0;
  if (scn_plan_read(run)) return AC_EINVAL; /* --faults: its seed comes before the world */
  sim_config cfg = {run->seed, run->name, run->opts->trace_path, run->opts->trace_fd,
                    run->opts->trace_limit_bytes};
  int rc = sim_world_create(&run->w, &cfg);
  if (rc == AC_OK) scn_record_run_info(run->w, run->opts, run->seed); /* first record: run_info.h */
  if (rc == AC_EIO && run->opts->trace_path) { /* the file cannot be made: say why */
    scn_error(run, "cannot write the trace %s: %s", run->opts->trace_path, strerror(errno));
    return rc;
  }
  if (rc == AC_OK) rc = sim_node_add(run->w, "a", NULL, &run->node);
  if (rc != AC_OK) {
    scn_error(run, "cannot start the run: %s%s%s", ac_strerror(rc),
              run->opts->trace_path ? " (trace file " : "",
              run->opts->trace_path ? run->opts->trace_path : "");
    if (run->opts->trace_path) strncat(run->error_msg, ")", sizeof run->error_msg - strlen(run->error_msg) - 1);
    return rc;
  }
  scn_node_setup(run, run->node);
  scn_net_world_ready(run);
  sim_keep_recent(run->w, RECENT_EVENTS);
  sim_rng_seed(&run->top_rng, run->seed, sim_stream_id("scenario"));
  sim_set_step_hook(run->w, step_hook, run);
  sim_set_event_hook(run->w, on_event, run);
  if (scn_plan_start(run)) return AC_EINVAL;
  if (scn_watch_world(run->w) != AC_OK) {
    scn_error(run, "cannot start the run: %d runs are open in this process already (the most "
                   "a signal can stop)", SIGNAL_WORLDS_MAX);
    return AC_ELIMIT;
  }
  return 0;
}

static void print_recent(scn_run *run) {
  sim_record recs[RECENT_EVENTS];
  uint32_t n = sim_recent_events(run->w, recs, RECENT_EVENTS);
  printf("last %u events:\n", n);
  for (uint32_t i = 0; i < n; i++) {
    char line[512];
    sim_format_record(&recs[i], line, sizeof line);
    printf("  %s\n", line);
  }
}

/* The command that replays the run: the same file (quoted for a shell when it needs to be),
 * seed and options that change the run. */
/* A path as a shell reads it back: quoted when it holds anything but plain characters. */
static void put_shell_word(const char *path) {
  if (path[strspn(path, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+,=")]) {
    putchar('\'');
    for (const char *p = path; *p; p++) {
      if (*p == '\'') fputs("'\\''", stdout);
      else putchar(*p);
    }
    putchar('\'');
  } else {
    fputs(path, stdout);
  }
}

static void print_replay(const scn_run *run) {
  const scn_options *o = run->opts;
  printf("replay: crashlab run ");
  put_shell_word(o->path);
  printf(" --seed %" PRIu64, run->seed);
  if (o->faults_path) { /* without it the run is another one: the scenario's own faults */
    printf(" --faults ");
    put_shell_word(o->faults_path);
  }
  if (o->max_time_ns) {
    char t[32];
    sim_format_duration(o->max_time_ns, t, sizeof t);
    printf(" --max-time %s", t);
  }
  if (o->unsafe) printf(" --unsafe");
  if (o->crashes == SCN_CRASHES_FAIL) printf(" --crashes=fail");
  if (o->crashes == SCN_CRASHES_COUNT) printf(" --crashes=count");
  printf("\n");
}

static void set_dir(scn_run *run, const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash)
    snprintf(run->scenario_dir, sizeof run->scenario_dir, ".");
  else
    snprintf(run->scenario_dir, sizeof run->scenario_dir, "%.*s", (int)(slash - path), path);
}

static void run_free(scn_run *run) {
  scn_unwatch_world(run->w);
  if (run->L) lua_close(run->L); /* before the world: no process callback may follow */
  run->L = NULL;
  scn_heap_destroy(&run->heap);
  sim_world_destroy(run->w);
  run->w = NULL;
  scn_free_owned(run); /* after the world: supervisors point into it until they are gone */
  while (run->timers) {
    scn_timer *next = run->timers->next;
    free(run->timers);
    run->timers = next;
  }
  free(run->props);
  run->props = NULL;
  free(run->proc_rngs);
  free(run->proc_rng_index);
  run->proc_rngs = NULL;
  run->proc_rng_index = NULL;
  run->proc_rng_count = run->proc_rng_cap = 0;
}

/* Loads and runs the file's top level (the setup); 0, or -1 with a scenario error. */
static int setup(scn_run *run) {
  lua_State *L = run->L;
  run->top_busy = 0;
  run->alloc_charge = 0;
  lua_pushcfunction(L, scn__traceback);
  lua_pushcfunction(L, scn__load_scenario); /* protected: reading a huge file may hit the limit */
  if (lua_pcall(L, 0, 1, 0) != LUA_OK) {
    scn_error(run, "%s", lua_tostring(L, -1));
    return -1;
  }
  if (lua_pcall(L, 0, 0, -2) != LUA_OK) {
    const char *msg = lua_tostring(L, -1);
    if (run->mem_exceeded && !(msg && strstr(msg, "memory limit of"))) /* no FILE:LINE */
      scn_error(run, "memory limit of %" PRIu64 " MiB exceeded during setup", run->mem_max >> 20);
    else
      scn_error(run, "%s", msg ? msg : "error object is not a string");
    return -1;
  }
  lua_pop(L, 1);
  return run->error ? -1 : scn_need_world(run);
}

/* After quiescence: what every live process waits for, so a deadlock is named as one. */
static void print_waiting(scn_run *run) {
  uint32_t total = 0;
  for (uint32_t m = 0; m < sim_node_count(run->w); m++)
    if (sim_node(run->w, m)) total += ac_node_process_count(sim_node(run->w, m));
  if (total == 0) {
    printf("nothing can happen any more: every process has ended\n");
    return;
  }
  printf("deadlock: nothing can happen any more; %u process%s wait%s for a message that will never "
         "come:\n", total, total == 1 ? "" : "es", total == 1 ? "s" : "");
  uint32_t shown = 0;
  for (uint32_t m = 0; m < sim_node_count(run->w) && shown < 20; m++) {
    ac_node *node = sim_node(run->w, m);
    uint32_t n = node ? ac_node_process_count(node) : 0;
    ac_pid *pids = n ? malloc(n * sizeof *pids) : NULL;
    if (!pids) continue;
    n = ac_node_processes(node, pids, n);
    for (uint32_t i = 0; i < n && shown < 20; i++, shown++) {
      ac_proc_info info;
      if (ac_node_info(node, pids[i], &info) != AC_OK) continue;
      char what[320];
      scn_describe_wait(node, pids[i], what, sizeof what);
      printf("  <%u.%u.%u>%s%s%s waits for %s; mailbox: %u message%s\n", ac_pid_node(pids[i]),
             ac_pid_slot(pids[i]), ac_pid_gen(pids[i]), info.name ? " (" : "",
             info.name ? info.name : "", info.name ? ")" : "", what, info.mailbox_len,
             info.mailbox_len == 1 ? "" : "s");
    }
    free(pids);
  }
  if (shown < total) printf("  ... and %u more\n", total - shown);
}

/* A duration as a person wrote it: "1h", "30m", "45s" when it is whole, else as the trace
 * prints it. */
static void round_duration(uint64_t ns, char *buf, size_t cap) {
  static const struct { uint64_t ns; const char *unit; } units[] = {
      {UINT64_C(3600000000000), "h"}, {UINT64_C(60000000000), "m"}, {UINT64_C(1000000000), "s"}};
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
    if (ns && ns % units[i].ns == 0) {
      snprintf(buf, cap, "%" PRIu64 "%s", ns / units[i].ns, units[i].unit);
      return;
    }
  sim_format_duration(ns, buf, cap);
}

/* The report's last notes before the verdict: crashes with Lua errors, a run cut by a time
 * cap rather than its stop, a scenario that checks nothing. */
static void print_notes(scn_run *run, sim_stop_reason stop, uint64_t limit) {
  if (run->crashes_fail && run->failed) {
    /* the failure above names the crash */
  } else if (run->lua_crashes == 1)
    printf("1 process crashed with a Lua error: %s\n", run->first_crash);
  else if (run->lua_crashes > 1)
    printf("%u processes crashed with Lua errors, first: %s\n", run->lua_crashes, run->first_crash);
  if (stop == SIM_STOP_TIME_LIMIT && !run->failed && !(run->stop_ns && limit == run->stop_ns)) {
    char t[32], st[32];
    round_duration(limit, t, sizeof t);
    round_duration(run->stop_ns, st, sizeof st);
    if (run->opts->max_time_ns)
      printf("stopped by --max-time %s%s%s%s\n", t, run->stop_ns ? " (before the scenario's stop at " : "",
             run->stop_ns ? st : " (the scenario sets no stop)", run->stop_ns ? ")" : "");
    else
      printf("stopped by the %s default cap: the scenario sets no stop (set cl.scenario{stop = ...} "
             "or --max-time)\n", t);
  }
  if (run->prop_count == 0 && !run->crashes_fail)
    printf("no properties: this run checks nothing (add cl.always, cl.eventually or cl.at_end)\n");
}

void scn_print_verdict(const scn_result *r) {
  scn_status_clear();
  char t[32];
  sim_format_duration(r->sim_time_ns, t, sizeof t);
  printf("%s scenario=%s seed=%" PRIu64 " events=%" PRIu64 " sim_time=%s hash=%016" PRIx64 "\n",
         r->verdict == SCN_PASS ? "PASS" : r->verdict == SCN_INTERRUPTED ? "INTERRUPTED" : "FAIL", r->name, r->seed, r->events, t, r->hash);
  fflush(stdout);
}

/* What a run is and has used so far (the verdict is left to the caller). */
static void fill_result(const scn_run *run, scn_result *out) {
  memcpy(out->name, run->name, sizeof out->name); /* same size, NUL-terminated */
  out->seed = run->seed;
  out->events = run->w ? sim_event_count(run->w) : 0;
  out->sim_time_ns = run->w ? sim_now(run->w) : 0;
  out->hash = run->w ? sim_hash(run->w) : 0;
  out->lua_bytes = run->mem_used;
  out->runtime_bytes = runtime_bytes(run);
}

scn_run *scn_run_open(const scn_options *opts) {
  FILE *probe = fopen(opts->path, "r");
  if (!probe) {
    fprintf(stderr, "crashlab: %s: cannot open: %s\n", opts->path, strerror(errno));
    return NULL;
  }
  struct stat st;
  bool is_dir = fstat(fileno(probe), &st) == 0 && S_ISDIR(st.st_mode);
  fclose(probe);
  if (is_dir) {
    fprintf(stderr, "crashlab: %s: is a directory (crashlab run takes a scenario file, FILE.lua)\n",
            opts->path);
    return NULL;
  }
  scn_run *run = calloc(1, sizeof *run);
  if (!run) {
    fprintf(stderr, "crashlab: out of memory\n");
    return NULL;
  }
  run->opts = opts;
  run->seed = opts->seed_given ? opts->seed : 1;
  if (!opts->seed_given) scn_seed_directive(opts->path, &run->seed); /* a `--! seed N` line */
  run->mem_max = opts->memory_max ? opts->memory_max : MEMORY_DEFAULT;
  run->crashes_fail = opts->crashes == SCN_CRASHES_FAIL;
  scn_set_instruction_limit(run, INSTRUCTIONS_DEFAULT);
  const char *base = strrchr(opts->path, '/');
  snprintf(run->name, sizeof run->name, "%s", base ? base + 1 : opts->path);
  char *dot = strrchr(run->name, '.');
  if (dot && strcmp(dot, ".lua") == 0) *dot = 0;
  set_dir(run, opts->path);
  run->stop = SIM_STOP_QUIESCENT;
  if (scn__open_state(run) != 0) {
    fprintf(stderr, "crashlab: cannot create a Lua state\n");
    scn_run_close(run);
    return NULL;
  }
  if (setup(run) == 0) {
    uint64_t limit = run->stop_ns ? run->stop_ns : (opts->max_time_ns ? opts->max_time_ns : MAX_TIME_DEFAULT);
    if (opts->max_time_ns && opts->max_time_ns < limit) limit = opts->max_time_ns;
    run->limit_ns = limit;
    run->set_up = true;
    run->running = !run->failed;
    run->status_start_s = wall_s();
    run->status_next_s = run->status_start_s + opts->status_after_ms / 1000.0;
  }
  return run;
}

bool scn_run_step(scn_run *run, uint64_t steps_max) {
  if (!run->running) return false;
  if (signal_seen) { /* a signal before this step: the run ends where it is */
    run->running = false;
    return false;
  }
  sim_limits lim = {run->limit_ns, steps_max ? sim_step_count(run->w) + steps_max : 0};
  sim_stop_reason stop = sim_run(run->w, &lim);
  if (stop == SIM_STOP_STEP_LIMIT) return true;
  run->stop = stop;
  run->running = false;
  return false;
}

void scn_run_peek(const scn_run *run, scn_result *out) {
  memset(out, 0, sizeof *out);
  fill_result(run, out);
  if (run->error)
    out->verdict = SCN_ERROR;
  else if (signal_seen)
    out->verdict = SCN_INTERRUPTED;
  else
    out->verdict = run->failed != run->expect_fail ? SCN_FAIL : SCN_PASS;
}

scn_verdict scn_run_finish(scn_run *run, scn_result *out) {
  assert(!run->finished && "a run is finished once");
  run->finished = true;
  const scn_options *opts = run->opts;
  memset(out, 0, sizeof *out);
  out->verdict = SCN_ERROR;
  while (scn_run_step(run, 0)) {
  }
  sim_stop_reason stop = run->stop;
  uint64_t limit = run->limit_ns;
  if (run->set_up) {
    scn_status_clear();
    if (!run->failed) check_runtime_memory(run);
    if (!run->failed && !run->error && !signal_seen && stop != SIM_STOP_TRACE_LIMIT) scn__check_at_end(run);
  }
  if (run->mem_exceeded) /* even when a pcall caught it: the limit is the run's */
    scn_error(run, "memory limit of %" PRIu64 " MiB exceeded", run->mem_max >> 20);
  /* A scenario error before the world existed still leaves a trace, if one was asked for:
   * a header and the run_end that says what went wrong. */
  if (run->error && !run->w && (opts->trace_path || opts->trace_fd > 0)) {
    /* A bare world (no node, no Lua): nothing had happened yet, and the Lua state may be out
     * of memory. If even this fails, there is no trace, as when the file cannot be created. */
    sim_config cfg = {run->seed, run->name, opts->trace_path, opts->trace_fd, 0};
    if (sim_world_create(&run->w, &cfg) != AC_OK) run->w = NULL;
    else scn_record_run_info(run->w, opts, run->seed);
  }
  bool trace_full = run->w && sim_trace_limit_reached(run->w) && !run->error;
  int interrupted = signal_seen;
  if (run->w) { /* why the run ended: its last record */
    if (run->error)
      sim_end(run->w, run->mem_exceeded || strncmp(run->error_msg, "memory limit of", 15) == 0
                          ? SIM_END_MEMORY : SIM_END_ERROR, SCN_ERROR, run->error_msg);
    else if (trace_full) {
      char detail[96];
      snprintf(detail, sizeof detail, "the trace reached its limit of %" PRIu64 " bytes (--trace-limit)",
               opts->trace_limit_bytes);
      sim_end(run->w, SIM_END_TRACE_LIMIT, SCN_ERROR, detail);
    }
    else if (interrupted)
      sim_end(run->w, SIM_END_INTERRUPTED, run->failed && !run->expect_fail ? SCN_FAIL : SCN_PASS,
              interrupted == SIGTERM ? "SIGTERM" : "SIGINT");
    else if (run->failed)
      sim_end(run->w, SIM_END_PROPERTY, run->expect_fail ? SCN_PASS : SCN_FAIL, run->fail_what);
    else if (stop == SIM_STOP_TIME_LIMIT)
      sim_end(run->w, run->stop_ns && limit == run->stop_ns ? SIM_END_STOP_TIME : SIM_END_TIME_CAP,
              run->expect_fail ? SCN_FAIL : SCN_PASS,
              run->stop_ns && limit == run->stop_ns ? "stop time reached" : "time cap reached (--max-time)");
    else
      sim_end(run->w, SIM_END_QUIESCENT, run->expect_fail ? SCN_FAIL : SCN_PASS,
              "nothing can happen any more");
  }
  int trace_rc = run->w ? sim_finish(run->w) : 0;
  if (trace_rc) {
    fprintf(stderr, "crashlab: writing the trace %s failed: %s\n",
            opts->trace_path ? opts->trace_path : "(descriptor)", ac_strerror(trace_rc));
    return SCN_ERROR;
  }
  if (run->error) {
    fprintf(stderr, "crashlab: %s\n", run->error_msg);
    return SCN_ERROR;
  }
  if (trace_full) {
    char t[32];
    sim_format_duration(sim_now(run->w), t, sizeof t);
    fprintf(stderr, "crashlab: the trace reached its limit of %" PRIu64 " bytes (--trace-limit); "
                    "the run stopped at %s and the trace%s%s is complete up to there\n",
            opts->trace_limit_bytes, t, opts->trace_path ? " " : "", opts->trace_path ? opts->trace_path : "");
    return SCN_ERROR;
  }
  char note[512];
  scn_plan_unmade_note(run, note, sizeof note);
  if (note[0]) fprintf(stderr, "crashlab: note: %s\n", note); /* even --quiet: the plan said more */
  scn_verdict v;
  if (interrupted) {
    printf("interrupted by %s at virtual time ", interrupted == SIGTERM ? "SIGTERM" : "SIGINT");
    char t[32];
    sim_format_duration(sim_now(run->w), t, sizeof t);
    printf("%s\n", t);
    v = SCN_INTERRUPTED;
  } else if (run->failed) {
    char t[32];
    sim_format_duration(run->fail_ns, t, sizeof t);
    printf("%s at %s%s\n", run->fail_what, t, run->expect_fail ? " (expected: the scenario says expect = \"fail\")" : "");
    if (stop == SIM_STOP_QUIESCENT) print_waiting(run); /* found after nothing could happen */
    if (!run->expect_fail) {
      print_recent(run);
      print_replay(run);
    }
    v = run->expect_fail ? SCN_PASS : SCN_FAIL;
  } else if (run->expect_fail) {
    printf("expected a property to fail (expect = \"fail\"), but every property held\n");
    v = SCN_FAIL;
  } else {
    v = SCN_PASS;
  }
  if (!opts->quiet && !interrupted) print_notes(run, stop, limit);
  out->verdict = v;
  fill_result(run, out);
  if (!opts->hold_verdict) scn_print_verdict(out);
  return v;
}

void scn_run_close(scn_run *run) {
  if (!run) return;
  run_free(run);
  free(run);
}

scn_verdict scn_run_file(const scn_options *opts, scn_result *out) {
  memset(out, 0, sizeof *out);
  out->verdict = SCN_ERROR;
  scn_run *run = scn_run_open(opts);
  if (!run) return SCN_ERROR;
  scn_verdict v = scn_run_finish(run, out);
  scn_run_close(run);
  return v;
}

