/*
 * Lua processes and the process API of the binding (cl.spawn, cl.send, cl.receive, ...).
 *
 * A Lua process is a coroutine of the run's one lua_State, anchored in the registry, driven by
 * a core behaviour: init resumes it with its arguments; each matched message (or timeout)
 * resumes it with the message decoded. cl.receive declares the receive on the core process and
 * yields; cl.sleep is a receive that never matches; a count hook yields every slice of
 * instructions (ac_yield), so a busy process shares the scheduler as Erlang's reductions do,
 * and stops it with a clear error after too many instructions without waiting. A Lua error
 * ends the process with the error value as its exit reason, which flows through links and
 * monitors; it never reaches the simulator. Spawn arguments are copied as terms, like messages.
 */
#include <lauxlib.h>
#include <stdio.h>
#include <stdarg.h>
#include <string.h>

#include "lterm.h"
#include "runner.h"

#define SLICE_INSTRUCTIONS 20000            /* a process yields after about this many */
#define HOOK_EVERY 1000                     /* the count hook's period */

enum { OP_NONE, OP_RECEIVE, OP_SLEEP, OP_PREEMPT };

typedef struct lproc {
  lua_State *co;        /* the coroutine */
  void *hot[3];         /* its stack and first two call frames, prefetched by a send to it
                           (addresses only: never read, so a stale one costs nothing); in the
                           same cache line as co */
  int thread_ref;       /* its registry anchor (LUA_NOREF once released) */
  int pred_ref;         /* registry ref of the receive's predicate function, or 0 */
  int pred_err_ref;     /* registry ref of the error the predicate raised, or 0 */
  int match_ref;        /* registry ref of the Lua value the predicate accepted, or 0... */
  int32_t slice;        /* instructions in the current slice (at most one slice) */
  uint8_t op;           /* why it last yielded */
  uint8_t hot_n;        /* how many of hot[] are recorded */
  long long busy;       /* instructions since virtual time last moved on for it */
  uint64_t busy_at;     /* the virtual time its busy count belongs to */
  const ac_msg *match_msg; /* ...made from this message: handed over as it is, not again */
} lproc; /* 80 bytes: a Lua process's share of the node allocator (docs/benchmarks.md) */
_Static_assert(sizeof(lproc) <= 80, "lproc grew: check spawn_lua_bytes");

static int lproc_init(ac_proc *self, ac_term arg);
static int lproc_handle(ac_proc *self, const ac_msg *msg);
static void lproc_terminate(ac_proc *self, ac_term reason);

static const ac_behaviour lua_behaviour = {"lua", sizeof(lproc), lproc_init, lproc_handle,
                                           lproc_terminate};

/* The running process, or a Lua error naming the call that needs one. */
static ac_proc *need_process(lua_State *L, const char *fn) {
  scn_run *run = scn_world_run(L);
  if (!run->current) luaL_error(L, "%s: only a process can call this (call it inside a spawned function)", fn);
  return run->current;
}

/* Converts the value at idx to a term in b, or raises (b is freed first). */
static ac_term to_term(lua_State *L, int idx, ac_tbuf *b, const char *what) {
  char err[320]; /* scn_lua_to_term sets it: not cleared here, on every message */
  ac_tb_init(b);
  int rc = scn_lua_to_term(L, idx, b, what, err, sizeof err);
  ac_term t = {NULL};
  if (rc == 0) rc = ac_tb_finish(b, &t);
  if (rc) {
    ac_tb_free(b);
    lua_pushstring(L, err[0] ? err : ac_strerror(rc));
    luaL_where(L, 1);
    lua_insert(L, -2);
    lua_concat(L, 2);
    lua_error(L);
  }
  return t;
}

/* Raises a Lua error for a failed runtime call, freeing b first: a runtime condition (the
 * arguments were checked before), not a misuse of the API. */
static void check_rc(lua_State *L, int rc, const char *fn, ac_tbuf *b) {
  if (rc == AC_OK) return;
  if (b) ac_tb_free(b);
  scn_condition(L, "%s: %s", fn, ac_strerror(rc));
}

/* ---- The behaviour ----------------------------------------------------------------------- */

/* exit(Reason) raises this: {"EXIT", Reason} with a metatable, so pcall catches it as Erlang's
 * catch does ({'EXIT', Reason}) and a process that does not catch it exits with Reason. */
#define EXIT_MT "crashlab.exit"


static int resume(ac_proc *self, int nargs) {
  lproc *lp = ac_state(self);
  scn_run *run = scn_run_of(lp->co);
  int nres = 0;
  lp->op = OP_NONE;
  lp->slice = 0;
  run->alloc_charge = 0; /* charges belong to the budget that was counting when they were made */
  run->current = self;
  run->hot = lp->hot;
  run->hot_n = lp->hot_n;
  run->hot_max = 3;
  int status = lua_resume(lp->co, run->L, nargs, &nres);
  lp->hot_n = run->hot_n;
  run->hot = NULL;
  run->hot_n = run->hot_max = 0;
  run->current = NULL;
  if (status == LUA_YIELD) {
    lua_pop(lp->co, nres);
    if (lp->op == OP_PREEMPT) return ac_yield(self);
    if (lp->op == OP_NONE) /* a yield from no receive (only possible with --unsafe's */
      return ac_yield(self); /* coroutine library): treated as a preemption */
    return AC_OK; /* receive/sleep already declared the receive */
  }
  if (status == LUA_OK) return ac_stop_atom(self, "normal");
  if (run->mem_exceeded) { /* the limit is the run's: a scenario error that says where */
    ac_pid p = ac_self(self);
    const char *msg = lua_type(lp->co, -1) == LUA_TSTRING ? lua_tostring(lp->co, -1) : NULL;
    if (msg && strstr(msg, "memory limit of"))
      scn_error(run, "%s (in process <%u.%u.%u>)", msg, ac_pid_node(p), ac_pid_slot(p), ac_pid_gen(p));
  }
  /* Misuse of the API stops the run; a Lua error of the author's code is counted. */
  scn_process_error(run, lp->co, 0, ac_self(self));
  /* An error: its value becomes the exit reason (text as a binary, other values converted);
   * an exit(Reason) nobody caught ends the process with Reason itself. */
  ac_tbuf b;
  ac_tb_init(&b);
  bool is_exit = false;
  int mt = lua_type(lp->co, -1) == LUA_TTABLE ? luaL_getmetafield(lp->co, -1, "__name") : LUA_TNIL;
  if (mt != LUA_TNIL) {
    is_exit = mt == LUA_TSTRING && strcmp(lua_tostring(lp->co, -1), EXIT_MT) == 0;
    lua_pop(lp->co, 1);
  }
  if (is_exit) lua_rawgeti(lp->co, -1, 2); /* the reason, converted as a message is */
  if (lua_type(lp->co, -1) == LUA_TSTRING && !is_exit) {
    size_t len;
    const char *s = lua_tolstring(lp->co, -1, &len);
    ac_tb_binary(&b, s, len);
  } else {
    char err[128] = "";
    if (scn_lua_to_term(lp->co, -1, &b, "error", err, sizeof err) != 0) {
      ac_tb_free(&b);
      ac_tb_init(&b);
      ac_tb_binary(&b, "error object is not a term", 26);
    }
  }
  ac_term reason;
  int rc = ac_tb_finish(&b, &reason);
  if (rc == AC_OK) rc = ac_stop(self, reason);
  ac_tb_free(&b);
  return rc;
}

