/*
 * cl.supervisor: supervision trees from Lua, on the core's supervisor behaviour (core/sup.h).
 *
 * Specs are Lua tables checked field by field and copied into C memory the run owns (freed at
 * its end), because a supervisor restarts its children long after the table is gone: a child
 * that runs a Lua function keeps the function in the registry, and each (re)start makes a new
 * coroutine for it. The calls that wait for a supervisor's answer (start, start_child,
 * which_children, ...) are written in Lua (scenarios/lua/prelude/supervisor.lua, embedded in the
 * binary) on top of a few C primitives, since a Lua process waits by receiving, like any other.
 */
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "code.h"
#include "lterm.h"
#include "runner.h"
#include "sup.h"

/* ---- Memory the run owns ----------------------------------------------------------------- */

typedef struct owned {
  struct owned *next;
  max_align_t align[];
} owned;

void *scn_own_on(struct owned **list, size_t size) {
  owned *o = calloc(1, sizeof *o + size);
  if (!o) return NULL;
  o->next = *list;
  *list = o;
  return o->align;
}

void scn_own_free(struct owned **list) {
  while (*list) {
    owned *o = *list;
    *list = o->next;
    free(o);
  }
}

void *scn_own(scn_run *run, size_t size) { return scn_own_on(&run->owned, size); }

const char *scn_own_string(lua_State *L, scn_run *run, const char *s) {
  size_t n = strlen(s);
  char *c = scn_own(run, n + 1);
  if (!c) luaL_error(L, "out of memory");
  memcpy(c, s, n + 1);
  return c;
}

void scn_free_owned(scn_run *run) { scn_own_free(&run->owned); }

/* A copy of t owned by the run, or a null term when out of memory (the caller frees what it
 * holds, then raises). */
static ac_term own_term(scn_run *run, ac_term t) {
  size_t n = ac_term_size(t);
  uint8_t *p = scn_own(run, n);
  if (p) memcpy(p, t.p, n);
  ac_term c = {p};
  return c;
}

/* ---- Lua children ------------------------------------------------------------------------ */

typedef struct lua_child {
  int fn_ref;         /* the function, anchored in the registry for the whole run */
  const char *module; /* start = {Module, Function, args...}: the module (owned), else NULL */
  const char *fname;  /* and the function (owned): the spawn's label, as cl.code.spawn's */
} lua_child;

/* The prelude's function that runs Module.Function(args...) fully qualified (runner.h). */
#define MFA_KEY SCN_MFA_KEY

/* Starts a Lua child: a new coroutine running the function with the argument list. A child
 * named by module and function starts in the module's current version on the supervisor's
 * node (its spawn record says which); without one, the child's own call raises undef. */
static int lua_child_start(ac_proc *sup, const void *ctx, ac_term arg, ac_pid *pid_out) {
  const lua_child *c = ctx;
  ac_node *node = ac_proc_node(sup);
  scn_run *run = ac_node_user(node);
  if (!run || !run->L) return AC_ESTATE;
  if (!lua_checkstack(run->L, 4)) return AC_ENOMEM;
  if (c->module && ac_code_set_next_spawn(node, c->module) == AC_ENOMEM) return AC_ENOMEM;
  lua_rawgeti(run->L, LUA_REGISTRYINDEX, c->fn_ref);
  int rc = scn_spawn_labelled(run, run->L, NULL, sup, AC_PID_NONE, AC_SPAWN_LINK | AC_SPAWN_ACK,
                              arg, c->fname, pid_out, NULL);
  if (c->module) ac_code_set_next_spawn(node, NULL);
  return rc;
}

/* ---- Reading specs ----------------------------------------------------------------------- */

static int pick(lua_State *L, int idx, const char *field, const char *const *names, int dflt,
                const char *what) {
  if (lua_getfield(L, idx, field) == LUA_TNIL) {
    lua_pop(L, 1);
    return dflt;
  }
  const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
  for (int i = 0; names[i]; i++)
    if (strcmp(s, names[i]) == 0) {
      lua_pop(L, 1);
      return i;
    }
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (int i = 0; names[i]; i++) {
    if (i) luaL_addstring(&b, ", ");
    luaL_addchar(&b, '"');
    luaL_addstring(&b, names[i]);
    luaL_addchar(&b, '"');
  }
  luaL_pushresult(&b);
  return luaL_error(L, "%s.%s must be one of %s", what, field, lua_tostring(L, -1));
}

