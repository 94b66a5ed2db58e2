/*
 * Lua values <-> terms (see lterm.h for the mapping).
 *
 * A pid is a light userdata whose pointer value is the pid's 64 bits: no allocation, equal
 * pids are equal Lua values (and work as table keys), and reading one touches no memory, which
 * matters on the message path of 100,000 processes. The wildcard cl._ is the light userdata
 * NULL (the all-zero pid is never a process). References are rarer: they are interned, a
 * weak-valued registry table mapping their bits to one full userdata. Conversion to a
 * term recurses once per nesting level; the term builder's depth limit bounds it, which also
 * stops a table that contains itself. Map keys are sorted by the builder, so the order in which
 * lua_next visits a table (which depends on Lua's per-run string hash seed) never reaches a
 * message or the trace.
 */
#include "lterm.h"

#include <lauxlib.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INTERN_KEY "crashlab.interned"

_Static_assert(sizeof(void *) >= sizeof(uint64_t), "a pid must fit in a light userdata");

void scn_push_wildcard(lua_State *L) { lua_pushlightuserdata(L, NULL); }
bool scn_is_wildcard(lua_State *L, int idx) {
  return lua_type(L, idx) == LUA_TLIGHTUSERDATA && lua_touserdata(L, idx) == NULL;
}

/* __tostring of every light userdata: pids, and "_" for the wildcard. */
static int pid_tostring(lua_State *L) {
  ac_pid p;
  if (scn_to_pid(L, 1, &p))
    lua_pushfstring(L, "<%d.%d.%d>", (int)ac_pid_node(p), (int)ac_pid_slot(p), (int)ac_pid_gen(p));
  else
    lua_pushstring(L, "_");
  return 1;
}

static int ref_tostring(lua_State *L) {
  ac_ref r;
  if (!scn_to_ref(L, 1, &r)) return luaL_argerror(L, 1, "reference expected");
  lua_pushfstring(L, "#Ref<%d.%I>", (int)ac_ref_node(r), (lua_Integer)ac_ref_serial(r));
  return 1;
}

