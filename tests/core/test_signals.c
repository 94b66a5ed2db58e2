/*
 * Exit signals, links and monitors against Erlang's rules.
 *
 * Method: a table of rows, each one a way a signal reaches a victim process (exit/2 from
 * another process, exit/2 to itself, a linked process that stops with a reason, a linked
 * process that is killed) with the victim trapping exits or not, and the outcome Erlang gives:
 * the victim dies with a given reason, lives, or receives {'EXIT', From, Reason}. Each row runs
 * in a fresh world; probes log what they receive and how they exit. Further tests cover
 * linking to dead pids (noproc), monitors and DOWN, demonitor with flush, and a long chain of
 * links dying without recursion.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "probe.h"

enum { S_PASSIVE, S_TRAPPER, S_EXIT_OTHER, S_SELF_EXIT, S_LINK_STOP, S_LINK_WAIT, S_MONITOR,
       S_LINK_RETURN };

static int trapper_init(ac_proc *self, ac_term arg) {
  (void)arg;
  return ac_trap_exit(self, true, NULL);
}

static int exit_other_init(ac_proc *self, ac_term arg) {
  ac_term target, reason;
  ac_pid pid;
  if (ac_term_elem(arg, 0, &target) || ac_term_get_pid(target, &pid) || ac_term_elem(arg, 1, &reason))
    return AC_EINVAL;
  return ac_exit(self, pid, reason);
}

static int self_exit_init(ac_proc *self, ac_term arg) {
  ac_term trap, reason;
  if (ac_term_elem(arg, 0, &trap) || ac_term_elem(arg, 1, &reason)) return AC_EINVAL;
  ac_trap_exit(self, ac_term_is_atom(trap, "true"), NULL);
  return ac_exit(self, ac_self(self), reason);
}

static int link_stop_init(ac_proc *self, ac_term arg) {
  ac_term target, reason;
  ac_pid pid;
  if (ac_term_elem(arg, 0, &target) || ac_term_get_pid(target, &pid) || ac_term_elem(arg, 1, &reason))
    return AC_EINVAL;
  int rc = ac_link(self, pid);
  return rc ? rc : ac_stop(self, reason);
}

static int link_wait_init(ac_proc *self, ac_term arg) {
  ac_pid pid;
  if (ac_term_get_pid(arg, &pid)) return AC_EINVAL;
  return ac_link(self, pid);
}

static int monitor_init(ac_proc *self, ac_term arg) {
  ac_pid pid;
  ac_ref ref;
  if (ac_term_get_pid(arg, &pid)) return AC_EINVAL;
  return ac_monitor(self, pid, &ref);
}

/* Links with the trap flag given as {Trap, Target}, returning link's status (raise). */
static int link_return_init(ac_proc *self, ac_term arg) {
  ac_term trap, target;
  ac_pid pid;
  if (ac_term_elem(arg, 0, &trap) || ac_term_elem(arg, 1, &target) || ac_term_get_pid(target, &pid))
    return AC_EINVAL;
  ac_trap_exit(self, ac_term_is_atom(trap, "true"), NULL);
  return ac_link(self, pid);
}

const probe_script probe_scripts[] = {
    [S_PASSIVE] = {NULL, NULL},
    [S_TRAPPER] = {trapper_init, NULL},
    [S_EXIT_OTHER] = {exit_other_init, NULL},
    [S_SELF_EXIT] = {self_exit_init, NULL},
    [S_LINK_STOP] = {link_stop_init, NULL},
    [S_LINK_WAIT] = {link_wait_init, NULL},
    [S_MONITOR] = {monitor_init, NULL},
    [S_LINK_RETURN] = {link_return_init, NULL},
};

typedef enum { VIA_EXIT2, VIA_SELF, VIA_LINK_STOP, VIA_LINK_KILLED } via_t;
typedef enum { DIES, LIVES, TRAPS } outcome_t;

typedef struct signal_row {
  bool trap;
  const char *reason;  /* the reason sent or exited with */
  via_t via;
  outcome_t outcome;
  const char *seen;    /* the exit reason (DIES) or the EXIT message's reason (TRAPS) */
} signal_row;

