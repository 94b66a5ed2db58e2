/*
 * Test helpers shared by the core tests: a world to host nodes, a "probe" behaviour whose steps
 * are C functions chosen by the test, and a log of what probes saw.
 *
 * A probe's init argument is {Script, Arg}: Script is an integer index into the test's table
 * of probe_script entries, Arg any term handed to the script. Each probe logs the messages it
 * receives and its exit reason as text lines ("<0.2.0> got {'EXIT',<0.1.0>,killed}",
 * "<0.2.0> exit killed"), which tests search with probe_log_has().
 */
#ifndef CRASHLAB_TESTS_PROBE_H
#define CRASHLAB_TESTS_PROBE_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "world.h"

typedef struct probe_script {
  /* Called from init with the probe's Arg; NULL: do nothing. */
  int (*on_init)(ac_proc *self, ac_term arg);
  /* Called for each message (after logging); NULL: keep receiving. */
  int (*on_msg)(ac_proc *self, const ac_msg *msg);
} probe_script;

extern const probe_script probe_scripts[];

#define PROBE_LOG_MAX 256
static char probe_log[PROBE_LOG_MAX][256];
static int probe_log_len;

__attribute__((format(printf, 1, 2))) static void probe_logf(const char *fmt, ...);
__attribute__((unused)) static void probe_logf(const char *fmt, ...) {
  if (probe_log_len >= PROBE_LOG_MAX) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(probe_log[probe_log_len++], sizeof probe_log[0], fmt, ap);
  va_end(ap);
}

__attribute__((unused)) static int probe_log_has(const char *text) {
  for (int i = 0; i < probe_log_len; i++)
    if (strstr(probe_log[i], text)) return 1;
  return 0;
}

__attribute__((unused)) static void probe_log_dump(void) {
  for (int i = 0; i < probe_log_len; i++) fprintf(stderr, "  log: %s\n", probe_log[i]);
}

__attribute__((unused)) static void pid_text(ac_pid p, char *buf, size_t cap) {
  snprintf(buf, cap, "<%u.%u.%u>", ac_pid_node(p), ac_pid_slot(p), ac_pid_gen(p));
}

typedef struct probe_state {
  int64_t script;
} probe_state;

__attribute__((unused)) static int probe_init(ac_proc *self, ac_term arg) {
  probe_state *s = ac_state(self);
  ac_term e;
  if (ac_term_elem(arg, 0, &e) || ac_term_get_int(e, &s->script)) return AC_EINVAL;
  if (ac_term_elem(arg, 1, &e)) return AC_EINVAL;
  const probe_script *ps = &probe_scripts[s->script];
  return ps->on_init ? ps->on_init(self, e) : AC_OK;
}

__attribute__((unused)) static int probe_handle(ac_proc *self, const ac_msg *msg) {
  probe_state *s = ac_state(self);
  char me[32], text[200];
  pid_text(ac_self(self), me, sizeof me);
  if (msg)
    ac_term_print(ac_msg_term(msg), text, sizeof text);
  else
    snprintf(text, sizeof text, "timeout");
  probe_logf("%s got %s", me, text);
  const probe_script *ps = &probe_scripts[s->script];
  return ps->on_msg ? ps->on_msg(self, msg) : AC_OK;
}

__attribute__((unused)) static void probe_terminate(ac_proc *self, ac_term reason) {
  char me[32], text[200];
  pid_text(ac_self(self), me, sizeof me);
  ac_term_print(reason, text, sizeof text);
  probe_logf("%s exit %s", me, text);
}

static const ac_behaviour probe_behaviour = {"probe", sizeof(probe_state), probe_init,
                                             probe_handle, probe_terminate};

/* A term from a format, in a builder the caller frees (fails the test on a bad format). */
__attribute__((unused)) static ac_term T(ac_tbuf *b, const char *fmt, ...) {
  ac_tb_init(b);
  va_list ap;
  va_start(ap, fmt);
  ac_tb_vfmt(b, fmt, ap);
  va_end(ap);
  ac_term t = {NULL};
  if (ac_tb_finish(b, &t) != AC_OK) abort();
  return t;
}

/* Spawns a probe running script index `script` with `arg` (a format and values). */
__attribute__((unused)) static ac_pid probe_spawn(ac_node *node, int64_t script, const char *arg_fmt, ...) {
  ac_tbuf inner, b;
  ac_tb_init(&inner);
  va_list ap;
  va_start(ap, arg_fmt);
  ac_tb_vfmt(&inner, arg_fmt, ap);
  va_end(ap);
  ac_term arg;
  if (ac_tb_finish(&inner, &arg) != AC_OK) abort();
  ac_term full = T(&b, "{i,t}", script, arg);
  ac_pid pid;
  if (ac_node_spawn(node, &probe_behaviour, full, &pid) != AC_OK) abort();
  ac_tb_free(&b);
  ac_tb_free(&inner);
  return pid;
}

/* A world with one node "a", seeded from CRASHLAB_SEED when set (printed on failure). */
__attribute__((unused)) static uint64_t test_seed(void) {
  const char *s = getenv("CRASHLAB_SEED");
  return s ? strtoull(s, NULL, 0) : 1;
}

__attribute__((unused)) static sim_world *world_new(ac_node **node) {
  sim_config cfg = {test_seed(), "test", NULL, -1, 0};
  sim_world *w = NULL;
  if (sim_world_create(&w, &cfg) != AC_OK) abort();
  if (sim_node_add(w, "a", NULL, node) != AC_OK) abort();
  probe_log_len = 0;
  return w;
}

#endif