void scn_lterm_open(lua_State *L) {
  scn_push_wildcard(L); /* the metatable all light userdata share */
  luaL_newmetatable(L, SCN_PID_MT);
  lua_pushcfunction(L, pid_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_setmetatable(L, -2);
  lua_pop(L, 1);
  luaL_newmetatable(L, SCN_REF_MT);
  lua_pushcfunction(L, ref_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pop(L, 1);
  luaL_newmetatable(L, SCN_LIST_MT);
  lua_pop(L, 1);
  luaL_newmetatable(L, SCN_BIN_MT);
  lua_pop(L, 1);
  lua_newtable(L); /* interned refs: bits -> userdata, weak values */
  lua_newtable(L);
  lua_pushstring(L, "v");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  lua_setfield(L, LUA_REGISTRYINDEX, INTERN_KEY);
}

void scn_push_ref(lua_State *L, ac_ref ref) {
  lua_getfield(L, LUA_REGISTRYINDEX, INTERN_KEY);
  lua_Integer key = (lua_Integer)ref.bits;
  if (lua_rawgeti(L, -1, key) != LUA_TUSERDATA) {
    lua_pop(L, 1);
    uint64_t *u = lua_newuserdatauv(L, sizeof *u, 0);
    *u = ref.bits;
    luaL_setmetatable(L, SCN_REF_MT);
    lua_pushvalue(L, -1);
    lua_rawseti(L, -3, key);
  }
  lua_remove(L, -2);
}

void scn_push_pid(lua_State *L, ac_pid pid) { lua_pushlightuserdata(L, (void *)(uintptr_t)pid.bits); }

int scn_to_pid(lua_State *L, int idx, ac_pid *out) {
  if (lua_type(L, idx) != LUA_TLIGHTUSERDATA) return 0;
  uintptr_t bits = (uintptr_t)lua_touserdata(L, idx);
  if (bits == 0) return 0; /* the wildcard */
  out->bits = (uint64_t)bits;
  return 1;
}

int scn_to_ref(lua_State *L, int idx, ac_ref *out) {
  uint64_t *u = luaL_testudata(L, idx, SCN_REF_MT);
  if (!u) return 0;
  out->bits = *u;
  return 1;
}

const char *scn_check_name(lua_State *L, int idx) {
  size_t len;
  if (lua_type(L, idx) != LUA_TSTRING) /* a name is an atom: 42 is not one, nor is "42" made of it */
    luaL_typeerror(L, idx, "string (a name is an atom)");
  const char *name = lua_tolstring(L, idx, &len);
  if (strlen(name) != len) luaL_argerror(L, idx, "a name must not contain a NUL byte");
  return name;
}

ac_pid scn_check_pid(lua_State *L, int idx) {
  ac_pid p = AC_PID_NONE;
  if (!scn_to_pid(L, idx, &p)) luaL_typeerror(L, idx, "pid");
  return p;
}

/* ---- Lua -> term --------------------------------------------------------------------------- */

typedef struct conv {
  lua_State *L;
  ac_tbuf *b;
  char *err;          /* the reason, set where the error happens */
  size_t err_cap;
  char path[256];     /* where, built while the error unwinds: "[2].name" */
  bool sorted;        /* maps in key order (reporting a failure), else lua_next's (fast) */
} conv;

/* The error path is only built on failure, so a conversion that succeeds costs no formatting. */
static int conv_fail(conv *c, int code, const char *why) {
  snprintf(c->err, c->err_cap, "%s", why);
  return code;
}

static int conv_value(conv *c, int idx, unsigned depth);

/* Prepends "[k]" or ".k" for the key at key_idx to the error path. */
static void path_prepend(conv *c, int key_idx) {
  char step[96];
  lua_State *L = c->L;
  if (lua_type(L, key_idx) == LUA_TNUMBER && lua_isinteger(L, key_idx))
    snprintf(step, sizeof step, "[%lld]", (long long)lua_tointeger(L, key_idx));
  else if (lua_type(L, key_idx) == LUA_TSTRING)
    snprintf(step, sizeof step, ".%.80s", lua_tostring(L, key_idx));
  else
    snprintf(step, sizeof step, "[%s]", luaL_typename(L, key_idx));
  size_t sl = strlen(step), pl = strlen(c->path);
  if (sl + pl >= sizeof c->path) pl = sizeof c->path - 1 - sl; /* sl < 96: keeps the front */
  memmove(c->path + sl, c->path, pl);
  c->path[sl + pl] = 0;
  memcpy(c->path, step, sl);
}

/* Whether the table at idx has exactly the keys 1..n; *n gets n. Keys only: no value is
 * converted before the table's shape is known (converting first and redoing it on a surprise
 * would cost twice per nesting level, exponential in the depth). */
static int is_sequence(lua_State *L, int idx, lua_Integer *n) {
  lua_Integer count = 0;
  bool in_order = true; /* a table built as {a, b, c} yields 1, 2, 3 in this order */
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    count++;
    if (!lua_isinteger(L, -1)) {
      lua_pop(L, 1);
      return 0;
    }
    if (in_order && lua_tointeger(L, -1) != count) in_order = false;
  }
  *n = count;
  if (in_order) return 1; /* count distinct keys 1..count: nothing to look up */
  for (lua_Integer i = 1; i <= count; i++) {
    int t = lua_rawgeti(L, idx, i);
    lua_pop(L, 1);
    if (t == LUA_TNIL) return 0;
  }
  return 1;
}

static int conv_array(conv *c, int idx, lua_Integer n, unsigned depth) {
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(c->L, idx, i);
    int rc = conv_value(c, lua_gettop(c->L), depth + 1);
    lua_pop(c->L, 1);
    if (rc) {
      lua_pushinteger(c->L, i);
      path_prepend(c, -1);
      lua_pop(c->L, 1);
      return rc;
    }
  }
  return 0;
}

/* A key's place in the fixed key order (scn_push_sorted_keys). */
typedef struct key_entry {
  int rank;
  bool isint;
  lua_Integer i;
  lua_Number num;
  const char *str;
  size_t len;
  uint64_t bits;
  lua_Integer slot; /* where the key waits in the scratch table */
} key_entry;