/* lua_pcall'd with a pointer to the arguments (a tuple or list term): pushes each of them. */
static int push_args(lua_State *L) {
  ac_term args = *(const ac_term *)lua_touserdata(L, 1);
  lua_pop(L, 1);
  uint32_t n = ac_term_count(args);
  ac_term a = n ? ac_term_first(args) : args;
  for (uint32_t i = 0; i < n; i++, a = ac_term_next(a)) scn_push_term(L, a);
  return (int)n;
}

/* First step: find the coroutine spawn anchored, push the copied arguments, run it. */
static int lproc_init(ac_proc *self, ac_term arg) {
  lproc *lp = ac_state(self);
  scn_run *run = ac_node_user(ac_proc_node(self));
  ac_term e, args;
  int64_t ref;
  if (ac_term_elem(arg, 0, &e) || ac_term_get_int(e, &ref) || ac_term_elem(arg, 1, &args))
    return AC_EINVAL;
  lp->thread_ref = (int)ref;
  lua_rawgeti(run->L, LUA_REGISTRYINDEX, lp->thread_ref);
  lp->co = lua_tothread(run->L, -1);
  lua_pop(run->L, 1);
  uint32_t n = ac_term_count(args);
  if (!lua_checkstack(lp->co, (int)n + 4)) return ac_stop_atom(self, "system_limit");
  /* Decoded under a protected call on the coroutine (not started yet, so it can call): the
   * runtime calls init outside any, and running out of memory must not be a raise past it. */
  lua_pushcfunction(lp->co, push_args);
  lua_pushlightuserdata(lp->co, &args);
  if (lua_pcall(lp->co, 1, (int)n, 0) != LUA_OK) {
    lua_pop(lp->co, 1);
    return ac_stop_atom(self, "system_limit");
  }
  return resume(self, (int)n);
}

/* Abnormal exits of Lua processes are reported as they happen (Erlang's error logger does the
 * same), so a crash nobody watches is still seen. */
static void report_crash(ac_proc *self, ac_term reason) {
  scn_run *run = ac_node_user(ac_proc_node(self));
  if (run->opts->quiet || ac_term_is_atom(reason, "normal") || ac_term_is_atom(reason, "killed") ||
      ac_term_is_atom(reason, "shutdown") || ac_term_is_atom(reason, "kill"))
    return;
  char t[32], text[400];
  ac_pid p = ac_self(self);
  sim_format_duration(ac_now(self), t, sizeof t);
  size_t need = ac_term_print(reason, text, sizeof text);
  if (need >= sizeof text) memcpy(text + sizeof text - 4, "...", 4);
  scn_status_clear();
  printf("[%s] process <%u.%u.%u> exited: %s\n", t, ac_pid_node(p), ac_pid_slot(p), ac_pid_gen(p), text);
}

static void predicate_release(lproc *lp, lua_State *L) {
  if (lp->pred_ref > 0) luaL_unref(L, LUA_REGISTRYINDEX, lp->pred_ref);
  if (lp->pred_err_ref > 0) luaL_unref(L, LUA_REGISTRYINDEX, lp->pred_err_ref);
  if (lp->match_ref > 0) luaL_unref(L, LUA_REGISTRYINDEX, lp->match_ref);
  lp->pred_ref = lp->pred_err_ref = lp->match_ref = 0;
}

static void lproc_terminate(ac_proc *self, ac_term reason) {
  lproc *lp = ac_state(self);
  scn_run *run = ac_node_user(ac_proc_node(self));
  if (!run || !run->L) { /* the node outlived the Lua state (the run is being torn down) */
    lp->co = NULL;
    return;
  }
  report_crash(self, reason);
  if (lp->co) predicate_release(lp, run->L);
  if (lp->co && lp->thread_ref != LUA_NOREF) luaL_unref(run->L, LUA_REGISTRYINDEX, lp->thread_ref);
  lp->thread_ref = LUA_NOREF;
  lp->co = NULL;
}

static int lproc_handle(ac_proc *self, const ac_msg *msg) {
  lproc *lp = ac_state(self);
  int nargs = 0;
  if (lp->pred_ref > 0) { /* the receive is over: its predicate is no longer needed */
    luaL_unref(scn_run_of(lp->co)->L, LUA_REGISTRYINDEX, lp->pred_ref);
    lp->pred_ref = 0;
  }
  int match_ref = lp->match_ref;
  lp->match_ref = 0;
  /* The runaway budget is per virtual instant: a process that loops on receive(p, 0), on
   * messages to itself, or in a zero-time livelock with another process is caught as surely
   * as one that never yields; any wait that lets time pass starts a new budget. */
  uint64_t now = sim_now(scn_run_of(lp->co)->w);
  if (now != lp->busy_at) {
    lp->busy = 0;
    lp->busy_at = now;
  }
  if (msg) {
    if (!lua_checkstack(lp->co, 4)) {
      if (match_ref > 0) luaL_unref(lp->co, LUA_REGISTRYINDEX, match_ref);
      return ac_stop_atom(self, "system_limit");
    }
    if (match_ref > 0 && lp->match_msg == msg) /* the predicate's copy */
      lua_rawgeti(lp->co, LUA_REGISTRYINDEX, match_ref);
    else if (lp->op == OP_RECEIVE) /* decoded by receive_k, inside the process: the runtime */
      lua_pushlightuserdata(lp->co, (void *)msg); /* calls us outside any protected call */
    else
      scn_push_term(lp->co, ac_msg_term(msg));
    nargs = 1;
  } else if (lp->op == OP_RECEIVE) {
    lua_pushnil(lp->co); /* receive timed out */
    nargs = 1;
  }
  if (match_ref > 0) luaL_unref(lp->co, LUA_REGISTRYINDEX, match_ref);
  return resume(self, nargs);
}

/* ---- Spawning ---------------------------------------------------------------------------- */


/* Whether the value on top is the function at fidx; pops it. */
static bool pop_is(lua_State *L, int fidx) {
  bool same = lua_rawequal(L, -1, fidx);
  lua_pop(L, 1);
  return same;
}

/*
 * What a person calls the function at fidx, for the spawn record's label (trace format
 * version 2): the name of a local or an upvalue of the spawning code (the Lua frames up to
 * three above the spawn call) that holds it, else of a global (the smallest such name, so that
 * the choice does not depend on table order), else "FILE:LINE" of its definition. Looked up
 * once: a function spawned again costs one lookup in a weak table keyed by the function, and a
 * fresh closure of a definition seen before (spawned in a loop) one lookup by its source and
 * line, not a search; every closure of one definition gets the label its first spawn found.
 * The text returned stays valid while the function lives (until the spawn is done).
 */
