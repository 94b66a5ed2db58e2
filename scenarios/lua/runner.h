/*
 * The scenario runner: one Lua state per run, a sandboxed environment with the crashlab API,
 * Lua processes as coroutines on a simulated node, scheduled faults and properties, and the
 * verdict.
 *
 * A run is a pure function of (scenario file, seed, crashlab version): Lua's own sources of
 * nondeterminism are closed in the sandbox (pairs visits keys in a sorted order, math.random
 * draws from the seed, os.time/os.clock read virtual time), and the Lua allocator counts every
 * byte so a memory limit is a clear error.
 */
#ifndef CRASHLAB_RUNNER_H
#define CRASHLAB_RUNNER_H

#include <lua.h>

#include <stdbool.h>
#include <stdint.h>

#include "code.h"
#include "luaheap.h"
#include "world.h"

typedef struct scn_options {
  const char *path;        /* the scenario file */
  uint64_t seed;           /* used when seed_given */
  bool seed_given;
  const char *trace_path;  /* or NULL */
  const char *faults_path; /* --faults: a fault plan made instead of the scenario's faults */
  int trace_fd;            /* or stream the trace to this open descriptor (a live viewer's
                              pipe): flushed every 64 KiB and at the end, not closed; -1 or 0
                              for none (0 is standard input, never a trace) */
  uint64_t trace_limit_bytes; /* the run ends (exit 2) once the trace passes it; 0: none */
  uint64_t max_time_ns;    /* cap on virtual time when the scenario sets no stop; 0: default */
  uint64_t memory_max;     /* bytes the Lua state may use; 0: default (256 MiB) */
  bool quiet;
  bool unsafe;             /* full Lua standard library, no sandbox */
  bool hold_verdict;       /* do not print the PASS/FAIL line (the caller prints it later) */
  int crashes;             /* --crashes: SCN_CRASHES_* (0: what the scenario says, else count) */
  bool status_line;        /* show a live status line on stderr (a terminal, not --quiet) */
  uint32_t status_after_ms; /* ... once the run has taken this long (wall time) */
} scn_options;

/* What a process that crashed with a Lua error of the author's code does to the run
 * (cl.scenario{crashes = ...}, --crashes=...): counted at the verdict, or the run fails. */
enum { SCN_CRASHES_DEFAULT = 0, SCN_CRASHES_COUNT = 1, SCN_CRASHES_FAIL = 2 };

typedef enum scn_verdict {
  SCN_PASS = 0,  /* the properties held (or an expected failure was seen) */
  SCN_FAIL = 1,  /* a property failed (or an expected failure was not seen) */
  SCN_ERROR = 2, /* the scenario itself is broken: the message says where (also: the trace
                    reached its limit) */
  SCN_INTERRUPTED = 3, /* SIGINT or SIGTERM ended the run early (its trace is complete) */
} scn_verdict;

typedef struct scn_result {
  scn_verdict verdict;
  char name[256];          /* scenario name */
  uint64_t seed;
  uint64_t events;
  uint64_t sim_time_ns;
  uint64_t hash;
  uint64_t lua_bytes;      /* Lua memory in use when the run ended */
  uint64_t runtime_bytes;  /* node allocator memory in use when the run ended */
} scn_result;

/* Prints the verdict line of a result: PASS|FAIL scenario=... seed=... events=... sim_time=...
 * hash=... */
void scn_print_verdict(const scn_result *r);

/*
 * Runs a scenario and prints its report to stdout (the last line is the PASS/FAIL line) and
 * scenario errors to stderr as "crashlab: FILE:LINE: message". Returns the verdict. It is
 * scn_run_open, then scn_run_finish, then scn_run_close.
 */
scn_verdict scn_run_file(const scn_options *opts, scn_result *out);

/*
 * A run step by step. Everything a run holds is in its scn_run (no state is shared between
 * runs but the signal flag and the terminal's status line), so several runs may be open in one
 * process and stepped in any interleaving: each gives the trace, hash and verdict it gives
 * alone.
 */
typedef struct scn_run scn_run;
/* Opens a run of opts->path: the Lua state, the sandbox, the file's top level (the setup) and
 * the world. opts must outlive the run. A scenario error in the setup still opens the run (it
 * has nothing to step; scn_run_finish reports the error). Returns NULL, with the reason printed
 * to stderr ("crashlab: FILE: cannot open: ..."), when the file cannot be opened, is a
 * directory, or no Lua state can be made. */
