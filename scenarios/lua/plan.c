/*
 * Fault plans: read into sim_planned values, written back as text (plan.h; format:
 * docs/sweeps.md, "Fault plans").
 *
 * A plan file is Lua data: it runs in a Lua state of its own with no globals at all (not even
 * the base library), a memory cap and an instruction budget, so reading one cannot do
 * anything but return a table, and a file that does not parse says FILE:LINE. Its faults are
 * read by the same code as cl.fault_plan's, into the plan's memory (for a run, memory the run
 * owns, which outlives the world that holds on to it). Errors name the fault by its place in
 * the list and the field.
 *
 * The writer is the reader's inverse: what it writes reads back to the same faults (times in
 * the exact format of sim_format_duration, floats with 17 significant digits), in one fixed
 * order of fields, so the same plan is always the same text.
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

/* A plan read for a run, in the registry of the run's Lua state (a light userdata under
 * PLAN_KEY); its memory is the run's. */
typedef struct plan {
  scn_run *run;
  const char *source;    /* "PLAN.lua" or "cl.fault_plan", for messages */
  scn_plan p;
} plan;

/* ---- Plans in memory --------------------------------------------------------------------- */

void *scn_plan_own(scn_plan *p, size_t size) { return scn_own_on(p->owner ? p->owner : &p->own, size); }

void scn_plan_free(scn_plan *p) {
  if (p->owner) return;
  scn_own_free(&p->own);
  memset(p, 0, sizeof *p);
}

/* Memory for the plan being read, or a raised "out of memory". */
static void *own(lua_State *L, scn_plan *p, size_t size) {
  void *m = scn_plan_own(p, size ? size : 1);
  if (!m) luaL_error(L, "out of memory");
  return m;
}

