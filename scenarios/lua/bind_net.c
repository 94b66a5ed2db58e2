/*
 * The cluster from Lua: cl.node (declare nodes, with a boot function and a clock), spawns and
 * sends across nodes, node monitors, node crash and restart, and the network (cl.net: link
 * settings, partitions, flaky links, the tick time). Every fault injected here is a sim_fault
 * value given to sim_fault_apply (sim/fault.h), which makes it and records it as one
 * AC_EV_FAULT record, so a run's trace says what was done to it and when.
 */
#include <lauxlib.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"
#include "lterm.h"
#include "plan.h"
#include "runner.h"

extern const char scn_prelude_global[], scn_prelude_node[];
extern const size_t scn_prelude_global_len, scn_prelude_node_len;

#define BOOT_KEY "crashlab.boot"


/* ---- Nodes and their boot functions ------------------------------------------------------ */

void scn_node_setup(scn_run *run, ac_node *node) {
  ac_node_set_user(node, run);
  ac_node_set_spawn_handler(node, scn_spawn_handler);
  ac_code_set_check(node, scn_code_check);
}

/* Starts machine m's boot function, if it has one, as a process on its node. */
static void boot(scn_run *run, uint32_t m, ac_node *node) {
  lua_State *L = run->L;
  luaL_getsubtable(L, LUA_REGISTRYINDEX, BOOT_KEY); /* the boot table, made on first use */
  if (lua_rawgeti(L, -1, (lua_Integer)m + 1) != LUA_TFUNCTION) {
    lua_pop(L, 2);
    return;
  }
  lua_remove(L, -2);
  static const uint8_t nil[] = {AC_T_NIL};
  ac_term no_args = {nil};
  ac_pid pid;
  int rc = scn_spawn_function(run, L, node, NULL, AC_PID_NONE, 0, no_args, &pid, NULL);
  if (rc) scn_error(run, "cannot boot node %s: %s", ac_node_name(node), ac_strerror(rc));
}

#define SYSTEM_BOOT_KEY "crashlab.system_boot"

/* The Lua half of a restart: 1 the run, 2 the machine, 3 the node (light userdata). */
static int restart_protected(lua_State *L) {
  scn_run *run = lua_touserdata(L, 1);
  uint32_t machine = (uint32_t)lua_tointeger(L, 2);
  ac_node *node = lua_touserdata(L, 3);
  /* System services first (cl.global's name server), then the node's own boot function. */
  if (lua_getfield(L, LUA_REGISTRYINDEX, SYSTEM_BOOT_KEY) == LUA_TFUNCTION) {
    lua_pushstring(L, sim_node_name(run->w, machine));
    lua_call(L, 1, 0);
  } else {
    lua_pop(L, 1);
  }
  boot(run, machine, node);
  return 0;
}

/* Under a protected call: a planned restart is made from the world's loop (sim/fault.h), outside
 * any Lua call, where an error (out of memory in cl.global's boot) must not escape. */
static void on_restart(sim_world *w, uint32_t machine, ac_node *node, void *arg) {
  scn_run *run = arg;
  lua_State *L = run->L;
  scn_node_setup(run, node);
  lua_pushcfunction(L, restart_protected);
  lua_pushlightuserdata(L, run);
  lua_pushinteger(L, (lua_Integer)machine);
  lua_pushlightuserdata(L, node);
  if (lua_pcall(L, 3, 0, 0) != LUA_OK) {
    const char *msg = lua_tostring(L, -1);
    scn_error(run, "restart_node %s: %s", sim_node_name(w, machine), msg ? msg : "an error in its boot");
    lua_pop(L, 1);
  }
}

/* on_boot(fn): fn(node) runs each time a node restarts, before its boot function. */
static int l_on_boot(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_pushvalue(L, 1);
  lua_setfield(L, LUA_REGISTRYINDEX, SYSTEM_BOOT_KEY);
  return 0;
}

/* spawn_system(node, fn [, name]): starts fn as a process on node at once, from the node
 * itself (a system service), wherever the caller is, registered as name from the start. */
static int l_spawn_system(lua_State *L) {
  scn_run *run = scn_world_run(L);
  ac_node *node = sim_node(run->w, scn_check_node(L, 1));
  luaL_checktype(L, 2, LUA_TFUNCTION);
  if (!node) return 0;
  static const uint8_t nil[] = {AC_T_NIL};
  ac_term no_args = {nil};
  ac_pid pid;
  lua_pushvalue(L, 2);
  int rc = scn_spawn_function(run, L, node, NULL, AC_PID_NONE, 0, no_args, &pid, NULL);
  if (rc) return luaL_error(L, "cannot start a system process: %s", ac_strerror(rc));
  if (lua_isstring(L, 3) && (rc = ac_node_register(node, lua_tostring(L, 3), pid)))
    return luaL_error(L, "cannot register a system process: %s", ac_strerror(rc));
  scn_push_pid(L, pid);
  return 1;
}

