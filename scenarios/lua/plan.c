/*
 * Fault plans read into sim_planned values (plan.h; format: docs/sweeps.md, "Fault plans").
 *
 * A plan file is Lua data: it runs in a Lua state of its own with no globals at all (not even
 * the base library), a memory cap and an instruction budget, so reading one cannot do
 * anything but return a table, and a file that does not parse says FILE:LINE. Its faults are
 * read by the same code as cl.fault_plan's, into memory the run owns (scn_own), which outlives
 * the world that holds on to it. Errors name the fault by its place in the list and the field.
 */
#include "plan.h"

#include <lauxlib.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"
#include "lterm.h"

#define PLAN_KEY "crashlab.plan"
#define PLAN_MEMORY_MAX (UINT64_C(64) << 20)  /* a plan file's Lua state */
#define PLAN_INSTRUCTIONS_MAX 100000000       /* ... and what it may run (in 10,000s) */

/* A plan read, in the registry of the run's Lua state (a light userdata under PLAN_KEY). */
typedef struct plan {
  scn_run *run;
  const char *source;    /* "PLAN.lua" or "cl.fault_plan", for messages */
  sim_planned *faults;
  uint32_t count;
  bool has_seed;
  uint64_t seed;
} plan;

/* ---- The seed directive ----------------------------------------------------------------- */

bool scn_seed_directive(const char *path, uint64_t *seed) {
  FILE *f = fopen(path, "r");
  if (!f) return false;
  char line[512];
  bool found = false;
  for (int n = 0; !found && n < 200 && fgets(line, sizeof line, f); n++) {
    const char *p = line;
    while (*p == ' ' || *p == '\t') p++;
    if (*p == '\n' || *p == '\r' || *p == 0) continue;
    if (strncmp(p, "--", 2) != 0) break; /* the first line of code ends the header */
    if (strncmp(p, "--! seed ", 9) != 0) continue;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(p + 9, &end, 10);
    while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n') end++;
    if (!errno && end > p + 9 && *end == 0 && isdigit((unsigned char)p[9])) {
      *seed = v;
      found = true;
    }
  }
  fclose(f);
  return found;
}

/* ---- Reading faults ---------------------------------------------------------------------- */

/* The string field `field` of the table at t (NULL when absent unless required). */
static const char *str_field(lua_State *L, scn_run *run, int t, const char *field, bool required,
                             const char *what) {
  int type = lua_getfield(L, t, field);
  if (type == LUA_TNIL && !required) {
    lua_pop(L, 1);
    return NULL;
  }
  if (type != LUA_TSTRING || lua_rawlen(L, -1) == 0)
    luaL_error(L, "%s: %s: %s", what, field, type == LUA_TNIL ? "missing (a name expected)" : "a name (a string) expected");
  const char *s = scn_own_string(L, run, lua_tostring(L, -1));
  lua_pop(L, 1);
  return s;
}

static uint64_t duration_field(lua_State *L, int t, const char *field, const char *what) {
  uint64_t ns = 0;
  const char *why;
  if (lua_getfield(L, t, field) == LUA_TNIL) luaL_error(L, "%s: %s: missing (a duration such as \"250ms\")", what, field);
  if (scn_parse_duration(L, -1, &ns, &why)) luaL_error(L, "%s: %s: %s", what, field, why);
  lua_pop(L, 1);
  return ns;
}