static const char *const strategies[] = {"one_for_one", "one_for_all", "rest_for_one",
                                         "simple_one_for_one", NULL};
static const char *const restarts[] = {"permanent", "transient", "temporary", NULL};
static const char *const types[] = {"worker", "supervisor", NULL};
static const char *const auto_shutdowns[] = {"never", "any_significant", "all_significant", NULL};
static const char *const flag_fields[] = {"strategy", "intensity", "period", "auto_shutdown",
                                          "children", NULL};
static const char *const child_fields[] = {"id", "start", "supervisor", "restart", "shutdown",
                                           "type", "significant", NULL};

static void read_flags(lua_State *L, int idx, ac_sup_flags *f) {
  *f = ac_sup_flags_default();
  f->strategy = (ac_sup_strategy)pick(L, idx, "strategy", strategies, 0, "supervisor");
  f->auto_shutdown = (ac_auto_shutdown)pick(L, idx, "auto_shutdown", auto_shutdowns, 0, "supervisor");
  if (lua_getfield(L, idx, "intensity") != LUA_TNIL) {
    if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 0 || lua_tointeger(L, -1) > 1000000)
      luaL_error(L, "supervisor.intensity must be an integer from 0 to 1000000");
    f->intensity = (uint32_t)lua_tointeger(L, -1);
  }
  lua_pop(L, 1);
  if (lua_getfield(L, idx, "period") != LUA_TNIL) {
    const char *why;
    if (scn_parse_duration(L, lua_gettop(L), &f->period_ns, &why) || f->period_ns == 0)
      luaL_error(L, "supervisor.period: %s", f->period_ns == 0 ? "must be more than 0" : why);
  }
  lua_pop(L, 1);
}

static void read_children(lua_State *L, scn_run *run, int idx, ac_sup_config *cfg);