static const signal_row rows[] = {
    {false, "normal", VIA_EXIT2, LIVES, NULL},
    {false, "normal", VIA_SELF, DIES, "normal"},
    {false, "kill", VIA_EXIT2, DIES, "killed"},
    {false, "boom", VIA_EXIT2, DIES, "boom"},
    {true, "normal", VIA_EXIT2, TRAPS, "normal"},
    {true, "kill", VIA_EXIT2, DIES, "killed"},
    {true, "boom", VIA_EXIT2, TRAPS, "boom"},
    {true, "normal", VIA_SELF, TRAPS, "normal"},
    {true, "kill", VIA_SELF, DIES, "killed"},
    {false, "kill", VIA_SELF, DIES, "killed"},
    {false, "normal", VIA_LINK_STOP, LIVES, NULL},
    {false, "boom", VIA_LINK_STOP, DIES, "boom"},
    {false, "kill", VIA_LINK_STOP, DIES, "kill"},     /* kill via a link is a plain reason */
    {true, "kill", VIA_LINK_STOP, TRAPS, "kill"},
    {true, "normal", VIA_LINK_STOP, TRAPS, "normal"},
    {true, "boom", VIA_LINK_STOP, TRAPS, "boom"},
    {false, "kill", VIA_LINK_KILLED, DIES, "killed"}, /* the linked one was killed: killed */
    {true, "kill", VIA_LINK_KILLED, TRAPS, "killed"},
};

static void run_row(const signal_row *row, size_t index) {
  ac_node *node;
  sim_world *w = world_new(&node);
  ac_tbuf b;
  ac_pid victim, from;
  ac_term reason = T(&b, "a", row->reason);
  if (row->via == VIA_SELF) {
    victim = probe_spawn(node, S_SELF_EXIT, "{a,t}", row->trap ? "true" : "false", reason);
    from = victim;
    sim_run(w, NULL);
  } else {
    victim = probe_spawn(node, row->trap ? S_TRAPPER : S_PASSIVE, "n");
    sim_run(w, NULL); /* the victim's init (trap_exit) runs before any signal arrives */
    if (row->via == VIA_EXIT2) {
      from = probe_spawn(node, S_EXIT_OTHER, "{p,t}", victim, reason);
      sim_run(w, NULL);
    } else if (row->via == VIA_LINK_STOP) {
      from = probe_spawn(node, S_LINK_STOP, "{p,t}", victim, reason);
      sim_run(w, NULL);
    } else {
      from = probe_spawn(node, S_LINK_WAIT, "p", victim);
      sim_run(w, NULL);
      assert_int_equal(ac_node_exit(node, from, reason), AC_OK);
      sim_run(w, NULL);
    }
  }
  char v[32], f[32], want[128];
  pid_text(victim, v, sizeof v);
  pid_text(from, f, sizeof f);
  bool ok;
  if (row->outcome == DIES) {
    snprintf(want, sizeof want, "%s exit %s", v, row->seen);
    ok = probe_log_has(want) && !ac_node_alive(node, victim);
  } else if (row->outcome == TRAPS) {
    snprintf(want, sizeof want, "%s got {'EXIT',%s,%s}", v, f, row->seen);
    ok = probe_log_has(want) && ac_node_alive(node, victim);
  } else {
    snprintf(want, sizeof want, "%s exit", v);
    ok = !probe_log_has(want) && ac_node_alive(node, victim);
  }
  if (!ok) {
    fprintf(stderr, "row %zu (trap=%d reason=%s via=%d) expected '%s' (outcome %d), seed %llu\n",
            index, row->trap, row->reason, row->via, want, row->outcome,
            (unsigned long long)test_seed());
    probe_log_dump();
  }
  ac_tb_free(&b);
  sim_world_destroy(w);
  assert_true(ok);
}

static void test_exit_signal_table_matches_erlang(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) run_row(&rows[i], i);
}

static void test_link_to_dead_pid_raises_noproc_unless_trapping(void **state) {
  (void)state;
  ac_node *node;
  sim_world *w = world_new(&node);
  ac_pid dead = probe_spawn(node, S_PASSIVE, "n");
  ac_tbuf b;
  sim_run(w, NULL);
  assert_int_equal(ac_node_exit(node, dead, T(&b, "a", "kill")), AC_OK);
  ac_tb_free(&b);
  sim_run(w, NULL);
  assert_false(ac_node_alive(node, dead));
  ac_pid plain = probe_spawn(node, S_LINK_RETURN, "{a,p}", "false", dead);
  ac_pid trapper = probe_spawn(node, S_LINK_RETURN, "{a,p}", "true", dead);
  sim_run(w, NULL);
  char p[32], t[32], d[32], want[128];
  pid_text(plain, p, sizeof p);
  pid_text(trapper, t, sizeof t);
  pid_text(dead, d, sizeof d);
  snprintf(want, sizeof want, "%s exit noproc", p);
  assert_true(probe_log_has(want));
  snprintf(want, sizeof want, "%s got {'EXIT',%s,noproc}", t, d);
  assert_true(probe_log_has(want));
  assert_true(ac_node_alive(node, trapper));
  sim_world_destroy(w);
}