scn_run *scn_run_open(const scn_options *opts);
/* Runs up to steps_max scheduler steps (0: until the run ends). Returns true while the run can
 * go on, false once it has ended (its stop time, quiescence, the time cap, a failed property, a
 * scenario error, a signal, a limit); then it does nothing more. */
bool scn_run_step(scn_run *run, uint64_t steps_max);
/* The run so far: name, seed, events, virtual time, hash, memory, and the verdict it would have
 * if it ended now without its at_end properties. */
void scn_run_peek(const scn_run *run, scn_result *out);
/* Runs what is left, checks the at_end properties, records why the run ended, completes the
 * trace, prints the report (and the verdict line unless opts->hold_verdict) and fills *out.
 * Returns the verdict. Once per run. */
scn_verdict scn_run_finish(scn_run *run, scn_result *out);
/* Frees the run (its Lua state, world and trace writer); NULL is ignored. A run closed before
 * scn_run_finish leaves no complete trace. */
void scn_run_close(scn_run *run);

/* Installs the SIGINT and SIGTERM handlers of a run: they only note the signal and ask the
 * running world to stop (the run then ends normally, verdict SCN_INTERRUPTED).
 */
void scn_install_signal_handlers(void);
/* Adds w to the worlds a handler asks to stop (up to 64 at once; every open run adds its own),
 * and stops it at once if a signal came already: 0, or AC_ELIMIT when 64 worlds are watched
 * already (w is not). scn_unwatch_world removes it (before it is destroyed). For runs outside
 * scn_run_open (demos). */
int scn_watch_world(sim_world *w);
void scn_unwatch_world(sim_world *w);
/* The signal seen so far (SIGINT, SIGTERM), or 0. */
int scn_signal_seen(void);

/* ---- Shared by the binding files ---------------------------------------------------------- */

typedef struct scn_prop scn_prop;

struct scn_run {
  lua_State *L;
  sim_world *w;
  ac_node *node;           /* node "a" (machine 0) as first created: use scn_here() */
  ac_proc *current;        /* process whose coroutine is running, or NULL */
  const scn_options *opts;
  char name[256];
  uint64_t seed;
  uint64_t stop_ns;        /* 0: none */
  bool expect_fail;
  bool declared;           /* cl.scenario{} was called */
  scn_prop *props;
  uint32_t prop_count, prop_cap;
  bool failed;             /* a property failed */
  char fail_what[512];
  uint64_t fail_ns;
  bool error;              /* a scenario error: stop and exit 2 */
  char error_msg[1024];
  uint64_t mem_used, mem_max;
  scn_heap heap;           /* where the Lua state's memory comes from */
  bool mem_exceeded;
  sim_rng top_rng;         /* math.random outside processes */
  long long top_busy;      /* instructions of the current setup/callback/property call */
  long long alloc_charge;  /* work done inside C functions, in instructions: one per 64 bytes
                              they allocated (string.rep in a loop is not free) */
  long long instr_max;     /* the runaway budget (cl.scenario{limits={instructions=}}) */
  char instr_text[48];     /* it in words, for the runaway messages: "200 million" */
  lua_State *pred_thread;  /* where receive predicates run (anchored in the registry) */
  bool in_predicate;       /* a receive predicate is running: crashlab calls are refused */
  long long pred_busy;     /* instructions of the running predicate */
  uint64_t exits_seen;     /* exit events so far (cl.exits keeps the first 100,000) */
  uint64_t instant_ns;     /* the virtual time of the latest event ... */
  long long instant_events; /* ... and how many events it has had */
  uint32_t mem_unchecked;   /* payload bytes (+256 per event) since the runtime memory check */
  /* Addresses of a new coroutine's first blocks (its stack, its first call frames), which the
   * allocator records while hot_n < hot_max, so that a send can prefetch the receiver. */
  void **hot;
  unsigned hot_n, hot_max;
  struct owned *owned;     /* memory supervisor specs live in, freed at the end of the run */
  uint64_t spawn_handles;  /* handles of cl.spawn_on requests so far */
  int label_fn_ref, label_src_ref; /* spawn label caches in the registry (0: not made yet) */
  bool api_errors_crash;   /* cl.scenario{api_errors = "crash"}: API misuse in a process is a
                              process crash, not a scenario error */
  bool crashes_fail;       /* a Lua error crash fails the run (crashes = "fail", --crashes) */
  uint32_t lua_crashes;    /* processes that crashed with a Lua error of the author's code */
  char first_crash[400];   /* the first of them: "what at FILE:LINE (process <a.b.c>)" */
  int raised_kind;         /* SCN_RAISED_*: what the latest marked raise was ... */
  char raised_text[200];   /* ... and its message without FILE:LINE */
  uint64_t steps;          /* scheduler steps so far (the status line looks at the clock
                              every 1,024) */
  struct scn_timer *timers; /* every timer of the run, freed at the end */
  char scenario_dir[4096];  /* the scenario file's folder, where require looks first */
  /* Each process's random stream, found by its pid in an open-addressing index: 1 + its
   * position in proc_rngs, 0 = empty; 2 * proc_rng_cap slots (sandbox.c, current_rng). */
  struct scn_proc_rng *proc_rngs;
  size_t proc_rng_count, proc_rng_cap;
  uint32_t *proc_rng_index;
  uint64_t limit_ns;       /* the virtual time the run goes to: its stop, or the cap */
  sim_stop_reason stop;    /* why the world stopped (once it has) */
  bool set_up;             /* the setup ran without error: the world can be stepped */
  bool running;            /* scn_run_step may run more steps */
  bool finished;           /* scn_run_finish was called */
  double status_start_s;   /* the status line: when the run started (monotonic seconds, display */
  double status_next_s;    /* only) and when to draw it next */
};