static const char *spawn_label(scn_run *run, lua_State *L, int fidx, int level_first, char *buf,
                               size_t cap) {
  fidx = lua_absindex(L, fidx);
  int top = lua_gettop(L);
  if (!run->label_fn_ref) { /* first use in this run: the two caches, anchored in the registry */
    lua_newtable(L);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    run->label_fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_newtable(L);
    run->label_src_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  /* The function itself seen before (a named function spawned again): one lookup. */
  lua_rawgeti(L, LUA_REGISTRYINDEX, run->label_fn_ref);
  int by_fn = lua_gettop(L);
  lua_pushvalue(L, fidx);
  if (lua_rawget(L, by_fn) == LUA_TSTRING) {
    const char *label = lua_tostring(L, -1); /* kept alive by the table while f lives */
    lua_settop(L, top);
    return label;
  }
  lua_pop(L, 1);
  lua_Debug ar;
  lua_pushvalue(L, fidx);
  bool lua_fn = lua_getinfo(L, ">S", &ar) && ar.what[0] != 'C' && ar.linedefined > 0;
  int by_line = 0;
  if (lua_fn) { /* another closure of a definition seen before: labels[source][line] */
    lua_rawgeti(L, LUA_REGISTRYINDEX, run->label_src_ref);
    lua_pushstring(L, ar.source);
    if (lua_rawget(L, -2) != LUA_TTABLE) {
      lua_pop(L, 1);
      lua_newtable(L);
      lua_pushstring(L, ar.source);
      lua_pushvalue(L, -2);
      lua_rawset(L, -4);
    }
    by_line = lua_gettop(L);
    if (lua_rawgeti(L, by_line, ar.linedefined) == LUA_TSTRING) {
      const char *label = lua_tostring(L, -1); /* the source table keeps it for the run */
      lua_settop(L, top);
      return label;
    }
    lua_pop(L, 1);
  }
  buf[0] = 0;
  lua_Debug fr;
  for (int level = level_first; level < level_first + 3 && !buf[0] && lua_getstack(L, level, &fr);
       level++) {
    const char *name;
    for (int n = 1; !buf[0] && (name = lua_getlocal(L, &fr, n)) != NULL; n++)
      if (pop_is(L, fidx) && name[0] != '(') snprintf(buf, cap, "%s", name);
    if (buf[0] || !lua_getinfo(L, "f", &fr)) break;
    for (int n = 1; !buf[0] && (name = lua_getupvalue(L, -1, n)) != NULL; n++)
      if (pop_is(L, fidx) && name[0] && strcmp(name, "_ENV") != 0) snprintf(buf, cap, "%s", name);
    lua_pop(L, 1);
  }
  if (!buf[0] && lua_getfield(L, LUA_REGISTRYINDEX, "crashlab.env") == LUA_TTABLE) {
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      if (lua_type(L, -2) == LUA_TSTRING && lua_rawequal(L, -1, fidx)) {
        const char *k = lua_tostring(L, -2);
        if (!buf[0] || strcmp(k, buf) < 0) snprintf(buf, cap, "%s", k);
      }
      lua_pop(L, 1);
    }
  }
  if (!buf[0]) {
    if (lua_fn) {
      const char *src = ar.source[0] == '@' || ar.source[0] == '=' ? ar.source + 1 : ar.short_src;
      const char *slash = strrchr(src, '/');
      snprintf(buf, cap, "%s:%d", slash ? slash + 1 : src, ar.linedefined);
    } else {
      snprintf(buf, cap, "function");
    }
  }
  if (lua_fn) {
    lua_pushstring(L, buf);
    lua_rawseti(L, by_line, ar.linedefined);
  }
  lua_pushvalue(L, fidx);
  lua_pushstring(L, buf);
  lua_rawset(L, by_fn);
  lua_settop(L, top);
  return buf;
}

int scn_spawn_function(scn_run *run, lua_State *L, ac_node *node, ac_proc *parent, ac_pid as,
                       unsigned opts, ac_term args, ac_pid *pid, ac_ref *mon) {
  return scn_spawn_labelled(run, L, node, parent, as, opts, args, NULL, pid, mon);
}

/* What the Lua half of a spawn makes (spawn_prepare), for its C half. */
typedef struct spawn_prep {
  scn_run *run;
  const char *label;               /* the spawn record's label: given, or found (NULL: none) */
  char label_buf[AC_ATOM_LEN_MAX + 1];
  int ref;                         /* the registry slot of the new process's thread */
  void *new_hot[2];                /* the thread's first blocks (see scn_run.hot) */
} spawn_prep;

/* lua_pcall'd with (function, spawn_prep): the Lua half of a spawn. Finds the function's label
 * unless one is given, and makes the process's thread with the function on its stack, anchored
 * in the registry. Raises only when memory runs out; its caller holds no C memory until it
 * has returned. */
static int spawn_prepare(lua_State *L) {
  spawn_prep *sp = lua_touserdata(L, 2);
  scn_run *run = sp->run;
  lua_settop(L, 1);
  /* Frames: 0 this function, 1 the C function that spawns, 2 and up the spawning code. */
  if (!sp->label && lua_isfunction(L, 1))
    sp->label = spawn_label(run, L, 1, 2, sp->label_buf, sizeof sp->label_buf);
  void **hot = run->hot;
  unsigned hot_n = run->hot_n, hot_max = run->hot_max;
  run->hot = sp->new_hot; /* record the thread and its stack */
  run->hot_n = 0;
  run->hot_max = 2;
  lua_State *co = lua_newthread(L);
  run->hot = hot;
  run->hot_n = hot_n;
  run->hot_max = hot_max;
  scn_hook_thread(co);
  lua_rotate(L, -2, 1); /* the function above the thread */
  lua_xmove(L, co, 1);
  sp->ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return 0;
}

int scn_spawn_labelled(scn_run *run, lua_State *L, ac_node *node, ac_proc *parent, ac_pid as,
                       unsigned opts, ac_term args, const char *given, ac_pid *pid, ac_ref *mon) {
  ac_node *spawn_node = parent ? ac_proc_node(parent) : node;
  spawn_prep sp = {.run = run, .label = given, .new_hot = {NULL, NULL}};
  if (!lua_checkstack(L, 2)) return AC_ENOMEM;
  void **hot = run->hot;
  unsigned hot_n = run->hot_n, hot_max = run->hot_max;
  lua_pushcfunction(L, spawn_prepare);
  lua_rotate(L, -2, 1); /* below the function */
  lua_pushlightuserdata(L, &sp);
  int status = lua_pcall(L, 2, 0, 0);
  run->hot = hot; /* also when lua_newthread raised: sp.new_hot is gone after this call */
  run->hot_n = hot_n;
  run->hot_max = hot_max;
  if (status != LUA_OK) { /* out of memory: nothing was made */
    lua_pop(L, 1);
    return AC_ENOMEM;
  }
  int ref = sp.ref;
  void **new_hot = sp.new_hot;
  if (sp.label) ac_node_set_spawn_label(spawn_node, sp.label);
  ac_tbuf full;
  ac_tb_init(&full);
  ac_tb_fmt(&full, "{i,t}", (int64_t)ref, args);
  ac_term arg;
  int rc = ac_tb_finish(&full, &arg);
  if (rc == AC_OK) {
    if (parent)
      rc = ac_spawn(parent, &lua_behaviour, arg, opts, pid, mon);
    else if (opts)
      rc = AC_ESTATE; /* spawn_link/monitor need a calling process */
    else if (!ac_pid_is_none(as))
      rc = ac_node_spawn_as(node, as, &lua_behaviour, arg, pid);
    else
      rc = ac_node_spawn(node, &lua_behaviour, arg, pid);
  }
  ac_tb_free(&full);
  ac_node_set_spawn_label(spawn_node, NULL); /* used by the spawn, or not at all */
  if (rc) {
    luaL_unref(L, LUA_REGISTRYINDEX, ref);
    return rc;
  }
  lproc *lp = ac_node_state(parent ? ac_proc_node(parent) : node, *pid, &lua_behaviour);
  if (lp) { /* its thread, known before its first run: a kill before that run lets go of it,
               and a purge judges the process by the function it waits to run */
    lp->thread_ref = ref;
    lua_rawgeti(L, LUA_REGISTRYINDEX, ref); /* room: checked above, and the pcall popped */
    lp->co = lua_tothread(L, -1);
    lua_pop(L, 1);
  }
  if (lp && new_hot[1]) {
    lp->hot[0] = new_hot[1];
    lp->hot_n = 1;
  }
  return AC_OK;
}

