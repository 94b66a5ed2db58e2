/*
 * A small system under test for the sim/ tests that need whole runs: two nodes over a link
 * with random latency, three clients on node a that ping a registered server on node b (by
 * {Name, Node}) and a supervisor on a whose worker crashes until the supervisor gives up.
 *
 * Every piece of state lives in a process's state or in the world, none in statics, so two
 * runs of it may be interleaved in one OS process (tests/sim/test_world.c). system_setup may
 * fail at any step (the allocation-failure tests): it returns the first error and leaves a
 * world that sim_world_destroy frees.
 */
#ifndef CRASHLAB_TESTS_SYSTEM_H
#define CRASHLAB_TESTS_SYSTEM_H

#include "sup.h"
#include "world.h"

#define SYSTEM_MS (UINT64_C(1000000))

static ac_term system_nil(void) {
  static const uint8_t nil_term[] = {AC_T_NIL};
  ac_term t = {nil_term};
  return t;
}

/* pong on node b: registers as "pong", answers {ping, From, K} with {pong, K}. */
static int system_pong_init(ac_proc *self, ac_term arg) {
  (void)arg;
  return ac_register(self, "pong", ac_self(self));
}

static int system_pong_handle(ac_proc *self, const ac_msg *msg) {
  ac_term t = ac_msg_term(msg), e;
  ac_pid from;
  int64_t k;
  if (ac_term_elem(t, 1, &e) || ac_term_get_pid(e, &from) || ac_term_elem(t, 2, &e) ||
      ac_term_get_int(e, &k))
    return AC_EINVAL;
  ac_tbuf b;
  ac_term reply;
  int rc = ac_term_build(&b, &reply, "{a, i}", "pong", k);
  if (rc == AC_OK) rc = ac_send(self, from, reply);
  ac_tb_free(&b);
  return rc;
}

static const ac_behaviour system_pong = {
    .name = "pong", .init = system_pong_init, .handle = system_pong_handle};

/* ping on node a: init arg {NodeIndexOfB, Count}; one ping at a time, a second to answer. */
typedef struct system_ping_state {
  int64_t node_b, left, k;
} system_ping_state;

static int system_ping_next(ac_proc *self, system_ping_state *s) {
  if (s->left-- == 0) return ac_stop_atom(self, "normal");
  ac_tbuf b;
  ac_term t;
  int rc = ac_term_build(&b, &t, "{a, p, i}", "ping", ac_self(self), ++s->k);
  if (rc == AC_OK) rc = ac_send_remote_name(self, (uint32_t)s->node_b, "pong", t);
  ac_tb_free(&b);
  return rc ? rc : ac_receive(self, NULL, NULL, (int64_t)(1000 * SYSTEM_MS));
}

static int system_ping_init(ac_proc *self, ac_term arg) {
  system_ping_state *s = ac_state(self);
  ac_term e;
  if (ac_term_elem(arg, 0, &e) || ac_term_get_int(e, &s->node_b) || ac_term_elem(arg, 1, &e) ||
      ac_term_get_int(e, &s->left))
    return AC_EINVAL;
  return system_ping_next(self, s);
}

static int system_ping_handle(ac_proc *self, const ac_msg *msg) {
  if (!msg) return ac_stop_atom(self, "no_pong");
  return system_ping_next(self, ac_state(self));
}

static const ac_behaviour system_ping = {.name = "ping",
                                         .state_size = sizeof(system_ping_state),
                                         .init = system_ping_init,
                                         .handle = system_ping_handle};

/* A worker that crashes 3 ms after its start. */
static int system_crasher_init(ac_proc *self, ac_term arg) {
  (void)arg;
  ac_tbuf b;
  ac_term t;
  int rc = ac_term_build(&b, &t, "a", "boom");
  if (rc == AC_OK) rc = ac_send_after(self, 3 * SYSTEM_MS, ac_self(self), t, NULL);
  ac_tb_free(&b);
  return rc;
}

static int system_crasher_handle(ac_proc *self, const ac_msg *msg) {
  (void)msg;
  return ac_stop_atom(self, "boom");
}

static const ac_behaviour system_crasher = {
    .name = "crasher", .init = system_crasher_init, .handle = system_crasher_handle};

/* Adds the nodes, the link and the processes to an empty world. AC_OK or the first error. */
static int system_setup(sim_world *w) {
  ac_node *a, *b;
  int rc = sim_node_add(w, "a", NULL, &a);
  if (rc == AC_OK) rc = sim_node_add(w, "b", NULL, &b);
  if (rc) return rc;
  sim_link link = {{SIM_DIST_UNIFORM, 1 * SYSTEM_MS, 5 * SYSTEM_MS, 0, 0}, 0, 0, false, false, 0};
  if ((rc = sim_net_default(w, &link)) != AC_OK) return rc;
  ac_pid pid;
  if ((rc = ac_node_spawn(b, &system_pong, system_nil(), &pid)) != AC_OK) return rc;
  for (int64_t i = 0; i < 3 && rc == AC_OK; i++) {
    ac_tbuf tb;
    ac_term arg;
    rc = ac_term_build(&tb, &arg, "{i, i}", (int64_t)ac_node_index(b), 5 + i);
    if (rc == AC_OK) rc = ac_node_spawn(a, &system_ping, arg, &pid);
    ac_tb_free(&tb);
  }
  if (rc) return rc;
  ac_child_spec spec = ac_child_spec_worker("crasher", &system_crasher, system_nil());
  ac_sup_config cfg = {ac_sup_flags_default(), &spec, 1};
  cfg.flags.intensity = 3;
  return ac_supervisor_start(a, NULL, &cfg, &pid);
}

#endif
