/*
 * The scenario runner (see runner.h): the Lua state and its sandbox, the scenario API
 * (cl.scenario, cl.at, cl.every, cl.kill, properties, observation), the run loop and the
 * verdict. The process API lives in bind_proc.c, value conversion in lterm.c.
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
#include "runner.h"
#include "run_info.h"

#include <errno.h>
#include <inttypes.h>
#include <lauxlib.h>
#include <lualib.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "lterm.h"

#define ENV_KEY "crashlab.env"
#define LOADED_KEY "crashlab.loaded"
#define MEMORY_DEFAULT (256u * 1024u * 1024u)
#define MAX_TIME_DEFAULT (UINT64_C(3600) * 1000000000u) /* 1 h of virtual time */
#define RECENT_EVENTS 20

enum { PROP_ALWAYS = 1, PROP_EVENTUALLY, PROP_AT_END };

struct scn_prop {
  int kind;
  char name[160];
  int fn_ref;
  uint64_t deadline_ns;
  bool satisfied; /* eventually: became true */
};

typedef struct scn_timer {
  scn_run *run;
  int fn_ref;
  uint64_t period_ns; /* 0: once */
  struct scn_timer *next;
} scn_timer;


scn_run *scn_run_of(lua_State *L) { return *(scn_run **)lua_getextraspace(L); }

scn_run *scn_world_run(lua_State *L) {
  scn_run *run = scn_run_of(L);
  if (run->in_predicate) luaL_error(L, "a receive predicate must not call crashlab functions (it decides, it does not act)");
  if (!run->w && scn_need_world(run) != 0) luaL_error(L, "%s", run->error_msg);
  return run;
}

void scn_error(scn_run *run, const char *fmt, ...) {
  if (run->error) return;
  run->error = true;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(run->error_msg, sizeof run->error_msg, fmt, ap);
  va_end(ap);
  if (run->w) sim_request_stop(run->w);
}

/* ---- Memory accounting ------------------------------------------------------------------- */

static void *counting_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  scn_run *run = ud;
  size_t old = ptr ? osize : 0;
  if (nsize == 0) {
    scn_heap_realloc(&run->heap, ptr, osize, 0);
    run->mem_used -= old;
    return NULL;
  }
  if (nsize > old && run->mem_used + (nsize - old) > run->mem_max) {
    run->mem_exceeded = true;
    return NULL;
  }
  void *p = scn_heap_realloc(&run->heap, ptr, osize, nsize);
  if (!p) return NULL;
  run->mem_used = run->mem_used - old + nsize;
  if (nsize > old) run->alloc_charge += (long long)((nsize - old) >> 6); /* see the hook */
  if (!ptr) {
    if (run->hot_n < run->hot_max) run->hot[run->hot_n++] = p;
  } else if (ptr != p) { /* a recorded block moved (a stack that grew) */
    for (unsigned i = 0; i < run->hot_n; i++)
      if (run->hot[i] == ptr) run->hot[i] = p;
  }
  return p;
}

/* ---- Durations --------------------------------------------------------------------------- */

/* Below INT64_MAX nanoseconds, so llround and the int64 timeouts of the runtime cannot
 * overflow. */
#define DURATION_NS_MAX 9e18
#define DURATION_TOO_LARGE "duration too large (at most about 285 years)"

int scn_parse_duration(lua_State *L, int idx, uint64_t *ns, const char **why) {
  if (lua_type(L, idx) == LUA_TNUMBER) { /* a number is milliseconds */
    double ms = lua_tonumber(L, idx);
    if (!(ms >= 0)) {
      *why = "duration must be a non-negative number of milliseconds";
      return -1;
    }
    if (ms * 1e6 > DURATION_NS_MAX) {
      *why = DURATION_TOO_LARGE;
      return -1;
    }
    *ns = (uint64_t)llround(ms * 1e6);
    return 0;
  }
  if (lua_type(L, idx) != LUA_TSTRING) {
    *why = "duration expected (a number of milliseconds or a string such as \"250ms\", \"5s\")";
    return -1;
  }
  const char *s = lua_tostring(L, idx);
  char *end;
  double v;
  /* Whole numbers with a unit ("1s", "250ms") are read here: a receive timeout is parsed at
   * every receive, and strtod is slow. Anything else ("1.5s", "1e3ms") goes to strtod. */
  uint64_t whole = 0;
  const char *p = s;
  while (*p >= '0' && *p <= '9' && p - s < 15) whole = whole * 10 + (uint64_t)(*p++ - '0');
  errno = 0;
  if (p > s && ((*p >= 'a' && *p <= 'z' && *p != 'e' && *p != 'x') || *p == 0)) {
    v = (double)whole;
    end = (char *)p;
  } else {
    v = strtod(s, &end);
  }
  static const struct {
    const char *unit;
    double ns;
  } units[] = {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
  if (end == s || errno || !(v >= 0)) {
    *why = "bad duration: expected a number with a unit, such as \"250ms\", \"5s\", \"2m\"";
    return -1;
  }
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
    if (strcmp(end, units[i].unit) == 0) {
      double total = v * units[i].ns;
      if (total > DURATION_NS_MAX) {
        *why = DURATION_TOO_LARGE;
        return -1;
      }
      *ns = (uint64_t)llround(total);
      return 0;
    }
  }
  *why = "bad duration unit: use ns, us, ms, s, m or h (\"250ms\", \"5s\")";
  return -1;
}

int scn_l_duration_ms(lua_State *L) {
  const char *why;
  uint64_t ns;
  if (scn_parse_duration(L, 1, &ns, &why)) return luaL_error(L, "%s: %s", luaL_optstring(L, 2, "duration"), why);
  lua_pushnumber(L, (lua_Number)ns / 1e6);
  lua_pushinteger(L, (lua_Integer)(ns / 1000000u));
  return 2;
}

static uint64_t check_duration(lua_State *L, int idx) {
  uint64_t ns;
  const char *why;
  if (scn_parse_duration(L, idx, &ns, &why)) luaL_argerror(L, idx, why);
  return ns;
}

/* ---- Calling Lua from the run loop ------------------------------------------------------- */

/* Message handler: errors are reported as their message alone ("file:line: what"), one line,
 * as a scenario error should be; non-string error values are converted. */
static int traceback(lua_State *L) {
  if (lua_isstring(L, 1)) return 1;
  if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
  /* Never luaL_tolstring: a table's text is its address, which differs between runs. */
  luaL_where(L, 2); /* 0: this handler, 1: error(), 2: who called it */
  lua_pushfstring(L, "error object is a %s value", luaL_typename(L, 1));
  lua_concat(L, 2);
  return 1;
}

/* Calls the function in registry slot ref with no arguments; 1 result when want_result.
 * On error records a scenario error prefixed with `what` and returns -1. */
static int call_ref(scn_run *run, int ref, bool want_result, const char *what) {
  lua_State *L = run->L;
  run->top_busy = 0;
  run->alloc_charge = 0;
  lua_pushcfunction(L, traceback);
  lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
  int rc = lua_pcall(L, 0, want_result ? 1 : 0, -2);
  if (rc != LUA_OK) {
    const char *msg = lua_tostring(L, -1);
    if (run->mem_exceeded && !(msg && strstr(msg, "memory limit of"))) /* no FILE:LINE */
      scn_error(run, "memory limit of %" PRIu64 " MiB exceeded", run->mem_max >> 20);
    else
      scn_error(run, "%s: %s", what, msg ? msg : "error object is not a string");
    lua_pop(L, 2);
    return -1;
  }
  lua_remove(L, -1 - (want_result ? 1 : 0));
  return 0;
}

/* ---- cl.scenario, timers, faults --------------------------------------------------------- */

void scn_check_fields(lua_State *L, int idx, const char *const *allowed, const char *what) {
  idx = lua_absindex(L, idx);
  const char *worst = NULL; /* the smallest unknown string key */
  const char *odd = NULL;   /* or the type of a key that is not a string */
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING) {
      const char *t = luaL_typename(L, -1);
      if (!odd || strcmp(t, odd) < 0) odd = t;
      continue;
    }
    const char *k = lua_tostring(L, -1);
    bool ok = false;
    for (int i = 0; allowed[i] && !ok; i++) ok = strcmp(k, allowed[i]) == 0;
    if (!ok && (!worst || strcmp(k, worst) < 0)) worst = k; /* the key stays in the table */
  }
  if (!worst && !odd) return;
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (int i = 0; allowed[i]; i++) {
    if (i) luaL_addstring(&b, ", ");
    luaL_addstring(&b, allowed[i]);
  }
  luaL_pushresult(&b);
  if (worst)
    luaL_error(L, "%s: unknown field '%s' (%s)", what, worst, lua_tostring(L, -1));
  luaL_error(L, "%s: a field name must be a string, not a %s (%s)", what, odd, lua_tostring(L, -1));
}

#define INSTRUCTIONS_DEFAULT 200000000LL
#define INSTRUCTIONS_MIN 100000LL
#define INSTRUCTIONS_MAX 1000000000000LL
#define MEMORY_MIN (1u << 20)
#define MEMORY_MAX (64ull << 30)