/* A process target: {node=, name=}, {node=, sup=, child=} or {pid = "<0.5.0>"}. */
static void read_target(lua_State *L, scn_run *run, int t, const char *what, sim_target *out) {
  memset(out, 0, sizeof *out);
  if (lua_getfield(L, t, "target") != LUA_TTABLE)
    luaL_error(L, "%s: target: %s", what, lua_isnil(L, -1) ? "missing (such as { node = \"a\", name = \"kv\" })" : "a table expected");
  int g = lua_gettop(L);
  static const char *const fields[] = {"node", "name", "sup", "child", "pid", NULL};
  const char *tw = lua_pushfstring(L, "%s: target", what);
  scn_check_fields(L, g, fields, tw);
  if (lua_getfield(L, g, "pid") != LUA_TNIL) {
    unsigned n, s, gen;
    char end;
    const char *text = lua_tostring(L, -1);
    if (!text || sscanf(text, "<%u.%u.%u%c", &n, &s, &gen, &end) != 4 || end != '>' || n > 0xffff)
      luaL_error(L, "%s: pid: a pid as the trace prints it expected, such as \"<0.12.0>\"", tw);
    out->pid = ac_pid_make(n, s, gen);
    lua_pop(L, 1);
    lua_getfield(L, g, "name");
    lua_getfield(L, g, "sup");
    if (!lua_isnil(L, -1) || !lua_isnil(L, -2)) luaL_error(L, "%s: a pid, or a name, or a sup and child: not both", tw);
    lua_settop(L, g - 1);
    return;
  }
  lua_pop(L, 1);
  out->node = str_field(L, run, g, "node", true, tw);
  out->name = str_field(L, run, g, "name", false, tw);
  out->sup = str_field(L, run, g, "sup", false, tw);
  if (!out->name == !out->sup) luaL_error(L, "%s: give a name, or a sup and child", tw);
  int type = lua_getfield(L, g, "child");
  if (out->sup && type == LUA_TSTRING) {
    const char **ids = scn_own(run, sizeof *ids);
    if (!ids) luaL_error(L, "out of memory");
    ids[0] = scn_own_string(L, run, lua_tostring(L, -1));
    out->child = ids;
    out->child_count = 1;
  } else if (out->sup && type == LUA_TTABLE) {
    lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
    if (n < 1 || n > 16) luaL_error(L, "%s: child: 1 to 16 child ids expected", tw);
    const char **ids = scn_own(run, (size_t)n * sizeof *ids);
    if (!ids) luaL_error(L, "out of memory");
    for (lua_Integer i = 1; i <= n; i++) {
      if (lua_rawgeti(L, -1, i) != LUA_TSTRING) luaL_error(L, "%s: child[%d]: a child id (a string) expected", tw, (int)i);
      ids[i - 1] = scn_own_string(L, run, lua_tostring(L, -1));
      lua_pop(L, 1);
    }
    out->child = ids;
    out->child_count = (uint32_t)n;
  } else if (out->sup) {
    luaL_error(L, "%s: child: a child id, or a list of them from the supervisor down, expected", tw);
  } else if (type != LUA_TNIL) {
    luaL_error(L, "%s: child goes with sup, not with name", tw);
  }
  lua_settop(L, g - 1);
}

static double number_field(lua_State *L, int t, const char *field, double lo, double hi, const char *what) {
  if (!lua_isnumber(L, -1)) luaL_error(L, "%s: %s: a number expected", what, field);
  double v = lua_tonumber(L, -1);
  if (!(v >= lo && v <= hi)) luaL_error(L, "%s: %s: must be from %f to %f", what, field, lo, hi);
  (void)t;
  return v;
}

/* Link settings: latency, loss, dup, bandwidth, mode, down; those given are set. */
static void read_link(lua_State *L, int t, const char *what, sim_fault *f) {
  if (lua_getfield(L, t, "latency") != LUA_TNIL) {
    f->link.latency = scn_check_latency(L, lua_gettop(L));
    f->link_fields |= SIM_LINK_LATENCY;
  }
  lua_pop(L, 1);
  if (lua_getfield(L, t, "loss") != LUA_TNIL) {
    f->link.loss = number_field(L, t, "loss", 0, 1, what);
    f->link_fields |= SIM_LINK_LOSS;
  }
  lua_pop(L, 1);
  if (lua_getfield(L, t, "dup") != LUA_TNIL) {
    f->link.dup = number_field(L, t, "dup", 0, 1, what);
    f->link_fields |= SIM_LINK_DUP;
  }
  lua_pop(L, 1);
  if (lua_getfield(L, t, "bandwidth") != LUA_TNIL) {
    if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 0)
      luaL_error(L, "%s: bandwidth: a whole number of bytes per second expected (0: unlimited)", what);
    f->link.bandwidth = (uint64_t)lua_tointeger(L, -1);
    f->link_fields |= SIM_LINK_BANDWIDTH;
  }
  lua_pop(L, 1);
  if (lua_getfield(L, t, "mode") != LUA_TNIL) {
    const char *m = lua_tostring(L, -1);
    if (!m || (strcmp(m, "connection") != 0 && strcmp(m, "datagram") != 0))
      luaL_error(L, "%s: mode: \"connection\" or \"datagram\" expected", what);
    f->link.datagram = strcmp(m, "datagram") == 0;
    f->link_fields |= SIM_LINK_MODE;
  }
  lua_pop(L, 1);
  if (lua_getfield(L, t, "down") != LUA_TNIL) {
    if (!lua_isboolean(L, -1)) luaL_error(L, "%s: down: true or false expected", what);
    f->link.down = lua_toboolean(L, -1);
    f->link_fields |= SIM_LINK_DOWN;
  }
  lua_pop(L, 1);
  if (!f->link_fields) luaL_error(L, "%s: no link setting given (latency, loss, dup, bandwidth, mode, down)", what);
}

