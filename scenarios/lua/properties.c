/*
 * Properties (runner.h, internal.h): cl.always is checked after every step, cl.eventually after
 * every step until it holds and once more at its deadline, cl.at_end when the run ends. The
 * first failure is the run's: recorded in the trace and the world stopped. A property that
 * returns nil is reported as such (a missing `return` is not a false condition).
 */
#include "alloc.h"
#include "internal.h"

#include <lauxlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PROP_ALWAYS = 1, PROP_EVENTUALLY, PROP_AT_END };

struct scn_prop {
  int kind;
  char name[160];
  int fn_ref;
  uint64_t deadline_ns;
  bool satisfied; /* eventually: became true */
};

static scn_prop *add_prop(lua_State *L, int kind, int name_idx, int fn_idx) {
  scn_run *run = scn_run_of(L);
  const char *name = luaL_checkstring(L, name_idx);
  luaL_checktype(L, fn_idx, LUA_TFUNCTION);
  if (ac_grow((void **)&run->props, &run->prop_cap, run->prop_count + 1, sizeof *run->props))
    luaL_error(L, "out of memory");
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
  uint64_t deadline = scn__check_duration(L, 2);
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

void scn__fail(scn_run *run, const char *name, const char *fmt, ...) {
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
  if (scn__call_ref(run, p->fn_ref, true, what)) return PROP_ERROR;
  int ok = lua_isnil(run->L, -1) ? PROP_NIL : lua_toboolean(run->L, -1) ? PROP_TRUE : PROP_FALSE;
  lua_pop(run->L, 1);
  return ok;
}

#define RETURNED_NIL "returned nothing (nil) instead of true or false"


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
    scn__fail(run, p->name, "property '%s' (eventually, deadline %.3fs) " RETURNED_NIL, p->name,
         (double)p->deadline_ns / 1e9);
  else if (ok == PROP_FALSE)
    scn__fail(run, p->name, "property '%s' (eventually, deadline %.3fs) did not become true", p->name,
         (double)p->deadline_ns / 1e9);
}

/* Evaluates an always or at_end property (`kind`, for the message) and fails the run unless it
 * holds. */
static void must_hold(scn_run *run, const scn_prop *p, const char *kind) {
  int ok = eval_prop(run, p);
  if (ok == PROP_FALSE) scn__fail(run, p->name, "property '%s' (%s) is false", p->name, kind);
  if (ok == PROP_NIL) scn__fail(run, p->name, "property '%s' (%s) " RETURNED_NIL, p->name, kind);
}

void scn__check_at_end(scn_run *run) {
  for (uint32_t i = 0; i < run->prop_count && !run->failed && !run->error; i++) {
    scn_prop *p = &run->props[i];
    if (p->kind == PROP_AT_END) {
      must_hold(run, p, "at_end");
    } else if (p->kind == PROP_EVENTUALLY && !p->satisfied && p->deadline_ns > sim_now(run->w)) {
      int ok = eval_prop(run, p);
      if (ok == PROP_FALSE)
        scn__fail(run, p->name, "property '%s' (eventually) never became true before the run ended", p->name);
      if (ok == PROP_NIL) scn__fail(run, p->name, "property '%s' (eventually) " RETURNED_NIL, p->name);
    }
  }
}


void scn__check_props_step(scn_run *run) {
  for (uint32_t i = 0; i < run->prop_count && !run->failed && !run->error; i++) {
    scn_prop *p = &run->props[i];
    if (p->kind == PROP_ALWAYS) {
      must_hold(run, p, "always");
    } else if (p->kind == PROP_EVENTUALLY && !p->satisfied) {
      if (eval_prop(run, p) == PROP_TRUE) p->satisfied = true;
    }
  }
}

void scn__bind_props(lua_State *L) {
  static const luaL_Reg fns[] = {
      {"always", l_always}, {"eventually", l_eventually}, {"at_end", l_at_end}, {NULL, NULL}};
  luaL_setfuncs(L, fns, 0);
}