void scn_set_instruction_limit(scn_run *run, long long n) {
  run->instr_max = n;
  if (n % 1000000 == 0)
    snprintf(run->instr_text, sizeof run->instr_text, "%lld million", n / 1000000);
  else
    snprintf(run->instr_text, sizeof run->instr_text, "%lld", n);
}

/* A byte count: an integer, or a string with a unit ("64MiB", "512KiB", "1GiB"). */
static bool parse_bytes(lua_State *L, int idx, uint64_t *out) {
  if (lua_isinteger(L, idx)) {
    if (lua_tointeger(L, idx) < 0) return false;
    *out = (uint64_t)lua_tointeger(L, idx);
    return true;
  }
  if (lua_type(L, idx) != LUA_TSTRING) return false;
  const char *s = lua_tostring(L, idx);
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (end == s || errno || *s == '-') return false;
  static const struct { const char *unit; unsigned shift; } units[] = {
      {"B", 0}, {"KiB", 10}, {"MiB", 20}, {"GiB", 30}};
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
    if (strcmp(end, units[i].unit) == 0) {
      if (v > (UINT64_MAX >> units[i].shift)) return false;
      *out = (uint64_t)v << units[i].shift;
      return true;
    }
  return false;
}

/* limits = { instructions = N, memory = "64MiB" }: the runaway budget and the memory limit. */
static int scenario_limits(lua_State *L, int idx) {
  scn_run *run = scn_run_of(L);
  if (lua_type(L, idx) != LUA_TTABLE) return luaL_error(L, "scenario: limits must be a table");
  if (lua_getfield(L, idx, "instructions") != LUA_TNIL) {
    if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < INSTRUCTIONS_MIN ||
        lua_tointeger(L, -1) > INSTRUCTIONS_MAX)
      return luaL_error(L, "scenario: limits.instructions must be an integer from %I to %I",
                        (lua_Integer)INSTRUCTIONS_MIN, (lua_Integer)INSTRUCTIONS_MAX);
    scn_set_instruction_limit(run, (long long)lua_tointeger(L, -1));
  }
  lua_pop(L, 1);
  if (lua_getfield(L, idx, "memory") != LUA_TNIL) {
    uint64_t bytes;
    if (!parse_bytes(L, -1, &bytes) || bytes < MEMORY_MIN || bytes > MEMORY_MAX)
      return luaL_error(L, "scenario: limits.memory must be a byte count from 1MiB to 64GiB "
                           "(an integer, or a string such as \"64MiB\")");
    if (bytes <= run->mem_used)
      return luaL_error(L, "scenario: limits.memory: the run already uses %I bytes",
                        (lua_Integer)run->mem_used);
    run->mem_max = bytes;
  }
  lua_pop(L, 1);
  static const char *const fields[] = {"instructions", "memory", NULL};
  scn_check_fields(L, idx, fields, "scenario: limits");
  return 0;
}

static int l_scenario(lua_State *L) {
  scn_run *run = scn_run_of(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  if (run->declared) return luaL_error(L, "scenario: declared twice");
  if (run->w)
    return luaL_error(L, "scenario{...} must come first, before any process, timer or property");
  run->declared = true;
  if (lua_getfield(L, 1, "name") != LUA_TNIL) {
    const char *name = lua_tostring(L, -1);
    if (lua_type(L, -1) != LUA_TSTRING || !name[0] || strlen(name) >= sizeof run->name || strpbrk(name, " \t\n"))
      return luaL_error(L, "scenario: name must be a non-empty string without spaces, under 256 bytes");
    snprintf(run->name, sizeof run->name, "%s", name);
  }
  if (lua_getfield(L, 1, "seed") != LUA_TNIL) {
    if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 0)
      return luaL_error(L, "scenario: seed must be a non-negative integer");
    if (!run->opts->seed_given) run->seed = (uint64_t)lua_tointeger(L, -1);
  }
  if (lua_getfield(L, 1, "stop") != LUA_TNIL) {
    const char *why;
    if (scn_parse_duration(L, -1, &run->stop_ns, &why)) return luaL_error(L, "scenario: stop: %s", why);
  }
  if (lua_getfield(L, 1, "expect") != LUA_TNIL) {
    const char *e = lua_tostring(L, -1);
    if (!e || (strcmp(e, "fail") != 0 && strcmp(e, "pass") != 0))
      return luaL_error(L, "scenario: expect must be \"pass\" or \"fail\"");
    run->expect_fail = strcmp(e, "fail") == 0;
  }
  if (lua_getfield(L, 1, "api_errors") != LUA_TNIL) {
    const char *e = lua_tostring(L, -1);
    if (!e || (strcmp(e, "scenario") != 0 && strcmp(e, "crash") != 0))
      return luaL_error(L, "scenario: api_errors must be \"scenario\" (a misuse of a cl call in a "
                           "process stops the run, exit 2) or \"crash\" (it crashes the process)");
    run->api_errors_crash = strcmp(e, "crash") == 0;
  }
  if (lua_getfield(L, 1, "crashes") != LUA_TNIL) {
    const char *e = lua_tostring(L, -1);
    if (!e || (strcmp(e, "count") != 0 && strcmp(e, "fail") != 0))
      return luaL_error(L, "scenario: crashes must be \"count\" (processes that crash with a Lua "
                           "error are counted at the verdict) or \"fail\" (such a crash fails the run)");
    if (run->opts->crashes == SCN_CRASHES_DEFAULT) run->crashes_fail = strcmp(e, "fail") == 0;
  }
  lua_settop(L, 1);
  if (lua_getfield(L, 1, "limits") != LUA_TNIL) scenario_limits(L, 2);
  lua_settop(L, 1);
  /* Unknown fields are refused: a typo should not pass silently. */
  static const char *const fields[] = {"name", "seed", "stop", "expect", "limits", "api_errors",
                                       "crashes", NULL};
  scn_check_fields(L, 1, fields, "scenario");
  return 0;
}

static void timer_fire(sim_world *w, void *arg) {
  scn_timer *t = arg;
  scn_run *run = t->run;
  if (run->error || run->failed) return;
  call_ref(run, t->fn_ref, false, "timer callback");
  if (t->period_ns && !run->error) sim_at(w, sim_now(w) + t->period_ns, timer_fire, t);
}

static int add_timer(lua_State *L, uint64_t at_ns, uint64_t period_ns, int fn_idx) {
  scn_run *run = scn_run_of(L);
  lua_pushvalue(L, fn_idx);
  int fn_ref = luaL_ref(L, LUA_REGISTRYINDEX); /* may raise: before the timer is allocated */
  scn_timer *t = calloc(1, sizeof *t);
  if (!t) {
    luaL_unref(L, LUA_REGISTRYINDEX, fn_ref);
    return luaL_error(L, "out of memory");
  }
  t->fn_ref = fn_ref;
  t->run = run;
  t->period_ns = period_ns;
  t->next = run->timers;
  run->timers = t;
  if (sim_at(run->w, at_ns, timer_fire, t) != AC_OK) return luaL_error(L, "cannot schedule a timer");
  return 0;
}

/* at(time, fn): fn runs once at virtual time `time` (absolute). */
static int l_at(lua_State *L) {
  scn_run *run = scn_world_run(L);
  uint64_t at = check_duration(L, 1);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  if (at < sim_now(run->w)) return luaL_argerror(L, 1, "that time has already passed");
  return add_timer(L, at, 0, 2);
}

/* every(period, fn): fn runs every `period`, the first time one period from now. */
static int l_every(lua_State *L) {
  scn_run *run = scn_world_run(L);
  uint64_t period = check_duration(L, 1);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  if (period == 0) return luaL_argerror(L, 1, "period must be positive");
  return add_timer(L, sim_now(run->w) + period, period, 2);
}

/* kill(pid_or_name [, reason]): an exit signal from outside, reason `kill` by default. */
static int l_kill(lua_State *L) {
  scn_run *run = scn_world_run(L);
  ac_pid pid;
  if (lua_type(L, 1) == LUA_TSTRING) {
    pid = ac_whereis(scn_here(L, run), scn_check_name(L, 1));
    if (ac_pid_is_none(pid)) {
      lua_pushboolean(L, 0);
      return 1;
    }
  } else {
    pid = scn_check_pid(L, 1);
  }
  ac_tbuf b;
  ac_tb_init(&b);
  char err[256] = "";
  int rc = lua_isnoneornil(L, 2) ? ac_tb_atom(&b, "kill") : scn_lua_to_term(L, 2, &b, "reason", err, sizeof err);
  ac_term reason;
  if (rc == 0) rc = ac_tb_finish(&b, &reason);
  if (rc) {
    ac_tb_free(&b);
    return luaL_error(L, "kill: %s", err[0] ? err : ac_strerror(rc));
  }
  rc = sim_proc_kill(run->w, pid, reason); /* one fault record, then the exit signal */
  ac_tb_free(&b);
  lua_pushboolean(L, rc == AC_OK);
  return scn_stop_if_doomed(L, 1); /* a process that killed itself runs no further */
}

/* ---- Properties -------------------------------------------------------------------------- */

