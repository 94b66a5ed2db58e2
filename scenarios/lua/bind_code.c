/*
 * cl.code: hot code loading for Lua scenarios, on core/code.h.
 *
 * A module version is a Lua table of functions, copied at load (a later change to the
 * author's table does not change the loaded version) and kept in the registry table CODE_KEY
 * under a number of its own; core/ keeps the version (current/old, numbers, records) with a
 * pointer to that number. A module handle (cl.code.module, or what cl.code.load returns) is a
 * userdata whose fields are looked up at each access in the current version on the calling
 * process's node: `kv.loop(n)` is Erlang's fully-qualified kv:loop(N). A Lua local or upvalue
 * that holds a module's function is a local call: it stays in the version it belongs to.
 *
 * Which process runs a version is read from its coroutine's stack when purge or soft_purge
 * asks (scn_code_check): a process runs version V when a frame of its stack runs one of V's
 * functions, i.e. the functions of V's table and the Lua functions reachable from them through
 * upvalues, minus those that also belong to the current version (a helper both versions
 * share). A frame whose function is in neither version's set (a closure module code made as
 * it ran) is placed by where it is defined (pop_in_old). The set of a version is computed once,
 * at its first check, and kept by its number.
 * Cost: nothing on the message path; a purge walks every Lua process's stack once (and, for a
 * frame in no set, the two sets).
 */
#include <lauxlib.h>
#include <stdint.h>
#include <string.h>

#include "code.h"
#include "lterm.h"
#include "runner.h"

#define CODE_KEY "crashlab.code"     /* {versions = {[id] = table}, sets = {[id] = set}} */
#define HANDLE_MT "crashlab.module"  /* a module handle: userdata, user value its name */
#define REACH_MAX 100000             /* functions followed per version: a bound, not a limit
                                        any module reaches */

/* What a Lua version's ac_code_def.user points to (run memory: freed after the world). */
typedef struct code_version {
  scn_run *run;
  lua_Integer id; /* its key in the versions and sets tables */
} code_version;

/* Marks a def as made here (ac_code_def.callbacks): other versions are not ours to check. */
static const char lua_marker[] = "lua";

static void push_code_table(lua_State *L, const char *field) {
  if (lua_getfield(L, LUA_REGISTRYINDEX, CODE_KEY) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_newtable(L);
    lua_setfield(L, -2, "versions");
    lua_newtable(L);
    lua_setfield(L, -2, "sets");
    lua_pushinteger(L, 0);
    lua_setfield(L, -2, "next");
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, CODE_KEY);
  }
  if (field) {
    lua_getfield(L, -1, field);
    lua_remove(L, -2);
  }
}

/* A removed version's table and set go (core calls this from purge and soft_purge). */
static void version_release(void *user) {
  code_version *lv = user;
  lua_State *L = lv->run->L;
  if (!L) return;
  for (int i = 0; i < 2; i++) {
    push_code_table(L, i ? "sets" : "versions");
    lua_pushnil(L);
    lua_rawseti(L, -2, lv->id);
    lua_pop(L, 1);
  }
}

static const code_version *lua_version_of(const ac_code_version *v) {
  return v && v->def.callbacks == lua_marker ? v->def.user : NULL;
}

/* Pushes version v's table of functions (nil if it is not a Lua version). */
static void push_version_table(lua_State *L, const ac_code_version *v) {
  const code_version *lv = lua_version_of(v);
  if (!lv) {
    lua_pushnil(L);
    return;
  }
  push_code_table(L, "versions");
  lua_rawgeti(L, -1, lv->id);
  lua_remove(L, -2);
}

/* Pushes the set of Lua functions of version v: its table's, and those reachable from them
 * through upvalues (breadth first, bounded). Computed once per version. */