/* The arguments of a spawn, from stack index `first` to the top, as one term in b (they travel
 * as a term, copied like a message); raises, holding nothing, for a nil (it would make a hole,
 * and the table a map) or a value that cannot be sent. */
static ac_term spawn_args(lua_State *L, int first, ac_tbuf *b) {
  int nargs = lua_gettop(L) - first + 1;
  for (int i = 1; i <= nargs; i++)
    if (lua_isnil(L, first + i - 1)) luaL_error(L, "spawn argument[%d]: cannot send nil", i);
  lua_createtable(L, nargs, 0);
  for (int i = 1; i <= nargs; i++) {
    lua_pushvalue(L, first + i - 1);
    lua_rawseti(L, -2, i);
  }
  ac_term args = to_term(L, -1, b, "spawn argument");
  lua_pop(L, 1);
  return args;
}

static int spawn_opts(lua_State *L, unsigned opts) {
  scn_run *run = scn_world_run(L);
  luaL_checktype(L, 1, LUA_TFUNCTION);
  ac_tbuf b;
  ac_term args = spawn_args(L, 2, &b);
  lua_pushvalue(L, 1);
  ac_pid pid = AC_PID_NONE;
  ac_ref mon = {0};
  int rc = scn_spawn_function(run, L, run->current ? NULL : scn_here(L, run), run->current,
                              AC_PID_NONE, opts, args, &pid, &mon);
  ac_tb_free(&b);
  if (rc)
    return luaL_error(L, "spawn: %s", rc == AC_ESTATE ? "spawn_link and spawn_monitor need a calling process" : ac_strerror(rc));
  scn_push_pid(L, pid);
  if (opts & AC_SPAWN_MONITOR) {
    scn_push_ref(L, mon);
    return 2;
  }
  return 1;
}

#define SPAWN_FNS_KEY "crashlab.spawnfns"

/* lua_pcall'd with (function, handle): keeps the function of a spawn request by its handle,
 * in a registry table (made on first use) of the functions of requests in flight. */
static int keep_spawn_fn(lua_State *L) {
  luaL_getsubtable(L, LUA_REGISTRYINDEX, SPAWN_FNS_KEY);
  lua_pushvalue(L, 1);
  lua_rawseti(L, -2, lua_tointeger(L, 2));
  return 0;
}

/* Spawns the function at the top of L (popped) on dest, as scn_spawn_function; for a module
 * spawn (module not NULL) in the current version of the module on dest, if it has one (its
 * spawn record names it), labelled `label`. */
static int spawn_there(scn_run *run, lua_State *L, ac_node *dest, ac_pid as, unsigned opts,
                       ac_term args, const char *module, const char *label, ac_pid *pid,
                       ac_ref *ref) {
  ac_proc *parent = ac_pid_is_none(as) ? run->current : NULL;
  if (!module) return scn_spawn_function(run, L, dest, parent, as, opts, args, pid, ref);
  if (ac_code_set_next_spawn(dest, module) == AC_ENOMEM) {
    lua_pop(L, 1);
    return AC_ENOMEM;
  }
  int rc = scn_spawn_labelled(run, L, dest, parent, as, opts, args, label, pid, ref);
  ac_code_set_next_spawn(dest, NULL); /* used by the spawn, or not at all */
  return rc;
}

/* spawn_request(node, opts, fn, ...): spawns at once where it can (outside processes, or on
 * the caller's own node) and returns pid [, monitor ref]; else sends a spawn request and
 * returns "request", its ref and the function's handle (the prelude waits for the reply).
 * With SCN_SPAWN_CODE in opts, spawn_request(node, opts, module, fname, args...) is
 * spawn(Node, Module, Function, Args): the new process runs the prelude's module runner with
 * (module, fname, args...), a fully-qualified call on that node, started in the module's
 * current version there (decided where it is spawned) and labelled fname. */
int scn_l_spawn_request(lua_State *L) {
  scn_run *run = scn_world_run(L);
  uint32_t machine = scn_check_node(L, 1);
  lua_Integer flags = luaL_checkinteger(L, 2);
  unsigned opts = (unsigned)flags & (AC_SPAWN_LINK | AC_SPAWN_MONITOR);
  const char *module = NULL, *fname = NULL;
  if (flags & SCN_SPAWN_CODE) { /* checked by the prelude: names of 1 to 255 bytes */
    module = luaL_checkstring(L, 3);
    fname = luaL_checkstring(L, 4);
    lua_getfield(L, LUA_REGISTRYINDEX, SCN_MFA_KEY);
    lua_insert(L, 3);
  }
  luaL_checktype(L, 3, LUA_TFUNCTION);
  ac_tbuf b;
  ac_term args = spawn_args(L, 4, &b);
  ac_node *dest = sim_node(run->w, machine);
  ac_pid pid = AC_PID_NONE;
  ac_ref ref = {0};
  if (!run->current || ac_proc_node(run->current) == dest) {
    if (!run->current && opts) {
      ac_tb_free(&b);
      return luaL_error(L, "spawn_link_on and spawn_monitor_on need a calling process");
    }
    if (!dest) {
      ac_tb_free(&b);
      lua_pushnil(L);
      lua_pushliteral(L, "noconnection");
      return 2;
    }
    lua_pushvalue(L, 3);
    int rc = spawn_there(run, L, dest, AC_PID_NONE, opts, args, module, fname, &pid, &ref);
    ac_tb_free(&b);
    if (rc) return luaL_error(L, "spawn_on: %s", ac_strerror(rc));
    scn_push_pid(L, pid);
    if (!(opts & AC_SPAWN_MONITOR)) return 1;
    scn_push_ref(L, ref);
    return 2;
  }
  lua_Integer handle = (lua_Integer)++run->spawn_handles; /* never reused: a late reply cannot
                                                           free another request's function */
  lua_pushcfunction(L, keep_spawn_fn); /* protected: b holds C memory */
  lua_pushvalue(L, 3);
  lua_pushinteger(L, handle);
  if (lua_pcall(L, 2, 0, 0) != LUA_OK) {
    ac_tb_free(&b);
    return lua_error(L); /* out of memory, raised again once b is freed */
  }
  ac_tbuf req;
  ac_tb_init(&req);
  if (module) ac_tb_fmt(&req, "{i,t,a,a}", (int64_t)handle, args, module, fname);
  else ac_tb_fmt(&req, "{i,t}", (int64_t)handle, args);
  ac_term req_term;
  int rc = ac_tb_finish(&req, &req_term);
  if (rc == AC_OK)
    rc = ac_spawn_request(run->current, sim_node_incarnation(run->w, machine), req_term, opts, &ref);
  ac_tb_free(&req);
  ac_tb_free(&b);
  if (rc) return luaL_error(L, "spawn_on: %s", ac_strerror(rc));
  lua_pushliteral(L, "request");
  scn_push_ref(L, ref);
  lua_pushinteger(L, handle);
  return 3;
}