static void test_monitor_delivers_down_with_reason_and_noproc_for_dead(void **state) {
  (void)state;
  ac_node *node;
  sim_world *w = world_new(&node);
  ac_pid target = probe_spawn(node, S_PASSIVE, "n");
  ac_pid watcher = probe_spawn(node, S_MONITOR, "p", target);
  sim_run(w, NULL);
  ac_proc_info info;
  assert_int_equal(ac_node_info(node, watcher, &info), AC_OK);
  assert_int_equal(info.monitor_count, 1);
  ac_tbuf b;
  assert_int_equal(ac_node_exit(node, target, T(&b, "a", "boom")), AC_OK);
  ac_tb_free(&b);
  sim_run(w, NULL);
  char tt[32], want[128];
  pid_text(target, tt, sizeof tt);
  snprintf(want, sizeof want, ",process,%s,boom}", tt);
  assert_true(probe_log_has("got {'DOWN',#Ref<0."));
  assert_true(probe_log_has(want));
  assert_int_equal(ac_node_info(node, watcher, &info), AC_OK);
  assert_int_equal(info.monitor_count, 0); /* the monitor is gone once it fired */
  /* Monitoring a dead pid gives DOWN noproc at once. */
  probe_log_len = 0;
  probe_spawn(node, S_MONITOR, "p", target);
  sim_run(w, NULL);
  snprintf(want, sizeof want, ",process,%s,noproc}", tt);
  assert_true(probe_log_has(want));
  sim_world_destroy(w);
}

/* Demonitor with flush: a DOWN already in the mailbox is removed. */
static int demon_msg(ac_proc *self, const ac_msg *msg) {
  ac_term t = ac_msg_term(msg), e;
  ac_ref ref;
  if (ac_term_count(t) == 2 && ac_term_is_atom(ac_term_first(t), "demonitor") &&
      ac_term_elem(t, 1, &e) == AC_OK && ac_term_get_ref(e, &ref) == AC_OK)
    return ac_demonitor(self, ref, AC_DEMONITOR_FLUSH);
  return AC_OK;
}

static ac_ref flush_ref;

static int flush_init(ac_proc *self, ac_term arg) {
  ac_pid pid;
  if (ac_term_get_pid(arg, &pid)) return AC_EINVAL;
  int rc = ac_monitor(self, pid, &flush_ref);
  if (rc) return rc;
  /* Wait for a message that says "demonitor" only, so the DOWN stays queued. */
  ac_tbuf b;
  rc = ac_receive_pattern(self, T(&b, "{a,a}", "demonitor", "_"), AC_INFINITY);
  ac_tb_free(&b);
  return rc;
}

static void test_demonitor_flush_removes_queued_down(void **state) {
  (void)state;
  ac_node *node;
  sim_world *w = world_new(&node);
  ac_pid target = probe_spawn(node, S_PASSIVE, "n");
  sim_run(w, NULL);
  static const ac_behaviour flusher_b = {"flusher", 0, flush_init, demon_msg, NULL};
  ac_tbuf b;
  ac_pid flusher;
  assert_int_equal(ac_node_spawn(node, &flusher_b, T(&b, "p", target), &flusher), AC_OK);
  ac_tb_free(&b);
  sim_run(w, NULL);
  assert_int_equal(ac_node_exit(node, target, T(&b, "a", "kill")), AC_OK);
  ac_tb_free(&b);
  sim_run(w, NULL);
  ac_proc_info info;
  assert_int_equal(ac_node_info(node, flusher, &info), AC_OK);
  assert_int_equal(info.mailbox_len, 1); /* the DOWN waits: the receive does not match it */
  assert_int_equal(ac_node_send(node, flusher, T(&b, "{a,r}", "demonitor", flush_ref)), AC_OK);
  ac_tb_free(&b);
  sim_run(w, NULL);
  assert_int_equal(ac_node_info(node, flusher, &info), AC_OK);
  assert_int_equal(info.mailbox_len, 0);
  sim_world_destroy(w);
}

/* A chain of linked processes dies as a whole, iteratively (no recursion, bounded stack). */
static void test_long_link_chain_dies_without_recursion(void **state) {
  (void)state;
  ac_node *node;
  sim_world *w = world_new(&node);
  enum { N = 100000 };
  ac_pid first = probe_spawn(node, S_PASSIVE, "n"), prev = first;
  sim_run(w, NULL);
  for (int i = 1; i < N; i++) {
    prev = probe_spawn(node, S_LINK_WAIT, "p", prev);
    if (i % 1000 == 0) sim_run(w, NULL);
  }
  sim_run(w, NULL);
  assert_int_equal(ac_node_process_count(node), N);
  assert_true(ac_node_linked(node, prev, first) == false || N == 2);
  ac_tbuf b;
  probe_log_len = PROBE_LOG_MAX; /* do not log 100k exits */
  assert_int_equal(ac_node_exit(node, first, T(&b, "a", "boom")), AC_OK);
  ac_tb_free(&b);
  sim_run(w, NULL);
  assert_int_equal(ac_node_process_count(node), 0);
  sim_world_destroy(w);
}