static void push_version_set(lua_State *L, const ac_code_version *v) {
  const code_version *lv = lua_version_of(v);
  if (!lv) {
    lua_newtable(L);
    return;
  }
  push_code_table(L, "sets");
  if (lua_rawgeti(L, -1, lv->id) == LUA_TTABLE) {
    lua_remove(L, -2);
    return;
  }
  lua_pop(L, 1);
  lua_newtable(L); /* the set */
  int set = lua_gettop(L);
  lua_newtable(L); /* the queue: functions in the order they were found */
  int queue = lua_gettop(L);
  lua_Integer n = 0;
  push_version_table(L, v);
  lua_pushnil(L);
  while (lua_istable(L, -2) && lua_next(L, -2)) { /* any order: the set is the same */
    if (lua_type(L, -1) == LUA_TFUNCTION && !lua_iscfunction(L, -1)) lua_rawseti(L, queue, ++n);
    else lua_pop(L, 1);
  }
  lua_pop(L, 1);
  for (lua_Integer i = 1; i <= n && i <= REACH_MAX; i++) {
    lua_rawgeti(L, queue, i);
    int f = lua_gettop(L);
    lua_pushvalue(L, f);
    if (lua_rawget(L, set) != LUA_TNIL) {
      lua_settop(L, f - 1);
      continue;
    }
    lua_pop(L, 1);
    lua_pushvalue(L, f);
    lua_pushboolean(L, 1);
    lua_rawset(L, set);
    for (int u = 1; lua_getupvalue(L, f, u) != NULL; u++) {
      if (lua_type(L, -1) == LUA_TFUNCTION && !lua_iscfunction(L, -1)) lua_rawseti(L, queue, ++n);
      else lua_pop(L, 1);
    }
    lua_settop(L, f - 1);
  }
  lua_pop(L, 1); /* the queue */
  lua_pushvalue(L, -1);
  lua_rawseti(L, set - 1, lv->id);
  lua_remove(L, set - 1);
}

/* Where a Lua function is defined: its chunk and its first and last lines. */
typedef struct def_range {
  const char *source; /* valid while the function is on the stack */
  int first, last;
} def_range;

static bool range_of(lua_State *L, int fidx, def_range *r) {
  lua_Debug ar;
  lua_pushvalue(L, fidx);
  if (!lua_getinfo(L, ">S", &ar) || ar.what[0] == 'C' || ar.linedefined <= 0) return false;
  *r = (def_range){ar.source, ar.linedefined, ar.lastlinedefined};
  return true;
}

/* What the set at `set` says of a function defined at r that is in no version's set (a closure
 * made as module code runs): `inside` gets whether r lies within a function of the set whose
 * range is not also one of the set at `other` (each version made by its own code), `shared`
 * whether it lies within one whose range the other has too (one factory made both). */
static void enclosing(lua_State *L, int set, int other, const def_range *r, bool *inside,
                      bool *shared) {
  *inside = *shared = false;
  lua_pushnil(L);
  while (lua_next(L, set)) {
    lua_pop(L, 1);
    def_range g;
    if (!range_of(L, -1, &g) || strcmp(g.source, r->source) != 0 || g.first > r->first ||
        g.last < r->last)
      continue;
    bool same = false; /* does the other version have a function of that range? */
    lua_pushnil(L);
    while (!same && lua_next(L, other)) {
      lua_pop(L, 1);
      def_range h;
      same = range_of(L, -1, &h) && h.first == g.first && h.last == g.last &&
             strcmp(h.source, g.source) == 0;
      if (same) lua_pop(L, 1);
    }
    if (same) *shared = true;
    else *inside = true;
  }
}

/* Whether a function of the set has the upvalue `id` (lua_upvalueid). */
static bool set_has_upvalue(lua_State *L, int set, void *id) {
  bool found = false;
  lua_pushnil(L);
  while (!found && lua_next(L, set)) {
    lua_pop(L, 1);
    for (int j = 1; !found && lua_getupvalue(L, -1, j) != NULL; j++) {
      lua_pop(L, 1);
      found = lua_upvalueid(L, -1, j) == id;
    }
    if (found) lua_pop(L, 1);
  }
  return found;
}

/* Whether an upvalue of the function at fidx is one that functions of set `mine` have and those
 * of set `other` do not (a variable of the factory call that made one version only). */
static bool has_upvalue_of(lua_State *L, int fidx, int mine, int other) {
  for (int i = 1; lua_getupvalue(L, fidx, i) != NULL; i++) {
    lua_pop(L, 1);
    void *id = lua_upvalueid(L, fidx, i);
    if (set_has_upvalue(L, mine, id) && !set_has_upvalue(L, other, id)) return true;
  }
  return false;
}

/*
 * Whether the function at the top of L (popped) is old code: in set `old` and not in set
 * `cur`; or, in neither (a closure that module code made as it ran, such as a local loop made
 * inside a module function), defined within a function of the old version and not within one
 * of the current version. When both versions have a function of the range it lies in (one
 * factory made both), its upvalues decide: one that functions of the old version have and
 * those of the current one do not, and none the other way round.
 * Else it is not known to be old (the limit docs/scenario-api.md states).
 */