/* spawn_forget(handle): the request failed; its function is no longer needed. */
int scn_l_spawn_forget(lua_State *L) {
  lua_Integer handle = luaL_checkinteger(L, 1);
  luaL_getsubtable(L, LUA_REGISTRYINDEX, SPAWN_FNS_KEY);
  lua_pushnil(L);
  lua_rawseti(L, -2, handle);
  return 0;
}

/* A node's spawn handler: a request {Handle, Args} from another node starts the function;
 * {Handle, Args, Module, Label} (a module spawn) starts it in Module's current version here. */
int scn_spawn_handler(ac_node *node, ac_pid requester, ac_term arg, ac_pid *pid_out) {
  scn_run *run = ac_node_user(node);
  lua_State *L = run ? run->L : NULL;
  ac_term h, args;
  int64_t handle;
  if (!L || ac_term_elem(arg, 0, &h) || ac_term_get_int(h, &handle) || ac_term_elem(arg, 1, &args))
    return AC_EINVAL;
  /* Called by the runtime, outside any protected call: nothing here may allocate Lua memory
   * (the table exists once a request was made; the spawn protects its own Lua half). */
  if (lua_getfield(L, LUA_REGISTRYINDEX, SPAWN_FNS_KEY) != LUA_TTABLE ||
      lua_rawgeti(L, -1, (lua_Integer)handle) != LUA_TFUNCTION) {
    lua_pop(L, 2);
    return AC_EINVAL;
  }
  lua_pushnil(L);
  lua_rawseti(L, -3, (lua_Integer)handle);
  char module[AC_ATOM_LEN_MAX + 1] = "", label[AC_ATOM_LEN_MAX + 1] = "";
  ac_term m, l;
  const char *text;
  size_t len;
  if (ac_term_elem(arg, 2, &m) == AC_OK && ac_term_elem(arg, 3, &l) == AC_OK) {
    if (ac_term_get_atom(m, &text, &len) == AC_OK && len <= AC_ATOM_LEN_MAX) memcpy(module, text, len);
    if (ac_term_get_atom(l, &text, &len) == AC_OK && len <= AC_ATOM_LEN_MAX) memcpy(label, text, len);
  }
  int rc = spawn_there(run, L, node, requester, 0, args, module[0] ? module : NULL, label, pid_out, NULL);
  lua_pop(L, 1);
  return rc;
}

static int l_spawn(lua_State *L) { return spawn_opts(L, 0); }
static int l_spawn_link(lua_State *L) { return spawn_opts(L, AC_SPAWN_LINK); }
static int l_spawn_monitor(lua_State *L) { return spawn_opts(L, AC_SPAWN_MONITOR); }

/* ---- Messages ---------------------------------------------------------------------------- */

static int l_self(lua_State *L) {
  scn_push_pid(L, ac_self(need_process(L, "self")));
  return 1;
}

static int l_send(lua_State *L) {
  scn_run *run = scn_world_run(L);
  ac_tbuf b;
  luaL_checkany(L, 2);
  ac_term msg = to_term(L, 2, &b, "message");
  int rc;
  ac_pid to;
  if (scn_to_pid(L, 1, &to)) {
    rc = run->current ? ac_send(run->current, to, msg) : ac_node_send(scn_here(L, run), to, msg);
    /* The receiver is likely the next to run: start loading its coroutine while the sender
     * finishes its turn. With 100,000 processes these lines are cold, and this hides most of
     * the wait (about a fifth of a hop in the ring benchmark). */
    lproc *rp = rc == AC_OK && run->current ? ac_node_state(ac_proc_node(run->current), to, &lua_behaviour) : NULL;
    if (rp && rp->co) {
      __builtin_prefetch(rp->co);
      __builtin_prefetch((const char *)rp->co + 64);
      for (unsigned i = 0; i < rp->hot_n; i++) __builtin_prefetch(rp->hot[i]);
      if (rp->hot_n) __builtin_prefetch((const char *)rp->hot[0] + 64); /* the stack's next */
    }
  } else if (lua_type(L, 1) == LUA_TSTRING) {
    const char *name = scn_check_name(L, 1);
    rc = run->current ? ac_send_name(run->current, name, msg) : ac_node_send_name(scn_here(L, run), name, msg);
    if (rc == AC_ENONAME) {
      ac_tb_free(&b);
      return scn_condition(L, "send: no process is registered as '%s'", name);
    }
  } else if (lua_type(L, 1) == LUA_TTABLE && lua_rawlen(L, 1) == 2) { /* {Name, Node} */
    lua_rawgeti(L, 1, 1);
    lua_rawgeti(L, 1, 2);
    if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING) {
      ac_tb_free(&b);
      return luaL_argerror(L, 1, "{name, node} must hold two strings");
    }
    /* The checks raise: the message's builder is freed before either can (it is built again
     * once both pass, so a bad destination leaks nothing and a good one costs a copy). */
    ac_tb_free(&b);
    const char *name = scn_check_name(L, -2);
    uint32_t machine = scn_check_node(L, -1);
    msg = to_term(L, 2, &b, "message");
    if (run->current) {
      rc = ac_send_remote_name(run->current, sim_node_incarnation(run->w, machine), name, msg);
    } else { /* from outside the cluster: straight to the process, if there is one */
      ac_node *node = sim_node(run->w, machine);
      ac_pid dest = node ? ac_whereis(node, name) : AC_PID_NONE;
      rc = ac_pid_is_none(dest) ? AC_OK : ac_node_send(node, dest, msg);
    }
    lua_pop(L, 2);
  } else {
    ac_tb_free(&b);
    return luaL_typeerror(L, 1, "pid, registered name or {name, node}");
  }
  check_rc(L, rc, "send", &b);
  ac_tb_free(&b);
  return 0;
}

static bool never_matches(const ac_msg *m, const void *arg) {
  (void)m;
  (void)arg;
  return false;
}

/* Runs on the run's predicate thread: predicate(message). */
static int predicate_call(lua_State *T) {
  const lproc *lp = lua_touserdata(T, 1);
  const ac_msg *m = lua_touserdata(T, 2);
  scn_push_term(T, ac_msg_term(m));
  lua_rawgeti(T, LUA_REGISTRYINDEX, lp->pred_ref);
  lua_pushvalue(T, -2);
  lua_call(T, 1, 1);
  return 2; /* the message as a Lua value, and the verdict */
}