/* The spec at idx (a table) into *s, with everything it points to owned by the run. */
static void read_child(lua_State *L, scn_run *run, int idx, ac_child_spec *s, const char *what) {
  idx = lua_absindex(L, idx);
  if (lua_type(L, idx) != LUA_TTABLE) luaL_error(L, "%s must be a table", what);
  scn_check_fields(L, idx, child_fields, what);
  memset(s, 0, sizeof *s);
  if (lua_getfield(L, idx, "id") != LUA_TSTRING || lua_rawlen(L, -1) == 0 || lua_rawlen(L, -1) > 255)
    luaL_error(L, "%s.id must be a non-empty string of at most 255 bytes", what);
  size_t n;
  const char *id = lua_tolstring(L, -1, &n);
  char *idc = scn_own(run, n + 1);
  if (!idc) luaL_error(L, "out of memory");
  memcpy(idc, id, n + 1);
  s->id = idc;
  lua_pop(L, 1);
  bool has_start = lua_getfield(L, idx, "start") != LUA_TNIL;
  bool has_sup = lua_getfield(L, idx, "supervisor") != LUA_TNIL;
  if (has_start == has_sup)
    luaL_error(L, "%s needs exactly one of start = {function, args...} or supervisor = {...}", what);
  if (has_start) {
    int t = lua_gettop(L) - 1;
    int first = lua_type(L, t) == LUA_TTABLE ? lua_rawgeti(L, t, 1) : LUA_TNIL;
    bool mfa = first == LUA_TSTRING;
    if (first != LUA_TFUNCTION && !mfa)
      luaL_error(L, "%s.start must be {function, args...} or {\"module\", \"function\", args...}", what);
    lua_child *c = scn_own(run, sizeof *c);
    if (!c) luaL_error(L, "out of memory");
    lua_Integer from = 2; /* the first argument */
    if (mfa) { /* {Module, Function, args...}: the prelude's runner, with both names first */
      size_t len = lua_rawlen(L, -1);
      if (len == 0 || len > 255 || lua_rawgeti(L, t, 2) != LUA_TSTRING || lua_rawlen(L, -1) == 0)
        luaL_error(L, "%s.start: {\"module\", \"function\", args...} needs a module name of 1 to 255 "
                      "bytes and a function name", what);
      c->module = scn_own_string(L, run, lua_tostring(L, -2));
      c->fname = scn_own_string(L, run, lua_tostring(L, -1));
      lua_pop(L, 2);
      lua_getfield(L, LUA_REGISTRYINDEX, MFA_KEY);
      from = 1;
    }
    c->fn_ref = luaL_ref(L, LUA_REGISTRYINDEX); /* for the whole run */
    lua_Integer count = (lua_Integer)lua_rawlen(L, t);
    lua_createtable(L, (int)(count > 1 ? count - 1 : 0), 0);
    for (lua_Integer i = from; i <= count; i++) {
      lua_rawgeti(L, t, i);
      lua_rawseti(L, -2, i - from + 1);
    }
    luaL_setmetatable(L, SCN_LIST_MT); /* the arguments are a list: start_child appends */
    ac_tbuf b;
    ac_tb_init(&b);
    char err[320] = "";
    int rc = scn_lua_to_term(L, lua_gettop(L), &b, "start argument", err, sizeof err);
    ac_term args;
    if (rc == AC_OK) rc = ac_tb_finish(&b, &args);
    if (rc != AC_OK) {
      ac_tb_free(&b);
      luaL_error(L, "%s.start: %s", what, err[0] ? err : ac_strerror(rc));
    }
    s->arg = own_term(run, args);
    ac_tb_free(&b);
    if (!s->arg.p) luaL_error(L, "out of memory");
    lua_pop(L, 1);
    s->start = lua_child_start;
    s->start_ctx = c;
    s->type = AC_WORKER;
    s->shutdown_ns = INT64_C(5000000000);
  } else {
    int t = lua_gettop(L);
    if (lua_type(L, t) != LUA_TTABLE) luaL_error(L, "%s.supervisor must be a table", what);
    ac_sup_config *cfg = scn_own(run, sizeof *cfg);
    if (!cfg) luaL_error(L, "out of memory");
    read_flags(L, t, &cfg->flags);
    scn_check_fields(L, t, flag_fields, "supervisor");
    read_children(L, run, t, cfg);
    s->start = ac_supervisor_start_fn;
    s->start_ctx = cfg;
    s->type = AC_SUPERVISOR;
    s->shutdown_ns = AC_INFINITY;
  }
  lua_pop(L, 2);
  s->restart = (ac_restart_type)pick(L, idx, "restart", restarts, 0, what);
  s->type = (ac_child_type)pick(L, idx, "type", types, (int)s->type, what);
  if (lua_getfield(L, idx, "shutdown") != LUA_TNIL) {
    const char *v = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
    uint64_t ns;
    const char *why;
    if (strcmp(v, "brutal_kill") == 0) s->shutdown_ns = AC_SHUTDOWN_BRUTAL_KILL;
    else if (strcmp(v, "infinity") == 0) s->shutdown_ns = AC_INFINITY;
    else if (scn_parse_duration(L, lua_gettop(L), &ns, &why) == 0) s->shutdown_ns = (int64_t)ns;
    else luaL_error(L, "%s.shutdown must be a duration, \"brutal_kill\" or \"infinity\"", what);
  }
  lua_pop(L, 1);
  lua_getfield(L, idx, "significant");
  if (!lua_isnil(L, -1) && !lua_isboolean(L, -1)) luaL_error(L, "%s.significant must be a boolean", what);
  s->significant = lua_toboolean(L, -1);
  lua_pop(L, 1);
}

static void read_children(lua_State *L, scn_run *run, int idx, ac_sup_config *cfg) {
  int t = lua_getfield(L, idx, "children");
  if (t == LUA_TNIL) {
    lua_pop(L, 1);
    cfg->children = NULL;
    cfg->child_count = 0;
    return;
  }
  if (t != LUA_TTABLE) luaL_error(L, "supervisor.children must be an array of child specs");
  size_t n = lua_rawlen(L, -1);
  ac_child_spec *specs = scn_own(run, (n ? n : 1) * sizeof *specs);
  if (!specs) luaL_error(L, "out of memory");
  for (size_t i = 0; i < n; i++) {
    char what[48];
    snprintf(what, sizeof what, "children[%zu]", i + 1);
    lua_rawgeti(L, -1, (lua_Integer)i + 1);
    read_child(L, run, -1, &specs[i], what);
    lua_pop(L, 1);
    if (specs[i].significant && specs[i].restart == AC_PERMANENT)
      luaL_error(L, "%s: a significant child cannot be permanent (OTP's bad_combination)", what);
    if (specs[i].significant && cfg->flags.auto_shutdown == AC_AUTO_SHUTDOWN_NEVER)
      luaL_error(L, "%s: a significant child needs auto_shutdown = \"any_significant\" or "
                    "\"all_significant\" (OTP's bad_combination)", what);
    for (size_t j = 0; j < i; j++)
      if (strcmp(specs[j].id, specs[i].id) == 0)
        luaL_error(L, "%s.id: '%s' is already the id of children[%zu]", what, specs[i].id, j + 1);
  }
  lua_pop(L, 1);
  cfg->children = specs;
  cfg->child_count = n;
  if (cfg->flags.strategy == AC_SIMPLE_ONE_FOR_ONE && n != 1)
    luaL_error(L, "supervisor: simple_one_for_one takes exactly one child spec (the template)");
}