static scn_prop *add_prop(lua_State *L, int kind, int name_idx, int fn_idx) {
  scn_run *run = scn_run_of(L);
  const char *name = luaL_checkstring(L, name_idx);
  luaL_checktype(L, fn_idx, LUA_TFUNCTION);
  if (run->prop_count == run->prop_cap) {
    uint32_t cap = run->prop_cap ? run->prop_cap * 2 : 8;
    scn_prop *p = realloc(run->props, cap * sizeof *p);
    if (!p) luaL_error(L, "out of memory");
    run->props = p;
    run->prop_cap = cap;
  }
  scn_prop *p = &run->props[run->prop_count++];
  memset(p, 0, sizeof *p);
  p->kind = kind;
  snprintf(p->name, sizeof p->name, "%s", name);
  lua_pushvalue(L, fn_idx);
  p->fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return p;
}

static int l_always(lua_State *L) {
  add_prop(L, PROP_ALWAYS, 1, 2);
  return 0;
}

/* An eventually property's deadline: the run and the property's index (owned by the run). */
typedef struct prop_at {
  scn_run *run;
  uint32_t index;
} prop_at;
static void eventually_deadline(sim_world *w, void *arg);

static int l_eventually(lua_State *L) {
  scn_run *run = scn_world_run(L);
  uint64_t deadline = check_duration(L, 2);
  if (deadline < sim_now(run->w))
    return luaL_argerror(L, 2, "that time has already passed (the deadline is a time, not a delay)");
  scn_prop *p = add_prop(L, PROP_EVENTUALLY, 1, 3);
  p->deadline_ns = deadline;
  /* The index, not the pointer: the array may move as properties are added. */
  prop_at *at = scn_own(run, sizeof *at);
  if (!at) return luaL_error(L, "out of memory");
  at->run = run;
  at->index = run->prop_count - 1;
  sim_at(run->w, deadline, eventually_deadline, at);
  return 0;
}

static int l_at_end(lua_State *L) {
  add_prop(L, PROP_AT_END, 1, 2);
  return 0;
}

/* A property failed (or a crash with crashes = "fail"): recorded in the trace (a property
 * record named `name`) at the time it was found. */
__attribute__((format(printf, 3, 4))) static void fail(scn_run *run, const char *name, const char *fmt, ...) {
  if (run->failed) return;
  run->failed = true;
  run->fail_ns = sim_now(run->w);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(run->fail_what, sizeof run->fail_what, fmt, ap);
  va_end(ap);
  sim_property_failed(run->w, name, run->fail_what);
  sim_request_stop(run->w);
}

enum { PROP_ERROR = -1, PROP_FALSE = 0, PROP_TRUE = 1, PROP_NIL = 2 };

/* Evaluates a property: PROP_TRUE, PROP_FALSE, PROP_NIL (it returned nothing: a missing
 * `return` is not the same mistake as a false condition), PROP_ERROR (recorded). */
static int eval_prop(scn_run *run, const scn_prop *p) {
  char what[200];
  snprintf(what, sizeof what, "property '%s'", p->name);
  if (call_ref(run, p->fn_ref, true, what)) return PROP_ERROR;
  int ok = lua_isnil(run->L, -1) ? PROP_NIL : lua_toboolean(run->L, -1) ? PROP_TRUE : PROP_FALSE;
  lua_pop(run->L, 1);
  return ok;
}

#define RETURNED_NIL "returned nothing (nil) instead of true or false"


/* ---- Errors inside processes: API misuse, the author's Lua errors, conditions ------------- */

#define API_SET_KEY "crashlab.api"   /* registry: every C function of the cl tables -> true */
#define ERROR_FN_KEY "crashlab.error" /* registry: the base library's error */

/* The message without a leading "FILE:LINE: ". */
static const char *bare_message(const char *msg) {
  for (const char *p = msg; *p && *p != ' ' && *p != '\n'; p++) {
    if (*p != ':' || p[1] < '0' || p[1] > '9') continue;
    const char *q = p + 1;
    while (*q >= '0' && *q <= '9') q++;
    if (q[0] == ':' && q[1] == ' ') return q + 2;
  }
  return msg;
}

void scn_note_raise(scn_run *run, int kind, const char *msg) {
  run->raised_kind = kind;
  snprintf(run->raised_text, sizeof run->raised_text, "%s", bare_message(msg));
}

int scn_condition(lua_State *L, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  lua_pushvfstring(L, fmt, ap);
  va_end(ap);
  scn_note_raise(scn_run_of(L), SCN_RAISED_CONDITION, lua_tostring(L, -1));
  luaL_where(L, 1);
  lua_insert(L, -2);
  lua_concat(L, 2);
  return lua_error(L);
}

int scn_l_condition(lua_State *L) {
  const char *msg = luaL_checkstring(L, 1);
  int level = (int)luaL_optinteger(L, 2, 1);
  scn_note_raise(scn_run_of(L), SCN_RAISED_CONDITION, msg);
  luaL_where(L, level);
  lua_pushvalue(L, 1);
  lua_concat(L, 2);
  return lua_error(L);
}

static bool from_prelude(const lua_Debug *ar) { return strncmp(ar->source, "=cl.", 4) == 0; }

enum { ERR_RAISED, ERR_API, ERR_LUA };

/* What kind of error the value at the top of L is (see scn_process_error); `where` gets the
 * innermost line of the author's code on the stack from `level` up ("" if none). */
static int classify_error(scn_run *run, lua_State *L, int level, char *where, size_t cap) {
  lua_Debug ar;
  where[0] = 0;
  for (int l = level; lua_getstack(L, l, &ar); l++)
    if (lua_getinfo(L, "Sl", &ar) && ar.what[0] != 'C' && ar.currentline > 0 && !from_prelude(&ar)) {
      snprintf(where, cap, "%s:%d", ar.short_src, ar.currentline);
      break;
    }
  if (lua_type(L, -1) != LUA_TSTRING) return ERR_RAISED; /* exit(Reason), error({...}), calls */
  const char *msg = bare_message(lua_tostring(L, -1));
  if (run->raised_kind != SCN_RAISED_NONE && run->raised_text[0] &&
      strncmp(msg, run->raised_text, strlen(run->raised_text)) == 0)
    return run->raised_kind == SCN_RAISED_CONDITION ? ERR_RAISED : ERR_LUA;
  if (!lua_checkstack(L, 4) || !lua_getstack(L, level, &ar) || !lua_getinfo(L, "Sf", &ar))
    return ERR_LUA;
  if (ar.what[0] != 'C') {
    lua_pop(L, 1);
    return from_prelude(&ar) ? ERR_API : ERR_LUA; /* crashlab's Lua code failed on what it got */
  }
  lua_getfield(L, LUA_REGISTRYINDEX, API_SET_KEY);
  lua_pushvalue(L, -2);
  bool api = lua_rawget(L, -2) != LUA_TNIL;
  lua_pop(L, 2);
  lua_getfield(L, LUA_REGISTRYINDEX, ERROR_FN_KEY);
  bool error_fn = lua_rawequal(L, -1, -2);
  lua_pop(L, 2);
  if (api) return ERR_API;
  lua_Debug up; /* a library function (or error) called by crashlab's own Lua code */
  if (lua_getstack(L, level + 1, &up) && lua_getinfo(L, "S", &up) && from_prelude(&up)) return ERR_API;
  return error_fn ? ERR_RAISED : ERR_LUA;
}

void scn_process_error(scn_run *run, lua_State *L, int level, ac_pid pid) {
  if (run->error || run->mem_exceeded) return;
  char where[300], who[48];
  int kind = classify_error(run, L, level, where, sizeof where);
  run->raised_kind = SCN_RAISED_NONE;
  snprintf(who, sizeof who, "process <%u.%u.%u>", ac_pid_node(pid), ac_pid_slot(pid), ac_pid_gen(pid));
  const char *msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
  if (kind == ERR_API && !run->api_errors_crash) {
    if (where[0])
      scn_error(run, "%s: %s (in %s; cl.scenario{api_errors = \"crash\"} makes it a crash of the "
                     "process)", where, bare_message(msg), who);
    else
      scn_error(run, "%s (in %s)", msg, who);
    return;
  }
  if (kind == ERR_RAISED) return;
  if (run->lua_crashes++ == 0) {
    const char *text = bare_message(msg);
    if (text != msg) /* the message names its own line: "what at FILE:LINE" */
      snprintf(run->first_crash, sizeof run->first_crash, "%s at %.*s (%s)", text,
               (int)(text - msg - 2), msg, who);
    else if (where[0])
      snprintf(run->first_crash, sizeof run->first_crash, "%s at %s (%s)", text, where, who);
    else
      snprintf(run->first_crash, sizeof run->first_crash, "%s (%s)", text, who);
  }
  if (run->crashes_fail && run->w)
    fail(run, "crashes", "%s crashed with a Lua error: %s (crashes = \"fail\")", who, bare_message(msg));
}

/* __index of the cl tables: an unknown name raises at the access with the nearest name. */
static size_t edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 64 || lb > 64) return 99;
  size_t d[65][65];
  for (size_t i = 0; i <= la; i++) d[i][0] = i;
  for (size_t j = 0; j <= lb; j++) d[0][j] = j;
  for (size_t i = 1; i <= la; i++)
    for (size_t j = 1; j <= lb; j++) {
      size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
      if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
        best = d[i - 2][j - 2] + 1; /* a transposition ("recieve") counts once */
      d[i][j] = best;
    }
  return d[la][lb];
}