static void read_groups(lua_State *L, scn_run *run, int t, const char *what, sim_fault *f) {
  if (lua_getfield(L, t, "groups") != LUA_TTABLE)
    luaL_error(L, "%s: groups: a list of node lists expected, such as { {\"a\"}, {\"b\", \"c\"} }", what);
  int g = lua_gettop(L);
  lua_Integer n = (lua_Integer)lua_rawlen(L, g), total = 0;
  if (n < 2 || n > 4096) luaL_error(L, "%s: groups: two groups or more expected", what);
  for (lua_Integer i = 1; i <= n; i++) {
    if (lua_rawgeti(L, g, i) != LUA_TTABLE) luaL_error(L, "%s: groups[%d]: a list of node names expected", what, (int)i);
    total += (lua_Integer)lua_rawlen(L, -1);
    lua_pop(L, 1);
  }
  if (total > 65536) luaL_error(L, "%s: groups: too many nodes", what);
  uint32_t *sizes = scn_own(run, (size_t)n * sizeof *sizes);
  const char **members = scn_own(run, (size_t)(total ? total : 1) * sizeof *members);
  if (!sizes || !members) luaL_error(L, "out of memory");
  lua_Integer at = 0;
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, g, i);
    lua_Integer m = (lua_Integer)lua_rawlen(L, -1);
    if (m < 1) luaL_error(L, "%s: groups[%d]: a group needs a node", what, (int)i);
    for (lua_Integer k = 1; k <= m; k++) {
      if (lua_rawgeti(L, -1, k) != LUA_TSTRING) luaL_error(L, "%s: groups[%d][%d]: a node name expected", what, (int)i, (int)k);
      members[at++] = scn_own_string(L, run, lua_tostring(L, -1));
      lua_pop(L, 1);
    }
    sizes[i - 1] = (uint32_t)m;
    lua_pop(L, 1);
  }
  f->members = members;
  f->group_size = sizes;
  f->group_count = (uint32_t)n;
  lua_settop(L, g - 1);
}

/* The fields each kind takes besides at and kind. */
static const char *const *kind_fields(int kind) {
  static const char *const kill[] = {"at", "kind", "target", "reason", NULL};
  static const char *const proc[] = {"at", "kind", "target", NULL};
  static const char *const slow[] = {"at", "kind", "target", "by", NULL};
  static const char *const part[] = {"at", "kind", "groups", NULL};
  static const char *const node[] = {"at", "kind", "node", NULL};
  static const char *const pair[] = {"at", "kind", "from", "to", NULL};
  static const char *const link[] = {"at", "kind", "from", "to", "latency", "loss", "dup", "bandwidth", "mode", "down", NULL};
  static const char *const dflt[] = {"at", "kind", "latency", "loss", "dup", "bandwidth", "mode", "down", NULL};
  static const char *const clock[] = {"at", "kind", "node", "jump", "drift", NULL};
  switch (kind) {
    case SIM_FK_KILL: return kill;
    case SIM_FK_PAUSE: case SIM_FK_RESUME: return proc;
    case SIM_FK_SLOW: return slow;
    case SIM_FK_PARTITION: return part;
    case SIM_FK_CUT: case SIM_FK_FLAKY_DOWN: case SIM_FK_FLAKY_UP: return pair;
    case SIM_FK_LINK: return link;
    case SIM_FK_NET_DEFAULT: return dflt;
    case SIM_FK_CLOCK: return clock;
    default: return node; /* isolate, heal, crash_node, restart_node */
  }
}