static int key_entry_cmp(const void *pa, const void *pb) {
  const key_entry *a = pa, *b = pb;
  if (a->rank != b->rank) return a->rank < b->rank ? -1 : 1;
  switch (a->rank) {
    case 0:
      if (a->isint && b->isint) return (a->i > b->i) - (a->i < b->i); /* exact past 2^53 */
      return (a->num > b->num) - (a->num < b->num);
    case 1: {
      int c = memcmp(a->str, b->str, a->len < b->len ? a->len : b->len);
      return c ? c : (a->len > b->len) - (a->len < b->len);
    }
    default: return (a->bits > b->bits) - (a->bits < b->bits);
  }
}

lua_Integer scn_push_sorted_keys(lua_State *L, int idx, bool strict) {
  idx = lua_absindex(L, idx);
  lua_Integer n = 0;
  lua_newtable(L); /* the keys, at slots 1..n, so their strings stay valid */
  int keys = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    lua_pushvalue(L, -1);
    lua_rawseti(L, keys, ++n);
  }
  key_entry *e = lua_newuserdatauv(L, (size_t)(n ? n : 1) * sizeof *e, 0);
  for (lua_Integer i = 0; i < n; i++) {
    lua_rawgeti(L, keys, i + 1);
    key_entry *k = &e[i];
    memset(k, 0, sizeof *k);
    k->slot = i + 1;
    ac_ref r;
    switch (lua_type(L, -1)) {
      case LUA_TNUMBER:
        k->isint = lua_isinteger(L, -1);
        k->i = lua_tointeger(L, -1);
        k->num = lua_tonumber(L, -1);
        break;
      case LUA_TSTRING: k->rank = 1; k->str = lua_tolstring(L, -1, &k->len); break;
      case LUA_TBOOLEAN: k->rank = 2; k->bits = (uint64_t)lua_toboolean(L, -1); break;
      case LUA_TLIGHTUSERDATA: /* pids, the wildcard (NULL) first */
        k->rank = 4;
        k->bits = (uint64_t)(uintptr_t)lua_touserdata(L, -1);
        break;
      default:
        if (scn_to_ref(L, -1, &r)) { /* Erlang's order: references before pids */
          k->rank = 3;
          k->bits = r.bits;
        } else if (strict) {
          luaL_error(L, "pairs: a table with %s keys has no deterministic order (use an array "
                        "or string keys)", luaL_typename(L, -1));
        } else {
          k->rank = 5 + lua_type(L, -1); /* tables, functions...: by type only */
        }
    }
    lua_pop(L, 1);
  }
  qsort(e, (size_t)n, sizeof *e, key_entry_cmp);
  lua_createtable(L, (int)n, 0);
  for (lua_Integer i = 0; i < n; i++) {
    lua_rawgeti(L, keys, e[i].slot);
    lua_rawseti(L, -2, i + 1);
  }
  lua_replace(L, keys); /* only the sorted array stays */
  lua_settop(L, keys);
  return n;
}

/* Converts the map at idx with its pairs in key order (not lua_next's, which depends on Lua's
 * per-run string hash seed), so that the first pair that fails is the same on every run. */
static int conv_map_sorted(conv *c, int idx, unsigned depth) {
  lua_State *L = c->L;
  int top = lua_gettop(L);
  lua_Integer n = scn_push_sorted_keys(L, idx, false);
  int keys = lua_gettop(L);
  ac_tb_map_begin(c->b);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, keys, i);
    lua_pushvalue(L, -1);
    lua_rawget(L, idx);
    int rc = conv_value(c, lua_gettop(L) - 1, depth + 1);
    if (!rc) rc = conv_value(c, lua_gettop(L), depth + 1);
    lua_pop(L, 1);
    if (rc) {
      path_prepend(c, -1);
      lua_settop(L, top);
      return rc;
    }
    lua_pop(L, 1);
  }
  lua_settop(L, top);
  return ac_tb_end(c->b);
}

/* What first_failure hands to the protected sorted conversion. */
typedef struct sorted_call {
  conv *sc;
  unsigned depth;
  int rc;
} sorted_call;