/* is_pid(v): whether v is a pid. */
static int l_is_pid(lua_State *L) {
  ac_pid pid;
  lua_pushboolean(L, scn_to_pid(L, 1, &pid) == 1);
  return 1;
}

/* pid_less(a, b): a's pid bits below b's (one order every node agrees on). */
static int l_pid_less(lua_State *L) {
  lua_pushboolean(L, scn_check_pid(L, 1).bits < scn_check_pid(L, 2).bits);
  return 1;
}

/* note(value): a note record in the trace. */
static int l_note(lua_State *L) {
  scn_run *run = scn_world_run(L);
  ac_tbuf b;
  ac_tb_init(&b);
  char err[256] = "";
  int rc = scn_lua_to_term(L, 1, &b, "note", err, sizeof err);
  ac_term t;
  if (rc == AC_OK) rc = ac_tb_finish(&b, &t);
  if (rc == AC_OK) sim_note(run->w, t);
  ac_tb_free(&b);
  if (rc) return luaL_error(L, "note: %s", err[0] ? err : ac_strerror(rc));
  return 0;
}

/* A signed duration: a duration, or a string starting with '-'. */
int64_t scn_check_signed_duration(lua_State *L, int idx) {
  const char *why;
  uint64_t ns;
  const char *s = lua_type(L, idx) == LUA_TSTRING ? lua_tostring(L, idx) : NULL;
  if (s && s[0] == '-') {
    lua_pushstring(L, s + 1);
    int bad = scn_parse_duration(L, -1, &ns, &why);
    lua_pop(L, 1);
    if (bad) luaL_error(L, "%s", why);
    return -(int64_t)ns;
  }
  if (lua_type(L, idx) == LUA_TNUMBER && lua_tonumber(L, idx) < 0) {
    lua_pushnumber(L, -lua_tonumber(L, idx));
    int bad = scn_parse_duration(L, -1, &ns, &why);
    lua_pop(L, 1);
    if (bad) luaL_error(L, "%s", why);
    return -(int64_t)ns;
  }
  if (scn_parse_duration(L, idx, &ns, &why)) luaL_error(L, "%s", why);
  return (int64_t)ns;
}

/* Applies {skew=, drift=} (fields of the table at idx) to machine m's clock. */
static void clock_opts(lua_State *L, scn_run *run, uint32_t m, int idx, const char *what) {
  int64_t jump = 0;
  double drift = 0;
  lua_getfield(L, idx, "skew");
  lua_getfield(L, idx, "drift");
  bool none = lua_isnil(L, -1) && lua_isnil(L, -2);
  lua_pop(L, 2);
  if (none) return; /* the clock is left as it is */
  if (lua_getfield(L, idx, "skew") != LUA_TNIL) jump = scn_check_signed_duration(L, lua_gettop(L));
  lua_pop(L, 1);
  if (lua_getfield(L, idx, "drift") != LUA_TNIL) {
    if (!lua_isnumber(L, -1)) luaL_error(L, "%s: drift must be a number (0.001: 1 ms fast per second)", what);
    drift = lua_tonumber(L, -1);
  }
  lua_pop(L, 1);
  if (sim_clock_set(run->w, m, jump, drift) != AC_OK)
    luaL_error(L, "%s: drift must be a number above -1 (a clock cannot run backwards) and below 1e6", what);
}

/*
 * node(): this node's name. node(pid): the name of pid's node. node(name [, {boot=fn,
 * skew=, drift=}]): declares a node (node "a" always exists and may be declared once to give
 * it options); boot runs at once as a process on it, and again on every restart_node.
 */