/* Reads fault number i (the table at t) into *out. Raises "PREFIXfault I (KIND): field: why". */
static void read_fault(lua_State *L, scn_run *run, int t, int i, const char *prefix, sim_planned *out) {
  memset(out, 0, sizeof *out);
  const char *what = lua_pushfstring(L, "%sfault %d", prefix, i);
  if (lua_getfield(L, t, "kind") != LUA_TSTRING)
    luaL_error(L, "%s: kind: %s", what, lua_isnil(L, -1) ? "missing" : "a string expected");
  const char *kind_name = lua_tostring(L, -1);
  int kind = sim_fault_kind_of(kind_name);
  if (!kind) {
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int k = 1; k < SIM_FK_COUNT; k++) {
      luaL_addstring(&b, sim_fault_kind_name(k));
      if (k + 1 < SIM_FK_COUNT) luaL_addstring(&b, ", ");
    }
    luaL_pushresult(&b);
    luaL_error(L, "%s: kind: unknown kind '%s' (%s)", what, kind_name, lua_tostring(L, -1));
  }
  what = lua_pushfstring(L, "%s (%s)", what, kind_name);
  scn_check_fields(L, t, kind_fields(kind), what);
  sim_fault *f = &out->fault;
  f->kind = (uint16_t)kind;
  if (lua_getfield(L, t, "at") != LUA_TSTRING || sim_parse_duration(lua_tostring(L, -1), &out->at_ns))
    luaL_error(L, "%s: at: %s", what, lua_isnil(L, -1) ? "missing (a virtual time such as \"1.25s\")"
                                                          : "a virtual time such as \"1.25s\" expected");
  lua_pop(L, 1);
  switch (kind) {
    case SIM_FK_KILL:
      read_target(L, run, t, what, &f->target);
      if (lua_getfield(L, t, "reason") != LUA_TNIL) {
        ac_tbuf b;
        ac_tb_init(&b);
        char err[256] = "";
        ac_term term;
        int rc = scn_lua_to_term(L, lua_gettop(L), &b, "reason", err, sizeof err);
        if (rc == AC_OK) rc = ac_tb_finish(&b, &term);
        uint8_t *copy = rc == AC_OK ? scn_own(run, ac_term_size(term)) : NULL;
        if (copy) memcpy(copy, term.p, ac_term_size(term));
        ac_tb_free(&b);
        if (rc) luaL_error(L, "%s: %s", what, err[0] ? err : ac_strerror(rc));
        if (!copy) luaL_error(L, "out of memory");
        f->reason.p = copy;
      }
      lua_pop(L, 1);
      break;
    case SIM_FK_PAUSE: case SIM_FK_RESUME: read_target(L, run, t, what, &f->target); break;
    case SIM_FK_SLOW:
      read_target(L, run, t, what, &f->target);
      f->slow_ns = duration_field(L, t, "by", what);
      break;
    case SIM_FK_PARTITION: read_groups(L, run, t, what, f); break;
    case SIM_FK_CUT: case SIM_FK_FLAKY_DOWN: case SIM_FK_FLAKY_UP: case SIM_FK_LINK:
      f->from = str_field(L, run, t, "from", true, what);
      f->to = str_field(L, run, t, "to", true, what);
      if (strcmp(f->from, f->to) == 0) luaL_error(L, "%s: from and to are the same node", what);
      if (kind == SIM_FK_LINK) read_link(L, t, what, f);
      break;
    case SIM_FK_NET_DEFAULT: read_link(L, t, what, f); break;
    case SIM_FK_CLOCK:
      f->node = str_field(L, run, t, "node", true, what);
      if (lua_getfield(L, t, "jump") != LUA_TNIL) f->jump_ns = scn_check_signed_duration(L, lua_gettop(L));
      lua_pop(L, 1);
      if (lua_getfield(L, t, "drift") != LUA_TNIL) {
        f->drift = lua_isnumber(L, -1) ? lua_tonumber(L, -1) : -2;
        if (!(f->drift > -1 && f->drift < 1e6)) /* the world's bounds, both open */
          luaL_error(L, "%s: drift: a number above -1 and below 1e6 expected", what);
      }
      lua_pop(L, 1);
      break;
    default: /* isolate, heal, crash_node, restart_node */
      f->node = str_field(L, run, t, "node", kind != SIM_FK_HEAL, what);
  }
  lua_pop(L, 3); /* what (twice) and kind */
}