/* lua_pcall'd with the sorted_call (a light userdata) and the map: the sorting allocates Lua
 * tables and userdata, which can raise a memory error. */
static int sorted_protected(lua_State *L) {
  sorted_call *call = lua_touserdata(L, 1);
  call->rc = conv_map_sorted(call->sc, 2, call->depth);
  return 0;
}

/* A map failed to convert in lua_next's order: converted again in key order into a scratch
 * builder, it reports the first failing pair in that order instead. The sorting runs under
 * lua_pcall, so that a memory error there frees the scratch builder and comes back as
 * AC_ENOMEM instead of unwinding past it and past the caller's builder (the promise of
 * lterm.h: conversion never raises). conv_table left 8 stack slots for the three pushed. */
static int first_failure(conv *c, int idx, unsigned depth, int rc0) {
  lua_State *L = c->L;
  ac_tbuf scratch;
  ac_tb_init(&scratch);
  scratch.size_max = c->b->size_max;
  conv sc = {L, &scratch, c->err, c->err_cap, {0}, true};
  c->err[0] = 0;
  sorted_call call = {&sc, depth, 0};
  lua_pushcfunction(L, sorted_protected); /* a light C function: pushing it allocates nothing */
  lua_pushlightuserdata(L, &call);
  lua_pushvalue(L, idx);
  int status = lua_pcall(L, 2, 0, 0);
  if (status != LUA_OK) {
    lua_pop(L, 1); /* the error object (a preallocated string for a memory error) */
    ac_tb_free(&scratch);
    c->path[0] = 0;
    return conv_fail(c, AC_ENOMEM, "out of memory");
  }
  int rc = call.rc;
  if (!rc) rc = scratch.err;
  ac_tb_free(&scratch);
  if (!rc) return rc0; /* cannot happen: the same map failed a moment ago */
  memcpy(c->path, sc.path, sizeof c->path);
  return rc;
}

/* A number, boolean, string or light userdata (pid, wildcard) appended to the term; anything
 * else is left alone: NOT_SCALAR. */
enum { NOT_SCALAR = 1 };
static int conv_scalar(conv *c, int idx) {
  lua_State *L = c->L;
  switch (lua_type(L, idx)) {
    case LUA_TNUMBER:
      if (lua_isinteger(L, idx)) return ac_tb_int(c->b, lua_tointeger(L, idx));
      if (!isfinite(lua_tonumber(L, idx))) return conv_fail(c, AC_EINVAL, "cannot send NaN or infinity");
      return ac_tb_float(c->b, lua_tonumber(L, idx));
    case LUA_TBOOLEAN: return ac_tb_atom(c->b, lua_toboolean(L, idx) ? "true" : "false");
    case LUA_TSTRING: {
      size_t len;
      const char *s = lua_tolstring(L, idx, &len);
      return len <= AC_ATOM_LEN_MAX ? ac_tb_atom_n(c->b, s, len) : ac_tb_binary(c->b, s, len);
    }
    case LUA_TLIGHTUSERDATA: {
      uintptr_t bits = (uintptr_t)lua_touserdata(L, idx);
      if (bits == 0) return ac_tb_atom(c->b, "_");
      return ac_tb_pid(c->b, (ac_pid){(uint64_t)bits});
    }
    default: return NOT_SCALAR;
  }
}

/* The common message, {a, b, c} of scalars, in one traversal: true with the tuple open and
 * filled when the keys come as 1, 2, ..., n in order and every value is a number, a string, a
 * boolean or a pid. Otherwise the builder is rewound and false returned, having converted no
 * table (so nothing nested is ever converted twice) and reported no error (the general path
 * finds the canonical one). */