static const char *own_string(lua_State *L, scn_plan *p, const char *s) {
  size_t n = strlen(s);
  char *c = own(L, p, n + 1);
  memcpy(c, s, n + 1);
  return c;
}

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
static const char *str_field(lua_State *L, scn_plan *p, int t, const char *field, bool required,
                             const char *what) {
  int type = lua_getfield(L, t, field);
  if (type == LUA_TNIL && !required) {
    lua_pop(L, 1);
    return NULL;
  }
  if (type != LUA_TSTRING || lua_rawlen(L, -1) == 0)
    luaL_error(L, "%s: %s: %s", what, field, type == LUA_TNIL ? "missing (a name expected)" : "a name (a string) expected");
  const char *s = own_string(L, p, lua_tostring(L, -1));
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
static void read_target(lua_State *L, scn_plan *p, int t, const char *what, sim_target *out) {
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
  out->node = str_field(L, p, g, "node", true, tw);
  out->name = str_field(L, p, g, "name", false, tw);
  out->sup = str_field(L, p, g, "sup", false, tw);
  if (!out->name == !out->sup) luaL_error(L, "%s: give a name, or a sup and child", tw);
  int type = lua_getfield(L, g, "child");
  if (out->sup && type == LUA_TSTRING) {
    const char **ids = own(L, p, sizeof *ids);
    ids[0] = own_string(L, p, lua_tostring(L, -1));
    out->child = ids;
    out->child_count = 1;
  } else if (out->sup && type == LUA_TTABLE) {
    lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
    if (n < 1 || n > 16) luaL_error(L, "%s: child: 1 to 16 child ids expected", tw);
    const char **ids = own(L, p, (size_t)n * sizeof *ids);
    for (lua_Integer i = 1; i <= n; i++) {
      if (lua_rawgeti(L, -1, i) != LUA_TSTRING) luaL_error(L, "%s: child[%d]: a child id (a string) expected", tw, (int)i);
      ids[i - 1] = own_string(L, p, lua_tostring(L, -1));
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

static void read_groups(lua_State *L, scn_plan *p, int t, const char *what, sim_fault *f) {
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
  uint32_t *sizes = own(L, p, (size_t)n * sizeof *sizes);
  const char **members = own(L, p, (size_t)total * sizeof *members);
  lua_Integer at = 0;
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, g, i);
    lua_Integer m = (lua_Integer)lua_rawlen(L, -1);
    if (m < 1) luaL_error(L, "%s: groups[%d]: a group needs a node", what, (int)i);
    for (lua_Integer k = 1; k <= m; k++) {
      if (lua_rawgeti(L, -1, k) != LUA_TSTRING) luaL_error(L, "%s: groups[%d][%d]: a node name expected", what, (int)i, (int)k);
      members[at++] = own_string(L, p, lua_tostring(L, -1));
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
static void read_fault(lua_State *L, scn_plan *p, int t, int i, const char *prefix, sim_planned *out) {
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
      read_target(L, p, t, what, &f->target);
      if (lua_getfield(L, t, "reason") != LUA_TNIL) {
        ac_tbuf b;
        ac_tb_init(&b);
        char err[256] = "";
        ac_term term;
        int rc = scn_lua_to_term(L, lua_gettop(L), &b, "reason", err, sizeof err);
        if (rc == AC_OK) rc = ac_tb_finish(&b, &term);
        uint8_t *copy = rc == AC_OK ? scn_plan_own(p, ac_term_size(term)) : NULL;
        if (copy) memcpy(copy, term.p, ac_term_size(term));
        ac_tb_free(&b);
        if (rc) luaL_error(L, "%s: %s", what, err[0] ? err : ac_strerror(rc));
        if (!copy) luaL_error(L, "out of memory");
        f->reason.p = copy;
      }
      lua_pop(L, 1);
      break;
    case SIM_FK_PAUSE: case SIM_FK_RESUME: read_target(L, p, t, what, &f->target); break;
    case SIM_FK_SLOW:
      read_target(L, p, t, what, &f->target);
      f->slow_ns = duration_field(L, t, "by", what);
      break;
    case SIM_FK_PARTITION: read_groups(L, p, t, what, f); break;
    case SIM_FK_CUT: case SIM_FK_FLAKY_DOWN: case SIM_FK_FLAKY_UP: case SIM_FK_LINK:
      f->from = str_field(L, p, t, "from", true, what);
      f->to = str_field(L, p, t, "to", true, what);
      if (strcmp(f->from, f->to) == 0) luaL_error(L, "%s: from and to are the same node", what);
      if (kind == SIM_FK_LINK) read_link(L, t, what, f);
      break;
    case SIM_FK_NET_DEFAULT: read_link(L, t, what, f); break;
    case SIM_FK_CLOCK:
      f->node = str_field(L, p, t, "node", true, what);
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
      f->node = str_field(L, p, t, "node", kind != SIM_FK_HEAL, what);
  }
  lua_pop(L, 3); /* what (twice) and kind */
}

/* Reads the list of faults at idx into the plan's memory. */
static void read_faults(lua_State *L, scn_plan *p, int idx, const char *prefix) {
  if (lua_type(L, idx) != LUA_TTABLE) luaL_error(L, "%sfaults: a list of faults expected", prefix);
  lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
  if (n > 10000000) luaL_error(L, "%sfaults: too many", prefix);
  p->faults = own(L, p, (size_t)n * sizeof *p->faults);
  for (lua_Integer i = 1; i <= n; i++) {
    if (lua_rawgeti(L, idx, i) != LUA_TTABLE) luaL_error(L, "%sfault %d: a table expected", prefix, (int)i);
    read_fault(L, p, lua_gettop(L), (int)i, prefix, &p->faults[i - 1]);
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
static void read_plan_table(lua_State *L, scn_plan *p, int idx, const char *prefix) {
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
  if (lua_type(L, -1) == LUA_TSTRING) p->scenario = own_string(L, p, lua_tostring(L, -1));
  lua_pop(L, 1);
  if (lua_getfield(L, idx, "seed") != LUA_TNIL) {
    if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 0) luaL_error(L, "%sseed: a non-negative integer expected", prefix);
    p->has_seed = true;
    p->seed = (uint64_t)lua_tointeger(L, -1);
  }
  lua_pop(L, 1);
  if (lua_getfield(L, idx, "faults") == LUA_TNIL) luaL_error(L, "%sfaults: missing (a list of faults)", prefix);
  read_faults(L, p, lua_gettop(L), prefix);
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

/* lua_CFunction run under pcall in the plan's state: 1 the returned value, 2 the plan, 3 the
 * prefix. */
static int plan_read_protected(lua_State *L) {
  read_plan_table(L, lua_touserdata(L, 2), 1, lua_tostring(L, 3));
  return 0;
}

int scn_plan_load(scn_plan *p, const char *path, char *err, size_t cap) {
  struct owned **owner = p->owner;
  memset(p, 0, sizeof *p);
  p->owner = owner;
  plan_heap heap = {0};
  lua_State *P = lua_newstate(plan_alloc, &heap);
  if (!P) {
    snprintf(err, cap, "%s: cannot read the plan: out of memory", path);
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
    lua_pushlightuserdata(P, p);
    lua_pushfstring(P, "%s: ", path);
    rc = lua_pcall(P, 3, 0, 0);
  }
  if (rc != LUA_OK) {
    const char *msg = lua_tostring(P, -1);
    if (msg && strncmp(msg, "cannot open ", 12) == 0)
      snprintf(err, cap, "--faults %s: cannot open the plan%s", path, strchr(msg, ':') ? strchr(msg, ':') : "");
    else if (msg && strncmp(msg, path, strlen(path)) == 0)
      snprintf(err, cap, "%s", msg); /* FILE:LINE: ... or FILE: fault N ... */
    else
      snprintf(err, cap, "%s: %s", path, msg ? msg : "the plan file does not parse");
    scn_plan_free(p);
  }
  lua_close(P);
  return rc == LUA_OK ? 0 : -1;
}

/* ---- Writing a plan ---------------------------------------------------------------------- */

/* A Lua string literal of bytes s[0..len). */
static void put_str(FILE *f, const char *s, size_t len) {
  fputc('"', f);
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
    else if (c >= 32 && c < 127) fputc(c, f);
    else fprintf(f, "\\%03u", c);
  }
  fputc('"', f);
}

static void put_name(FILE *f, const char *field, const char *name) {
  fprintf(f, ", %s = ", field);
  put_str(f, name, strlen(name));
}

static void put_duration(FILE *f, uint64_t ns) {
  char t[40];
  sim_format_duration(ns, t, sizeof t);
  fprintf(f, "\"%s\"", t);
}

/* A float with 17 significant digits, which read back to the same double, and still a float
 * (1.0, not 1). */
/* The shortest of %.15g, %.16g and %.17g that reads back as v: 0.2, not 0.20000000000000001. */
static void put_float(FILE *f, double v) {
  char t[40];
  for (int digits = 15; digits <= 17; digits++) {
    snprintf(t, sizeof t, "%.*g", digits, v);
    if (strtod(t, NULL) == v) break;
  }
  fprintf(f, "%s%s", t, strpbrk(t, ".eEn") ? "" : ".0"); /* not after inf, nan */
}

/* Any term as the Lua value that converts back to it where Lua can say it (atoms and short
 * binaries are strings, tuples arrays, maps tables); lists are written as arrays. */
static void put_term(FILE *f, ac_term t, int depth) {
  const char *s;
  size_t len;
  int64_t i;
  double d;
  ac_pid pid;
  switch (ac_term_type(t)) {
    case AC_T_INT: ac_term_get_int(t, &i); fprintf(f, "%" PRId64, i); return;
    case AC_T_FLOAT: ac_term_get_float(t, &d); put_float(f, d); return;
    case AC_T_ATOM:
      ac_term_get_atom(t, &s, &len);
      if ((len == 4 && memcmp(s, "true", 4) == 0) || (len == 5 && memcmp(s, "false", 5) == 0)) fprintf(f, "%.*s", (int)len, s);
      else put_str(f, s, len);
      return;
    case AC_T_BINARY: {
      const uint8_t *bytes;
      ac_term_get_binary(t, &bytes, &len);
      put_str(f, (const char *)bytes, len);
      return;
    }
    case AC_T_PID:
      ac_term_get_pid(t, &pid);
      fprintf(f, "\"<%u.%u.%u>\"", ac_pid_node(pid), ac_pid_slot(pid), ac_pid_gen(pid));
      return;
    case AC_T_TUPLE: case AC_T_LIST: case AC_T_NIL: {
      uint32_t n = ac_term_count(t);
      fputs("{", f);
      ac_term e = ac_term_first(t);
      for (uint32_t k = 0; k < n && depth < 32; k++, e = ac_term_next(e)) {
        fputs(k ? ", " : " ", f);
        put_term(f, e, depth + 1);
      }
      fputs(n ? " }" : "}", f);
      return;
    }
    case AC_T_MAP: {
      uint32_t n = ac_term_count(t);
      fputs("{", f);
      ac_term k = ac_term_first(t);
      for (uint32_t j = 0; j < n && depth < 32; j++) {
        ac_term v = ac_term_next(k);
        fputs(j ? ", [" : " [", f);
        put_term(f, k, depth + 1);
        fputs("] = ", f);
        put_term(f, v, depth + 1);
        k = ac_term_next(v);
      }
      fputs(n ? " }" : "}", f);
      return;
    }
    default: fputs("nil", f); return;
  }
}

/* `, target = { ... }`: by pid, by name, or by supervisor and child ids. */
static void put_target(FILE *f, const sim_target *t) {
  if (!t->node) {
    fprintf(f, ", target = { pid = \"<%u.%u.%u>\" }", ac_pid_node(t->pid), ac_pid_slot(t->pid), ac_pid_gen(t->pid));
    return;
  }
  fputs(", target = { node = ", f);
  put_str(f, t->node, strlen(t->node));
  if (t->name) {
    put_name(f, "name", t->name);
  } else {
    put_name(f, "sup", t->sup);
    fputs(", child = ", f);
    if (t->child_count != 1) fputs("{ ", f);
    for (uint32_t i = 0; i < t->child_count; i++) {
      if (i) fputs(", ", f);
      put_str(f, t->child[i], strlen(t->child[i]));
    }
    if (t->child_count != 1) fputs(" }", f);
  }
  fputs(" }", f);
}

/* `, latency = { dist = D, FIELD = ... }`: the fields cl.net.link's latency table takes. */
static void put_latency(FILE *f, const sim_dist *d) {
  static const char *const a_names[] = {"value", "min", "mean", "mean", "scale"};
  fprintf(f, ", latency = { dist = \"%s\", %s = ", sim_dist_name(d->kind), a_names[d->kind]);
  put_duration(f, d->a_ns);
  if (d->kind == SIM_DIST_UNIFORM || d->kind == SIM_DIST_NORMAL) {
    fprintf(f, ", %s = ", d->kind == SIM_DIST_UNIFORM ? "max" : "sd");
    put_duration(f, d->b_ns);
  }
  if (d->kind == SIM_DIST_PARETO) fputs(", shape = ", f), put_float(f, d->shape);
  if (d->cap_ns) fputs(", cap = ", f), put_duration(f, d->cap_ns);
  fputs(" }", f);
}

/* The link settings a link or net_default fault sets. */
static void put_link(FILE *f, const sim_fault *x) {
  uint32_t set = x->link_fields ? x->link_fields : SIM_LINK_ALL;
  if (set & SIM_LINK_LATENCY) put_latency(f, &x->link.latency);
  if (set & SIM_LINK_LOSS) fputs(", loss = ", f), put_float(f, x->link.loss);
  if (set & SIM_LINK_DUP) fputs(", dup = ", f), put_float(f, x->link.dup);
  if (set & SIM_LINK_BANDWIDTH) fprintf(f, ", bandwidth = %" PRIu64, x->link.bandwidth);
  if (set & SIM_LINK_MODE) fprintf(f, ", mode = \"%s\"", x->link.datagram ? "datagram" : "connection");
  if (set & SIM_LINK_DOWN) fprintf(f, ", down = %s", x->link.down ? "true" : "false");
}

void scn_plan_write_fault(FILE *f, const sim_planned *planned) {
  const sim_fault *x = &planned->fault;
  fputs("{ at = ", f);
  put_duration(f, planned->at_ns);
  fprintf(f, ", kind = \"%s\"", sim_fault_kind_name(x->kind));
  switch (x->kind) {
    case SIM_FK_KILL:
      put_target(f, &x->target);
      if (x->reason.p) fputs(", reason = ", f), put_term(f, x->reason, 0);
      break;
    case SIM_FK_PAUSE: case SIM_FK_RESUME: put_target(f, &x->target); break;
    case SIM_FK_SLOW:
      put_target(f, &x->target);
      fputs(", by = ", f);
      put_duration(f, x->slow_ns);
      break;
    case SIM_FK_PARTITION:
      fputs(", groups = {", f);
      for (uint32_t g = 0, at = 0; g < x->group_count; g++) {
        fputs(g ? ", {" : " {", f);
        for (uint32_t i = 0; i < x->group_size[g]; i++, at++) {
          fputs(i ? ", " : " ", f);
          put_str(f, x->members[at], strlen(x->members[at]));
        }
        fputs(x->group_size[g] ? " }" : "}", f);
      }
      fputs(x->group_count ? " }" : "}", f);
      break;
    case SIM_FK_CUT: case SIM_FK_FLAKY_DOWN: case SIM_FK_FLAKY_UP:
      put_name(f, "from", x->from);
      put_name(f, "to", x->to);
      break;
    case SIM_FK_LINK:
      put_name(f, "from", x->from);
      put_name(f, "to", x->to);
      put_link(f, x);
      break;
    case SIM_FK_NET_DEFAULT: put_link(f, x); break;
    case SIM_FK_CLOCK:
      put_name(f, "node", x->node);
      fprintf(f, ", jump = \"%s", x->jump_ns < 0 ? "-" : "");
      char d[40];
      uint64_t jump = x->jump_ns < 0 ? (uint64_t)(-(x->jump_ns + 1)) + 1 : (uint64_t)x->jump_ns;
      sim_format_duration(jump, d, sizeof d);
      fprintf(f, "%s\", drift = ", d);
      put_float(f, x->drift);
      break;
    default: /* isolate, heal, crash_node, restart_node */
      if (x->node) put_name(f, "node", x->node);
  }
  fputs(" }", f);
}

void scn_plan_write_faults(FILE *f, const sim_planned *faults, uint32_t count) {
  fputs("faults = {\n", f);
  for (uint32_t i = 0; i < count; i++) {
    fputs("  ", f);
    scn_plan_write_fault(f, &faults[i]);
    fputs(",\n", f);
  }
  fputs("}", f);
}

int scn_plan_write(FILE *f, const scn_plan *p) {
  fputs("return { ", f);
  if (p->scenario) fputs("scenario = ", f), put_str(f, p->scenario, strlen(p->scenario)), fputs(", ", f);
  if (p->has_seed) fprintf(f, "seed = %" PRIu64 ", ", p->seed);
  scn_plan_write_faults(f, p->faults, p->count);
  fputs(" }\n", f);
  return ferror(f) ? -1 : 0;
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
  sim_format_duration(p->p.faults[index].at_ns, at, sizeof at);
  scn_error(p->run, "%s: fault %u (%s at %s): %s", p->source, index + 1,
            sim_fault_kind_name(p->p.faults[index].fault.kind), at, why);
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
  p->p.owner = &run->owned;
  char err[1024];
  if (scn_plan_load(&p->p, path, err, sizeof err)) {
    scn_error(run, "%s", err);
    return -1;
  }
  if (p->p.has_seed && !run->opts->seed_given) run->seed = p->p.seed;
  lua_pushlightuserdata(run->L, p);
  lua_setfield(run->L, LUA_REGISTRYINDEX, PLAN_KEY);
  return 0;
}

int scn_plan_start(scn_run *run) {
  plan *p = plan_of(run);
  if (!p || sim_fault_planned(run->w)) return 0;
  int rc = sim_fault_plan(run->w, p->p.faults, p->p.count, plan_error, p);
  if (rc) scn_error(run, "%s: cannot start the plan: %s", p->source, ac_strerror(rc));
  return rc ? -1 : 0;
}

/* The first node name of fault f that no node of the world has, or NULL. */
static const char *unknown_node(sim_world *w, const sim_fault *f) {
  const char *names[4] = {f->target.node, f->node, f->from, f->to};
  for (int i = 0; i < 4; i++)
    if (names[i] && sim_node_find(w, names[i]) < 0) return names[i];
  uint32_t member = 0;
  for (uint32_t g = 0; f->kind == SIM_FK_PARTITION && g < f->group_count; g++)
    for (uint32_t k = 0; k < f->group_size[g]; k++, member++)
      if (sim_node_find(w, f->members[member]) < 0) return f->members[member];
  return NULL;
}

void scn_plan_unmade_note(scn_run *run, char *buf, size_t cap) {
  buf[0] = '\0';
  plan *p = run->w ? plan_of(run) : NULL;
  uint32_t first = 0, n = p ? sim_fault_plan_unmade(run->w, &first) : 0;
  if (n == 0) return;
  char at[32], end[32];
  sim_format_duration(p->p.faults[first].at_ns, at, sizeof at);
  sim_format_duration(sim_now(run->w), end, sizeof end);
  size_t len = (size_t)snprintf(buf, cap, "%u fault%s of the plan %s never made%s fault %u (%s at %s)%s: the run ended at %s",
                                n, n == 1 ? "" : "s", n == 1 ? "was" : "were", n == 1 ? ":" : ", from",
                                first + 1, sim_fault_kind_name(p->p.faults[first].fault.kind), at,
                                n == 1 ? "" : " on", end);
  /* Nodes can be declared while the run goes on, so a name is checked against the whole run. */
  for (uint32_t i = first; i < p->p.count && len < cap; i++) {
    const char *name = unknown_node(run->w, &p->p.faults[i].fault);
    if (!name) continue;
    snprintf(buf + len, cap - len, "; node '%s' (fault %u) does not exist in this run", name, i + 1);
    break;
  }
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
  p->p.owner = &run->owned;
  read_plan_table(L, &p->p, 1, "fault_plan: ");
  lua_pushlightuserdata(L, p);
  lua_setfield(L, LUA_REGISTRYINDEX, PLAN_KEY);
  /* Without a world yet, its creation starts the plan (scn_need_world), so a plan at the top
   * of a file, before cl.scenario{...}, leaves the scenario free to declare itself. */
  if (run->w && scn_plan_start(run)) return luaL_error(L, "%s", run->error_msg);
  return 0;
}