static int l_node(lua_State *L) {
  scn_run *run = scn_world_run(L);
  if (lua_isnoneornil(L, 1)) {
    lua_pushstring(L, ac_node_name(scn_here(L, run)));
    return 1;
  }
  ac_pid pid;
  if (scn_to_pid(L, 1, &pid)) {
    int m = sim_node_of_index(run->w, ac_pid_node(pid));
    if (m < 0) return luaL_argerror(L, 1, "a pid of no node");
    lua_pushstring(L, sim_node_name(run->w, (uint32_t)m));
    return 1;
  }
  if (lua_type(L, 1) != LUA_TSTRING) return luaL_argerror(L, 1, "a node name (a string) or a pid expected");
  size_t len;
  const char *name = lua_tolstring(L, 1, &len);
  bool ok = len >= 1 && len <= AC_ATOM_LEN_MAX;
  for (size_t i = 0; ok && i < len; i++) /* letters, digits and _ - . @, as in name@host */
    ok = isalnum((unsigned char)name[i]) || (name[i] && strchr("_-.@", name[i]) != NULL);
  if (!ok) {
    char shown[80]; /* at most 64 bytes of it, and what a NUL byte hides said so */
    snprintf(shown, sizeof shown, "'%.64s'%s%s", name, strlen(name) > 64 ? "..." : "",
             strlen(name) < len ? " (with a NUL byte)" : "");
    return luaL_argerror(L, 1, lua_pushfstring(L, "%s is not a node name (1 to 255 letters, digits, "
                                                  "'_', '-', '.' or '@', as in \"b\" or \"db@host2\")", shown));
  }
  if (!lua_isnoneornil(L, 2)) luaL_checktype(L, 2, LUA_TTABLE);
  static const char *const fields[] = {"boot", "skew", "drift", NULL};
  if (!lua_isnoneornil(L, 2)) scn_check_fields(L, 2, fields, "node");
  luaL_getsubtable(L, LUA_REGISTRYINDEX, BOOT_KEY); /* the boot table, made on first use */
  int boots = lua_gettop(L);
  lua_getfield(L, boots, "declared");
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, boots, "declared");
  }
  int declared = lua_gettop(L);
  if (lua_getfield(L, declared, name) != LUA_TNIL) return luaL_error(L, "node: '%s' declared twice", name);
  lua_pop(L, 1);
  int m = sim_node_find(run->w, name);
  ac_node *node;
  if (m < 0) {
    int rc = sim_node_add(run->w, name, NULL, &node);
    if (rc) return luaL_error(L, "node: cannot add '%s': %s", name, ac_strerror(rc));
    m = (int)sim_node_count(run->w) - 1;
    scn_node_setup(run, node);
  } else {
    node = sim_node(run->w, (uint32_t)m);
  }
  lua_pushboolean(L, 1);
  lua_setfield(L, declared, name);
  if (!lua_isnoneornil(L, 2)) {
    clock_opts(L, run, (uint32_t)m, 2, "node");
    if (lua_getfield(L, 2, "boot") != LUA_TNIL) {
      if (!lua_isfunction(L, -1)) return luaL_error(L, "node: boot must be a function");
      lua_rawseti(L, boots, m + 1);
      if (node) boot(run, (uint32_t)m, node);
    }
  }
  lua_pushstring(L, name);
  return 1;
}