static bool flat_tuple(conv *c, int idx) {
  lua_State *L = c->L;
  ac_tb_mark_t mark = ac_tb_mark(c->b);
  if (ac_tb_tuple_begin(c->b)) { /* the general path meets it again and reports it */
    ac_tb_rewind(c->b, mark);
    return false;
  }
  lua_Integer expect = 1;
  int top = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    /* Tables, references, anything that fails: the general path. The key's value is compared
     * first (one call; a key that is no number reads as 0, never expected), then its type (a
     * string "2" would have read as 2). */
    int rc = lua_tointegerx(L, -2, NULL) == expect && lua_isinteger(L, -2) ? conv_scalar(c, -1) : -1;
    lua_settop(L, top + 1);
    if (rc != 0) {
      lua_settop(L, top);
      ac_tb_rewind(c->b, mark); /* an error (too large) is met again by the general path */
      return false;
    }
    expect++;
  }
  return true;
}

static int conv_table(conv *c, int idx, unsigned depth) {
  lua_State *L = c->L;
  if (!lua_checkstack(L, 8)) return conv_fail(c, AC_ENOMEM, "Lua stack exhausted");
  if (lua_getmetatable(L, idx)) {
    luaL_getmetatable(L, SCN_LIST_MT);
    int is_list = lua_rawequal(L, -1, -2);
    lua_pop(L, 1);
    luaL_getmetatable(L, SCN_BIN_MT);
    int is_bin = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    if (is_bin) {
      lua_rawgeti(L, idx, 1);
      size_t len;
      const char *s = lua_tolstring(L, -1, &len);
      int rc = s ? ac_tb_binary(c->b, s, len) : conv_fail(c, AC_EINVAL, "bad binary");
      lua_pop(L, 1);
      return rc;
    }
    if (is_list) {
      lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
      ac_tb_list_begin(c->b);
      int rc = conv_array(c, idx, n, depth);
      return rc ? rc : ac_tb_end(c->b);
    }
  }
  if (flat_tuple(c, idx)) return ac_tb_end(c->b);
  lua_Integer n;
  if (is_sequence(L, idx, &n)) {
    ac_tb_tuple_begin(c->b);
    int rc = conv_array(c, idx, n, depth);
    return rc ? rc : ac_tb_end(c->b);
  }
  if (c->sorted) return conv_map_sorted(c, idx, depth);
  ac_tb_map_begin(c->b);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    int rc = conv_value(c, lua_gettop(L) - 1, depth + 1);
    if (!rc) rc = conv_value(c, lua_gettop(L), depth + 1);
    lua_pop(L, 1);
    if (rc) {
      lua_pop(L, 1);
      return first_failure(c, idx, depth, rc);
    }
  }
  int rc = ac_tb_end(c->b);
  if (rc == AC_EDUPKEY) return conv_fail(c, rc, "two keys convert to the same term");
  return rc;
}

static int conv_value(conv *c, int idx, unsigned depth) {
  lua_State *L = c->L;
  if (depth > AC_TERM_DEPTH_MAX) return conv_fail(c, AC_ETOODEEP, "nested too deep (or a table contains itself)");
  int rc = conv_scalar(c, idx);
  if (rc != NOT_SCALAR) return rc;
  switch (lua_type(L, idx)) {
    case LUA_TUSERDATA: {
      ac_ref ref;
      if (scn_to_ref(L, idx, &ref)) return ac_tb_ref(c->b, ref);
      return conv_fail(c, AC_EINVAL, "cannot send a userdata");
    }
    case LUA_TTABLE: return conv_table(c, idx, depth);
    case LUA_TFUNCTION: return conv_fail(c, AC_EINVAL, "cannot send a function");
    case LUA_TTHREAD: return conv_fail(c, AC_EINVAL, "cannot send a coroutine");
    case LUA_TNIL: return conv_fail(c, AC_EINVAL, "cannot send nil");
    default: return conv_fail(c, AC_EINVAL, "cannot send this value");
  }
}