/*
 * The match function of receive(predicate): runs the Lua predicate on the message, on a thread
 * of its own (it may run while another process is sending). It must be pure: crashlab calls
 * raise inside it. An error in it wakes the receiver, whose receive then raises that error.
 */
static bool predicate_match(const ac_msg *m, const void *arg) {
  lproc *lp = (lproc *)arg;
  scn_run *run = scn_run_of(lp->co);
  if (lp->pred_err_ref > 0) return true;
  lua_State *T = run->pred_thread;
  lua_settop(T, 0);
  lua_pushcfunction(T, predicate_call);
  lua_pushlightuserdata(T, lp);
  lua_pushlightuserdata(T, (void *)m);
  run->in_predicate = true;
  run->pred_busy = 0;
  run->alloc_charge = 0;
  int rc = lua_pcall(T, 2, 2, 0);
  run->in_predicate = false;
  if (rc != LUA_OK) {
    lua_settop(T, 1); /* the error */
    lp->pred_err_ref = luaL_ref(T, LUA_REGISTRYINDEX);
    return true;
  }
  bool match = lua_toboolean(T, -1);
  if (match) { /* the receiver gets the value the predicate saw, instead of a second copy */
    lua_pop(T, 1);
    if (lp->match_ref > 0) luaL_unref(T, LUA_REGISTRYINDEX, lp->match_ref);
    lp->match_ref = luaL_ref(T, LUA_REGISTRYINDEX);
    lp->match_msg = m;
  }
  lua_settop(T, 0);
  return match;
}

/* Continuation of receive: returns what the resume brought (a message or nil), or raises the
 * error its predicate raised. A message comes as a light userdata (lproc_handle) and is decoded
 * here, where running out of memory is an error of this process, not an unprotected raise. */
static int receive_k(lua_State *L, int status, lua_KContext ctx) {
  (void)status;
  (void)ctx;
  scn_run *run = scn_run_of(L);
  lproc *lp = ac_state(run->current);
  if (lua_islightuserdata(L, -1)) {
    const ac_msg *msg = lua_touserdata(L, -1);
    lua_pop(L, 1);
    long long charge = run->alloc_charge;
    scn_push_term(L, ac_msg_term(msg));
    run->alloc_charge = charge; /* the copy is not the process's work: it never was */
  }
  if (lp->pred_err_ref > 0) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, lp->pred_err_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, lp->pred_err_ref);
    lp->pred_err_ref = 0;
    if (lua_type(L, -1) == LUA_TSTRING) {
      lua_pushfstring(L, "receive predicate: %s", lua_tostring(L, -1));
      scn_note_raise(run, SCN_RAISED_LUA, lua_tostring(L, -1)); /* the author's code failed */
    }
    return lua_error(L);
  }
  return lua_gettop(L) - 1; /* what the resume brought, above the kept pattern */
}

/* receive([pattern [, timeout]]): the first message matching pattern (cl._ is a wildcard;
 * a function: a predicate called with each message; nil or no pattern: any message), or nil
 * after timeout (a duration; absent: wait forever). */
static int l_receive(lua_State *L) {
  ac_proc *self = need_process(L, "receive");
  lproc *lp = ac_state(self);
  int64_t timeout = AC_INFINITY;
  if (!lua_isnoneornil(L, 2)) {
    uint64_t ns;
    const char *why;
    if (scn_parse_duration(L, 2, &ns, &why)) return luaL_argerror(L, 2, why);
    timeout = (int64_t)ns;
  }
  int rc;
  if (lua_isnoneornil(L, 1)) {
    rc = ac_receive(self, NULL, NULL, timeout);
  } else if (lua_type(L, 1) == LUA_TFUNCTION) {
    lua_pushvalue(L, 1);
    lp->pred_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    rc = ac_receive(self, predicate_match, lp, timeout);
  } else {
    ac_tbuf b;
    ac_term pattern = to_term(L, 1, &b, "pattern");
    rc = ac_receive_pattern(self, pattern, timeout);
    ac_tb_free(&b);
  }
  check_rc(L, rc, "receive", NULL);
  lp->op = OP_RECEIVE;
  /* The pattern stays at index 1 while the process waits (a deadlock report prints it); on
   * resume the stack holds it and just what the resume brings. */
  lua_settop(L, 1);
  return lua_yieldk(L, 0, 0, receive_k);
}

/* sleep(duration): lets virtual time pass; messages wait in the mailbox. */
static int l_sleep(lua_State *L) {
  ac_proc *self = need_process(L, "sleep");
  lproc *lp = ac_state(self);
  uint64_t ns;
  const char *why;
  if (scn_parse_duration(L, 1, &ns, &why)) return luaL_argerror(L, 1, why);
  check_rc(L, ac_receive(self, never_matches, NULL, (int64_t)ns), "sleep", NULL);
  lp->op = OP_SLEEP;
  return lua_yield(L, 0);
}

/* ---- Links, monitors, exits -------------------------------------------------------------- */

static int l_link(lua_State *L) {
  ac_proc *self = need_process(L, "link");
  int rc = ac_link(self, scn_check_pid(L, 1));
  if (rc == AC_ENOPROC) return scn_condition(L, "noproc");
  check_rc(L, rc, "link", NULL);
  return 0;
}

static int l_unlink(lua_State *L) {
  check_rc(L, ac_unlink(need_process(L, "unlink"), scn_check_pid(L, 1)), "unlink", NULL);
  return 0;
}

/* monitor(pid | name | {name, node}): a name's DOWN names {name, node}, as Erlang's. */
static int l_monitor(lua_State *L) {
  ac_proc *self = need_process(L, "monitor");
  scn_run *run = scn_world_run(L);
  ac_ref ref;
  ac_pid pid;
  int rc;
  if (scn_to_pid(L, 1, &pid)) {
    rc = ac_monitor(self, pid, &ref);
  } else if (lua_type(L, 1) == LUA_TSTRING) {
    rc = ac_monitor_name(self, scn_check_name(L, 1), ac_node_index(ac_proc_node(self)), &ref);
  } else if (lua_type(L, 1) == LUA_TTABLE && lua_rawlen(L, 1) == 2) {
    lua_rawgeti(L, 1, 1);
    lua_rawgeti(L, 1, 2);
    if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
      return luaL_argerror(L, 1, "{name, node} must hold two strings");
    const char *name = scn_check_name(L, -2);
    uint32_t machine = scn_check_node(L, -1);
    rc = ac_monitor_name(self, name, sim_node_incarnation(run->w, machine), &ref);
  } else {
    return luaL_typeerror(L, 1, "pid, registered name or {name, node}");
  }
  check_rc(L, rc, "monitor", NULL);
  scn_push_ref(L, ref);
  return 1;
}

/* demonitor(ref [, flush | {"flush", "info"}]) -> true, or with "info" whether the monitor was
 * still there (false: its DOWN had come already). */