/* ---- C primitives ------------------------------------------------------------------------ */

/* _start(flags): starts a supervisor (flags.children are its children); returns its pid and
 * whether the caller must wait for its start (a process: linked, acknowledged). */
static int l_start(lua_State *L) {
  scn_run *run = scn_world_run(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  ac_sup_config *cfg = scn_own(run, sizeof *cfg);
  if (!cfg) return luaL_error(L, "out of memory");
  read_flags(L, 1, &cfg->flags);
  scn_check_fields(L, 1, flag_fields, "supervisor");
  read_children(L, run, 1, cfg);
  ac_pid pid;
  int rc = ac_supervisor_start(run->current ? ac_proc_node(run->current) : scn_here(L, run), run->current, cfg, &pid);
  if (rc) return scn_condition(L, "supervisor: %s", ac_strerror(rc));
  scn_push_pid(L, pid);
  lua_pushboolean(L, run->current != NULL);
  return 2;
}

static ac_proc *caller(lua_State *L, const char *fn) {
  scn_run *run = scn_world_run(L);
  if (!run->current) luaL_error(L, "supervisor.%s: only a process can call this", fn);
  return run->current;
}

static const char *child_id(lua_State *L, int idx, const char *fn) {
  size_t n;
  const char *id = lua_tolstring(L, idx, &n);
  if (lua_type(L, idx) != LUA_TSTRING || n == 0 || n > 255)
    luaL_error(L, "supervisor.%s: the child id must be a non-empty string", fn);
  return id;
}

/* _call(sup, op, arg): sends the request, returns the reference its reply will carry. */
static int l_call(lua_State *L) {
  const char *op = luaL_checkstring(L, 2);
  ac_proc *self = caller(L, op);
  scn_run *run = scn_world_run(L);
  ac_pid sup = scn_check_pid(L, 1);
  ac_ref ref;
  int rc;
  if (strcmp(op, "which_children") == 0) rc = ac_sup_which_children(self, sup, &ref);
  else if (strcmp(op, "count_children") == 0) rc = ac_sup_count_children(self, sup, &ref);
  else if (strcmp(op, "restart_child") == 0) rc = ac_sup_restart_child(self, sup, child_id(L, 3, op), &ref);
  else if (strcmp(op, "delete_child") == 0) rc = ac_sup_delete_child(self, sup, child_id(L, 3, op), &ref);
  else if (strcmp(op, "terminate_child") == 0) {
    ac_pid child;
    rc = scn_to_pid(L, 3, &child) ? ac_sup_terminate_child_pid(self, sup, child, &ref)
                                  : ac_sup_terminate_child(self, sup, child_id(L, 3, op), &ref);
  } else if (strcmp(op, "start_child") == 0) {
    luaL_checktype(L, 3, LUA_TTABLE);
    if (lua_getfield(L, 3, "id") != LUA_TNIL) { /* a spec */
      ac_child_spec spec;
      read_child(L, run, 3, &spec, "child");
      rc = ac_sup_start_child(self, sup, &spec, (ac_term){NULL}, &ref);
    } else { /* simple_one_for_one: arguments appended to the template's */
      lua_settop(L, 3);
      lua_Integer count = (lua_Integer)lua_rawlen(L, 3);
      lua_createtable(L, (int)count, 0); /* a copy marked as a list */
      for (lua_Integer i = 1; i <= count; i++) {
        lua_rawgeti(L, 3, i);
        lua_rawseti(L, 4, i);
      }
      luaL_setmetatable(L, SCN_LIST_MT);
      ac_tbuf b;
      ac_tb_init(&b);
      char err[320] = "";
      rc = scn_lua_to_term(L, 4, &b, "start_child argument", err, sizeof err);
      ac_term extra;
      if (rc == AC_OK) rc = ac_tb_finish(&b, &extra);
      if (rc == AC_OK) rc = ac_sup_start_child(self, sup, NULL, extra, &ref);
      ac_tb_free(&b);
      if (rc && err[0]) return luaL_error(L, "supervisor.start_child: %s", err);
    }
  } else {
    return luaL_error(L, "supervisor: unknown call '%s'", op);
  }
  if (rc == AC_ENOPROC) return scn_condition(L, "supervisor.%s: noproc", op);
  if (rc) return scn_condition(L, "supervisor.%s: %s", op, ac_strerror(rc));
  scn_push_ref(L, ref);
  return 1;
}

/* children(sup): {{id=, pid=, type=, restart=, restarting=}, ...} in start order, or nil. */
static int l_children(lua_State *L) {
  scn_run *run = scn_world_run(L);
  ac_pid sup = scn_check_pid(L, 1);
  ac_sup_child_info few[32], *info = few;
  ac_node *node = scn_node_of_pid(run, sup);
  int n = node ? ac_sup_children(node, sup, few, 32) : -1;
  if (n < 0) {
    lua_pushnil(L);
    return 1;
  }
  if (n > 32) {
    info = lua_newuserdatauv(L, (size_t)n * sizeof *info, 0);
    ac_sup_children(node, sup, info, (size_t)n);
  }
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    lua_createtable(L, 0, 5);
    if (info[i].id) {
      lua_pushstring(L, info[i].id);
      lua_setfield(L, -2, "id");
    }
    if (!ac_pid_is_none(info[i].pid)) {
      scn_push_pid(L, info[i].pid);
      lua_setfield(L, -2, "pid");
    }
    lua_pushstring(L, types[info[i].type]);
    lua_setfield(L, -2, "type");
    lua_pushstring(L, restarts[info[i].restart]);
    lua_setfield(L, -2, "restart");
    lua_pushboolean(L, info[i].restarting);
    lua_setfield(L, -2, "restarting");
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

/* restarts(sup): restarts in the supervisor's current intensity window, or nil. */
static int l_restarts(lua_State *L) {
  scn_run *run = scn_world_run(L);
  uint32_t n;
  ac_pid sup = scn_check_pid(L, 1);
  ac_node *node = scn_node_of_pid(run, sup);
  if (!node || ac_sup_restart_count(node, sup, &n) != AC_OK) lua_pushnil(L);
  else lua_pushinteger(L, n);
  return 1;
}

/* format(value): the value as Erlang text ({shutdown,{failed_to_start_child,w2,boom}}), for
 * error messages that must not depend on addresses. */
static int l_format(lua_State *L) {
  ac_tbuf b;
  ac_tb_init(&b);
  char err[320] = "";
  ac_term t;
  int rc = scn_lua_to_term(L, 1, &b, "value", err, sizeof err);
  if (rc == AC_OK) rc = ac_tb_finish(&b, &t);
  if (rc != AC_OK) {
    ac_tb_free(&b);
    lua_pushstring(L, lua_typename(L, lua_type(L, 1)));
    return 1;
  }
  char text[512];
  size_t need = ac_term_print(t, text, sizeof text);
  if (need >= sizeof text) memcpy(text + sizeof text - 4, "...", 4);
  ac_tb_free(&b);
  lua_pushstring(L, text);
  return 1;
}

/* kind(v): "pid", "name" or "remote" ({name, node}) for what can name a server, else nil. */
static int l_kind(lua_State *L) {
  ac_pid pid;
  if (scn_to_pid(L, 1, &pid)) lua_pushliteral(L, "pid");
  else if (lua_type(L, 1) == LUA_TSTRING) lua_pushliteral(L, "name");
  else if (lua_type(L, 1) == LUA_TTABLE && lua_rawlen(L, 1) == 2 && lua_rawgeti(L, 1, 1) == LUA_TSTRING &&
           lua_rawgeti(L, 1, 2) == LUA_TSTRING) lua_pushliteral(L, "remote");
  else lua_pushnil(L);
  return 1;
}

/* reply(pid, alias, reply): {Alias, Reply} to the caller's alias (dropped once inactive). */
static int l_reply(lua_State *L) {
  ac_proc *self = caller(L, "reply");
  ac_pid to = scn_check_pid(L, 1);
  ac_ref alias;
  if (!scn_to_ref(L, 2, &alias)) return luaL_error(L, "server.reply: from must be the from a handle_call received");
  lua_createtable(L, 2, 0);
  lua_pushvalue(L, 2);
  lua_rawseti(L, -2, 1);
  lua_pushvalue(L, 3);
  lua_rawseti(L, -2, 2);
  ac_tbuf b;
  ac_tb_init(&b);
  char err[320] = "";
  ac_term t;
  int rc = scn_lua_to_term(L, -1, &b, "reply", err, sizeof err);
  if (rc == AC_OK) rc = ac_tb_finish(&b, &t);
  if (rc == AC_OK) rc = ac_send_alias(self, to, alias, t);
  ac_tb_free(&b);
  if (rc) return luaL_error(L, "server.reply: %s", err[0] ? err : ac_strerror(rc));
  return 0;
}

/* parent(): the supervisor waiting for the calling process to start (proc_lib's parent), or
 * nil once it has started or when nobody waits. */
static int l_parent(lua_State *L) {
  ac_pid parent;
  if (ac_ack_parent(caller(L, "parent"), &parent) == AC_OK) scn_push_pid(L, parent);
  else lua_pushnil(L);
  return 1;
}

static bool is_exit(lua_State *L, int idx) {
  if (lua_type(L, idx) != LUA_TTABLE || luaL_getmetafield(L, idx, "__name") == LUA_TNIL) return false;
  bool yes = lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), "crashlab.exit") == 0;
  lua_pop(L, 1);
  return yes;
}