int scn_lua_to_term(lua_State *L, int idx, ac_tbuf *b, const char *what, char *err,
                    size_t err_cap) {
  conv c = {L, b, err, err_cap, {0}, false};
  err[0] = 0;
  if (!lua_checkstack(L, 4)) { /* a reference's check pushes two; tables check for themselves */
    snprintf(err, err_cap, "%s: Lua stack exhausted", what);
    return AC_ENOMEM;
  }
  int top = lua_gettop(L);
  int rc = conv_value(&c, lua_absindex(L, idx), 0);
  lua_settop(L, top);
  if (rc == 0 && b->err) rc = b->err;
  if (rc == 0) return 0;
  char why[160];
  snprintf(why, sizeof why, "%s", err[0] ? err : ac_strerror(rc));
  if (rc == AC_ETOOBIG)
    snprintf(why, sizeof why, "too large (over the %zu MiB message limit)", b->size_max >> 20);
  if (rc == AC_ETOODEEP) {
    snprintf(why, sizeof why, "nested too deep (or a table contains itself)");
    size_t cut = 40; /* hundreds of levels of path say no more than the first few */
    if (strlen(c.path) > cut) {
      while (cut > 0 && c.path[cut] != '.' && c.path[cut] != '[') cut--;
      memcpy(c.path + cut, "...", 4);
    }
  }
  snprintf(err, err_cap, "%s%s: %s", what, c.path, why);
  return rc;
}

/* ---- term -> Lua --------------------------------------------------------------------------- */

/* Room is checked once per compound (it pushes the table, then a key and a value), not per
 * scalar: scn_push_term checked for the first value. */
static void push_term(lua_State *L, ac_term t);

void scn_push_term(lua_State *L, ac_term t) {
  luaL_checkstack(L, 4, "term nested too deep");
  push_term(L, t);
}

static void push_term(lua_State *L, ac_term t) {
  switch (ac_term_type(t)) {
    case AC_T_INT: {
      int64_t v;
      ac_term_get_int(t, &v);
      lua_pushinteger(L, v);
      return;
    }
    case AC_T_FLOAT: {
      double v;
      ac_term_get_float(t, &v);
      lua_pushnumber(L, v);
      return;
    }
    case AC_T_ATOM: {
      const char *s;
      size_t len;
      ac_term_get_atom(t, &s, &len);
      if (len == 4 && memcmp(s, "true", 4) == 0) lua_pushboolean(L, 1);
      else if (len == 5 && memcmp(s, "false", 5) == 0) lua_pushboolean(L, 0);
      else if (len == 1 && s[0] == '_') scn_push_wildcard(L);
      else lua_pushlstring(L, s, len);
      return;
    }
    case AC_T_BINARY: {
      const uint8_t *s;
      size_t len;
      ac_term_get_binary(t, &s, &len);
      lua_pushlstring(L, (const char *)s, len);
      return;
    }
    case AC_T_PID: {
      ac_pid p;
      ac_term_get_pid(t, &p);
      scn_push_pid(L, p);
      return;
    }
    case AC_T_REF: {
      ac_ref r;
      ac_term_get_ref(t, &r);
      scn_push_ref(L, r);
      return;
    }
    case AC_T_NIL:
      lua_createtable(L, 0, 0);
      luaL_setmetatable(L, SCN_LIST_MT);
      return;
    case AC_T_TUPLE:
    case AC_T_LIST: {
      luaL_checkstack(L, 4, "term nested too deep");
      uint32_t n = ac_term_count(t);
      lua_createtable(L, (int)n, 0);
      ac_term e = ac_term_first(t);
      for (uint32_t i = 0; i < n; i++, e = ac_term_next(e)) {
        push_term(L, e);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
      }
      if (ac_term_type(t) == AC_T_LIST) {
        ac_term tail;
        if (ac_term_list_tail(t, &tail) == AC_OK && ac_term_type(tail) != AC_T_NIL) {
          push_term(L, tail);
          lua_setfield(L, -2, "tail");
        }
        luaL_setmetatable(L, SCN_LIST_MT);
      }
      return;
    }
    case AC_T_MAP: {
      luaL_checkstack(L, 5, "term nested too deep"); /* the table, a key, a value (3 for a ref) */
      uint32_t n = ac_term_count(t);
      lua_createtable(L, 0, (int)n);
      ac_term k = ac_term_first(t);
      for (uint32_t i = 0; i < n; i++) {
        ac_term v = ac_term_next(k);
        push_term(L, k);
        push_term(L, v);
        lua_rawset(L, -3);
        k = ac_term_next(v);
      }
      return;
    }
  }
  lua_pushnil(L);
}
