/*
 * What goes wrong in a run (runner.h, internal.h): a scenario error (the first one wins and
 * stops the world), calling the scenario's Lua functions from the run loop under a message
 * handler, and the errors of processes, told apart as API misuse (a scenario error), a Lua
 * error of the author's code (counted, or a failure with crashes = "fail") or a crash the
 * author asked for (nothing to report).
 */
#include "internal.h"

#include <inttypes.h>
#include <lauxlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void scn_error(scn_run *run, const char *fmt, ...) {
  if (run->error) return;
  run->error = true;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(run->error_msg, sizeof run->error_msg, fmt, ap);
  va_end(ap);
  if (run->w) sim_request_stop(run->w);
}

/* ---- Calling Lua from the run loop ------------------------------------------------------- */

/* Errors are reported as their message alone, one line, as a scenario error should be. */
int scn__traceback(lua_State *L) {
  if (lua_isstring(L, 1)) return 1;
  if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
  /* Never luaL_tolstring: a table's text is its address, which differs between runs. */
  luaL_where(L, 2); /* 0: this handler, 1: error(), 2: who called it */
  lua_pushfstring(L, "error object is a %s value", luaL_typename(L, 1));
  lua_concat(L, 2);
  return 1;
}

int scn__call_ref(scn_run *run, int ref, bool want_result, const char *what) {
  lua_State *L = run->L;
  run->top_busy = 0;
  run->alloc_charge = 0;
  lua_pushcfunction(L, scn__traceback);
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

/* ---- Errors inside processes: API misuse, the author's Lua errors, conditions ------------- */


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
    scn__fail(run, "crashes", "%s crashed with a Lua error: %s (crashes = \"fail\")", who, bare_message(msg));
}