static int l_api_index(lua_State *L) {
  if (lua_type(L, 2) != LUA_TSTRING) return 0; /* cl[1]: nil, as for any table */
  const char *key = lua_tostring(L, 2);
  const char *best = NULL;
  size_t best_d = 99;
  lua_pushnil(L);
  while (lua_next(L, 1)) { /* the nearest name, ties to the smallest: the same every run */
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING) continue;
    const char *k = lua_tostring(L, -1);
    size_t d = edit_distance(key, k);
    if (d < best_d || (d == best_d && best && strcmp(k, best) < 0)) {
      best = k; /* stays valid: the key stays in the table */
      best_d = d;
    }
  }
  const char *what = lua_tostring(L, lua_upvalueindex(1));
  luaL_where(L, 1);
  if (best && best_d <= 1 + strlen(key) / 3)
    lua_pushfstring(L, "%s has no '%s'; did you mean '%s'?", what, key, best);
  else
    lua_pushfstring(L, "%s has no '%s' (docs/scenario-api.md lists what it has)", what, key);
  lua_concat(L, 2);
  return lua_error(L);
}

/* Adds every C function of the table at idx to the API set at set_idx. */
static void add_api_functions(lua_State *L, int idx, int set_idx) {
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    if (lua_iscfunction(L, -1)) {
      lua_pushboolean(L, 1);
      lua_rawset(L, set_idx);
    } else {
      lua_pop(L, 1);
    }
  }
}

/* Gives cl and its tables (cl.server, cl.supervisor, cl.net, ...) the guard, and records their
 * C functions as the API (scn_process_error tells misuse from the author's errors by them). */
static void guard_api(lua_State *L, int cl) {
  lua_newtable(L);
  int set = lua_gettop(L);
  lua_pushcfunction(L, l_api_index);
  int index_fn = lua_gettop(L);
  lua_pushvalue(L, index_fn);
  lua_pushboolean(L, 1);
  lua_rawset(L, set);
  add_api_functions(L, cl, set);
  lua_pushnil(L);
  while (lua_next(L, cl)) {
    if (lua_type(L, -1) == LUA_TTABLE && lua_type(L, -2) == LUA_TSTRING && !lua_getmetatable(L, -1)) {
      int t = lua_gettop(L);
      add_api_functions(L, t, set);
      lua_createtable(L, 0, 1);
      lua_pushfstring(L, "cl.%s", lua_tostring(L, -3));
      lua_pushcclosure(L, l_api_index, 1);
      lua_pushvalue(L, -1);
      lua_pushboolean(L, 1);
      lua_rawset(L, set); /* each closure is a function of its own */
      lua_setfield(L, -2, "__index");
      lua_setmetatable(L, t);
    }
    lua_pop(L, 1);
  }
  lua_createtable(L, 0, 1);
  lua_pushliteral(L, "crashlab");
  lua_pushcclosure(L, l_api_index, 1);
  lua_pushvalue(L, -1);
  lua_pushboolean(L, 1);
  lua_rawset(L, set);
  lua_setfield(L, -2, "__index");
  lua_setmetatable(L, cl);
  lua_pop(L, 1); /* index_fn */
  lua_setfield(L, LUA_REGISTRYINDEX, API_SET_KEY);
  lua_getglobal(L, "error");
  lua_setfield(L, LUA_REGISTRYINDEX, ERROR_FN_KEY);
}

static void eventually_deadline(sim_world *w, void *arg) {
  (void)w;
  const prop_at *at = arg;
  scn_run *run = at->run;
  scn_prop *p = &run->props[at->index];
  if (p->satisfied || run->failed || run->error) return;
  int ok = eval_prop(run, p);
  if (ok == PROP_TRUE)
    p->satisfied = true;
  else if (ok == PROP_NIL)
    fail(run, p->name, "property '%s' (eventually, deadline %.3fs) " RETURNED_NIL, p->name,
         (double)p->deadline_ns / 1e9);
  else if (ok == PROP_FALSE)
    fail(run, p->name, "property '%s' (eventually, deadline %.3fs) did not become true", p->name,
         (double)p->deadline_ns / 1e9);
}

/* ---- The live status line (display only) ------------------------------------------------- */

/* On a terminal, a run that takes a while shows where it is on stderr. It reads the wall clock,
 * which is display only: nothing of it reaches the simulation, so it cannot change the run or
 * its hash. */
static struct {
  bool shown;        /* a status line is on the terminal now */
  double start_s;    /* when the run started (monotonic seconds) */
  double next_s;     /* when to draw the next one */
  uint64_t limit_ns; /* the stop time (or the cap) the run goes to */
} status;

static double wall_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void scn_status_clear(void) {
  if (!status.shown) return;
  fflush(stdout);
  fputs("\r\033[K", stderr);
  fflush(stderr);
  status.shown = false;
}

static void status_draw(scn_run *run) {
  double now = wall_s();
  if (now < status.next_s) return;
  status.next_s = now + 0.25; /* four times a second */
  char t[32], lim[32], line[200];
  uint64_t sim_ns = sim_now(run->w);
  sim_format_duration(sim_ns, t, sizeof t);
  sim_format_duration(status.limit_ns, lim, sizeof lim);
  double elapsed = now - status.start_s;
  int n = snprintf(line, sizeof line, "[%s of %s, %.0f%%] %" PRIu64 " events, %.3gx real time",
                   t, lim, status.limit_ns ? 100.0 * (double)sim_ns / (double)status.limit_ns : 0.0,
                   sim_event_count(run->w), elapsed > 0 ? (double)sim_ns / 1e9 / elapsed : 0.0);
  (void)n;
  fflush(stdout);
  fprintf(stderr, "\r\033[K%s", line);
  fflush(stderr);
  status.shown = true;
}

static void step_hook(sim_world *w, void *arg) {
  (void)w;
  scn_run *run = arg;
  if (run->opts->status_line && (++run->steps & 1023) == 0) status_draw(run);
  if (run->mem_exceeded) {
    scn_error(run, "memory limit of %" PRIu64 " MiB exceeded", run->mem_max >> 20);
    return;
  }
  for (uint32_t i = 0; i < run->prop_count && !run->failed && !run->error; i++) {
    scn_prop *p = &run->props[i];
    if (p->kind == PROP_ALWAYS) {
      int ok = eval_prop(run, p);
      if (ok == PROP_FALSE) fail(run, p->name, "property '%s' (always) is false", p->name);
      if (ok == PROP_NIL) fail(run, p->name, "property '%s' (always) " RETURNED_NIL, p->name);
    } else if (p->kind == PROP_EVENTUALLY && !p->satisfied) {
      if (eval_prop(run, p) == PROP_TRUE) p->satisfied = true;
    }
  }
}

/* ---- Nodes ------------------------------------------------------------------------------- */

ac_node *scn_here(lua_State *L, scn_run *run) {
  if (run->current) return ac_proc_node(run->current);
  ac_node *node = sim_node(run->w, 0);
  if (!node) luaL_error(L, "node %s is down (crashed): name a node that is up", sim_node_name(run->w, 0));
  return node;
}

ac_node *scn_node_of_pid(scn_run *run, ac_pid pid) {
  int m = sim_node_of_index(run->w, ac_pid_node(pid));
  if (m < 0 || sim_node_incarnation(run->w, (uint32_t)m) != ac_pid_node(pid)) return NULL;
  return sim_node(run->w, (uint32_t)m);
}

uint32_t scn_check_node(lua_State *L, int idx) {
  scn_run *run = scn_world_run(L);
  const char *name = luaL_checkstring(L, idx);
  int m = sim_node_find(run->w, name);
  if (m >= 0) return (uint32_t)m;
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (uint32_t i = 0; i < sim_node_count(run->w); i++) {
    if (i) luaL_addstring(&b, ", ");
    luaL_addstring(&b, sim_node_name(run->w, i));
  }
  luaL_pushresult(&b);
  luaL_error(L, "unknown node '%s' (the nodes are: %s; declare one with cl.node)", name, lua_tostring(L, -1));
  return 0;
}

/* Memory of the runtimes of every node that is up. */
static uint64_t runtime_bytes(scn_run *run) {
  uint64_t sum = 0;
  for (uint32_t i = 0; run->w && i < sim_node_count(run->w); i++) {
    ac_node *n = sim_node(run->w, i);
    if (n) sum += ac_node_alloc_stats(n)->bytes_in_use;
  }
  return sum;
}

/* ---- Observation ------------------------------------------------------------------------- */

static int l_alive(lua_State *L) {
  scn_run *run = scn_world_run(L);
  ac_pid pid = scn_check_pid(L, 1);
  ac_node *node = scn_node_of_pid(run, pid);
  lua_pushboolean(L, node && ac_node_alive(node, pid));
  return 1;
}