/* stack(err): the message handler of a server's callbacks: an exit(Reason) stays as it is; an
 * error becomes {Error, Stack}, Stack the list of "FILE:LINE" of the scenario's frames from the
 * error up (OTP's {Error, Stacktrace}, with Lua's places). A runaway stays as it is too: it is
 * the process's, not the callback's, and ends the server as it ends any process (the prelude's
 * next instruction raises it again), counted as a crash once, when the process ends. */
static int stack_of(lua_State *L, bool classify) {
  if (is_exit(L, 1) || scn_runaway(L)) return 1;
  scn_run *run = scn_run_of(L);
  lua_settop(L, 1);
  if (classify && run->current) scn_process_error(run, L, 1, ac_self(run->current)); /* misuse, Lua error */
  lua_createtable(L, 2, 0);
  lua_pushvalue(L, 1);
  lua_rawseti(L, -2, 1);
  lua_createtable(L, 8, 0);
  lua_Debug ar;
  int n = 0;
  for (int level = 1; n < 8 && lua_getstack(L, level, &ar); level++) {
    if (!lua_getinfo(L, "Sl", &ar) || ar.currentline <= 0 || strcmp(ar.source, "=cl.supervisor") == 0)
      continue;
    lua_pushfstring(L, "%s:%d", ar.short_src, ar.currentline);
    lua_rawseti(L, -2, ++n);
  }
  luaL_setmetatable(L, SCN_LIST_MT);
  lua_rawseti(L, -2, 2);
  return 1;
}