static int l_demonitor(lua_State *L) {
  ac_proc *self = need_process(L, "demonitor");
  ac_ref ref;
  if (!scn_to_ref(L, 1, &ref)) return luaL_typeerror(L, 1, "reference");
  unsigned flags = 0;
  bool info = false;
  if (lua_type(L, 2) == LUA_TTABLE) {
    size_t n = lua_rawlen(L, 2);
    for (size_t i = 1; i <= n; i++) {
      lua_rawgeti(L, 2, (lua_Integer)i);
      const char *o = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
      if (strcmp(o, "flush") == 0) flags |= AC_DEMONITOR_FLUSH;
      else if (strcmp(o, "info") == 0) info = true;
      else return luaL_argerror(L, 2, "options are \"flush\" and \"info\"");
      lua_pop(L, 1);
    }
  } else if (!lua_isnoneornil(L, 2)) {
    luaL_checktype(L, 2, LUA_TBOOLEAN);
    if (lua_toboolean(L, 2)) flags |= AC_DEMONITOR_FLUSH;
  }
  bool found;
  check_rc(L, ac_demonitor_info(self, ref, flags, &found), "demonitor", NULL);
  lua_pushboolean(L, info ? found : true);
  return 1;
}

static int l_trap_exit(lua_State *L) {
  ac_proc *self = need_process(L, "trap_exit");
  luaL_checktype(L, 1, LUA_TBOOLEAN);
  bool old;
  check_rc(L, ac_trap_exit(self, lua_toboolean(L, 1), &old), "trap_exit", NULL);
  lua_pushboolean(L, old);
  return 1;
}

/* exit(reason) ends the calling process; exit(pid, reason) sends an exit signal. */
static int l_exit(lua_State *L) {
  scn_run *run = scn_world_run(L);
  ac_tbuf b;
  ac_pid to;
  if (lua_gettop(L) >= 2) {
    to = scn_check_pid(L, 1);
    ac_term reason = to_term(L, 2, &b, "reason");
    int rc = run->current ? ac_exit(run->current, to, reason) : ac_node_exit(scn_here(L, run), to, reason);
    if (rc == AC_ENOPROC) rc = AC_OK; /* exit/2 to a dead process does nothing */
    check_rc(L, rc, "exit", &b);
    ac_tb_free(&b);
    return scn_stop_if_doomed(L, 0);
  }
  need_process(L, "exit");
  luaL_checkany(L, 1);
  to_term(L, 1, &b, "reason"); /* only checked here: a reason that cannot be sent fails now */
  ac_tb_free(&b);
  lua_createtable(L, 2, 0); /* {"EXIT", Reason}: caught by pcall, else the exit reason */
  lua_pushliteral(L, "EXIT");
  lua_rawseti(L, -2, 1);
  lua_pushvalue(L, 1);
  lua_rawseti(L, -2, 2);
  luaL_setmetatable(L, EXIT_MT);
  return lua_error(L);
}

/* The exit table's text, for a print or a tostring of what pcall caught: "exit: Reason". */
static int exit_tostring(lua_State *L) {
  lua_rawgeti(L, 1, 2);
  ac_tbuf b;
  char err[64];
  ac_tb_init(&b);
  ac_term t;
  char text[256] = "?";
  if (scn_lua_to_term(L, -1, &b, "reason", err, sizeof err) == 0 && ac_tb_finish(&b, &t) == 0) {
    size_t need = ac_term_print(t, text, sizeof text);
    if (need >= sizeof text) memcpy(text + sizeof text - 4, "...", 4);
  }
  ac_tb_free(&b);
  lua_pushfstring(L, "exit: %s", text);
  return 1;
}

/* defer_ack(): a process a supervisor starts counts as started when it first waits in a
 * receive, unless it calls this first; then it is started when it calls init_ack() (OTP's
 * proc_lib:init_ack), e.g. after calls of its own during its initialisation. */
static int l_defer_ack(lua_State *L) {
  ac_defer_ack(need_process(L, "defer_ack"));
  return 0;
}

static int l_init_ack(lua_State *L) {
  int rc = ac_ack(need_process(L, "init_ack"));
  lua_pushboolean(L, rc == AC_OK); /* false: nobody waits for it (not started by a supervisor) */
  return 1;
}

lua_State *scn_process_thread(ac_node *node, ac_pid pid) {
  lproc *lp = ac_node_state(node, pid, &lua_behaviour);
  return lp ? lp->co : NULL;
}

int scn_stop_if_doomed(lua_State *L, int nresults) {
  scn_run *run = scn_run_of(L);
  if (!run->current || ac_node_alive(ac_proc_node(run->current), ac_self(run->current))) return nresults;
  lproc *lp = ac_state(run->current);
  if (lp->co != L || !lua_isyieldable(L)) return nresults; /* it ends when it next waits */
  lp->op = OP_SLEEP; /* doomed: the coroutine is never resumed again */
  return lua_yield(L, 0);
}

/* ---- Names ------------------------------------------------------------------------------- */

static const char *name_error(int rc) {
  switch (rc) {
    case AC_ENAMETAKEN: return "the name is already registered";
    case AC_EHASNAME: return "the process already has a name";
    case AC_ENOPROC: return "the process is not alive";
    case AC_EBADNAME: return "invalid name (empty, longer than 255 bytes, or 'undefined')";
    case AC_ENONAME: return "the name is not registered";
    default: return ac_strerror(rc);
  }
}

static int l_register(lua_State *L) {
  scn_run *run = scn_world_run(L);
  const char *name = scn_check_name(L, 1);
  ac_pid pid = lua_isnoneornil(L, 2) ? ac_self(need_process(L, "register")) : scn_check_pid(L, 2);
  int rc = run->current ? ac_register(run->current, name, pid) : ac_node_register(scn_here(L, run), name, pid);
  if (rc == AC_EBADNAME) return luaL_error(L, "register('%s'): %s", name, name_error(rc));
  if (rc) return scn_condition(L, "register('%s'): %s", name, name_error(rc));
  lua_pushboolean(L, 1);
  return 1;
}

static int l_unregister(lua_State *L) {
  scn_run *run = scn_world_run(L);
  const char *name = scn_check_name(L, 1);
  int rc = run->current ? ac_unregister(run->current, name) : ac_node_unregister(scn_here(L, run), name);
  if (rc == AC_EBADNAME) return luaL_error(L, "unregister('%s'): %s", name, name_error(rc));
  if (rc) return scn_condition(L, "unregister('%s'): %s", name, name_error(rc));
  lua_pushboolean(L, 1);
  return 1;
}

static int l_whereis(lua_State *L) {
  scn_run *run = scn_world_run(L);
  const char *name = scn_check_name(L, 1);
  ac_node *node = lua_isnoneornil(L, 2) ? scn_here(L, run) : sim_node(run->w, scn_check_node(L, 2));
  ac_pid pid = node ? ac_whereis(node, name) : AC_PID_NONE; /* whereis(name, node): nil if down */
  if (ac_pid_is_none(pid))
    lua_pushnil(L);
  else
    scn_push_pid(L, pid);
  return 1;
}

static int l_now(lua_State *L) {
  scn_run *run = scn_world_run(L);
  /* A process reads its node's clock (skewed, drifting); outside processes, virtual time. */
  uint64_t ns = run->current ? ac_now(run->current) : sim_now(run->w);
  lua_pushinteger(L, (lua_Integer)(ns / 1000000u)); /* milliseconds */
  return 1;
}