static void test_unlink_stops_propagation(void **state) {
  (void)state;
  ac_node *node;
  sim_world *w = world_new(&node);
  ac_pid a = probe_spawn(node, S_PASSIVE, "n");
  sim_run(w, NULL);
  ac_pid l = probe_spawn(node, S_LINK_WAIT, "p", a);
  sim_run(w, NULL);
  assert_true(ac_node_linked(node, a, l));
  assert_true(ac_node_linked(node, l, a));
  ac_proc_info info;
  assert_int_equal(ac_node_info(node, a, &info), AC_OK);
  assert_int_equal(info.link_count, 1);
  ac_tbuf b;
  /* Killing l takes a down with it: links are symmetric. */
  assert_int_equal(ac_node_exit(node, l, T(&b, "a", "boom")), AC_OK);
  ac_tb_free(&b);
  sim_run(w, NULL);
  assert_false(ac_node_alive(node, a));
  sim_world_destroy(w);
}

/* ac_node_relations lists the other ends in ascending pid order, like process_info/2. */
static void test_relations_lists(void **state) {
  (void)state;
  ac_node *node;
  sim_world *w = world_new(&node);
  ac_pid a = probe_spawn(node, S_PASSIVE, "n");
  ac_pid l[3], m[2];
  for (int i = 0; i < 3; i++) l[i] = probe_spawn(node, S_LINK_WAIT, "p", a);
  for (int i = 0; i < 2; i++) m[i] = probe_spawn(node, S_MONITOR, "p", a);
  sim_run(w, NULL);
  ac_pid out[8];
  assert_int_equal(ac_node_relations(node, a, AC_REL_LINKS, out, 8), 3);
  for (int i = 0; i < 3; i++) assert_true(ac_pid_eq(out[i], l[i]));
  assert_int_equal(ac_node_relations(node, a, AC_REL_MONITORED_BY, out, 8), 2);
  for (int i = 0; i < 2; i++) assert_true(ac_pid_eq(out[i], m[i]));
  assert_int_equal(ac_node_relations(node, a, AC_REL_MONITORS, out, 8), 0);
  assert_int_equal(ac_node_relations(node, m[1], AC_REL_MONITORS, out, 8), 1);
  assert_true(ac_pid_eq(out[0], a));
  assert_int_equal(ac_node_relations(node, l[0], AC_REL_LINKS, out, 1), 1);
  assert_true(ac_pid_eq(out[0], a));
  /* A short buffer still reports the whole count. */
  assert_int_equal(ac_node_relations(node, a, AC_REL_LINKS, out, 1), 3);
  assert_int_equal(ac_node_relations(node, a, AC_REL_LINKS, NULL, 0), 3);
  ac_tbuf b;
  assert_int_equal(ac_node_exit(node, l[1], T(&b, "a", "kill")), AC_OK);
  ac_tb_free(&b);
  sim_run(w, NULL);
  /* l[1] died with killed: a, not trapping, died too, and so did everything linked to it. */
  assert_false(ac_node_alive(node, a));
  assert_int_equal(ac_node_relations(node, a, AC_REL_LINKS, out, 8), 0);
  sim_world_destroy(w);
}

static void test_exit_to_dead_pid_is_noproc_from_node(void **state) {
  (void)state;
  ac_node *node;
  sim_world *w = world_new(&node);
  ac_tbuf b;
  ac_pid ghost = ac_pid_make(0, 77, 0);
  assert_int_equal(ac_node_exit(node, ghost, T(&b, "a", "kill")), AC_ENOPROC);
  ac_tb_free(&b);
  sim_world_destroy(w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_exit_signal_table_matches_erlang),
      cmocka_unit_test(test_link_to_dead_pid_raises_noproc_unless_trapping),
      cmocka_unit_test(test_monitor_delivers_down_with_reason_and_noproc_for_dead),
      cmocka_unit_test(test_demonitor_flush_removes_queued_down),
      cmocka_unit_test(test_long_link_chain_dies_without_recursion),
      cmocka_unit_test(test_unlink_stops_propagation),
      cmocka_unit_test(test_relations_lists),
      cmocka_unit_test(test_exit_to_dead_pid_is_noproc_from_node),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