static int l_stack(lua_State *L) { return stack_of(L, true); }
/* caught(err): the same {Error, Stack} for an error the server catches and reports (a failed
 * code_change): not a crash of the process, so not counted as one. */
static int l_caught(lua_State *L) { return stack_of(L, false); }

/* code_step(op, caller, module, version [, detail]): a server's upgrade step, recorded by the
 * server (the calling process): op "suspend", "resume", "change_ok" or "change_failed". */
static int l_code_step(lua_State *L) {
  static const char *const ops[] = {"suspend", "resume", "change_ok", "change_failed", NULL};
  static const uint16_t codes[] = {AC_CODE_SUSPEND, AC_CODE_RESUME, AC_CODE_CHANGE_OK,
                                   AC_CODE_CHANGE_FAILED};
  int op = luaL_checkoption(L, 1, NULL, ops);
  ac_proc *self = caller(L, "code_step");
  ac_pid from = scn_check_pid(L, 2);
  const char *module = luaL_checkstring(L, 3);
  lua_Integer version = luaL_checkinteger(L, 4);
  ac_tbuf b;
  ac_tb_init(&b);
  ac_term detail = {NULL};
  char err[320] = "";
  int rc = AC_OK;
  if (!lua_isnoneornil(L, 5)) {
    rc = scn_lua_to_term(L, 5, &b, "code_change failure", err, sizeof err);
    if (rc == AC_OK) rc = ac_tb_finish(&b, &detail);
  }
  if (rc == AC_OK)
    rc = ac_code_server_step(self, from, codes[op], module,
                             version < 0 || version > UINT32_MAX ? 0 : (uint32_t)version, detail);
  ac_tb_free(&b);
  if (rc) return luaL_error(L, "server upgrade: %s", err[0] ? err : ac_strerror(rc));
  return 0;
}