static bool pop_in_old(lua_State *L, int old, int cur) {
  int f = lua_gettop(L);
  lua_pushvalue(L, f);
  bool in_old = lua_rawget(L, old) != LUA_TNIL;
  lua_pushvalue(L, f);
  bool in_cur = lua_rawget(L, cur) != LUA_TNIL;
  lua_settop(L, f);
  def_range r;
  bool runs = in_old && !in_cur;
  if (!in_old && !in_cur && range_of(L, f, &r)) {
    bool old_inside, old_shared, cur_inside, cur_shared;
    enclosing(L, old, cur, &r, &old_inside, &old_shared);
    enclosing(L, cur, old, &r, &cur_inside, &cur_shared);
    if (old_inside || cur_inside) runs = old_inside && !cur_inside;
    else if (old_shared) runs = has_upvalue_of(L, f, old, cur) && !has_upvalue_of(L, f, cur, old);
  }
  lua_settop(L, f - 1);
  return runs;
}

typedef struct check_args {
  ac_node *node;
  const ac_code_version *v;
  lua_State *co; /* the process's coroutine */
  bool runs;
} check_args;

/* The check itself, under lua_pcall (building a version's set allocates, and a failed
 * allocation must not unwind through core/'s purge). */
static int check_protected(lua_State *L) {
  check_args *a = lua_touserdata(L, 1);
  lua_State *co = a->co;
  luaL_checkstack(L, 16, NULL);
  if (!lua_checkstack(co, 2)) return luaL_error(L, "stack overflow");
  push_version_set(L, a->v);
  int old = lua_gettop(L);
  push_version_set(L, ac_code_current(a->node, a->v->module));
  int cur = lua_gettop(L);
  lua_Debug ar;
  int level = 0;
  for (; !a->runs && lua_getstack(co, level, &ar); level++) {
    if (!lua_getinfo(co, "f", &ar)) continue;
    lua_xmove(co, L, 1);
    a->runs = pop_in_old(L, old, cur);
  }
  /* A process that has not started yet holds its function at the bottom of its stack. */
  if (!a->runs && level == 0 && lua_status(co) == LUA_OK && lua_gettop(co) >= 1 &&
      lua_type(co, 1) == LUA_TFUNCTION) {
    lua_pushvalue(co, 1);
    lua_xmove(co, L, 1);
    a->runs = pop_in_old(L, old, cur);
  }
  return 0;
}

int scn_code_check(ac_node *node, ac_pid pid, const ac_code_version *v) {
  lua_State *co = scn_process_thread(node, pid);
  const code_version *lv = lua_version_of(v);
  if (!co || !lv) return -1; /* not a Lua process, or not a Lua version: the record decides */
  /* The predicates' thread: free whenever core calls this (a predicate cannot purge), and
   * usable while a process's coroutine runs, as it is for predicates. */
  lua_State *T = lv->run->pred_thread;
  int top = lua_gettop(T);
  check_args a = {node, v, co, false};
  if (!lua_checkstack(T, 3)) return -1;
  lua_pushcfunction(T, check_protected);
  lua_pushlightuserdata(T, &a);
  int rc = lua_pcall(T, 1, 0, 0);
  lua_settop(T, top);
  return rc == LUA_OK ? (a.runs ? 1 : 0) : -1; /* out of memory: the record decides */
}

/* ---- Arguments ------------------------------------------------------------------------------ */

static const char *check_module_name(lua_State *L, int idx, const char *fn) {
  size_t len;
  const char *name = lua_type(L, idx) == LUA_TSTRING ? lua_tolstring(L, idx, &len) : NULL;
  if (!name || len == 0 || len > AC_ATOM_LEN_MAX || strlen(name) != len)
    luaL_error(L, "%s: the module name must be a string of 1 to 255 bytes (no NUL), not %s", fn,
               name ? "a string of another length" : luaL_typename(L, idx));
  return name;
}

/* The node an operation acts on: the `node` named at idx (a string, or a table {node = ...}),
 * else the calling process's node (node "a" outside processes). Raises for an unknown node or
 * one that is down. */