/* Reads the list of faults at idx into memory the run owns. */
static void read_faults(lua_State *L, scn_run *run, int idx, const char *prefix, plan *p) {
  if (lua_type(L, idx) != LUA_TTABLE) luaL_error(L, "%sfaults: a list of faults expected", prefix);
  lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
  if (n > 10000000) luaL_error(L, "%sfaults: too many", prefix);
  p->faults = scn_own(run, (size_t)(n ? n : 1) * sizeof *p->faults);
  if (!p->faults) luaL_error(L, "out of memory");
  for (lua_Integer i = 1; i <= n; i++) {
    if (lua_rawgeti(L, idx, i) != LUA_TTABLE) luaL_error(L, "%sfault %d: a table expected", prefix, (int)i);
    read_fault(L, run, lua_gettop(L), (int)i, prefix, &p->faults[i - 1]);
    lua_pop(L, 1);
    if (i > 1 && p->faults[i - 1].at_ns < p->faults[i - 2].at_ns) {
      char a[32], b[32];
      sim_format_duration(p->faults[i - 1].at_ns, a, sizeof a);
      sim_format_duration(p->faults[i - 2].at_ns, b, sizeof b);
      luaL_error(L, "%sfault %d: at: %s comes before fault %d's %s (faults are listed in time order)", prefix,
                 (int)i, a, (int)i - 1, b);
    }
  }
  p->count = (uint32_t)n;
}

/* Checks the plan table at idx (scenario, seed, faults) and reads it. */
static void read_plan_table(lua_State *L, scn_run *run, int idx, const char *prefix, plan *p) {
  if (lua_type(L, idx) != LUA_TTABLE)
    luaL_error(L, "%sa plan is a table: return { scenario = ..., seed = ..., faults = { ... } }", prefix);
  static const char *const fields[] = {"scenario", "seed", "faults", NULL};
  lua_pushstring(L, prefix);
  size_t len = lua_rawlen(L, -1);
  lua_pushlstring(L, prefix, len >= 2 ? len - 2 : 0); /* "FILE" without ": " */
  scn_check_fields(L, idx, fields, len >= 2 ? lua_tostring(L, -1) : "plan");
  lua_pop(L, 2);
  if (lua_getfield(L, idx, "scenario") != LUA_TNIL && lua_type(L, -1) != LUA_TSTRING)
    luaL_error(L, "%sscenario: a file name expected", prefix);
  lua_pop(L, 1);
  if (lua_getfield(L, idx, "seed") != LUA_TNIL) {
    if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 0) luaL_error(L, "%sseed: a non-negative integer expected", prefix);
    p->has_seed = true;
    p->seed = (uint64_t)lua_tointeger(L, -1);
  }
  lua_pop(L, 1);
  if (lua_getfield(L, idx, "faults") == LUA_TNIL) luaL_error(L, "%sfaults: missing (a list of faults)", prefix);
  read_faults(L, run, lua_gettop(L), prefix, p);
  lua_pop(L, 1);
}

/* ---- The plan file ------------------------------------------------------------------------ */

typedef struct plan_heap {
  size_t used;
} plan_heap;

static void *plan_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  plan_heap *h = ud;
  size_t old = ptr ? osize : 0;
  if (nsize == 0) {
    free(ptr);
    h->used -= old;
    return NULL;
  }
  if (nsize > old && h->used - old + nsize > PLAN_MEMORY_MAX) return NULL;
  void *p = realloc(ptr, nsize);
  if (p) h->used = h->used - old + nsize;
  return p;
}

static void plan_budget(lua_State *L, lua_Debug *ar) {
  (void)ar;
  luaL_error(L, "the plan runs too long (a plan is data: return { ... })");
}

/* lua_CFunction run under pcall in the plan's state: 1 the returned value, 2 the run, 3 the
 * plan, 4 the prefix. */
static int plan_read_protected(lua_State *L) {
  read_plan_table(L, lua_touserdata(L, 2), 1, lua_tostring(L, 4), lua_touserdata(L, 3));
  return 0;
}