/* spawn_in(module, spawn, ...): spawn(...) (cl.spawn or cl.spawn_link, a C function), its spawn
 * started in the module's current version on the caller's node (its spawn record names it);
 * a plain spawn for a nil module or one without a current version. The two happen in one C
 * call, so no Lua instruction runs in between (a preemption there would hand the prepared
 * spawn to another process's spawn), and a spawn that raises (an argument that cannot be
 * sent) leaves nothing prepared for the next one: its error is raised again. */
static int l_spawn_in(lua_State *L) {
  scn_run *run = scn_world_run(L);
  const char *module = luaL_optstring(L, 1, NULL);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  ac_node *node = run->current ? ac_proc_node(run->current) : scn_here(L, run);
  if (module && ac_code_set_next_spawn(node, module) == AC_ENOMEM)
    return luaL_error(L, "out of memory");
  int status = lua_pcall(L, lua_gettop(L) - 2, LUA_MULTRET, 0);
  ac_code_set_next_spawn(node, NULL); /* used by the spawn, or not at all */
  if (status != LUA_OK) return lua_error(L);
  return lua_gettop(L) - 1;
}

/* set_mfa(f): the prelude's runner of {Module, Function, args...} child starts. */
static int l_set_mfa(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_settop(L, 1);
  lua_setfield(L, LUA_REGISTRYINDEX, MFA_KEY);
  return 0;
}

/* Raises "FILE:LINE: message" (the message at the top) at the innermost line of the scenario's
 * code on the stack: a server's start options are the author's, checked where the author
 * wrote them, not at a line of the prelude. */
static int raise_at_author(lua_State *L) {
  lua_Debug ar;
  for (int level = 1; lua_getstack(L, level, &ar); level++)
    if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0 && strncmp(ar.source, "=cl.", 4) != 0) {
      lua_pushfstring(L, "%s:%d: ", ar.short_src, ar.currentline);
      lua_insert(L, -2);
      lua_concat(L, 2);
      break;
    }
  return lua_error(L);
}

/* Whether the value at idx is a registered name a server can take (an atom: a string of 1 to
 * 255 bytes without NUL, and not undefined). */
static bool server_name_ok(lua_State *L, int idx) {
  size_t n;
  const char *s = lua_type(L, idx) == LUA_TSTRING ? lua_tolstring(L, idx, &n) : NULL;
  return s && n > 0 && n <= 255 && strlen(s) == n && strcmp(s, "undefined") != 0;
}

static int name_error(lua_State *L, const char *fn, int idx) {
  lua_pushfstring(L, "%s: options.name must be a name (a string of 1 to 255 bytes, not undefined), "
                     "not %s", fn, lua_type(L, idx) == LUA_TSTRING ? "that string" : luaL_typename(L, idx));
  return raise_at_author(L);
}

static int check_opts_fields(lua_State *L) {
  static const char *const allowed[] = {"name", NULL};
  scn_check_fields(L, 1, allowed, lua_tostring(L, 2));
  return 0;
}

/* start_opts(fn, opts): the options of server.start (fn), checked in the caller: a table whose
 * only field is name, a name. Raises at the author's line. */
static int l_start_opts(lua_State *L) {
  const char *fn = luaL_checkstring(L, 1);
  if (!lua_istable(L, 2)) {
    lua_pushfstring(L, "%s: the options must be a table ({name = ...}), not %s", fn, luaL_typename(L, 2));
    return raise_at_author(L);
  }
  lua_pushcfunction(L, check_opts_fields);
  lua_pushvalue(L, 2);
  lua_pushfstring(L, "%s: options", fn);
  if (lua_pcall(L, 2, 0, 0) != LUA_OK) return raise_at_author(L);
  if (lua_getfield(L, 2, "name") != LUA_TNIL && !server_name_ok(L, -1)) return name_error(L, fn, -1);
  return 0;
}

/* register(name [, starter]): a server takes its name (the calling process); returns nothing.
 * A name that is not one is server.enter's misuse (server.start checks its options in the
 * caller), raised at the author's line. A name another process holds: with a starter
 * (server.start's caller, waiting for the ack), returns the holder's pid, and the server tells
 * its starter {already_started, Pid} and ends normal, as gen_server's start does; without one
 * (server.enter, under a supervisor), ends the server with {already_started, Pid}. Never
 * raises elsewhere from the prelude's line. */