/* The node named by the optional argument at idx (default: here), or NULL if it is down. */
static ac_node *node_arg(lua_State *L, scn_run *run, int idx) {
  if (lua_isnoneornil(L, idx)) return scn_here(L, run);
  return sim_node(run->w, scn_check_node(L, idx));
}

/* processes([node]): live pids of a node (default: the caller's), {} if the node is down. */
static int l_processes(lua_State *L) {
  scn_run *run = scn_world_run(L);
  ac_node *node = node_arg(L, run, 1);
  uint32_t n = node ? ac_node_process_count(node) : 0;
  /* A userdata, not malloc: filling the table can raise a memory error, and the collector
   * frees the userdata then. */
  ac_pid *pids = lua_newuserdatauv(L, (n ? n : 1) * sizeof *pids, 0);
  n = node ? ac_node_processes(node, pids, n) : 0;
  lua_createtable(L, (int)n, 0);
  for (uint32_t i = 0; i < n; i++) {
    scn_push_pid(L, pids[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

/* Pushes an array of the pids at the other end of one kind of relation of `pid`. */
static void push_relations(lua_State *L, const ac_node *node, ac_pid pid, ac_rel_kind kind) {
  ac_pid few[16], *pids = few;
  uint32_t n = ac_node_relations(node, pid, kind, few, 16);
  if (n > 16) {
    pids = lua_newuserdatauv(L, n * sizeof *pids, 0); /* freed by the collector, even on error */
    ac_node_relations(node, pid, kind, pids, n);
  }
  lua_createtable(L, (int)n, 0);
  for (uint32_t i = 0; i < n; i++) {
    scn_push_pid(L, pids[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  if (pids != few) lua_remove(L, -2);
}

/* info(pid): {mailbox=n, links={pids}, monitors={pids}, monitored_by={pids}, trap_exit=,
 * name=} for a live process, nil for a dead one. The pid arrays are in ascending pid order. */
static int l_info(lua_State *L) {
  scn_run *run = scn_world_run(L);
  ac_pid pid = scn_check_pid(L, 1);
  ac_proc_info info;
  ac_node *node = scn_node_of_pid(run, pid);
  if (!node || ac_node_info(node, pid, &info) != AC_OK) {
    lua_pushnil(L);
    return 1;
  }
  lua_createtable(L, 0, 6);
  lua_pushinteger(L, info.mailbox_len);
  lua_setfield(L, -2, "mailbox");
  push_relations(L, node, pid, AC_REL_LINKS);
  lua_setfield(L, -2, "links");
  push_relations(L, node, pid, AC_REL_MONITORS);
  lua_setfield(L, -2, "monitors");
  push_relations(L, node, pid, AC_REL_MONITORED_BY);
  lua_setfield(L, -2, "monitored_by");
  lua_pushboolean(L, info.trap_exit);
  lua_setfield(L, -2, "trap_exit");
  if (info.name) {
    lua_pushstring(L, info.name);
    lua_setfield(L, -2, "name");
  }
  return 1;
}

static int l_registered(lua_State *L) {
  scn_run *run = scn_world_run(L);
  ac_node *node = node_arg(L, run, 1);
  uint32_t n = node ? ac_node_registered(node, NULL, NULL, 0) : 0;
  const char **names = lua_newuserdatauv(L, (n ? n : 1) * sizeof *names, 0); /* as in processes() */
  n = node ? ac_node_registered(node, names, NULL, n) : 0;
  lua_createtable(L, (int)n, 0);
  for (uint32_t i = 0; i < n; i++) {
    lua_pushstring(L, names[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

/* counters(): events of the run so far, by kind (sent, received, exits, ...). */
static int l_counters(lua_State *L) {
  scn_run *run = scn_world_run(L);
  static const struct {
    const char *name;
    uint16_t kind;
  } ks[] = {{"spawned", AC_EV_SPAWN},   {"exits", AC_EV_EXIT},         {"sent", AC_EV_SEND},
            {"received", AC_EV_RECEIVE}, {"dropped", AC_EV_SEND_DEAD}, {"timeouts", AC_EV_TIMEOUT},
            {"downs", AC_EV_DOWN},       {"signals", AC_EV_SIGNAL}};
  lua_createtable(L, 0, (int)(sizeof ks / sizeof ks[0]) + 1);
  for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++) {
    lua_pushinteger(L, (lua_Integer)sim_event_kind_count(run->w, ks[i].kind));
    lua_setfield(L, -2, ks[i].name);
  }
  lua_pushinteger(L, (lua_Integer)sim_event_count(run->w));
  lua_setfield(L, -2, "events");
  return 1;
}

#define EXITS_KEY "crashlab.exits"
#define EXITS_MAX 100000

#define EXITS_VIEW_KEY "crashlab.exits_view"

/* Runs on the observer thread: appends {pid = Pid, reason = Reason, time = ms} to the exits
 * table. */
static int record_exit(lua_State *T) {
  const sim_record *rec = lua_touserdata(T, 1);
  lua_getfield(T, LUA_REGISTRYINDEX, EXITS_KEY);
  lua_createtable(T, 0, 3);
  scn_push_pid(T, (ac_pid){rec->a});
  lua_setfield(T, -2, "pid");
  ac_term reason = {rec->payload};
  scn_push_term(T, reason);
  lua_setfield(T, -2, "reason");
  lua_pushinteger(T, (lua_Integer)(rec->time_ns / 1000000u));
  lua_setfield(T, -2, "time");
  lua_rawseti(T, -2, (lua_Integer)lua_rawlen(T, -2) + 1);
  return 0;
}

/* The view scenarios get of the exits: reads go to the table, writes are refused, so a
 * property cannot change what the others see. */
static int exits_len(lua_State *L) {
  lua_getfield(L, LUA_REGISTRYINDEX, EXITS_KEY);
  lua_pushinteger(L, (lua_Integer)lua_rawlen(L, -1));
  return 1;
}

static int exits_write(lua_State *L) {
  return luaL_error(L, "cl.exits() is read-only: copy it to change it");
}

static int exits_next(lua_State *L) { /* pairs over the view: 1..n in order */
  lua_Integer i = luaL_checkinteger(L, 2) + 1;
  lua_getfield(L, LUA_REGISTRYINDEX, EXITS_KEY);
  if (lua_rawgeti(L, -1, i) == LUA_TNIL) return 0;
  lua_pushinteger(L, i);
  lua_insert(L, -2);
  return 2;
}

static int exits_pairs(lua_State *L) {
  lua_pushcfunction(L, exits_next);
  lua_pushvalue(L, 1);
  lua_pushinteger(L, 0);
  return 3;
}

static void make_exits_view(lua_State *L) {
  lua_newtable(L); /* the view */
  lua_createtable(L, 0, 4);
  lua_getfield(L, LUA_REGISTRYINDEX, EXITS_KEY);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, exits_len);
  lua_setfield(L, -2, "__len");
  lua_pushcfunction(L, exits_write);
  lua_setfield(L, -2, "__newindex");
  lua_pushcfunction(L, exits_pairs);
  lua_setfield(L, -2, "__pairs");
  lua_pushliteral(L, "crashlab.exits");
  lua_setfield(L, -2, "__name");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable"); /* setmetatable cannot undo it */
  lua_setmetatable(L, -2);
  lua_setfield(L, LUA_REGISTRYINDEX, EXITS_VIEW_KEY);
}

/* The runtime's memory against the run's limit: checked as events pass (on_event) and once
 * more when the run ends, so an overrun in the last events is caught too. */
static void check_runtime_memory(scn_run *run) {
  run->mem_unchecked = 0;
  if (runtime_bytes(run) > run->mem_max && !run->error)
    scn_error(run, "memory limit of %" PRIu64 " MiB exceeded by the runtime (messages waiting "
                   "in mailboxes, process states)", run->mem_max >> 20);
}

/* Every exit is kept for cl.exits() (the first EXITS_MAX of them). */
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
  if (rec->kind != AC_EV_EXIT || run->exits_seen++ >= EXITS_MAX) return;
  lua_State *T = run->pred_thread;
  int top = lua_gettop(T);
  lua_pushcfunction(T, record_exit);
  lua_pushlightuserdata(T, (void *)rec);
  if (lua_pcall(T, 1, 0, 0) != LUA_OK && run->mem_exceeded)
    scn_error(run, "memory limit of %" PRIu64 " MiB exceeded", run->mem_max >> 20);
  lua_settop(T, top);
}

/* exits(): every process exit so far, oldest first: {pid = Pid, reason = Reason, time = ms}
 * (the first 100,000), as a read-only view. */
static int l_exits(lua_State *L) {
  scn_world_run(L);
  lua_getfield(L, LUA_REGISTRYINDEX, EXITS_VIEW_KEY);
  return 1;
}

static int l_list(lua_State *L) { /* cl.list{...}: a table that converts to a list */
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  luaL_setmetatable(L, SCN_LIST_MT);
  return 1;
}

static int l_bin(lua_State *L) { /* cl.bin(s): a string that converts to a binary */
  luaL_checkstring(L, 1);
  lua_createtable(L, 1, 0);
  lua_pushvalue(L, 1);
  lua_rawseti(L, -2, 1);
  luaL_setmetatable(L, SCN_BIN_MT);
  return 1;
}

/* ---- Sandbox: deterministic replacements ------------------------------------------------- */

/* Pushes the first key after position i (0: from the start) whose value is not nil, and its
 * value; returns 2, or 1 (a nil) at the end. Keys removed meanwhile are skipped, as next does. */
static int push_from(lua_State *L, int table, int keys, lua_Integer *i) {
  for (;;) {
    (*i)++;
    if (lua_rawgeti(L, keys, *i) == LUA_TNIL) return 1;
    lua_pushvalue(L, -1);
    if (lua_rawget(L, table) != LUA_TNIL) return 2;
    lua_pop(L, 2);
  }
}

static int sorted_next(lua_State *L) {
  lua_Integer i = lua_tointeger(L, lua_upvalueindex(2));
  int n = push_from(L, 1, lua_upvalueindex(1), &i);
  lua_pushinteger(L, i);
  lua_replace(L, lua_upvalueindex(2));
  return n;
}

/* pairs(t): keys in the fixed order of scn_push_sorted_keys. */
static int l_pairs(lua_State *L) {
  luaL_checkany(L, 1);
  if (luaL_getmetafield(L, 1, "__pairs") != LUA_TNIL) {
    lua_pushvalue(L, 1);
    lua_call(L, 1, 3);
    return 3;
  }
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  scn_push_sorted_keys(L, 1, true);
  lua_pushinteger(L, 0);
  lua_pushcclosure(L, sorted_next, 2); /* upvalues: keys, position */
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}

/* next(t [, k]) in the same order as pairs. Each call sorts the keys again (O(n log n)), so
 * a loop over next is quadratic: iterate with pairs. */
static int l_next(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 2);
  scn_push_sorted_keys(L, 1, true);
  lua_Integer i = 0;
  if (!lua_isnil(L, 2)) {
    lua_Integer n = (lua_Integer)lua_rawlen(L, 3);
    for (i = 1; i <= n; i++) {
      lua_rawgeti(L, 3, i);
      int same = lua_rawequal(L, -1, 2);
      lua_pop(L, 1);
      if (same) break;
    }
    if (i > n) return luaL_error(L, "invalid key to 'next'");
  }
  return push_from(L, 1, 3, &i);
}

static sim_rng *current_rng(lua_State *L);

/* math.random with Lua's interface, drawing from the seed (a stream per process). */
static int l_random(lua_State *L) {
  sim_rng *r = current_rng(L);
  lua_Integer lo, hi;
  switch (lua_gettop(L)) {
    case 0: lua_pushnumber(L, sim_rng_unit(r)); return 1;
    case 1: lo = 1; hi = luaL_checkinteger(L, 1); break;
    case 2: lo = luaL_checkinteger(L, 1); hi = luaL_checkinteger(L, 2); break;
    default: return luaL_error(L, "wrong number of arguments");
  }
  luaL_argcheck(L, lo <= hi, lua_gettop(L), "interval is empty");
  uint64_t span = (uint64_t)hi - (uint64_t)lo;
  uint64_t v = span == UINT64_MAX ? sim_rng_next(r) : sim_rng_below(r, span + 1);
  lua_pushinteger(L, (lua_Integer)((uint64_t)lo + v));
  return 1;
}

static int l_randomseed(lua_State *L) {
  return luaL_error(L, "math.randomseed is disabled: the run's seed drives all randomness (--seed N)");
}

static int l_os_time(lua_State *L) {
  scn_run *run = scn_run_of(L);
  lua_pushinteger(L, (lua_Integer)((run->w ? sim_now(run->w) : 0) / 1000000000u));
  return 1;
}

static int l_os_clock(lua_State *L) {
  scn_run *run = scn_run_of(L);
  lua_pushnumber(L, (double)(run->w ? sim_now(run->w) : 0) / 1e9);
  return 1;
}

/* tostring without addresses: tables and functions print as their type only. */
/* tostring that never shows an address (addresses differ between runs): a value with a
 * __tostring (pids, refs) uses it; other tables, functions, coroutines and userdata show their
 * __name or their type; the wildcard shows as "_". */
static int l_tostring(lua_State *L) {
  luaL_checkany(L, 1);
  int t = lua_type(L, 1);
  if (t == LUA_TTABLE || t == LUA_TFUNCTION || t == LUA_TTHREAD || t == LUA_TUSERDATA) {
    if (luaL_getmetafield(L, 1, "__tostring") == LUA_TNIL) {
      if (luaL_getmetafield(L, 1, "__name") != LUA_TSTRING) lua_pushstring(L, lua_typename(L, t));
      return 1;
    }
    lua_pop(L, 1);
  }
  lua_settop(L, 1);
  luaL_tolstring(L, 1, NULL);
  return 1;
}

/* setmetatable without __gc: a finalizer runs with hooks off, so a runaway one could never be
 * stopped (and it would run at times the scenario does not control). */
static int l_setmetatable(lua_State *L) {
  if (lua_type(L, 2) == LUA_TTABLE && lua_getfield(L, 2, "__gc") != LUA_TNIL)
    return luaL_error(L, "setmetatable: __gc is not available in the sandbox (crashlab run "
                         "--unsafe allows it)");
  lua_settop(L, 2);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, 2, 1);
  return 1;
}

/* string.format(fmt, ...) with %s arguments through l_tostring and %p refused. */
static int l_format(lua_State *L) {
  size_t len;
  const char *fmt = luaL_checklstring(L, 1, &len);
  int arg = 1, top = lua_gettop(L);
  for (size_t i = 0; i < len; i++) {
    if (fmt[i] != '%') continue;
    if (++i < len && fmt[i] == '%') continue;
    while (i < len && strchr("-+ #0123456789.", fmt[i])) i++; /* flags, width, precision */
    if (i >= len) break; /* string.format reports the bad format */
    arg++;
    if (fmt[i] == 'p')
      return luaL_error(L, "string.format: %%p is not available in the sandbox (it shows an address)");
    if (fmt[i] == 's' && arg <= top && lua_type(L, arg) != LUA_TSTRING &&
        lua_type(L, arg) != LUA_TNUMBER) {
      lua_pushcfunction(L, l_tostring);
      lua_pushvalue(L, arg);
      lua_call(L, 1, 1);
      lua_replace(L, arg);
    }
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, top, 1);
  return 1;
}

static int l_print(lua_State *L) {
  scn_run *run = scn_run_of(L);
  int n = lua_gettop(L);
  if (run->opts->quiet) return 0;
  scn_status_clear();
  char t[32];
  sim_format_duration(run->w ? sim_now(run->w) : 0, t, sizeof t);
  printf("[%s] ", t);
  for (int i = 1; i <= n; i++) {
    lua_pushcfunction(L, l_tostring);
    lua_pushvalue(L, i);
    lua_call(L, 1, 1);
    printf("%s%s", i > 1 ? "\t" : "", lua_tostring(L, -1));
    lua_pop(L, 1);
  }
  printf("\n");
  return 0;
}

/* ---- require and load -------------------------------------------------------------------- */



static const char *base_name(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

/* Loads a text chunk (binary only with --unsafe) under the sandbox environment. The chunk is
 * named by `chunkname` (the file's base name, or the module's path below its directory), not
 * by where the file lives: error messages, exit reasons and therefore the trace hash are the
 * same in every checkout. */
static int load_in_env(lua_State *L, const char *path, const char *chunkname) {
  scn_run *run = scn_run_of(L);
  FILE *f = fopen(path, "rb");
  if (!f) {
    lua_pushfstring(L, "cannot open %s: %s", chunkname, strerror(errno));
    return LUA_ERRFILE;
  }
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  char chunk[8192];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) luaL_addlstring(&b, chunk, n);
  int failed = ferror(f);
  fclose(f);
  luaL_pushresult(&b);
  if (failed) {
    lua_pop(L, 1);
    lua_pushfstring(L, "cannot read %s", chunkname);
    return LUA_ERRFILE;
  }
  size_t len;
  const char *text = lua_tolstring(L, -1, &len);
  size_t skip = 0;
  if (len > 0 && text[0] == '#') /* a '#!' first line, as lua(1) allows; its newline stays */
    while (skip < len && text[skip] != '\n') skip++;
  lua_pushfstring(L, "@%s", chunkname);
  int rc = luaL_loadbufferx(L, text + skip, len - skip, lua_tostring(L, -1),
                            run->opts->unsafe ? NULL : "t");
  lua_remove(L, -2); /* the name */
  lua_remove(L, -2); /* the text */
  if (rc != LUA_OK) return rc;
  if (!run->opts->unsafe) {
    lua_getfield(L, LUA_REGISTRYINDEX, ENV_KEY);
    lua_setupvalue(L, -2, 1);
  }
  return LUA_OK;
}

static int l_require(lua_State *L) {
  scn_run *run = scn_run_of(L);
  const char *name = luaL_checkstring(L, 1);
  lua_getfield(L, LUA_REGISTRYINDEX, LOADED_KEY);
  if (lua_getfield(L, -1, name) != LUA_TNIL) return 1;
  lua_pop(L, 1);
  for (const char *p = name; *p; p++)
    if (!(*p == '_' || *p == '.' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
          (*p >= '0' && *p <= '9')))
      return luaL_error(L, "require: bad module name '%s'", name);
  char rel[512];
  snprintf(rel, sizeof rel, "%s", name);
  for (char *p = rel; *p; p++)
    if (*p == '.') *p = '/';
  const char *dirs[] = {run->scenario_dir, CRASHLAB_SCENARIO_LIB};
  for (size_t i = 0; i < 2; i++) {
    char path[4700];
    snprintf(path, sizeof path, "%s/%s.lua", dirs[i], rel);
    FILE *f = fopen(path, "r");
    if (!f) continue;
    fclose(f);
    char chunkname[520];
    snprintf(chunkname, sizeof chunkname, "%s.lua", rel);
    if (load_in_env(L, path, chunkname) != LUA_OK) return lua_error(L);
    lua_pushstring(L, name);
    lua_call(L, 1, 1);
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      lua_pushboolean(L, 1);
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, name);
    return 1;
  }
  /* No directory in the message: it would differ between checkouts and reach the trace. */
  return luaL_error(L, "require: module '%s' not found beside the scenario or in scenarios/library/lib/",
                    name);
}

/* load(chunk [, name [, mode [, env]]]) for text chunks only, in the sandbox by default. */
static int l_load(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  const char *name = luaL_optstring(L, 2, "=(load)");
  int rc = luaL_loadbufferx(L, s, len, name, "t");
  if (rc != LUA_OK) {
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
  }
  if (!lua_isnoneornil(L, 4))
    lua_pushvalue(L, 4);
  else
    lua_getfield(L, LUA_REGISTRYINDEX, ENV_KEY);
  lua_setupvalue(L, -2, 1);
  return 1;
}

/* __index of the sandbox's stand-ins for io, os, debug, coroutine, package: names what is
 * missing and why, at the caller's line, instead of "attempt to index a nil value". */
static int l_forbidden_index(lua_State *L) {
  const char *lib = lua_tostring(L, lua_upvalueindex(1));
  const char *key = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "?";
  luaL_where(L, 1); /* level 1: the Lua code that indexed the library */
  lua_pushfstring(L, "%s.%s is not available in the sandbox (crashlab run --unsafe allows it)", lib, key);
  lua_concat(L, 2);
  return lua_error(L);
}

static int l_forbidden_call(lua_State *L) {
  luaL_where(L, 1);
  lua_pushfstring(L, "%s is not available in the sandbox (crashlab run --unsafe allows it)",
                  lua_tostring(L, lua_upvalueindex(1)));
  lua_concat(L, 2);
  return lua_error(L);
}

/* Gives the table at the top a metatable whose __index reports lib.key as forbidden. */
static void forbid_missing(lua_State *L, const char *lib) {
  lua_newtable(L);
  lua_pushstring(L, lib);
  lua_pushcclosure(L, l_forbidden_index, 1);
  lua_setfield(L, -2, "__index");
  lua_setmetatable(L, -2);
}

/* Copies the functions of global library `lib` into a fresh table at the top. */
static void copy_lib(lua_State *L, const char *lib) {
  lua_newtable(L);
  lua_getglobal(L, lib);
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_settable(L, -5);
  }
  lua_pop(L, 1);
}

static void build_env(lua_State *L) {
  luaL_openlibs(L);
  /* The crashlab module. */
  lua_newtable(L);
  scn_bind_proc(L);
  scn_bind_sup(L);
  scn_bind_net(L);
  static const luaL_Reg fns[] = {
      {"scenario", l_scenario}, {"at", l_at},           {"every", l_every},
      {"kill", l_kill},         {"always", l_always},   {"eventually", l_eventually},
      {"at_end", l_at_end},     {"alive", l_alive},     {"processes", l_processes},
      {"info", l_info},         {"registered", l_registered}, {"counters", l_counters},
      {"list", l_list},         {"bin", l_bin},         {"exits", l_exits},
      {NULL, NULL},
  };
  luaL_setfuncs(L, fns, 0);
  scn_push_wildcard(L);
  lua_setfield(L, -2, "_");
  lua_pushstring(L, CRASHLAB_VERSION);
  lua_setfield(L, -2, "version");
  int cl = lua_gettop(L);
  lua_newtable(L);
  lua_pushvalue(L, cl);
  lua_setfield(L, -2, "crashlab");
  lua_setfield(L, LUA_REGISTRYINDEX, LOADED_KEY);

  /* The environment scenarios run in. */
  lua_newtable(L);
  int env = lua_gettop(L);
  static const char *base[] = {"assert", "error", "ipairs", "pcall", "xpcall", "select",
                               "tonumber", "type", "rawequal", "rawget", "rawset", "rawlen",
                               "setmetatable", "getmetatable", "_VERSION", NULL};
  for (const char **b = base; *b; b++) {
    lua_getglobal(L, *b);
    lua_setfield(L, env, *b);
  }
  static const luaL_Reg own[] = {{"pairs", l_pairs}, {"next", l_next}, {"tostring", l_tostring}, {"print", l_print},
                                 {"require", l_require}, {"load", l_load}, {NULL, NULL}};
  lua_pushvalue(L, env);
  luaL_setfuncs(L, own, 0);
  lua_pop(L, 1);
  static const char *libs[] = {"string", "table", "utf8", "math", NULL};
  for (const char **lib = libs; *lib; lib++) {
    copy_lib(L, *lib);
    lua_setfield(L, env, *lib);
  }
  /* string.format without addresses: %s goes through the sandbox's tostring, %p is refused.
   * Strings' methods ("%s"):format(...) come from the same table. */
  lua_getfield(L, env, "string");
  lua_getfield(L, -1, "format");
  lua_pushcclosure(L, l_format, 1);
  lua_setfield(L, -2, "format");
  lua_pushliteral(L, "");
  lua_getmetatable(L, -1);
  lua_pushvalue(L, -3);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 3);
  lua_getfield(L, env, "math");
  lua_pushcfunction(L, l_random);
  lua_setfield(L, -2, "random");
  lua_pushcfunction(L, l_randomseed);
  lua_setfield(L, -2, "randomseed");
  lua_pop(L, 1);
  lua_newtable(L);
  lua_pushcfunction(L, l_os_time);
  lua_setfield(L, -2, "time");
  lua_pushcfunction(L, l_os_clock);
  lua_setfield(L, -2, "clock");
  forbid_missing(L, "os");
  lua_setfield(L, env, "os");
  static const char *absent_libs[] = {"io", "debug", "coroutine", "package", NULL};
  for (const char **lib = absent_libs; *lib; lib++) {
    lua_newtable(L);
    forbid_missing(L, *lib);
    lua_setfield(L, env, *lib);
  }
  static const char *absent_fns[] = {"loadfile", "dofile", "collectgarbage", NULL};
  for (const char **fn = absent_fns; *fn; fn++) {
    lua_pushstring(L, *fn);
    lua_pushcclosure(L, l_forbidden_call, 1);
    lua_setfield(L, env, *fn);
  }
  lua_pushvalue(L, cl);
  lua_setfield(L, env, "cl");
  lua_getfield(L, env, "setmetatable");
  lua_pushcclosure(L, l_setmetatable, 1);
  lua_setfield(L, env, "setmetatable");
  lua_pushvalue(L, env);
  lua_setfield(L, env, "_G");
  lua_pushvalue(L, env);
  lua_setfield(L, LUA_REGISTRYINDEX, ENV_KEY);
  if (scn_run_of(L)->opts->unsafe) {
    /* --unsafe: the full standard library, but the same deterministic replacements and the
     * crashlab module, so a run stays a function of its seed. */
    static const char *keep[] = {"pairs", "next", "tostring", "print", "math", "os", "cl", NULL};
    lua_getglobal(L, "os");
    lua_getfield(L, env, "os");
    lua_getfield(L, -1, "time");
    lua_setfield(L, -3, "time");
    lua_getfield(L, -1, "clock");
    lua_setfield(L, -3, "clock");
    lua_pop(L, 2);
    for (const char **k = keep; *k; k++) {
      if (strcmp(*k, "os") == 0) continue;
      lua_getfield(L, env, *k);
      lua_setglobal(L, *k);
    }
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "loaded");
    lua_pushvalue(L, cl);
    lua_setfield(L, -2, "crashlab");
    lua_pop(L, 2);
  }
  lua_settop(L, cl);
  guard_api(L, cl);
  lua_settop(L, cl - 1);
}

/* ---- Process random streams -------------------------------------------------------------- */

/* Each process has its own stream, created on first use and kept until the run ends, found by
 * its pid in an open-addressing index (a draw is on the hot path of many scenarios). */
typedef struct scn_proc_rng {
  uint64_t pid_bits;
  sim_rng rng;
} proc_rng;

static size_t rng_home(uint64_t pid_bits, size_t mask) {
  uint64_t h = pid_bits; /* splitmix64's finaliser: every bit (node, slot, generation) counts */
  h = (h ^ (h >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  h = (h ^ (h >> 27)) * UINT64_C(0x94d049bb133111eb);
  return (size_t)(h ^ (h >> 31)) & mask;
}

static sim_rng *current_rng(lua_State *L) {
  scn_run *run = scn_world_run(L);
  if (!run->current) return &run->top_rng;
  ac_pid pid = ac_self(run->current);
  size_t mask = 2 * run->proc_rng_cap - 1, i = rng_home(pid.bits, mask);
  if (run->proc_rng_cap) {
    for (; run->proc_rng_index[i]; i = (i + 1) & mask)
      if (run->proc_rngs[run->proc_rng_index[i] - 1].pid_bits == pid.bits)
        return &run->proc_rngs[run->proc_rng_index[i] - 1].rng;
  }
  if (run->proc_rng_count == run->proc_rng_cap) { /* grow both, and index every stream again */
    size_t cap = run->proc_rng_cap ? run->proc_rng_cap * 2 : 64;
    proc_rng *p = realloc(run->proc_rngs, cap * sizeof *p);
    if (!p) luaL_error(L, "out of memory");
    run->proc_rngs = p;
    uint32_t *index = cap <= UINT32_MAX / 2 ? calloc(2 * cap, sizeof *index) : NULL;
    if (!index) luaL_error(L, "out of memory");
    free(run->proc_rng_index);
    run->proc_rng_index = index;
    run->proc_rng_cap = cap;
    mask = 2 * cap - 1;
    for (size_t k = 0; k < run->proc_rng_count; k++) {
      size_t j = rng_home(run->proc_rngs[k].pid_bits, mask);
      while (index[j]) j = (j + 1) & mask;
      index[j] = (uint32_t)(k + 1);
    }
    for (i = rng_home(pid.bits, mask); index[i];) i = (i + 1) & mask;
  }
  run->proc_rngs[run->proc_rng_count].pid_bits = pid.bits;
  sim_process_rng(run->w, pid, &run->proc_rngs[run->proc_rng_count].rng);
  run->proc_rng_index[i] = (uint32_t)(++run->proc_rng_count);
  return &run->proc_rngs[run->proc_rng_count - 1].rng;
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

void scn_watch_world(sim_world *w) {
  if (!w) return;
  for (size_t i = 0; i < SIGNAL_WORLDS_MAX; i++)
    if (!signal_worlds[i]) {
      signal_worlds[i] = w;
      break;
    }
  if (signal_seen) sim_request_stop(w); /* a signal before the run: it stops at once */
}

void scn_unwatch_world(sim_world *w) {
  for (size_t i = 0; w && i < SIGNAL_WORLDS_MAX; i++)
    if (signal_worlds[i] == w) signal_worlds[i] = NULL;
}

int scn_signal_seen(void) { return signal_seen; }

int scn_need_world(scn_run *run) {
  if (run->w) return 0;
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
  scn_watch_world(run->w);
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
static void print_replay(const scn_run *run) {
  const scn_options *o = run->opts;
  printf("replay: crashlab run ");
  if (o->path[strspn(o->path, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+,=")]) {
    putchar('\'');
    for (const char *p = o->path; *p; p++) {
      if (*p == '\'') fputs("'\\''", stdout);
      else putchar(*p);
    }
    putchar('\'');
  } else {
    fputs(o->path, stdout);
  }
  printf(" --seed %" PRIu64, run->seed);
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

static int load_scenario(lua_State *L) {
  scn_run *run = scn_run_of(L);
  if (load_in_env(L, run->opts->path, base_name(run->opts->path)) != LUA_OK) return lua_error(L);
  return 1;
}

/* Loads and runs the file's top level (the setup); 0, or -1 with a scenario error. */
static int setup(scn_run *run) {
  lua_State *L = run->L;
  run->top_busy = 0;
  run->alloc_charge = 0;
  lua_pushcfunction(L, traceback);
  lua_pushcfunction(L, load_scenario); /* protected: reading a huge file may hit the limit */
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

static void check_at_end(scn_run *run) {
  for (uint32_t i = 0; i < run->prop_count && !run->failed && !run->error; i++) {
    scn_prop *p = &run->props[i];
    if (p->kind == PROP_AT_END) {
      int ok = eval_prop(run, p);
      if (ok == PROP_FALSE) fail(run, p->name, "property '%s' (at_end) is false", p->name);
      if (ok == PROP_NIL) fail(run, p->name, "property '%s' (at_end) " RETURNED_NIL, p->name);
    } else if (p->kind == PROP_EVENTUALLY && !p->satisfied && p->deadline_ns > sim_now(run->w)) {
      int ok = eval_prop(run, p);
      if (ok == PROP_FALSE)
        fail(run, p->name, "property '%s' (eventually) never became true before the run ended", p->name);
      if (ok == PROP_NIL) fail(run, p->name, "property '%s' (eventually) " RETURNED_NIL, p->name);
    }
  }
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

scn_verdict scn_run_file(const scn_options *opts, scn_result *out) {
  static scn_run run_storage;
  scn_run *run = &run_storage;
  memset(run, 0, sizeof *run);
  memset(out, 0, sizeof *out);
  run->opts = opts;
  run->seed = opts->seed_given ? opts->seed : 1;
  run->mem_max = opts->memory_max ? opts->memory_max : MEMORY_DEFAULT;
  run->crashes_fail = opts->crashes == SCN_CRASHES_FAIL;
  scn_set_instruction_limit(run, INSTRUCTIONS_DEFAULT);
  const char *base = strrchr(opts->path, '/');
  snprintf(run->name, sizeof run->name, "%s", base ? base + 1 : opts->path);
  char *dot = strrchr(run->name, '.');
  if (dot && strcmp(dot, ".lua") == 0) *dot = 0;
  set_dir(run, opts->path);
  out->verdict = SCN_ERROR;

  FILE *probe = fopen(opts->path, "r");
  if (!probe) {
    fprintf(stderr, "crashlab: %s: cannot open: %s\n", opts->path, strerror(errno));
    return SCN_ERROR;
  }
  struct stat st;
  bool is_dir = fstat(fileno(probe), &st) == 0 && S_ISDIR(st.st_mode);
  fclose(probe);
  if (is_dir) {
    fprintf(stderr, "crashlab: %s: is a directory (crashlab run takes a scenario file, FILE.lua)\n",
            opts->path);
    return SCN_ERROR;
  }
  run->L = lua_newstate(counting_alloc, run);
  if (!run->L) {
    fprintf(stderr, "crashlab: cannot create a Lua state\n");
    return SCN_ERROR;
  }
  *(scn_run **)lua_getextraspace(run->L) = run;
  /* Generational collection: messages make many short-lived tables. A minor collection after
   * the heap grew by 100% (not 20%) and a major one after 300% halve the collector's share of
   * a message-heavy run; an allocation that would pass the memory limit still collects fully
   * first (Lua retries a failed allocation after an emergency collection). */
  lua_gc(run->L, LUA_GCGEN, 100, 300);
  scn_hook_thread(run->L);
  scn_lterm_open(run->L);
  build_env(run->L);
  run->pred_thread = lua_newthread(run->L);
  scn_hook_thread(run->pred_thread);
  lua_setfield(run->L, LUA_REGISTRYINDEX, "crashlab.predicate_thread");
  lua_newtable(run->L);
  lua_setfield(run->L, LUA_REGISTRYINDEX, EXITS_KEY);
  make_exits_view(run->L);

  sim_stop_reason stop = SIM_STOP_QUIESCENT;
  uint64_t limit = 0;
  if (setup(run) == 0) {
    limit = run->stop_ns ? run->stop_ns : (opts->max_time_ns ? opts->max_time_ns : MAX_TIME_DEFAULT);
    if (opts->max_time_ns && opts->max_time_ns < limit) limit = opts->max_time_ns;
    sim_limits lim = {limit, 0};
    status.start_s = wall_s();
    status.next_s = status.start_s + opts->status_after_ms / 1000.0;
    status.limit_ns = limit;
    if (!run->failed && !signal_seen) stop = sim_run(run->w, &lim);
    scn_status_clear();
    if (!run->failed) check_runtime_memory(run);
    if (!run->failed && !run->error && !signal_seen && stop != SIM_STOP_TRACE_LIMIT) check_at_end(run);
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
    run_free(run);
    return SCN_ERROR;
  }
  if (run->error) {
    fprintf(stderr, "crashlab: %s\n", run->error_msg);
    run_free(run);
    return SCN_ERROR;
  }
  if (trace_full) {
    char t[32];
    sim_format_duration(sim_now(run->w), t, sizeof t);
    fprintf(stderr, "crashlab: the trace reached its limit of %" PRIu64 " bytes (--trace-limit); "
                    "the run stopped at %s and the trace%s%s is complete up to there\n",
            opts->trace_limit_bytes, t, opts->trace_path ? " " : "", opts->trace_path ? opts->trace_path : "");
    run_free(run);
    return SCN_ERROR;
  }
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
  memcpy(out->name, run->name, sizeof out->name); /* same size, NUL-terminated */
  out->seed = run->seed;
  out->events = sim_event_count(run->w);
  out->sim_time_ns = sim_now(run->w);
  out->hash = sim_hash(run->w);
  out->lua_bytes = run->mem_used;
  out->runtime_bytes = runtime_bytes(run);
  if (!opts->hold_verdict) scn_print_verdict(out);
  run_free(run);
  return v;
}