static int read_plan_file(scn_run *run, const char *path, plan *p) {
  plan_heap heap = {0};
  lua_State *P = lua_newstate(plan_alloc, &heap);
  if (!P) {
    scn_error(run, "%s: cannot read the plan: out of memory", path);
    return -1;
  }
  lua_sethook(P, plan_budget, LUA_MASKCOUNT, PLAN_INSTRUCTIONS_MAX);
  int rc = luaL_loadfilex(P, path, "t");
  if (rc == LUA_OK) {
    lua_newtable(P); /* no globals: the chunk's _ENV is an empty table */
    lua_setupvalue(P, -2, 1);
    rc = lua_pcall(P, 0, 1, 0);
  }
  if (rc == LUA_OK) {
    lua_pushcfunction(P, plan_read_protected);
    lua_insert(P, -2);
    lua_pushlightuserdata(P, run);
    lua_pushlightuserdata(P, p);
    lua_pushfstring(P, "%s: ", path);
    rc = lua_pcall(P, 4, 0, 0);
  }
  if (rc != LUA_OK) {
    const char *msg = lua_tostring(P, -1);
    if (msg && strncmp(msg, "cannot open ", 12) == 0)
      scn_error(run, "--faults %s: cannot open the plan%s", path, strchr(msg, ':') ? strchr(msg, ':') : "");
    else if (msg && strncmp(msg, path, strlen(path)) == 0)
      scn_error(run, "%s", msg); /* FILE:LINE: ... or FILE: fault N ... */
    else
      scn_error(run, "%s: %s", path, msg ? msg : "the plan file does not parse");
  }
  lua_close(P);
  return rc == LUA_OK ? 0 : -1;
}

/* ---- Putting the world under a plan ------------------------------------------------------ */

static plan *plan_of(scn_run *run) {
  lua_getfield(run->L, LUA_REGISTRYINDEX, PLAN_KEY);
  plan *p = lua_touserdata(run->L, -1);
  lua_pop(run->L, 1);
  return p;
}

static void plan_error(sim_world *w, uint32_t index, int status, const char *why, void *arg) {
  plan *p = arg;
  char at[32];
  (void)w;
  (void)status;
  sim_format_duration(p->faults[index].at_ns, at, sizeof at);
  scn_error(p->run, "%s: fault %u (%s at %s): %s", p->source, index + 1,
            sim_fault_kind_name(p->faults[index].fault.kind), at, why);
}

int scn_plan_read(scn_run *run) {
  const char *path = run->opts->faults_path;
  if (!path || plan_of(run)) return 0;
  plan *p = scn_own(run, sizeof *p);
  if (!p) {
    scn_error(run, "out of memory");
    return -1;
  }
  p->run = run;
  p->source = path;
  if (read_plan_file(run, path, p)) return -1;
  if (p->has_seed && !run->opts->seed_given) run->seed = p->seed;
  lua_pushlightuserdata(run->L, p);
  lua_setfield(run->L, LUA_REGISTRYINDEX, PLAN_KEY);
  return 0;
}

int scn_plan_start(scn_run *run) {
  plan *p = plan_of(run);
  if (!p || sim_fault_planned(run->w)) return 0;
  int rc = sim_fault_plan(run->w, p->faults, p->count, plan_error, p);
  if (rc) scn_error(run, "%s: cannot start the plan: %s", p->source, ac_strerror(rc));
  return rc ? -1 : 0;
}

int scn_l_fault_plan(lua_State *L) {
  scn_run *run = scn_run_of(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  if (run->opts->faults_path) return 0; /* --faults wins */
  if (run->current || (run->w && (sim_step_count(run->w) > 0 || sim_event_kind_count(run->w, AC_EV_FAULT) > 0)))
    return luaL_error(L, "fault_plan: call it at the top level of the file, before any fault is made and any "
                         "process runs");
  if (plan_of(run)) return luaL_error(L, "fault_plan: called twice");
  plan *p = scn_own(run, sizeof *p);
  if (!p) return luaL_error(L, "out of memory");
  p->run = run;
  p->source = "cl.fault_plan";
  read_plan_table(L, run, 1, "fault_plan: ", p);
  lua_pushlightuserdata(L, p);
  lua_setfield(L, LUA_REGISTRYINDEX, PLAN_KEY);
  /* Without a world yet, its creation starts the plan (scn_need_world), so a plan at the top
   * of a file, before cl.scenario{...}, leaves the scenario free to declare itself. */
  if (run->w && scn_plan_start(run)) return luaL_error(L, "%s", run->error_msg);
  return 0;
}