/* Kinds of raise that a message alone does not tell apart (see scn_note_raise). */
enum { SCN_RAISED_NONE = 0, SCN_RAISED_CONDITION, SCN_RAISED_LUA };

scn_run *scn_run_of(lua_State *L);
/* The run, with its world created on first use (seeded by then); raises on failure. */
scn_run *scn_world_run(lua_State *L);
/* Creates the world if it does not exist yet: 0, or an AC_E code with a scenario error set. */
int scn_need_world(scn_run *run);
/* Records a scenario error (the first one wins) and asks the world to stop. */
void scn_error(scn_run *run, const char *fmt, ...);
/* Raises "WHAT: unknown field 'K' (a, b, ...)" if the table at idx has a key not in allowed
 * (NULL-terminated); of several, the smallest in byte order, the same on every run. */
void scn_check_fields(lua_State *L, int idx, const char *const *allowed, const char *what);
/* Sets the runaway budget and its wording. */
void scn_set_instruction_limit(scn_run *run, long long n);
/* Parses "250ms", "5s", "1.5s", "2m", "1h", "10us", "7ns", or a number of milliseconds. */
int scn_parse_duration(lua_State *L, int idx, uint64_t *ns, const char **why);
/* duration_ms(d [, what]), the one primitive both preludes use: the duration d in milliseconds,
 * twice: exact (a float: cl.chaos's times, which cl.at takes in fractional ms) and whole (an
 * integer, rounded down: gen_server's timeouts, which appear as integers in its exit reasons).
 * A bad duration raises "what: why" (what defaults to "duration"). */
int scn_l_duration_ms(lua_State *L);
/* The node a call acts on: the calling process's, or outside processes node "a"; raises if
 * that node is down. */
ac_node *scn_here(lua_State *L, scn_run *run);
/* The node where pid lives now, or NULL (its node crashed, or restarted since). */
ac_node *scn_node_of_pid(scn_run *run, ac_pid pid);
/* The machine number of the node named by the string at idx; raises for an unknown name. */
uint32_t scn_check_node(lua_State *L, int idx);
/* Makes a node (new, or a new incarnation) ready for Lua processes. */
void scn_node_setup(scn_run *run, ac_node *node);
/* The registry field of the prelude's runner of Module.Function(args...) (a fully-qualified
 * call), for supervisor children {Module, Function, args...} and cl.code.spawn_on. */
#define SCN_MFA_KEY "crashlab.mfa"
/* spawn_request's flag for a spawn by module and function name (cl.code.spawn_on). */
#define SCN_SPAWN_CODE 4
/* Primitives of cl.spawn_on (bind_proc.c) and the spawn handler of every node. */
int scn_l_spawn_request(lua_State *L);
int scn_l_spawn_forget(lua_State *L);
int scn_spawn_handler(ac_node *node, ac_pid requester, ac_term arg, ac_pid *pid_out);
/* Memory freed at the end of the run (zeroed); NULL when out of memory. */
void *scn_own(scn_run *run, size_t size);
/* The same mechanism for another owner: zeroed memory on the block list *list (NULL when out
 * of memory), and every block of the list freed (the list left empty; safe twice). */