/* ---- What a waiting process waits for ----------------------------------------------------- */

void scn_describe_wait(ac_node *node, ac_pid pid, char *buf, size_t cap) {
  lproc *lp = ac_node_state(node, pid, &lua_behaviour);
  ac_proc_info info;
  if (!lp) {
    if (ac_node_info(node, pid, &info) == AC_OK)
      snprintf(buf, cap, "a message its %s behaviour waits for", info.behaviour);
    else
      snprintf(buf, cap, "nothing (it is gone)");
    return;
  }
  lua_State *co = lp->co;
  if (!co || lp->op != OP_RECEIVE || lua_gettop(co) < 1 || !lua_checkstack(co, 4)) {
    snprintf(buf, cap, lp->op == OP_SLEEP ? "the end of a sleep" : "its turn");
    return;
  }
  if (lua_isnil(co, 1)) {
    snprintf(buf, cap, "any message");
  } else if (lua_type(co, 1) == LUA_TFUNCTION) {
    lua_Debug ar;
    lua_pushvalue(co, 1);
    if (lua_getinfo(co, ">S", &ar) && ar.linedefined > 0)
      snprintf(buf, cap, "a message its predicate (%s:%d) accepts", ar.short_src, ar.linedefined);
    else
      snprintf(buf, cap, "a message its predicate accepts");
  } else {
    ac_tbuf b;
    ac_term t;
    char err[64], text[256];
    ac_tb_init(&b);
    if (scn_lua_to_term(co, 1, &b, "pattern", err, sizeof err) == 0 && ac_tb_finish(&b, &t) == 0) {
      size_t need = ac_term_print(t, text, sizeof text);
      if (need >= sizeof text) memcpy(text + sizeof text - 4, "...", 4);
      snprintf(buf, cap, "a message matching %s", text);
    } else {
      snprintf(buf, cap, "a message matching its pattern");
    }
    ac_tb_free(&b);
  }
}

/* ---- Preemption -------------------------------------------------------------------------- */

static void count_hook(lua_State *L, lua_Debug *ar);

/* The registry field holding the message of the runaway being raised (one at a time: nothing
 * else runs until the thread that raised it has unwound). */
#define RUNAWAY_KEY "crashlab.runaway"

static bool from_prelude(const lua_Debug *ar) { return strncmp(ar->source, "=cl.", 4) == 0; }

/* Raises "FILE:LINE: what" at the innermost line of the author's code on the stack (the line
 * the hook interrupted, unless that is crashlab's own Lua code). The condition stays true, and
 * from now on the hook runs at every instruction, so a pcall cannot swallow the error and loop
 * on: the first instruction after the pcall raises it again, until the whole call has unwound.
 * Raised again in the preludes (a server that caught its callback's runaway), it is the first
 * message, so the process ends naming the author's line, not the prelude's. */
__attribute__((format(printf, 3, 4))) static void runaway(lua_State *L, lua_Debug *ar,
                                                           const char *fmt, ...) {
  bool again = scn_runaway(L);
  lua_sethook(L, count_hook, LUA_MASKCOUNT, 1);
  char what[160];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  scn_note_raise(scn_run_of(L), SCN_RAISED_LUA, what); /* the author's loop, not a misuse */
  bool in_prelude = lua_getinfo(L, "Sl", ar) && from_prelude(ar);
  if (again && in_prelude) {
    if (lua_getfield(L, LUA_REGISTRYINDEX, RUNAWAY_KEY) == LUA_TSTRING) lua_error(L);
    lua_pop(L, 1);
  }
  lua_Debug up;
  bool found = false;
  for (int level = 0; !found && lua_getstack(L, level, &up); level++)
    found = lua_getinfo(L, "Sl", &up) && up.currentline > 0 && !from_prelude(&up);
  if (found) lua_pushfstring(L, "%s:%d: %s", up.short_src, up.currentline, what);
  else lua_pushstring(L, what);
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, RUNAWAY_KEY);
  lua_error(L);
}

bool scn_runaway(lua_State *L) { return lua_gethook(L) == count_hook && lua_gethookcount(L) == 1; }

static void count_hook(lua_State *L, lua_Debug *ar) {
  scn_run *run = scn_run_of(L);
  long long charge = run->alloc_charge; /* added to whichever budget is counting now */
  run->alloc_charge = 0;
  if (run->in_predicate) { /* a receive predicate: never preempted, bounded like a callback */
    run->pred_busy += HOOK_EVERY + charge;
    if (run->pred_busy >= run->instr_max)
      runaway(L, ar, "runaway receive predicate: %s Lua instructions", run->instr_text);
    return;
  }
  if (run->mem_exceeded) {
    char what[64];
    snprintf(what, sizeof what, "memory limit of %llu MiB exceeded", (unsigned long long)(run->mem_max >> 20));
    runaway(L, ar, "%s", what);
  }
  if (!run->current) { /* setup, a timer callback or a property: no preemption, a budget */
    run->top_busy += HOOK_EVERY + charge;
    if (run->top_busy >= run->instr_max)
      runaway(L, ar, "runaway code: %s Lua instructions in one call without returning",
              run->instr_text);
    return;
  }
  lproc *lp = ac_state(run->current);
  if (lp->co != L) { /* a coroutine of its own (--unsafe): counted, never preempted */
    lp->busy += HOOK_EVERY + charge;
    if (lp->busy >= run->instr_max)
      runaway(L, ar, "runaway process: %s Lua instructions without virtual time passing",
              run->instr_text);
    return;
  }
  if (lp->slice < SLICE_INSTRUCTIONS) lp->slice += HOOK_EVERY; /* stays small where it cannot yield */
  lp->busy += HOOK_EVERY + charge;
  if (lp->busy >= run->instr_max)
    runaway(L, ar, "runaway process: %s Lua instructions without virtual time passing",
            run->instr_text);
  if (lp->slice >= SLICE_INSTRUCTIONS && lua_isyieldable(L)) {
    lp->op = OP_PREEMPT;
    lua_yield(L, 0);
  }
}

void scn_hook_thread(lua_State *co) { lua_sethook(co, count_hook, LUA_MASKCOUNT, HOOK_EVERY); }

/* ---- Registration ------------------------------------------------------------------------ */

void scn_bind_proc(lua_State *L) {
  static const luaL_Reg fns[] = {
      {"spawn", l_spawn},         {"spawn_link", l_spawn_link}, {"spawn_monitor", l_spawn_monitor},
      {"self", l_self},           {"send", l_send},             {"receive", l_receive},
      {"sleep", l_sleep},         {"link", l_link},             {"unlink", l_unlink},
      {"monitor", l_monitor},     {"demonitor", l_demonitor},   {"trap_exit", l_trap_exit},
      {"exit", l_exit},           {"register", l_register},     {"unregister", l_unregister},
      {"whereis", l_whereis},     {"now", l_now},               {"defer_ack", l_defer_ack},
      {"init_ack", l_init_ack},   {NULL, NULL},
  };
  luaL_setfuncs(L, fns, 0);
  luaL_newmetatable(L, EXIT_MT);
  lua_pushcfunction(L, exit_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pop(L, 1);
}