static ac_node *node_arg(lua_State *L, scn_run *run, int idx, const char *fn) {
  if (lua_isnoneornil(L, idx)) return scn_here(L, run);
  if (lua_type(L, idx) == LUA_TTABLE) {
    static const char *const allowed[] = {"node", NULL};
    scn_check_fields(L, idx, allowed, fn);
    if (lua_getfield(L, idx, "node") == LUA_TNIL) {
      lua_pop(L, 1);
      return scn_here(L, run);
    }
    lua_replace(L, idx);
  }
  if (lua_type(L, idx) != LUA_TSTRING)
    luaL_error(L, "%s: the node must be a node name (a string), not %s", fn, luaL_typename(L, idx));
  uint32_t m = scn_check_node(L, idx);
  ac_node *node = sim_node(run->w, m);
  if (!node) luaL_error(L, "%s: node %s is down", fn, lua_tostring(L, idx));
  return node;
}

static ac_pid caller(scn_run *run) { return run->current ? ac_self(run->current) : AC_PID_NONE; }

/* A module known on the node, or a Lua error naming the call and the node. */
static void check_known(lua_State *L, ac_node *node, const char *name, const char *fn) {
  if (ac_code_versions(node, name, NULL, NULL) == AC_ENOTFOUND)
    luaL_error(L, "%s: no module '%s' was ever loaded on node %s", fn, name, ac_node_name(node));
}

/* ---- Handles -------------------------------------------------------------------------------- */

static void push_handle(lua_State *L, const char *name) {
  lua_newuserdatauv(L, 0, 1);
  lua_pushstring(L, name);
  lua_setiuservalue(L, -2, 1);
  luaL_setmetatable(L, HANDLE_MT);
}

/* handle.f: the function f of the current version on the caller's node (a fully-qualified
 * call). No current version, or no such function: Erlang's undef, a runtime condition. */
static int l_handle_index(lua_State *L) {
  scn_run *run = scn_world_run(L);
  lua_getiuservalue(L, 1, 1);
  const char *name = lua_tostring(L, -1);
  const char *fname = luaL_checkstring(L, 2);
  ac_node *node = scn_here(L, run);
  const ac_code_version *v = ac_code_current(node, name);
  if (!v)
    return scn_condition(L, "undef: %s.%s (no current version of module %s on node %s)", name,
                         fname, name, ac_node_name(node));
  push_version_table(L, v);
  if (lua_getfield(L, -1, fname) != LUA_TFUNCTION)
    return scn_condition(L, "undef: %s.%s (version %d of module %s has no function %s)", name,
                         fname, (int)v->version, name, fname);
  return 1;
}

static int l_handle_newindex(lua_State *L) {
  lua_getiuservalue(L, 1, 1);
  return luaL_error(L, "module %s: a module handle cannot be assigned to (load a new version "
                       "with cl.code.load)", lua_tostring(L, -1));
}

static int l_handle_tostring(lua_State *L) {
  lua_getiuservalue(L, 1, 1);
  lua_pushfstring(L, "module %s", lua_tostring(L, -1));
  return 1;
}

/* ---- cl.code -------------------------------------------------------------------------------- */

/* cl.code.module(name): a handle on module name, whether or not it is loaded yet. */
static int l_module(lua_State *L) {
  push_handle(L, check_module_name(L, 1, "cl.code.module"));
  return 1;
}

/* Copies the module table at idx (checked: string keys, function values) to a new table. */
static void copy_module(lua_State *L, int idx, const char *name) {
  if (lua_type(L, idx) != LUA_TTABLE)
    luaL_error(L, "cl.code.load: module %s must be a table of functions, not %s", name,
               luaL_typename(L, idx));
  lua_newtable(L);
  int copy = lua_gettop(L);
  lua_Integer n = scn_push_sorted_keys(L, idx, true);
  int keys = lua_gettop(L);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, keys, i);
    if (lua_type(L, -1) != LUA_TSTRING)
      luaL_error(L, "cl.code.load: module %s: a key is %s, not a function name (a string)", name,
                 luaL_typename(L, -1));
    lua_pushvalue(L, -1);
    lua_rawget(L, idx);
    if (lua_type(L, -1) != LUA_TFUNCTION)
      luaL_error(L, "cl.code.load: module %s: field '%s' is %s, not a function", name,
                 lua_tostring(L, -2), luaL_typename(L, -1));
    lua_rawset(L, copy);
  }
  lua_settop(L, copy);
}

/* cl.code.load(name, module [, node | {node = }]): the new current version. Returns the
 * module's handle and the version's number, or nil, "not_purged" (an old version exists). */