static int l_register(lua_State *L) {
  ac_proc *self = caller(L, "register");
  if (!server_name_ok(L, 1)) return name_error(L, "server.enter", 1);
  ac_node *node = ac_proc_node(self);
  const char *name = lua_tostring(L, 1);
  int rc = ac_register(self, name, ac_self(self));
  if (rc == AC_OK) return 0;
  if (rc != AC_ENAMETAKEN) return scn_condition(L, "server: register('%s'): %s", name, ac_strerror(rc));
  if (!lua_isnoneornil(L, 2)) {
    scn_push_pid(L, ac_whereis(node, name));
    return 1;
  }
  lua_createtable(L, 2, 0); /* cl.exit({already_started, Pid}): {"EXIT", Reason} raised */
  lua_pushliteral(L, "EXIT");
  lua_rawseti(L, -2, 1);
  lua_createtable(L, 2, 0);
  lua_pushliteral(L, "already_started");
  lua_rawseti(L, -2, 1);
  scn_push_pid(L, ac_whereis(node, name));
  lua_rawseti(L, -2, 2);
  lua_rawseti(L, -2, 2);
  luaL_setmetatable(L, "crashlab.exit");
  return lua_error(L);
}

/* exit_reason(e): what a callback's failure makes the server exit with. */
static int l_exit_reason(lua_State *L) {
  if (is_exit(L, 1)) lua_rawgeti(L, 1, 2);
  else lua_settop(L, 1);
  return 1;
}

/* ---- The calls, in Lua ------------------------------------------------------------------- */

/* The Lua half, scenarios/lua/prelude/supervisor.lua, carried in the binary (embed.cmake). */
extern const char scn_prelude_supervisor[];
extern const size_t scn_prelude_supervisor_len;

void scn_bind_sup(lua_State *L) {
  int cl = lua_gettop(L);
  lua_newtable(L); /* cl.supervisor */
  int sup = lua_gettop(L);
  lua_newtable(L); /* the primitives, private to the prelude */
  static const luaL_Reg prims[] = {{"start", l_start}, {"call", l_call}, {"children", l_children},
                                   {"restarts", l_restarts}, {"format", l_format}, {"duration_ms", scn_l_duration_ms},
                                   {"kind", l_kind}, {"reply", l_reply}, {"parent", l_parent},
                                   {"stack", l_stack}, {"exit_reason", l_exit_reason},
                                   {"condition", scn_l_condition}, {"code_step", l_code_step},
                                   {"spawn_in", l_spawn_in}, {"set_mfa", l_set_mfa}, {"caught", l_caught},
                                   {"start_opts", l_start_opts}, {"register", l_register},
                                   {NULL, NULL}};
  luaL_setfuncs(L, prims, 0);
  lua_getfield(L, -1, "children");
  lua_setfield(L, sup, "children");
  lua_getfield(L, -1, "restarts");
  lua_setfield(L, sup, "restarts");
  int prim = lua_gettop(L);
  lua_newtable(L); /* cl.server */
  int server = lua_gettop(L);
  lua_newtable(L); /* cl.sys */
  int sys = lua_gettop(L);
  if (luaL_loadbuffer(L, scn_prelude_supervisor, scn_prelude_supervisor_len, "=cl.supervisor") != LUA_OK) {
    fprintf(stderr, "crashlab: internal error: %s\n", lua_tostring(L, -1)); /* caught by every test */
    abort();
  }
  lua_pushvalue(L, cl);
  lua_pushvalue(L, sup);
  lua_pushvalue(L, prim);
  lua_pushvalue(L, server);
  lua_pushvalue(L, sys);
  if (lua_pcall(L, 5, 0, 0) != LUA_OK) {
    fprintf(stderr, "crashlab: internal error: %s\n", lua_tostring(L, -1));
    abort();
  }
  lua_pushvalue(L, server);
  lua_setfield(L, cl, "server");
  lua_pushvalue(L, sys);
  lua_setfield(L, cl, "sys");
  lua_getfield(L, prim, "format");
  lua_setfield(L, cl, "format"); /* cl.format(value): Erlang's text of a value */
  lua_settop(L, sup);
  lua_setfield(L, cl, "supervisor");
}