/* nodes(): the names of every node, in the order they were declared. */
static int l_nodes(lua_State *L) {
  scn_run *run = scn_world_run(L);
  lua_createtable(L, (int)sim_node_count(run->w), 0);
  for (uint32_t i = 0; i < sim_node_count(run->w); i++) {
    lua_pushstring(L, sim_node_name(run->w, i));
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

static int l_node_up(lua_State *L) {
  scn_run *run = scn_world_run(L);
  lua_pushboolean(L, sim_node(run->w, scn_check_node(L, 1)) != NULL);
  return 1;
}

/* crash_node(name): every process there is gone at once; false if it was down already. */
static int l_crash_node(lua_State *L) {
  scn_run *run = scn_world_run(L);
  uint32_t m = scn_check_node(L, 1);
  if (run->current && ac_proc_node(run->current) == sim_node(run->w, m))
    return luaL_error(L, "crash_node: a process cannot crash its own node (use cl.at)");
  lua_pushboolean(L, sim_node_crash(run->w, m) == AC_OK);
  return 1;
}

/* restart_node(name): a crashed node boots again (its boot function runs); false if it is up. */
static int l_restart_node(lua_State *L) {
  scn_run *run = scn_world_run(L);
  int rc = sim_node_restart(run->w, scn_check_node(L, 1));
  if (rc && rc != AC_ESTATE) return luaL_error(L, "restart_node: %s", ac_strerror(rc));
  lua_pushboolean(L, rc == AC_OK);
  return 1;
}

/* clock(node, {skew=, drift=}): the node's clock jumps by skew and runs at 1 + drift. */
static int l_clock(lua_State *L) {
  scn_run *run = scn_world_run(L);
  uint32_t m = scn_check_node(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  static const char *const fields[] = {"skew", "drift", NULL};
  scn_check_fields(L, 2, fields, "clock");
  clock_opts(L, run, m, 2, "clock");
  return 0;
}

static ac_proc *need_process(lua_State *L, scn_run *run, const char *fn) {
  if (!run->current) luaL_error(L, "%s: only a process can call this (call it inside a spawned function)", fn);
  return run->current;
}

/* monitor_node(node [, flag]): {nodedown, Node} when the connection to it is lost. */
static int l_monitor_node(lua_State *L) {
  scn_run *run = scn_world_run(L);
  ac_proc *self = need_process(L, run, "monitor_node");
  uint32_t m = scn_check_node(L, 1);
  bool on = lua_isnoneornil(L, 2) || lua_toboolean(L, 2);
  int rc = ac_monitor_node(self, sim_node_incarnation(run->w, m), on);
  if (rc) return luaL_error(L, "monitor_node: %s", ac_strerror(rc));
  return 0;
}

/* monitor_nodes([flag]): {nodeup, Node} and {nodedown, Node} for every node. */
static int l_monitor_nodes(lua_State *L) {
  scn_run *run = scn_world_run(L);
  ac_proc *self = need_process(L, run, "monitor_nodes");
  int rc = ac_monitor_nodes(self, lua_isnoneornil(L, 1) || lua_toboolean(L, 1));
  if (rc) return luaL_error(L, "monitor_nodes: %s", ac_strerror(rc));
  return 0;
}

/* ---- The network ------------------------------------------------------------------------- */

static uint64_t field_duration(lua_State *L, int idx, const char *field, const char *what) {
  const char *why;
  uint64_t ns = 0;
  if (lua_getfield(L, idx, field) == LUA_TNIL) luaL_error(L, "%s: '%s' is missing", what, field);
  if (scn_parse_duration(L, -1, &ns, &why)) luaL_error(L, "%s: %s: %s", what, field, why);
  lua_pop(L, 1);
  return ns;
}

/* A latency: a duration (constant), or {dist=..., ...} (see docs/scenario-api.md). */
sim_dist scn_check_latency(lua_State *L, int idx) {
  sim_dist d = {SIM_DIST_CONSTANT, 0, 0, 0, 0};
  const char *why;
  if (lua_type(L, idx) != LUA_TTABLE) {
    if (scn_parse_duration(L, idx, &d.a_ns, &why)) luaL_error(L, "latency: %s", why);
    return d;
  }
  lua_getfield(L, idx, "dist");
  const char *kind = lua_tostring(L, -1);
  lua_pop(L, 1);
  static const char *const kinds[] = {"constant", "uniform", "normal", "exponential", "pareto", NULL};
  static const char *const fields[][5] = {{"dist", "value", "cap", NULL},
                                          {"dist", "min", "max", "cap", NULL},
                                          {"dist", "mean", "sd", "cap", NULL},
                                          {"dist", "mean", "cap", NULL},
                                          {"dist", "scale", "shape", "cap", NULL}};
  int k = -1;
  for (int i = 0; kind && kinds[i]; i++)
    if (strcmp(kind, kinds[i]) == 0) k = i;
  if (k < 0) {
    luaL_error(L, "latency: dist must be one of constant, uniform, normal, exponential, pareto");
    return d; /* not reached */
  }
  scn_check_fields(L, idx, fields[k], "latency");
  d.kind = (sim_dist_kind)k;
  switch (k) {
    case 0: d.a_ns = field_duration(L, idx, "value", "latency"); break;
    case 1:
      d.a_ns = field_duration(L, idx, "min", "latency");
      d.b_ns = field_duration(L, idx, "max", "latency");
      break;
    case 2:
      d.a_ns = field_duration(L, idx, "mean", "latency");
      d.b_ns = field_duration(L, idx, "sd", "latency");
      break;
    case 3: d.a_ns = field_duration(L, idx, "mean", "latency"); break;
    default:
      d.a_ns = field_duration(L, idx, "scale", "latency");
      lua_getfield(L, idx, "shape");
      if (!lua_isnumber(L, -1)) luaL_error(L, "latency: shape must be a number (1.5: a long tail)");
      d.shape = lua_tonumber(L, -1);
      lua_pop(L, 1);
  }
  if (lua_getfield(L, idx, "cap") != LUA_TNIL && scn_parse_duration(L, -1, &d.cap_ns, &why))
    luaL_error(L, "latency: cap: %s", why);
  lua_pop(L, 1);
  if (sim_dist_check(&d))
    luaL_error(L, "latency: bad parameters for %s (min <= max, a pareto scale above 0 and shape above 0)", kinds[k]);
  return d;
}

static double check_probability(lua_State *L, int idx, const char *field) {
  if (!lua_isnumber(L, idx)) luaL_error(L, "link: %s must be a probability from 0 to 1", field);
  double p = lua_tonumber(L, idx);
  if (!(p >= 0 && p <= 1)) luaL_error(L, "link: %s must be a probability from 0 to 1, not %f", field, p);
  return p;
}

/* Changes the fields of *l given in the table at idx. */
static void link_opts(lua_State *L, int idx, sim_link *l) {
  static const char *const fields[] = {"latency", "loss", "dup", "bandwidth", "mode", "down", "both", NULL};
  scn_check_fields(L, idx, fields, "link");
  if (lua_getfield(L, idx, "latency") != LUA_TNIL) l->latency = scn_check_latency(L, lua_gettop(L));
  lua_pop(L, 1);
  if (lua_getfield(L, idx, "loss") != LUA_TNIL) l->loss = check_probability(L, -1, "loss");
  lua_pop(L, 1);
  if (lua_getfield(L, idx, "dup") != LUA_TNIL) l->dup = check_probability(L, -1, "dup");
  lua_pop(L, 1);
  if (lua_getfield(L, idx, "bandwidth") != LUA_TNIL) {
    if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 0)
      luaL_error(L, "link: bandwidth must be a whole number of bytes per second (0: unlimited)");
    l->bandwidth = (uint64_t)lua_tointeger(L, -1);
  }
  lua_pop(L, 1);
  if (lua_getfield(L, idx, "mode") != LUA_TNIL) {
    const char *mode = lua_tostring(L, -1);
    if (!mode || (strcmp(mode, "connection") != 0 && strcmp(mode, "datagram") != 0))
      luaL_error(L, "link: mode must be \"connection\" or \"datagram\"");
    l->datagram = strcmp(mode, "datagram") == 0;
  }
  lua_pop(L, 1);
  if (lua_getfield(L, idx, "down") != LUA_TNIL) l->down = lua_toboolean(L, -1);
  lua_pop(L, 1);
}

/* A link fault: the link from -> to (NULL, NULL: the default link) gets the settings l. */
static void link_fault(lua_State *L, scn_run *run, const char *from, const char *to, const sim_link *l) {
  sim_fault f = {.kind = from ? SIM_FK_LINK : SIM_FK_NET_DEFAULT, .from = from, .to = to, .link = *l,
                 .link_fields = SIM_LINK_ALL};
  if (sim_fault_apply(run->w, &f)) luaL_error(L, "link: bad settings or out of memory"); /* no builder is live here */
}

/* net.default{...}: the link of every pair without settings of its own. */
static int l_net_default(lua_State *L) {
  scn_run *run = scn_world_run(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  sim_link l = sim_net_get(run->w, UINT32_MAX, UINT32_MAX);
  link_opts(L, 1, &l);
  link_fault(L, run, NULL, NULL, &l);
  return 0;
}

/* net.link(from, to, {...}): the link from -> to (and to -> from with both = true). */
static int l_net_link(lua_State *L) {
  scn_run *run = scn_world_run(L);
  uint32_t a = scn_check_node(L, 1), b = scn_check_node(L, 2);
  luaL_checktype(L, 3, LUA_TTABLE);
  if (a == b) return luaL_error(L, "link: a node has no link to itself");
  lua_getfield(L, 3, "both");
  bool both = lua_toboolean(L, -1);
  lua_pop(L, 1);
  for (int dir = 0; dir < (both ? 2 : 1); dir++) {
    uint32_t from = dir ? b : a, to = dir ? a : b;
    sim_link l = sim_net_get(run->w, from, to);
    link_opts(L, 3, &l);
    link_fault(L, run, sim_node_name(run->w, from), sim_node_name(run->w, to), &l);
  }
  return 0;
}

/* partition({"a"}, {"b", "c"}, ...): links between nodes of different groups go down, both
 * ways; nodes in no group keep their links. */
static int l_partition(lua_State *L) {
  scn_run *run = scn_world_run(L);
  int groups = lua_gettop(L);
  if (groups < 2) return luaL_error(L, "partition: give two groups or more, such as partition({\"a\"}, {\"b\", \"c\"})");
  uint32_t n = sim_node_count(run->w);
  /* Userdata, not malloc: a check below may raise, and nothing is left to free then. */
  const char **members = lua_newuserdatauv(L, (n ? n : 1) * sizeof *members, 0);
  uint32_t *sizes = lua_newuserdatauv(L, (size_t)groups * sizeof *sizes, 0);
  bool *seen = lua_newuserdatauv(L, n ? n : 1, 0);
  memset(seen, 0, n ? n : 1);
  uint32_t count = 0;
  for (int g = 1; g <= groups; g++) {
    luaL_checktype(L, g, LUA_TTABLE);
    sizes[g - 1] = 0;
    for (lua_Integer i = 1; lua_rawgeti(L, g, i) != LUA_TNIL; i++) {
      uint32_t m = scn_check_node(L, -1);
      if (seen[m]) return luaL_error(L, "partition: node '%s' is in two groups", sim_node_name(run->w, m));
      seen[m] = true;
      members[count++] = sim_node_name(run->w, m);
      sizes[g - 1]++;
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  sim_fault f = {.kind = SIM_FK_PARTITION, .members = members, .group_size = sizes,
                 .group_count = (uint32_t)groups};
  if (sim_fault_apply(run->w, &f)) return luaL_error(L, "out of memory");
  return 0;
}

/* Applies a fault on one node or between two (isolate, cut, heal of a node, flaky flips). */
static int node_fault(scn_run *run, uint16_t kind, uint32_t a, uint32_t b) {
  sim_fault f = {.kind = kind, .node = sim_node_name(run->w, a), .from = sim_node_name(run->w, a),
                 .to = b == UINT32_MAX ? NULL : sim_node_name(run->w, b)};
  return sim_fault_apply(run->w, &f);
}

/* isolate(node): every link to and from the node goes down. */
static int l_isolate(lua_State *L) {
  scn_run *run = scn_world_run(L);
  if (node_fault(run, SIM_FK_ISOLATE, scn_check_node(L, 1), UINT32_MAX)) return luaL_error(L, "out of memory");
  return 0;
}

/* cut(from, to): one direction only goes down (an asymmetric partition). */
static int l_cut(lua_State *L) {
  scn_run *run = scn_world_run(L);
  uint32_t a = scn_check_node(L, 1), b = scn_check_node(L, 2);
  if (a == b) return luaL_error(L, "cut: a node has no link to itself");
  if (node_fault(run, SIM_FK_CUT, a, b)) return luaL_error(L, "out of memory");
  return 0;
}

/* heal(): every link is up again (connections come back with the next message). */
static int l_heal(lua_State *L) {
  scn_run *run = scn_world_run(L);
  if (sim_net_heal(run->w)) return luaL_error(L, "out of memory"); /* records the fault and the links */
  return 0;
}

typedef struct flaky {
  scn_run *run;
  uint32_t a, b;
  uint64_t up_ns, down_ns, stop_ns;
  bool down;
} flaky;

static void flaky_flip(sim_world *w, void *arg) {
  flaky *f = arg;
  if (f->run->error || f->run->failed) return;
  bool ending = f->stop_ns && sim_now(w) >= f->stop_ns;
  f->down = ending ? false : !f->down;
  /* A timer callback cannot raise: a fault that cannot be made (out of memory) stops the run
   * with a scenario error instead. */
  if (node_fault(f->run, f->down ? SIM_FK_FLAKY_DOWN : SIM_FK_FLAKY_UP, f->a, f->b)) {
    scn_error(f->run, "net.flaky: out of memory");
    return;
  }
  if (ending) { /* its flaky setting ends with it */
    sim_net_flaky(w, f->a, f->b, false);
    sim_net_flaky(w, f->b, f->a, false);
  }
  sim_net_links_check(w);
  if (ending) return;
  uint64_t next = sim_now(w) + (f->down ? f->down_ns : f->up_ns);
  if (f->stop_ns && next > f->stop_ns) next = f->stop_ns;
  sim_at(w, next, flaky_flip, f);
}

/* net.flaky(a, b, {up=, down= [, stop=]}): the link between a and b (both ways) is up for
 * `up`, down for `down`, and so on, until the virtual time `stop` (then it stays up). */
static int l_net_flaky(lua_State *L) {
  scn_run *run = scn_world_run(L);
  uint32_t a = scn_check_node(L, 1), b = scn_check_node(L, 2);
  luaL_checktype(L, 3, LUA_TTABLE);
  if (a == b) return luaL_error(L, "flaky: a node has no link to itself");
  static const char *const fields[] = {"up", "down", "stop", NULL};
  scn_check_fields(L, 3, fields, "flaky");
  flaky *f = scn_own(run, sizeof *f);
  if (!f) return luaL_error(L, "out of memory");
  f->run = run;
  f->a = a;
  f->b = b;
  f->up_ns = field_duration(L, 3, "up", "flaky");
  f->down_ns = field_duration(L, 3, "down", "flaky");
  if (f->up_ns < 1000000 || f->down_ns < 1000000)
    return luaL_error(L, "flaky: up and down must be at least 1 ms");
  lua_getfield(L, 3, "stop");
  if (!lua_isnil(L, -1)) f->stop_ns = field_duration(L, 3, "stop", "flaky");
  lua_pop(L, 1);
  if (sim_at(run->w, sim_now(run->w) + f->up_ns, flaky_flip, f)) return luaL_error(L, "out of memory");
  sim_net_flaky(run->w, a, b, true);
  sim_net_flaky(run->w, b, a, true);
  sim_net_links_check(run->w);
  return 0;
}

/* net.tick(duration): the net tick time (default 60 s): a connection that hears nothing for
 * this long is lost. */
static int l_net_tick(lua_State *L) {
  scn_run *run = scn_world_run(L);
  const char *why;
  uint64_t ns;
  if (scn_parse_duration(L, 1, &ns, &why)) return luaL_argerror(L, 1, why);
  if (sim_net_tick(run->w, ns)) return luaL_argerror(L, 1, "tick time must be at least 4 ns");
  return 0;
}

/* net.stats(): {lost=, in_flight=} messages so far / now. */
static int l_net_stats(lua_State *L) {
  scn_run *run = scn_world_run(L);
  lua_createtable(L, 0, 2);
  lua_pushinteger(L, (lua_Integer)sim_net_lost(run->w));
  lua_setfield(L, -2, "lost");
  lua_pushinteger(L, (lua_Integer)sim_net_in_flight(run->w));
  lua_setfield(L, -2, "in_flight");
  return 1;
}

/* net.connected(a, b): whether node a believes it is connected to b. */
static int l_net_connected(lua_State *L) {
  scn_run *run = scn_world_run(L);
  lua_pushboolean(L, sim_net_connected(run->w, scn_check_node(L, 1), scn_check_node(L, 2)));
  return 1;
}

/* ---- Process faults ---------------------------------------------------------------------- */

static void proc_fault(lua_State *L, bool paused, uint64_t slow_ns, const char *what) {
  scn_run *run = scn_world_run(L);
  ac_pid pid = scn_check_pid(L, 1);
  /* The world records the fault: {pause, Pid}, {slow, Pid, Ns} or {resume, Pid}. */
  if (sim_proc_fault_set(run->w, pid, paused, slow_ns)) luaL_error(L, "%s: out of memory", what);
}

/* pause(pid): the process is not scheduled until resume(pid); its messages wait. */
static int l_pause(lua_State *L) {
  proc_fault(L, true, 0, "pause");
  return 0;
}

static int l_resume(lua_State *L) {
  proc_fault(L, false, 0, "resume");
  return 0;
}

/* slow(pid, duration): each step of the process runs `duration` after it could (extra virtual
 * CPU time per message); slow(pid, 0) makes it normal again. */
static int l_slow(lua_State *L) {
  const char *why;
  uint64_t ns;
  if (scn_parse_duration(L, 2, &ns, &why)) return luaL_argerror(L, 2, why);
  proc_fault(L, false, ns, "slow");
  return 0;
}

/* kill_random{node=, filter=, reason=}: kills one live process, drawn from the "fault" stream
 * among those of `node` (default: every node that is up) for which filter(pid) is true.
 * Returns its pid, or nil when none matches. */
static int l_kill_random(lua_State *L) {
  scn_run *run = scn_world_run(L);
  if (lua_isnoneornil(L, 1)) lua_newtable(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  static const char *const fields[] = {"node", "filter", "reason", NULL};
  scn_check_fields(L, 1, fields, "kill_random");
  int only = -1;
  if (lua_getfield(L, 1, "node") != LUA_TNIL) only = (int)scn_check_node(L, -1);
  lua_getfield(L, 1, "filter");
  int filter = lua_gettop(L);
  if (!lua_isnil(L, filter) && !lua_isfunction(L, filter))
    return luaL_error(L, "kill_random: filter must be a function");
  lua_newtable(L); /* the candidates */
  int cands = lua_gettop(L);
  lua_Integer n = 0;
  for (uint32_t m = 0; m < sim_node_count(run->w); m++) {
    ac_node *node = sim_node(run->w, m);
    if (!node || (only >= 0 && (uint32_t)only != m)) continue;
    uint32_t count = ac_node_process_count(node);
    ac_pid *pids = lua_newuserdatauv(L, (count ? count : 1) * sizeof *pids, 0);
    count = ac_node_processes(node, pids, count);
    for (uint32_t i = 0; i < count; i++) {
      ac_proc_info info;
      if (ac_node_info(node, pids[i], &info) == AC_OK && info.name &&
          strcmp(info.name, "global_name_server") == 0)
        continue; /* a system process, not the scenario's */
      if (!lua_isnil(L, filter)) {
        lua_pushvalue(L, filter);
        scn_push_pid(L, pids[i]);
        lua_call(L, 1, 1);
        bool keep = lua_toboolean(L, -1);
        lua_pop(L, 1);
        if (!keep) continue;
      }
      scn_push_pid(L, pids[i]);
      lua_rawseti(L, cands, ++n);
    }
    lua_pop(L, 1);
  }
  if (n == 0) {
    lua_pushnil(L);
    return 1;
  }
  lua_Integer pick = 1 + (lua_Integer)sim_rng_below(sim_stream(run->w, "fault"), (uint64_t)n);
  lua_rawgeti(L, cands, pick);
  ac_pid pid = scn_check_pid(L, -1);
  ac_tbuf b;
  ac_tb_init(&b);
  char err[256] = "";
  lua_getfield(L, 1, "reason");
  int rc = lua_isnil(L, -1) ? ac_tb_atom(&b, "kill") : scn_lua_to_term(L, -1, &b, "reason", err, sizeof err);
  lua_pop(L, 1);
  ac_term reason;
  if (rc == AC_OK) rc = ac_tb_finish(&b, &reason);
  if (rc) {
    ac_tb_free(&b);
    return luaL_error(L, "kill_random: %s", err[0] ? err : ac_strerror(rc));
  }
  sim_proc_kill(run->w, pid, reason); /* the fault record, then the exit signal */
  ac_tb_free(&b);
  scn_push_pid(L, pid);
  return scn_stop_if_doomed(L, 1);
}

/* fault_random(): a number in [0, 1) from the seed's "fault" stream (cl.chaos draws from it). */
static int l_fault_random(lua_State *L) {
  scn_run *run = scn_world_run(L);
  lua_pushnumber(L, sim_rng_unit(sim_stream(run->w, "fault")));
  return 1;
}

/* default_latency([saved]): without an argument, the default link's latency (a userdata to
 * give back later); with one, sets it back. For cl.chaos's latency spikes. */
static int l_default_latency(lua_State *L) {
  scn_run *run = scn_world_run(L);
  sim_link l = sim_net_get(run->w, UINT32_MAX, UINT32_MAX);
  if (lua_isnoneornil(L, 1)) {
    sim_dist *d = lua_newuserdatauv(L, sizeof *d, 0);
    *d = l.latency;
    return 1;
  }
  l.latency = *(sim_dist *)lua_touserdata(L, 1);
  link_fault(L, run, NULL, NULL, &l);
  return 0;
}

/* now(): virtual time in milliseconds, exact (a float), for cl.at from the preludes. */
static int l_prim_now(lua_State *L) {
  scn_run *run = scn_world_run(L);
  lua_pushnumber(L, (lua_Number)sim_now(run->w) / 1e6);
  return 1;
}

/* fault(what, node): cl.chaos's faults on a node, "isolate" (every link to and from it down,
 * counted) or "heal" (the end of one isolation: its links back to what they were before). */
static int l_prim_fault(lua_State *L) {
  scn_run *run = scn_world_run(L);
  const char *what = luaL_checkstring(L, 1);
  uint32_t m = scn_check_node(L, 2);
  if (node_fault(run, strcmp(what, "heal") == 0 ? SIM_FK_HEAL : SIM_FK_ISOLATE, m, UINT32_MAX))
    return luaL_error(L, "out of memory");
  return 0;
}

/* net.get(from, to): the link in force, {down=, mode=, loss=, dup=, bandwidth=}. */
static int l_net_get(lua_State *L) {
  scn_run *run = scn_world_run(L);
  sim_link l = sim_net_get(run->w, scn_check_node(L, 1), scn_check_node(L, 2));
  lua_createtable(L, 0, 5);
  lua_pushboolean(L, l.down);
  lua_setfield(L, -2, "down");
  lua_pushstring(L, l.datagram ? "datagram" : "connection");
  lua_setfield(L, -2, "mode");
  lua_pushnumber(L, l.loss);
  lua_setfield(L, -2, "loss");
  lua_pushnumber(L, l.dup);
  lua_setfield(L, -2, "dup");
  lua_pushinteger(L, (lua_Integer)l.bandwidth);
  lua_setfield(L, -2, "bandwidth");
  return 1;
}

void scn_bind_net(lua_State *L) {
  int cl = lua_gettop(L);
  static const luaL_Reg fns[] = {{"node", l_node},
                                 {"nodes", l_nodes},
                                 {"node_up", l_node_up},
                                 {"crash_node", l_crash_node},
                                 {"restart_node", l_restart_node},
                                 {"clock", l_clock},
                                 {"monitor_node", l_monitor_node},
                                 {"monitor_nodes", l_monitor_nodes},
                                 {"partition", l_partition},
                                 {"isolate", l_isolate},
                                 {"cut", l_cut},
                                 {"heal", l_heal},
                                 {"pause", l_pause},
                                 {"resume", l_resume},
                                 {"slow", l_slow},
                                 {"kill_random", l_kill_random},
                                 {"fault_plan", scn_l_fault_plan},
                                 {NULL, NULL}};
  luaL_setfuncs(L, fns, 0);
  static const luaL_Reg net[] = {{"default", l_net_default}, {"link", l_net_link},
                                 {"flaky", l_net_flaky},     {"tick", l_net_tick},
                                 {"stats", l_net_stats},     {"connected", l_net_connected},
                                 {"get", l_net_get},
                                 {"partition", l_partition}, {"isolate", l_isolate},
                                 {"cut", l_cut},             {"heal", l_heal},
                                 {NULL, NULL}};
  luaL_newlib(L, net);
  lua_setfield(L, cl, "net");
  static const luaL_Reg prims[] = {{"spawn_request", scn_l_spawn_request},
                                   {"spawn_forget", scn_l_spawn_forget},
                                   {"fault_random", l_fault_random},
                                   {"duration_ms", scn_l_duration_ms},
                                   {"default_latency", l_default_latency},
                                   {"on_boot", l_on_boot},
                                   {"spawn_system", l_spawn_system},
                                   {"pid_less", l_pid_less},
                                   {"is_pid", l_is_pid},
                                   {"note", l_note},
                                   {"now", l_prim_now},
                                   {"fault", l_prim_fault},
                                   {"condition", scn_l_condition},
                                   {NULL, NULL}};
  luaL_newlib(L, prims);
  int prim = lua_gettop(L);
  static const struct {
    const char *text;
    const size_t *len;
    const char *name;
  } preludes[] = {{scn_prelude_node, &scn_prelude_node_len, "=cl.node"},
                  {scn_prelude_global, &scn_prelude_global_len, "=cl.global"}};
  for (size_t i = 0; i < sizeof preludes / sizeof preludes[0]; i++) {
    if (luaL_loadbuffer(L, preludes[i].text, *preludes[i].len, preludes[i].name) != LUA_OK) {
      fprintf(stderr, "crashlab: internal error: %s\n", lua_tostring(L, -1)); /* every test */
      abort();
    }
    lua_pushvalue(L, cl);
    lua_pushvalue(L, prim);
    if (lua_pcall(L, 2, 0, 0) != LUA_OK) {
      fprintf(stderr, "crashlab: internal error: %s\n", lua_tostring(L, -1));
      abort();
    }
  }
  lua_settop(L, cl);
}

/* Installs the restart hook; called once the world exists. */
void scn_net_world_ready(scn_run *run) { sim_set_boot_hook(run->w, on_restart, run); }