static int l_load(lua_State *L) {
  scn_run *run = scn_world_run(L);
  const char *name = check_module_name(L, 1, "cl.code.load");
  ac_node *node = node_arg(L, run, 3, "cl.code.load");
  copy_module(L, 2, name);
  code_version *lv = scn_own(run, sizeof *lv);
  if (!lv) return luaL_error(L, "cl.code.load: out of memory");
  push_code_table(L, NULL);
  lua_getfield(L, -1, "next");
  lua_Integer id = lua_tointeger(L, -1) + 1;
  lua_pop(L, 1);
  lua_pushinteger(L, id);
  lua_setfield(L, -2, "next");
  lua_getfield(L, -1, "versions");
  lua_pushvalue(L, -3);
  lua_rawseti(L, -2, id);
  lua_pop(L, 3); /* versions, the code table, the copy */
  lv->run = run;
  lv->id = id;
  ac_code_def def = {NULL, lua_marker, lv, version_release};
  uint32_t version = 0;
  int rc = ac_code_load(node, caller(run), name, &def, &version);
  if (rc) {
    version_release(lv);
    if (rc == AC_ENOTPURGED) {
      lua_pushnil(L);
      lua_pushliteral(L, "not_purged");
      return 2;
    }
    return luaL_error(L, "cl.code.load: %s", ac_strerror(rc));
  }
  push_handle(L, name);
  lua_pushinteger(L, version);
  return 2;
}

typedef int (*code_op)(ac_node *, ac_pid, const char *, bool *);

static int module_op(lua_State *L, const char *fn, code_op op) {
  scn_run *run = scn_world_run(L);
  const char *name = check_module_name(L, 1, fn);
  ac_node *node = node_arg(L, run, 2, fn);
  check_known(L, node, name, fn);
  bool result = false;
  int rc = op(node, caller(run), name, &result);
  if (rc) return luaL_error(L, "%s: %s", fn, ac_strerror(rc));
  lua_pushboolean(L, result);
  return scn_stop_if_doomed(L, 1); /* a purge may kill its caller, which runs old code */
}

/* cl.code.purge(name [, node]): true if processes running the old version were killed. */
static int l_purge(lua_State *L) { return module_op(L, "cl.code.purge", ac_code_purge); }
/* cl.code.soft_purge(name [, node]): false while a process runs the old version. */
static int l_soft_purge(lua_State *L) {
  return module_op(L, "cl.code.soft_purge", ac_code_soft_purge);
}
/* cl.code.delete(name [, node]): the current version becomes old; false if none, or an old one
 * exists. */
static int l_delete(lua_State *L) { return module_op(L, "cl.code.delete", ac_code_delete); }

/* cl.code.which(name [, node]): the current version's number, or nil. */
static int l_which(lua_State *L) {
  scn_run *run = scn_world_run(L);
  const char *name = check_module_name(L, 1, "cl.code.which");
  ac_node *node = node_arg(L, run, 2, "cl.code.which");
  uint32_t cur = 0;
  ac_code_versions(node, name, &cur, NULL);
  if (cur) lua_pushinteger(L, cur);
  else lua_pushnil(L);
  return 1;
}

/* cl.code.versions(name [, node]): {current = N, old = M}, each field absent when there is no
 * such version ({} for a module never loaded there). */
static int l_versions(lua_State *L) {
  scn_run *run = scn_world_run(L);
  const char *name = check_module_name(L, 1, "cl.code.versions");
  ac_node *node = node_arg(L, run, 2, "cl.code.versions");
  uint32_t cur = 0, old = 0;
  ac_code_versions(node, name, &cur, &old);
  lua_createtable(L, 0, 2);
  if (cur) {
    lua_pushinteger(L, cur);
    lua_setfield(L, -2, "current");
  }
  if (old) {
    lua_pushinteger(L, old);
    lua_setfield(L, -2, "old");
  }
  return 1;
}

/* cl.code.check_process(pid, name): erlang:check_process_code, whether the process (of any
 * node) runs the old version of module name on its node; false for a dead process or when
 * there is no old version. */
static int l_check_process(lua_State *L) {
  scn_run *run = scn_world_run(L);
  ac_pid pid = scn_check_pid(L, 1);
  const char *name = check_module_name(L, 2, "cl.code.check_process");
  ac_node *node = scn_node_of_pid(run, pid);
  const ac_code_version *old = node ? ac_code_old(node, name) : NULL;
  lua_pushboolean(L, old && ac_code_runs(node, pid, old));
  return 1;
}

