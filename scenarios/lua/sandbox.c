/*
 * The Lua state of a run and its sandbox (runner.h, internal.h): a counting allocator (the
 * memory limit), an environment whose sources of nondeterminism are closed (pairs and next in
 * a sorted order, math.random from the seed with a stream per process, os.time and os.clock on
 * virtual time, tostring and string.format without addresses, no __gc), require and load
 * under the sandbox, stand-ins that name what is missing (io, os.execute, ...), and the guard
 * that answers an unknown cl name with the nearest one.
 */
#define _POSIX_C_SOURCE 200809L
#include "internal.h"

#include <errno.h>
#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lterm.h"

#define ENV_KEY "crashlab.env"
#define LOADED_KEY "crashlab.loaded"

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

/* ---- The guard on the cl tables --------------------------------------------------------- */

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
  scn_bind_code(L); /* before cl.node's prelude, which adds cl.code.spawn_on */
  scn_bind_net(L);
  scn__bind_scenario(L);
  scn__bind_props(L);
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

int scn__load_scenario(lua_State *L) {
  scn_run *run = scn_run_of(L);
  if (load_in_env(L, run->opts->path, base_name(run->opts->path)) != LUA_OK) return lua_error(L);
  return 1;
}

int scn__open_state(scn_run *run) {
  lua_State *L = lua_newstate(counting_alloc, run);
  if (!L) return -1;
  run->L = L;
  *(scn_run **)lua_getextraspace(L) = run;
  /* Generational collection: messages make many short-lived tables. A minor collection after
   * the heap grew by 100% (not 20%) and a major one after 300% halve the collector's share of
   * a message-heavy run; an allocation that would pass the memory limit still collects fully
   * first (Lua retries a failed allocation after an emergency collection). */
  lua_gc(L, LUA_GCGEN, 100, 300);
  scn_hook_thread(L);
  scn_lterm_open(L);
  build_env(L);
  run->pred_thread = lua_newthread(L);
  scn_hook_thread(run->pred_thread);
  lua_setfield(L, LUA_REGISTRYINDEX, "crashlab.predicate_thread");
  scn__exits_open(L);
  return 0;
}
