/*
 * The scenario API of the runner (runner.h, internal.h): cl.scenario, cl.at and cl.every
 * (timers), cl.kill, and observation (cl.alive, processes, info, registered, counters, exits,
 * list, bin); with the argument helpers every binding file uses: durations, unknown fields,
 * nodes. The process API is bind_proc.c; properties are properties.c.
 */
#define _POSIX_C_SOURCE 200809L
#include "internal.h"

#include <errno.h>
#include <inttypes.h>
#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lterm.h"
#include "plan.h"

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

uint64_t scn__check_duration(lua_State *L, int idx) {
  uint64_t ns;
  const char *why;
  if (scn_parse_duration(L, idx, &ns, &why)) luaL_argerror(L, idx, why);
  return ns;
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
    uint64_t pinned; /* a `--! seed N` line in the file wins over this (plan.h) */
    if (!run->opts->seed_given && !scn_seed_directive(run->opts->path, &pinned)) run->seed = (uint64_t)lua_tointeger(L, -1);
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
  scn__call_ref(run, t->fn_ref, false, "timer callback");
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
  uint64_t at = scn__check_duration(L, 1);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  if (at < sim_now(run->w)) return luaL_argerror(L, 1, "that time has already passed");
  return add_timer(L, at, 0, 2);
}

/* every(period, fn): fn runs every `period`, the first time one period from now. */
static int l_every(lua_State *L) {
  scn_run *run = scn_world_run(L);
  uint64_t period = scn__check_duration(L, 1);
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

void scn__exits_open(lua_State *L) {
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, EXITS_KEY);
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


void scn__record_exit(scn_run *run, const sim_record *rec) {
  if (run->exits_seen++ >= EXITS_MAX) return;
  lua_State *T = run->pred_thread;
  int top = lua_gettop(T);
  lua_pushcfunction(T, record_exit);
  lua_pushlightuserdata(T, (void *)rec);
  if (lua_pcall(T, 1, 0, 0) != LUA_OK && run->mem_exceeded)
    scn_error(run, "memory limit of %" PRIu64 " MiB exceeded", run->mem_max >> 20);
  lua_settop(T, top);
}

void scn__bind_scenario(lua_State *L) {
  static const luaL_Reg fns[] = {
      {"scenario", l_scenario}, {"at", l_at},           {"every", l_every},
      {"kill", l_kill},         {"alive", l_alive},     {"processes", l_processes},
      {"info", l_info},         {"registered", l_registered}, {"counters", l_counters},
      {"list", l_list},         {"bin", l_bin},         {"exits", l_exits},
      {NULL, NULL},
  };
  luaL_setfuncs(L, fns, 0);
}