/* cl.code.spawn(name, fname [, args]), spawn_link and spawn_monitor (pid and reference):
 * spawn(Module, Function, Args). The process runs function fname of the current version on
 * the caller's node, with the values of the array args as its arguments, and its spawn record
 * names the module and version. */
static int spawn_code(lua_State *L, const char *fn, unsigned opts) {
  scn_run *run = scn_world_run(L);
  const char *name = check_module_name(L, 1, fn);
  size_t fname_len;
  const char *fname = luaL_checklstring(L, 2, &fname_len);
  if (fname_len == 0 || fname_len > AC_ATOM_LEN_MAX || strlen(fname) != fname_len)
    return luaL_error(L, "%s: the function name must be a string of 1 to 255 bytes (no NUL)", fn);
  if (!lua_isnoneornil(L, 3)) luaL_checktype(L, 3, LUA_TTABLE);
  if (opts && !run->current)
    return luaL_error(L, "%s: only a process can call this (call it inside a spawned function)", fn);
  ac_node *node = run->current ? ac_proc_node(run->current) : scn_here(L, run);
  const ac_code_version *v = ac_code_current(node, name);
  if (!v)
    return scn_condition(L, "%s: undef: no current version of module %s on node %s", fn, name,
                         ac_node_name(node));
  push_version_table(L, v);
  if (lua_getfield(L, -1, fname) != LUA_TFUNCTION)
    return scn_condition(L, "%s: undef: version %d of module %s has no function %s", fn,
                         (int)v->version, name, fname);
  int f = lua_gettop(L);
  ac_tbuf b;
  char err[320] = "";
  ac_tb_init(&b);
  int rc;
  if (lua_isnoneornil(L, 3)) {
    rc = ac_tb_fmt(&b, "{}");
  } else {
    lua_Integer n = (lua_Integer)lua_rawlen(L, 3);
    lua_createtable(L, (int)n, 0); /* the array part only, as the values of a tuple */
    for (lua_Integer i = 1; i <= n; i++) {
      lua_rawgeti(L, 3, i);
      lua_rawseti(L, -2, i);
    }
    rc = scn_lua_to_term(L, -1, &b, "spawn argument", err, sizeof err);
    lua_pop(L, 1);
  }
  ac_term args = {NULL};
  if (rc == AC_OK) rc = ac_tb_finish(&b, &args);
  if (rc == AC_OK) rc = ac_code_set_next_spawn(node, name);
  ac_pid pid = AC_PID_NONE;
  ac_ref mon = {0};
  if (rc == AC_OK) {
    lua_pushvalue(L, f);
    rc = scn_spawn_labelled(run, L, run->current ? NULL : node, run->current, AC_PID_NONE, opts,
                            args, fname, &pid, &mon);
    ac_code_set_next_spawn(node, NULL);
  }
  ac_tb_free(&b);
  if (rc) return luaL_error(L, "%s: %s", fn, err[0] ? err : ac_strerror(rc));
  scn_push_pid(L, pid);
  if (!(opts & AC_SPAWN_MONITOR)) return 1;
  scn_push_ref(L, mon);
  return 2;
}

static int l_spawn(lua_State *L) { return spawn_code(L, "cl.code.spawn", 0); }
static int l_spawn_link(lua_State *L) { return spawn_code(L, "cl.code.spawn_link", AC_SPAWN_LINK); }
static int l_spawn_monitor(lua_State *L) {
  return spawn_code(L, "cl.code.spawn_monitor", AC_SPAWN_MONITOR);
}

void scn_bind_code(lua_State *L) {
  if (luaL_newmetatable(L, HANDLE_MT)) {
    static const luaL_Reg mt[] = {{"__index", l_handle_index}, {"__newindex", l_handle_newindex},
                                  {"__tostring", l_handle_tostring}, {NULL, NULL}};
    luaL_setfuncs(L, mt, 0);
  }
  lua_pop(L, 1);
  static const luaL_Reg fns[] = {{"load", l_load},         {"module", l_module},
                                 {"purge", l_purge},       {"soft_purge", l_soft_purge},
                                 {"delete", l_delete},     {"which", l_which},
                                 {"versions", l_versions}, {"spawn", l_spawn},
                                 {"spawn_link", l_spawn_link}, {"spawn_monitor", l_spawn_monitor},
                                 {"check_process", l_check_process},
                                 {NULL, NULL}};
  luaL_newlib(L, fns);
  lua_setfield(L, -2, "code");
}