void *scn_own_on(struct owned **list, size_t size);
void scn_own_free(struct owned **list);
/* A copy of s in memory the run owns; raises "out of memory". */
const char *scn_own_string(lua_State *L, scn_run *run, const char *s);
/* Notes that the error about to be raised with message `msg` is a runtime condition (Erlang
 * would raise too: a send to a name nobody holds, noproc, a call that failed) or a Lua error of
 * the author's code (a receive predicate's, a runaway), not a misuse of the API. */
void scn_note_raise(scn_run *run, int kind, const char *msg);
/* Raises "FILE:LINE: message" (the caller's line) as a runtime condition (scn_note_raise). */
int scn_condition(lua_State *L, const char *fmt, ...);
/* condition(msg, level): error(msg, level) for the preludes, as a runtime condition. */
int scn_l_condition(lua_State *L);
/*
 * A process's code raised the error at the top of L, whose stack still holds the frames from
 * `level` up (a dead coroutine: 0; an xpcall handler: 1). Tells API misuse (raised inside a cl
 * call or the preludes: a scenario error unless api_errors = "crash"), a Lua error of the
 * author's code (counted; fails the run with crashes = "fail") and a crash the author asked
 * for or a condition (error(...) called by the author, cl.exit, noproc, ...: nothing). Leaves
 * the stack as it was.
 */
void scn_process_error(scn_run *run, lua_State *L, int level, ac_pid pid);
/* What the process waits for, in words ("a message matching {reply,_}", "any message"). */
void scn_describe_wait(ac_node *node, ac_pid pid, char *buf, size_t cap);
/* Erases the live status line if one is shown (before anything is printed to stdout). */
void scn_status_clear(void);
/* Registers cl.node, cl.net and the node faults into the table at the top. */
void scn_bind_net(lua_State *L);
/* Hooks the world's node restarts to the nodes' boot functions. */
void scn_net_world_ready(scn_run *run);
/* Registers the process API (spawn, send, receive, ...) into the table at the top. */
void scn_bind_proc(lua_State *L);
/* Spawns a Lua process that runs the function on top of L's stack (popped) with args (a
 * tuple or list term): from parent (AC_SPAWN_* opts), or, parent NULL, on `node` from `as` (a
 * requester on another node) or from the node itself (as = AC_PID_NONE). Returns 0 or an AC_E
 * code, and never raises: its Lua half (the label, the thread) runs under a protected call,
 * and AC_ENOMEM says that memory ran out. A caller may hold C memory across it. */
int scn_spawn_function(scn_run *run, lua_State *L, ac_node *node, ac_proc *parent, ac_pid as,
                       unsigned opts, ac_term args, ac_pid *pid, ac_ref *mon);
/* The same with the spawn record's label given (an atom text, valid until the call returns)
 * instead of found from the function: cl.code.spawn names the module's function. */
int scn_spawn_labelled(scn_run *run, lua_State *L, ac_node *node, ac_proc *parent, ac_pid as,
                       unsigned opts, ac_term args, const char *label, ac_pid *pid, ac_ref *mon);
/* After a call that may have doomed the calling process (an exit signal to itself): if it is,
 * yields it for good, so no line after the call runs, as in Erlang; else returns nresults. */
int scn_stop_if_doomed(lua_State *L, int nresults);
/* Registers cl.code (hot code loading: bind_code.c) into the table at the top. */
void scn_bind_code(lua_State *L);
/* The node's ac_code_check_fn (core/code.h): whether a Lua process's stack runs a version. */
int scn_code_check(ac_node *node, ac_pid pid, const ac_code_version *v);
/* The coroutine of a live Lua process, or NULL (dead, or not a Lua process). */
lua_State *scn_process_thread(ac_node *node, ac_pid pid);
/* Registers cl.supervisor (supervision trees) into the table at the top. */
void scn_bind_sup(lua_State *L);
/* Frees what cl.supervisor copied for the run (after the world is gone). */
void scn_free_owned(scn_run *run);
/* Arms the instruction-count hook on a thread (preemption and runaway detection). */
void scn_hook_thread(lua_State *co);
/* Whether the thread is unwinding a runaway (its budget is spent: every Lua instruction it
 * runs raises the runaway again, until the code that was stopped has unwound). */
bool scn_runaway(lua_State *L);

#endif
