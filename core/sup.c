/*
 * The supervisor behaviour (see sup.h).
 *
 * A supervisor is a small state machine driven by its messages. When it is idle it takes any
 * message: a child's {'EXIT', Pid, Reason}, its parent's exit, a call, or a retry it sent
 * itself. Anything that needs waiting (starting a child: its ack; terminating one: its DOWN,
 * or a shutdown timeout) is a *job*: a list of steps, each a start or a terminate of one
 * child, run one after the other with a selective receive for exactly what the step waits for,
 * so other messages stay queued in order until the job is done, as they do while OTP's
 * supervisor is busy in a restart. A job ends with its continuation: nothing, a reply to a
 * caller, or the supervisor's own exit.
 */
#include "sup.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ---- State ------------------------------------------------------------------------------- */

typedef struct sup_child {
  char *id;                  /* malloc'ed; NULL for a simple_one_for_one child */
  const ac_behaviour *beh;
  uint8_t *arg;              /* malloc'ed copy of the init argument term */
  ac_start_fn start;
  const void *start_ctx;
  ac_restart_type restart;
  int64_t shutdown_ns;
  ac_child_type type;
  bool significant;
  ac_pid pid;                /* AC_PID_NONE when not running */
  bool restarting;           /* its restart failed and will be tried again */
  bool doomed;               /* a temporary child terminated by a cascade: deleted at the end */
  uint64_t serial;           /* unique in the supervisor: names a retry of an id-less child */
} sup_child;

enum { STEP_START, STEP_TERMINATE };
typedef struct sup_step {
  int kind;
  uint32_t child; /* index into children */
} sup_step;

/* What the current step waits for. */
enum { WAIT_NONE, WAIT_ACK, WAIT_FLUSH, WAIT_DOWN, WAIT_KILLED };

/* What happens when the job is done. */
enum { END_NOTHING, END_EXIT, END_REPLY_OK, END_REPLY_PID, END_INIT };

/* A pending start_child spec: the caller hands it over in the supervisor's state (same node,
 * single thread), and the request message carries only its reference, so no address ever
 * reaches a message or the trace. */
typedef struct sup_pending {
  struct sup_pending *next;
  uint64_t ref;
  sup_child child;
} sup_pending;

typedef struct sup_state {
  ac_sup_flags flags;
  sup_child *children;       /* start order */
  uint32_t count, cap;
  ac_pid parent;             /* who started it (AC_PID_NONE from the node) */
  uint64_t *restarts;        /* ring of restart times, intensity + 1 slots */
  uint32_t r_head, r_count, r_cap;
  sup_pending *pending;
  uint64_t serials;          /* the last sup_child.serial given */
  /* The job in progress (steps_n == 0: idle). */
  sup_step *steps;
  uint32_t steps_n, steps_cap, step_i;
  int wait;
  ac_ref down_ref;           /* the monitor of the child being terminated */
  ac_pid waiting_for;        /* the child being started or terminated */
  int end;
  uint8_t *end_reason;       /* END_EXIT: the reason (malloc'ed term) */
  ac_pid reply_to;           /* END_REPLY_*: the caller */
  ac_ref reply_ref;
  uint32_t reply_child;      /* END_REPLY_PID: whose pid to reply with */
  bool start_failed;         /* a start in this job failed ... */
  uint32_t failed_child;     /* ... this one ... */
  uint8_t *failed_reason;    /* ... with this reason (malloc'ed term) */
  bool in_restart;           /* the job is a restart (a failed start counts again) */
  bool forget_on_failure;    /* END_REPLY_PID of a start_child: a failed start drops the spec */
  bool reported;             /* the child being terminated was reported already */
} sup_state;

ac_sup_flags ac_sup_flags_default(void) {
  ac_sup_flags f = {AC_ONE_FOR_ONE, 1, UINT64_C(5000000000), AC_AUTO_SHUTDOWN_NEVER};
  return f;
}

ac_child_spec ac_child_spec_worker(const char *id, const ac_behaviour *beh, ac_term arg) {
  ac_child_spec s;
  memset(&s, 0, sizeof s);
  s.id = id;
  s.beh = beh;
  s.arg = arg;
  s.restart = AC_PERMANENT;
  s.shutdown_ns = INT64_C(5000000000);
  s.type = AC_WORKER;
  return s;
}

/* ---- Small helpers ----------------------------------------------------------------------- */

static char *str_dup(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = ac_malloc(n);
  if (p) memcpy(p, s, n);
  return p;
}

static uint8_t *term_dup(ac_term t) {
  size_t n = ac_term_size(t);
  uint8_t *p = ac_malloc(n);
  if (p) memcpy(p, t.p, n);
  return p;
}

static ac_term term_of(const uint8_t *p) {
  ac_term t = {p};
  return t;
}

static const uint8_t nil_term[] = {AC_T_NIL};
static const uint8_t oom_term[] = {AC_T_ATOM, 13, 'o', 'u', 't', '_', 'o', 'f', '_',
                                   'm',       'e', 'm', 'o', 'r', 'y'};

/* Why the failed start of this job failed: the copy kept, or out_of_memory when not even the
 * reason could be copied (a start that fails for want of memory must still fail). */
static ac_term failed_reason(const sup_state *st) {
  return term_of(st->failed_reason ? st->failed_reason : oom_term);
}

/* The start of child `child` failed with `reason` (NULL term: out_of_memory). */
static void start_failed(sup_state *st, uint32_t child, ac_term reason) {
  st->start_failed = true;
  st->failed_child = child;
  free(st->failed_reason);
  st->failed_reason = reason.p ? term_dup(reason) : NULL;
}

static void child_free(sup_child *c) {
  free(c->id);
  free(c->arg);
  c->id = NULL;
  c->arg = NULL;
}

static bool valid_id(const char *id) { return id && id[0] && strlen(id) <= AC_ATOM_LEN_MAX; }

/* Copies a spec into c. AC_EINVAL for a bad spec, AC_ENOMEM. */
static int child_from_spec(sup_child *c, const ac_child_spec *s, bool need_id) {
  memset(c, 0, sizeof *c);
  if ((need_id && !valid_id(s->id)) || (!s->beh && !s->start) ||
      (s->beh && !s->beh->handle) || s->restart > AC_TEMPORARY || s->type > AC_SUPERVISOR ||
      (s->shutdown_ns < 0 && s->shutdown_ns != AC_INFINITY && s->shutdown_ns != AC_SHUTDOWN_BRUTAL_KILL))
    return AC_EINVAL;
  ac_term arg = s->arg.p ? s->arg : term_of(nil_term);
  c->id = need_id ? str_dup(s->id) : NULL;
  c->arg = term_dup(arg);
  if ((need_id && !c->id) || !c->arg) {
    child_free(c);
    return AC_ENOMEM;
  }
  c->beh = s->beh;
  c->start = s->start;
  c->start_ctx = s->start_ctx;
  c->restart = s->restart;
  c->shutdown_ns = s->shutdown_ns;
  c->type = s->type;
  c->significant = s->significant;
  c->pid = AC_PID_NONE;
  return AC_OK;
}

static int find_id(const sup_state *st, const char *id) {
  for (uint32_t i = 0; i < st->count; i++)
    if (st->children[i].id && strcmp(st->children[i].id, id) == 0) return (int)i;
  return -1;
}

static int find_pid(const sup_state *st, ac_pid pid) {
  for (uint32_t i = 0; i < st->count; i++)
    if (ac_pid_eq(st->children[i].pid, pid)) return (int)i;
  return -1;
}

static int add_child(sup_state *st, sup_child *c) {
  c->serial = ++st->serials;
  if (ac_grow((void **)&st->children, &st->cap, st->count + 1, sizeof *st->children)) return AC_ENOMEM;
  st->children[st->count++] = *c;
  return AC_OK;
}

static void remove_child(sup_state *st, uint32_t i) {
  assert(i < st->count);
  child_free(&st->children[i]);
  memmove(&st->children[i], &st->children[i + 1], (st->count - i - 1) * sizeof st->children[0]);
  st->count--;
}

/* Emits a supervisor report: fmt describes the payload tuple (see sup.h). */
static void report(ac_proc *self, ac_pid child, const char *fmt, ...) {
  ac_tbuf b;
  ac_term t;
  va_list ap;
  va_start(ap, fmt);
  int rc = ac_term_vbuild(&b, &t, fmt, ap);
  va_end(ap);
  if (rc == AC_OK)
    ac__emit_term(self->node, AC_EV_SUPERVISOR, 0, self->head.pid.bits, child.bits, 0, t);
  ac_tb_free(&b);
}

static const char *id_or(const sup_child *c) { return c->id ? c->id : "undefined"; }

/* ---- Restart intensity ------------------------------------------------------------------- */

/* Counts a restart at now; true when it is one too many (the supervisor must give up). */
static bool add_restart(sup_state *st, uint64_t now) {
  uint64_t threshold = now > st->flags.period_ns ? now - st->flags.period_ns : 0;
  while (st->r_count && st->restarts[st->r_head] < threshold) { /* oldest first */
    st->r_head = (st->r_head + 1) % st->r_cap;
    st->r_count--;
  }
  if (st->r_count == st->r_cap) { /* the ring grows as needed, up to intensity + 1 slots */
    uint32_t max = st->flags.intensity + 1, cap = st->r_cap * 2 < max ? st->r_cap * 2 : max;
    if (cap == st->r_cap) return true; /* full at intensity + 1: one too many already */
    uint64_t *n = ac_malloc(cap * sizeof *n);
    if (!n) return true; /* no memory to count it: give up, as a failed restart would */
    for (uint32_t i = 0; i < st->r_count; i++) n[i] = st->restarts[(st->r_head + i) % st->r_cap];
    free(st->restarts);
    st->restarts = n;
    st->r_cap = cap;
    st->r_head = 0;
  }
  assert(st->r_count < st->r_cap && st->r_cap <= st->flags.intensity + 1);
  st->restarts[(st->r_head + st->r_count) % st->r_cap] = now;
  st->r_count++;
  return st->r_count > st->flags.intensity;
}

/* ---- Jobs -------------------------------------------------------------------------------- */

static int push_step(sup_state *st, int kind, uint32_t child) {
  if (ac_grow((void **)&st->steps, &st->steps_cap, st->steps_n + 1, sizeof *st->steps)) return AC_ENOMEM;
  st->steps[st->steps_n].kind = kind;
  st->steps[st->steps_n].child = child;
  st->steps_n++;
  return AC_OK;
}

static void job_reset(sup_state *st) {
  st->steps_n = st->step_i = 0;
  st->wait = WAIT_NONE;
  st->end = END_NOTHING;
  free(st->end_reason);
  st->end_reason = NULL;
  free(st->failed_reason);
  st->failed_reason = NULL;
  st->start_failed = false;
  st->in_restart = false;
  st->forget_on_failure = false;
  st->reported = false;
}

/* Terminate steps for every running child in reverse start order, from index `from` on
 * (skipping `except`). */
static int push_terminate_all(sup_state *st, uint32_t from, int64_t except) {
  for (uint32_t i = st->count; i-- > from;)
    if ((int64_t)i != except && !ac_pid_is_none(st->children[i].pid)) {
      int rc = push_step(st, STEP_TERMINATE, i);
      if (rc) return rc;
    }
  return AC_OK;
}

static int run_job(ac_proc *self, sup_state *st);

/* Exits the supervisor: terminates every child in reverse order, then stops with `reason`. */
static int shut_down(ac_proc *self, sup_state *st, ac_term reason) {
  report(self, AC_PID_NONE, "{a,t}", "shutdown", reason);
  job_reset(st);
  st->end = END_EXIT;
  st->end_reason = term_dup(reason);
  if (!st->end_reason) return AC_ENOMEM;
  int rc = push_terminate_all(st, 0, -1);
  if (rc) return rc;
  return run_job(self, st);
}

static int shut_down_atom(ac_proc *self, sup_state *st, const char *reason) {
  uint8_t buf[2 + AC_ATOM_LEN_MAX];
  size_t n = strlen(reason);
  buf[0] = AC_T_ATOM;
  buf[1] = (uint8_t)n;
  memcpy(buf + 2, reason, n);
  return shut_down(self, st, term_of(buf));
}

/* A match function for the current step's receive. */
static bool step_match(const ac_msg *m, const void *arg) {
  const sup_state *st = arg;
  ac_term t = ac_msg_term(m), e;
  ac_pid p;
  ac_ref r;
  if (ac_term_type(t) != AC_T_TUPLE) return false;
  uint32_t n = ac_term_count(t);
  ac_term tag = ac_term_first(t);
  switch (st->wait) {
    case WAIT_ACK:
      if (n != 3 || !(ac_term_is_atom(tag, "ack") || ac_term_is_atom(tag, "EXIT"))) return false;
      return ac_term_elem(t, 1, &e) == AC_OK && ac_term_get_pid(e, &p) == AC_OK &&
             ac_pid_eq(p, st->waiting_for);
    case WAIT_FLUSH:
      return n == 3 && ac_term_is_atom(tag, "EXIT") && ac_term_elem(t, 1, &e) == AC_OK &&
             ac_term_get_pid(e, &p) == AC_OK && ac_pid_eq(p, st->waiting_for);
    case WAIT_DOWN:
    case WAIT_KILLED:
      return n == 5 && ac_term_is_atom(tag, "DOWN") && ac_term_elem(t, 1, &e) == AC_OK &&
             ac_term_get_ref(e, &r) == AC_OK && ac_ref_eq(r, st->down_ref);
    default: return false;
  }
}

static ac_term elem(ac_term t, uint32_t i) {
  ac_term e = {NULL};
  ac_term_elem(t, i, &e);
  return e;
}

/* Starts the child of the current step; the job waits for its ack or its exit. */
static int step_start(ac_proc *self, sup_state *st, sup_child *c) {
  ac_pid pid = AC_PID_NONE;
  int rc;
  if (c->start)
    rc = c->start(self, c->start_ctx, term_of(c->arg), &pid);
  else
    rc = ac_spawn(self, c->beh, term_of(c->arg), AC_SPAWN_LINK | AC_SPAWN_ACK, &pid, NULL);
  if (rc != AC_OK) return rc;
  c->pid = AC_PID_NONE; /* running once acknowledged */
  st->waiting_for = pid;
  st->wait = WAIT_ACK;
  return ac_receive(self, step_match, st, AC_INFINITY);
}

/* Begins terminating the child of the current step (OTP's shutdown/2 after monitor_child). */
static int step_terminate(ac_proc *self, sup_state *st, sup_child *c) {
  int rc = ac_monitor(self, c->pid, &st->down_ref);
  if (rc == AC_OK) rc = ac_unlink(self, c->pid);
  if (rc != AC_OK) return rc;
  st->waiting_for = c->pid;
  st->wait = WAIT_FLUSH; /* an EXIT already here means it died on its own meanwhile */
  st->reported = false;
  return ac_receive(self, step_match, st, 0);
}

/* The step is done: on to the next, or to the end of the job. */
static int step_done(ac_proc *self, sup_state *st);

static int begin_step(ac_proc *self, sup_state *st) {
  while (st->step_i < st->steps_n) {
    sup_step *s = &st->steps[st->step_i];
    assert(s->child < st->count && "a step names a child of this supervisor");
    sup_child *c = &st->children[s->child];
    if (s->kind == STEP_TERMINATE) {
      if (ac_pid_is_none(c->pid)) {
        st->step_i++;
        continue;
      }
      return step_terminate(self, st, c);
    }
    if (st->start_failed) { /* a failed start stops the rest of a cascade */
      c->restarting = true;
      st->step_i++;
      continue;
    }
    int rc = step_start(self, st, c);
    if (rc == AC_OK) return AC_OK;
    /* The spawn itself failed: the start failed with that error as its reason. */
    ac_tbuf b;
    ac_term reason;
    if (ac_term_build(&b, &reason, "{a,a}", "c_error", ac_errname(rc)) == AC_OK)
      report(self, AC_PID_NONE, "{a,a,t}", "start_failed", id_or(c), reason);
    start_failed(st, s->child, reason);
    ac_tb_free(&b);
    c->restarting = true;
    st->step_i++;
  }
  return step_done(self, st);
}

/* Sends `to` a tuple: {Ref, Rest...} (a reply) or {'$sup_call', Self, Ref, Rest...} (a call),
 * Rest from fmt. */
static int send_tuple(ac_proc *self, ac_pid to, ac_ref ref, bool call, const char *fmt,
                      va_list ap) {
  ac_tbuf b;
  ac_tb_init(&b);
  int rc = ac_tb_tuple_begin(&b);
  if (rc == AC_OK && call) rc = ac_tb_fmt(&b, "a,p", "$sup_call", ac_self(self));
  if (rc == AC_OK) rc = ac_tb_ref(&b, ref);
  if (rc == AC_OK) rc = ac_tb_vfmt(&b, fmt, ap);
  if (rc == AC_OK) rc = ac_tb_end(&b);
  ac_term t;
  if (rc == AC_OK) rc = ac_tb_finish(&b, &t);
  if (rc == AC_OK) rc = ac_send(self, to, t);
  ac_tb_free(&b);
  return rc;
}

static int reply(ac_proc *self, ac_pid to, ac_ref ref, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = send_tuple(self, to, ref, false, fmt, ap);
  va_end(ap);
  return rc;
}

static int restart_after_failure(ac_proc *self, sup_state *st);

static int step_done(ac_proc *self, sup_state *st) {
  if (st->step_i < st->steps_n) return begin_step(self, st);
  /* The job is over. */
  for (uint32_t i = st->count; i-- > 0;) /* temporary children a cascade terminated */
    if (st->children[i].doomed) {
      remove_child(st, i);
      if (st->failed_child > i) st->failed_child--; /* they name children by index */
      if (st->reply_child > i) st->reply_child--;
    }
  int end = st->end, rc = AC_OK;
  st->steps_n = st->step_i = 0;
  st->wait = WAIT_NONE;
  switch (end) {
    case END_EXIT: rc = ac_stop(self, term_of(st->end_reason)); break;
    case END_INIT:
      if (st->start_failed) { /* {shutdown, {failed_to_start_child, Id, Reason}} */
        ac_tbuf b;
        ac_term reason;
        rc = ac_term_build(&b, &reason, "{a,{a,a,t}}", "shutdown", "failed_to_start_child",
                           id_or(&st->children[st->failed_child]), failed_reason(st));
        if (rc == AC_OK) {
          st->start_failed = false; /* the shutdown's own job must not see it */
          rc = shut_down(self, st, reason);
        }
        ac_tb_free(&b);
        return rc;
      }
      rc = ac_ack(self);
      if (rc == AC_ESTATE) rc = AC_OK; /* started by the node: nobody waits for an ack */
      break;
    case END_REPLY_OK: rc = reply(self, st->reply_to, st->reply_ref, "a", "ok"); break;
    case END_REPLY_PID: {
      if (st->start_failed) {
        ac_term why = failed_reason(st);
        /* A start_child that failed forgets its spec, as OTP does; restart_child keeps it. */
        rc = reply(self, st->reply_to, st->reply_ref, "{a,t}", "error", why);
        if (st->forget_on_failure) remove_child(st, st->reply_child);
        else st->children[st->reply_child].restarting = false;
      } else {
        rc = reply(self, st->reply_to, st->reply_ref, "{a,p}", "ok",
                   st->children[st->reply_child].pid);
      }
      break;
    }
    default: break;
  }
  if (rc != AC_OK) return rc;
  bool failed = st->start_failed && st->in_restart;
  if (failed) return restart_after_failure(self, st);
  job_reset(st);
  return AC_OK;
}

/* A restart cascade could not start a child: count it again, give up, or try again later
 * (a message to itself, after what is already queued, as OTP does). */
static int restart_after_failure(ac_proc *self, sup_state *st) {
  uint32_t k = st->failed_child;
  job_reset(st);
  if (add_restart(st, ac_now(self))) {
    report(self, AC_PID_NONE, "{a,i}", "intensity_reached", (int64_t)st->r_count);
    return shut_down_atom(self, st, "shutdown");
  }
  sup_child *c = &st->children[k];
  ac_tbuf b;
  ac_tb_init(&b);
  ac_term msg;
  int rc = c->id ? ac_tb_fmt(&b, "{a,a}", "try_again_restart", c->id)
                 : ac_tb_fmt(&b, "{a,i}", "try_again_restart", (int64_t)c->serial);
  if (rc == AC_OK) rc = ac_tb_finish(&b, &msg);
  if (rc == AC_OK) rc = ac_send(self, self->head.pid, msg);
  ac_tb_free(&b);
  return rc;
}

static int run_job(ac_proc *self, sup_state *st) {
  st->step_i = 0;
  return begin_step(self, st);
}

/* ---- A child's exit ---------------------------------------------------------------------- */

static bool is_shutdown_reason(ac_term r) {
  if (ac_term_is_atom(r, "normal") || ac_term_is_atom(r, "shutdown")) return true;
  return ac_term_type(r) == AC_T_TUPLE && ac_term_count(r) == 2 &&
         ac_term_is_atom(ac_term_first(r), "shutdown");
}

/* Plans the restart of child k by the strategy and runs it. */
static int restart(ac_proc *self, sup_state *st, uint32_t k) {
  job_reset(st);
  st->in_restart = true;
  report(self, AC_PID_NONE, "{a,a}", "restarting", id_or(&st->children[k]));
  int rc = AC_OK;
  switch (st->flags.strategy) {
    case AC_ONE_FOR_ONE:
    case AC_SIMPLE_ONE_FOR_ONE: rc = push_step(st, STEP_START, k); break;
    case AC_ONE_FOR_ALL:
      rc = push_terminate_all(st, 0, k);
      for (uint32_t i = 0; rc == AC_OK && i < st->count; i++) {
        sup_child *c = &st->children[i];
        if (i != k && c->restart == AC_TEMPORARY && !ac_pid_is_none(c->pid)) c->doomed = true;
        if (i == k || !c->doomed) rc = push_step(st, STEP_START, i);
      }
      break;
    case AC_REST_FOR_ONE:
      rc = push_terminate_all(st, k + 1, -1);
      for (uint32_t i = k; rc == AC_OK && i < st->count; i++) {
        sup_child *c = &st->children[i];
        if (i != k && c->restart == AC_TEMPORARY && !ac_pid_is_none(c->pid)) c->doomed = true;
        if (i == k || !c->doomed) rc = push_step(st, STEP_START, i);
      }
      break;
  }
  if (rc) return rc;
  /* Like OTP, a cascade starts every child it kept, running or not before (one stopped by
   * terminate_child, a transient one that ended normally). */
  return run_job(self, st);
}

/* Whether every significant child is gone for good. */
static bool no_significant_left(const sup_state *st) {
  for (uint32_t i = 0; i < st->count; i++)
    if (st->children[i].significant && !ac_pid_is_none(st->children[i].pid)) return false;
  return true;
}

static int child_exited(ac_proc *self, sup_state *st, uint32_t k, ac_term reason) {
  sup_child *c = &st->children[k];
  report(self, c->pid, "{a,a,t}", "child_terminated", id_or(c), reason);
  c->pid = AC_PID_NONE;
  bool again = c->restart == AC_PERMANENT ||
               (c->restart == AC_TRANSIENT && !is_shutdown_reason(reason));
  if (!again) {
    bool significant = c->significant;
    if (c->restart == AC_TEMPORARY || st->flags.strategy == AC_SIMPLE_ONE_FOR_ONE)
      remove_child(st, k);
    if (significant && (st->flags.auto_shutdown == AC_AUTO_SHUTDOWN_ANY_SIGNIFICANT ||
                        (st->flags.auto_shutdown == AC_AUTO_SHUTDOWN_ALL_SIGNIFICANT &&
                         no_significant_left(st))))
      return shut_down_atom(self, st, "shutdown");
    return AC_OK;
  }
  if (add_restart(st, ac_now(self))) {
    report(self, AC_PID_NONE, "{a,i}", "intensity_reached", (int64_t)st->r_count);
    return shut_down_atom(self, st, "shutdown");
  }
  return restart(self, st, k);
}

/* ---- Calls ------------------------------------------------------------------------------- */

static sup_pending *take_pending(sup_state *st, uint64_t ref) {
  for (sup_pending **p = &st->pending; *p; p = &(*p)->next)
    if ((*p)->ref == ref) {
      sup_pending *f = *p;
      *p = f->next;
      return f;
    }
  return NULL;
}

static int find_child_term(const sup_state *st, ac_term who) {
  const char *name;
  size_t len;
  ac_pid pid;
  if (ac_term_get_pid(who, &pid) == AC_OK) return find_pid(st, pid);
  if (ac_term_get_atom(who, &name, &len) != AC_OK) return -1;
  for (uint32_t i = 0; i < st->count; i++) {
    const char *id = st->children[i].id;
    if (id && strlen(id) == len && memcmp(id, name, len) == 0) return (int)i;
  }
  return -1;
}

static int call_start_child(ac_proc *self, sup_state *st, ac_pid from, ac_ref ref, ac_term arg) {
  sup_child c;
  if (st->flags.strategy == AC_SIMPLE_ONE_FOR_ONE) {
    /* The template's argument list with the call's appended. */
    ac_ref key;
    sup_pending *spec = ac_term_get_ref(arg, &key) == AC_OK ? take_pending(st, key.bits) : NULL;
    if (spec) { /* a child spec, where simple_one_for_one takes arguments */
      child_free(&spec->child);
      free(spec);
      return reply(self, from, ref, "{a,{a,a}}", "error", "badarg", "simple_one_for_one");
    }
    if (st->count == 0 || !st->children[0].id)
      return reply(self, from, ref, "{a,a}", "error", "no_template");
    const sup_child *tp = &st->children[0];
    ac_tbuf b;
    ac_tb_init(&b);
    ac_tb_list_begin(&b);
    ac_term a = term_of(tp->arg), x;
    for (uint32_t i = 0; ac_term_type(a) == AC_T_LIST && ac_term_elem(a, i, &x) == AC_OK; i++)
      ac_tb_term(&b, x);
    for (uint32_t i = 0; ac_term_type(arg) == AC_T_LIST && ac_term_elem(arg, i, &x) == AC_OK; i++)
      ac_tb_term(&b, x);
    ac_tb_end(&b);
    ac_term full;
    int rc = ac_tb_finish(&b, &full);
    c = *tp;
    c.id = NULL;
    c.arg = rc == AC_OK ? term_dup(full) : NULL;
    ac_tb_free(&b);
    if (!c.arg) return reply(self, from, ref, "{a,a}", "error", "system_limit");
    c.pid = AC_PID_NONE;
    c.restarting = c.doomed = false;
  } else {
    ac_ref r;
    sup_pending *p = ac_term_get_ref(arg, &r) == AC_OK ? take_pending(st, r.bits) : NULL;
    if (!p) return reply(self, from, ref, "{a,a}", "error", "badarg");
    c = p->child;
    free(p);
    int k = find_id(st, c.id);
    if (k >= 0) {
      ac_pid running = st->children[k].pid;
      child_free(&c);
      if (!ac_pid_is_none(running))
        return reply(self, from, ref, "{a,{a,p}}", "error", "already_started", running);
      return reply(self, from, ref, "{a,a}", "error", "already_present");
    }
  }
  int rc = add_child(st, &c);
  if (rc) {
    child_free(&c);
    return reply(self, from, ref, "{a,a}", "error", "system_limit");
  }
  job_reset(st);
  st->end = END_REPLY_PID;
  st->forget_on_failure = true;
  st->reply_to = from;
  st->reply_ref = ref;
  st->reply_child = st->count - 1;
  rc = push_step(st, STEP_START, st->count - 1);
  return rc ? rc : run_job(self, st);
}

/* which_children's list, newest first, as OTP's is. */
static void put_children(ac_tbuf *b, const sup_state *st) {
  ac_tb_list_begin(b);
  for (uint32_t i = st->count; i-- > 0;) {
    const sup_child *c = &st->children[i];
    if (st->flags.strategy == AC_SIMPLE_ONE_FOR_ONE && c->id) continue; /* the template */
    ac_tb_tuple_begin(b);
    ac_tb_atom(b, id_or(c));
    if (!ac_pid_is_none(c->pid)) ac_tb_pid(b, c->pid);
    else ac_tb_atom(b, c->restarting ? "restarting" : "undefined");
    ac_tb_atom(b, c->type == AC_SUPERVISOR ? "supervisor" : "worker");
    ac_tb_list_begin(b);
    ac_tb_atom(b, c->beh ? c->beh->name : (c->type == AC_SUPERVISOR ? "supervisor" : "dynamic"));
    ac_tb_end(b);
    ac_tb_end(b);
  }
  ac_tb_end(b);
}

static int handle_call(ac_proc *self, sup_state *st, ac_pid from, ac_ref ref, ac_term req) {
  ac_term tag = ac_term_type(req) == AC_T_TUPLE && ac_term_count(req) >= 1 ? ac_term_first(req) : req;
  if (ac_term_is_atom(tag, "which_children")) {
    ac_tbuf b;
    ac_tb_init(&b);
    put_children(&b, st);
    ac_term list;
    int rc = ac_tb_finish(&b, &list);
    if (rc == AC_OK) rc = reply(self, from, ref, "t", list);
    ac_tb_free(&b);
    return rc;
  }
  if (ac_term_is_atom(tag, "count_children")) {
    int64_t active = 0, sups = 0, workers = 0, specs = 0;
    bool simple = st->flags.strategy == AC_SIMPLE_ONE_FOR_ONE;
    for (uint32_t i = 0; i < st->count; i++) {
      if (simple && st->children[i].id) continue; /* the template: one spec, below */
      specs++;
      active += !ac_pid_is_none(st->children[i].pid);
      if (st->children[i].type == AC_SUPERVISOR) sups++;
      else workers++;
    }
    if (simple) specs = 1; /* OTP counts the template, however many children it made */
    return reply(self, from, ref, "[{a,i},{a,i},{a,i},{a,i}]", "specs", specs,
                 "active", active, "supervisors", sups, "workers", workers);
  }
  if (ac_term_type(req) != AC_T_TUPLE || ac_term_count(req) != 2)
    return reply(self, from, ref, "{a,a}", "error", "badarg");
  ac_term arg = elem(req, 1);
  if (ac_term_is_atom(tag, "start_child")) return call_start_child(self, st, from, ref, arg);
  bool simple = st->flags.strategy == AC_SIMPLE_ONE_FOR_ONE;
  int k;
  ac_pid by_pid;
  bool is_pid = ac_term_get_pid(arg, &by_pid) == AC_OK;
  if (simple) { /* children are named by pid; the template's id names no child */
    if (!is_pid) return reply(self, from, ref, "{a,a}", "error", "simple_one_for_one");
    k = find_pid(st, by_pid);
  } else {
    k = is_pid ? -1 : find_child_term(st, arg); /* OTP: ids only, a pid is not_found */
  }
  if (ac_term_is_atom(tag, "terminate_child")) {
    if (k < 0) /* for simple_one_for_one, a pid that is no child (any more) is fine */
      return simple ? reply(self, from, ref, "a", "ok")
                    : reply(self, from, ref, "{a,a}", "error", "not_found");
    sup_child *c = &st->children[k];
    c->restarting = false; /* a pending retry is called off */
    if (ac_pid_is_none(c->pid)) {
      if (simple || c->restart == AC_TEMPORARY) remove_child(st, (uint32_t)k);
      return reply(self, from, ref, "a", "ok");
    }
    job_reset(st);
    st->end = END_REPLY_OK;
    st->reply_to = from;
    st->reply_ref = ref;
    if (simple || c->restart == AC_TEMPORARY) c->doomed = true;
    int rc = push_step(st, STEP_TERMINATE, (uint32_t)k);
    return rc ? rc : run_job(self, st);
  }
  if (simple && (ac_term_is_atom(tag, "restart_child") || ac_term_is_atom(tag, "delete_child")))
    return reply(self, from, ref, "{a,a}", "error", "simple_one_for_one");
  if (ac_term_is_atom(tag, "restart_child") || ac_term_is_atom(tag, "delete_child")) {
    if (k < 0) return reply(self, from, ref, "{a,a}", "error", "not_found");
    sup_child *c = &st->children[k];
    if (!ac_pid_is_none(c->pid)) return reply(self, from, ref, "{a,a}", "error", "running");
    if (c->restarting) return reply(self, from, ref, "{a,a}", "error", "restarting");
    if (ac_term_is_atom(tag, "delete_child")) {
      remove_child(st, (uint32_t)k);
      return reply(self, from, ref, "a", "ok");
    }
    job_reset(st);
    st->end = END_REPLY_PID;
    st->reply_to = from;
    st->reply_ref = ref;
    st->reply_child = (uint32_t)k;
    st->in_restart = false;
    int rc = push_step(st, STEP_START, (uint32_t)k);
    return rc ? rc : run_job(self, st);
  }
  return reply(self, from, ref, "{a,a}", "error", "badarg");
}

/* ---- The behaviour ----------------------------------------------------------------------- */

static int sup_init(ac_proc *self, ac_term arg) {
  (void)arg;
  sup_state *st = ac_state(self);
  if (!st->restarts) return AC_EINVAL; /* spawned without ac_supervisor_start */
  bool old;
  ac_trap_exit(self, true, &old);
  ac_defer_ack(self); /* started (for a parent) when every child is */
  job_reset(st);
  st->end = END_INIT;
  static const char *const strategies[] = {"one_for_one", "one_for_all", "rest_for_one",
                                           "simple_one_for_one"};
  report(self, AC_PID_NONE, "{a,a,i,i}", "supervisor_started", strategies[st->flags.strategy],
         (int64_t)st->flags.intensity, (int64_t)st->flags.period_ns);
  for (uint32_t i = 0; i < st->count; i++) {
    if (st->flags.strategy == AC_SIMPLE_ONE_FOR_ONE) break; /* the template is not started */
    int rc = push_step(st, STEP_START, i);
    if (rc) return rc;
  }
  return run_job(self, st);
}

/* A message while a job step waits (the receive matched it, or timed out: m == NULL). */
static int handle_step(ac_proc *self, sup_state *st, const ac_msg *m) {
  assert(st->step_i < st->steps_n && st->wait != WAIT_NONE && "a step is waiting");
  sup_step *s = &st->steps[st->step_i];
  sup_child *c = &st->children[s->child];
  ac_term t = m ? ac_msg_term(m) : term_of(nil_term);
  switch (st->wait) {
    case WAIT_ACK:
      st->wait = WAIT_NONE;
      if (ac_term_is_atom(ac_term_first(t), "ack")) {
        c->pid = st->waiting_for;
        c->restarting = false;
        report(self, c->pid, "{a,a}", "child_started", id_or(c));
      } else { /* {'EXIT', Child, Reason}: its init failed */
        ac_term reason = elem(t, 2);
        report(self, AC_PID_NONE, "{a,a,t}", "start_failed", id_or(c), reason);
        start_failed(st, s->child, reason);
        c->restarting = true;
      }
      st->step_i++;
      return step_done(self, st);
    case WAIT_FLUSH:
      if (m) { /* it had died on its own: wait for the DOWN, send nothing */
        ac_term reason = elem(t, 2);
        report(self, c->pid, "{a,a,t}", "child_terminated", id_or(c), reason);
        st->reported = true;
        st->wait = WAIT_KILLED;
        return ac_receive(self, step_match, st, AC_INFINITY);
      }
      if (c->shutdown_ns == AC_SHUTDOWN_BRUTAL_KILL) {
        int rc = ac_exit_atom(self, c->pid, "kill");
        if (rc) return rc;
        st->wait = WAIT_KILLED;
        return ac_receive(self, step_match, st, AC_INFINITY);
      } else {
        int rc = ac_exit_atom(self, c->pid, "shutdown");
        if (rc) return rc;
        st->wait = WAIT_DOWN;
        return ac_receive(self, step_match, st, c->shutdown_ns);
      }
    case WAIT_DOWN:
      if (!m) { /* the shutdown time ran out */
        int rc = ac_exit_atom(self, c->pid, "kill");
        if (rc) return rc;
        st->wait = WAIT_KILLED;
        return ac_receive(self, step_match, st, AC_INFINITY);
      }
      /* fallthrough */
    case WAIT_KILLED:
      if (m && !st->reported) /* the DOWN says how it ended: shutdown, killed or its own */
        report(self, c->pid, "{a,a,t}", "child_terminated", id_or(c), elem(t, 4));
      c->pid = AC_PID_NONE;
      st->wait = WAIT_NONE;
      st->step_i++;
      return step_done(self, st);
    default: return AC_EINVAL;
  }
}

static int handle_idle(ac_proc *self, sup_state *st, const ac_msg *m) {
  if (!m) return AC_OK;
  ac_term t = ac_msg_term(m);
  if (ac_term_type(t) != AC_T_TUPLE || ac_term_count(t) == 0) return AC_OK;
  ac_term tag = ac_term_first(t);
  uint32_t n = ac_term_count(t);
  ac_pid pid;
  ac_ref ref;
  if (n == 3 && ac_term_is_atom(tag, "EXIT") && ac_term_get_pid(elem(t, 1), &pid) == AC_OK) {
    ac_term reason = elem(t, 2);
    if (!ac_pid_is_none(st->parent) && ac_pid_eq(pid, st->parent))
      return shut_down(self, st, reason); /* the parent went: so do we, with its reason */
    int k = find_pid(st, pid);
    if (k < 0) return AC_OK; /* an old child, already handled */
    return child_exited(self, st, (uint32_t)k, reason);
  }
  if (n == 4 && ac_term_is_atom(tag, "$sup_call") && ac_term_get_pid(elem(t, 1), &pid) == AC_OK &&
      ac_term_get_ref(elem(t, 2), &ref) == AC_OK)
    return handle_call(self, st, pid, ref, elem(t, 3));
  if (n == 2 && ac_term_is_atom(tag, "try_again_restart")) {
    int k = find_child_term(st, elem(t, 1));
    int64_t serial;
    if (k < 0 && ac_term_get_int(elem(t, 1), &serial) == AC_OK)
      for (uint32_t i = 0; i < st->count; i++)
        if (st->children[i].serial == (uint64_t)serial) k = (int)i;
    if (k < 0 || !st->children[k].restarting) return AC_OK;
    return restart(self, st, (uint32_t)k);
  }
  return AC_OK; /* OTP logs an unexpected message and goes on */
}

static int sup_handle(ac_proc *self, const ac_msg *m) {
  sup_state *st = ac_state(self);
  if (st->steps_n) return handle_step(self, st, m);
  return handle_idle(self, st, m);
}

static void sup_terminate(ac_proc *self, ac_term reason) {
  (void)reason;
  sup_state *st = ac_state(self);
  for (uint32_t i = 0; i < st->count; i++) child_free(&st->children[i]);
  free(st->children);
  free(st->restarts);
  free(st->steps);
  free(st->end_reason);
  free(st->failed_reason);
  while (st->pending) {
    sup_pending *p = st->pending;
    st->pending = p->next;
    child_free(&p->child);
    free(p);
  }
  memset(st, 0, sizeof *st);
}

const ac_behaviour ac_supervisor = {"supervisor", sizeof(sup_state), sup_init, sup_handle,
                                    sup_terminate};

/* ---- Starting ---------------------------------------------------------------------------- */

static int configure(sup_state *st, const ac_sup_config *cfg, ac_pid parent) {
  const ac_sup_flags *f = &cfg->flags;
  if (f->strategy > AC_SIMPLE_ONE_FOR_ONE || f->auto_shutdown > AC_AUTO_SHUTDOWN_ALL_SIGNIFICANT ||
      (cfg->child_count && !cfg->children) ||
      (f->strategy == AC_SIMPLE_ONE_FOR_ONE && cfg->child_count != 1) ||
      f->intensity > 1000000u || f->period_ns == 0)
    return AC_EINVAL;
  st->flags = *f;
  st->parent = parent;
  st->r_cap = f->intensity + 1 < 8 ? f->intensity + 1 : 8; /* grows up to intensity + 1 */
  st->restarts = ac_calloc(st->r_cap, sizeof *st->restarts);
  if (!st->restarts) return AC_ENOMEM;
  for (size_t i = 0; i < cfg->child_count; i++) {
    if (cfg->children[i].id && find_id(st, cfg->children[i].id) >= 0) return AC_EINVAL;
    /* OTP's bad_combination: a significant child must be able to end for good, and mean
     * something to the supervisor. */
    if (cfg->children[i].significant &&
        (cfg->children[i].restart == AC_PERMANENT || f->auto_shutdown == AC_AUTO_SHUTDOWN_NEVER))
      return AC_EINVAL;
    sup_child c;
    int rc = child_from_spec(&c, &cfg->children[i], true);
    if (rc == AC_OK) rc = add_child(st, &c);
    if (rc) {
      child_free(&c);
      return rc;
    }
  }
  return AC_OK;
}

int ac_supervisor_start(ac_node *node, ac_proc *self, const ac_sup_config *cfg, ac_pid *pid_out) {
  if (!node || !cfg || !pid_out || (self && ac_proc_node(self) != node)) return AC_EINVAL;
  /* Checked and copied before the spawn: a bad configuration is an error for the caller, not
   * a process that dies (and takes a linked caller with it). */
  sup_state *tmp = ac_calloc(1, sizeof *tmp);
  if (!tmp) return AC_ENOMEM;
  int rc = configure(tmp, cfg, self ? ac_self(self) : AC_PID_NONE);
  ac_pid pid = AC_PID_NONE;
  if (rc == AC_OK)
    rc = self ? ac_spawn(self, &ac_supervisor, term_of(nil_term), AC_SPAWN_LINK | AC_SPAWN_ACK,
                         &pid, NULL)
              : ac_node_spawn(node, &ac_supervisor, term_of(nil_term), &pid);
  sup_state *st = rc == AC_OK ? ac_node_state(node, pid, &ac_supervisor) : NULL;
  if (!st) {
    for (uint32_t i = 0; i < tmp->count; i++) child_free(&tmp->children[i]);
    free(tmp->children);
    free(tmp->restarts);
    free(tmp);
    return rc ? rc : AC_ENOPROC;
  }
  *st = *tmp; /* the process owns it from now on */
  free(tmp);
  *pid_out = pid;
  return AC_OK;
}

int ac_supervisor_start_fn(ac_proc *sup, const void *ctx, ac_term arg, ac_pid *pid_out) {
  (void)arg;
  return ac_supervisor_start(ac_proc_node(sup), sup, ctx, pid_out);
}

/* ---- Calls from a process ---------------------------------------------------------------- */

static int send_call(ac_proc *self, ac_pid sup, ac_ref *ref_out, const char *fmt, ...) {
  if (!ref_out) return AC_EINVAL;
  ac_ref ref = ac_make_ref(self);
  va_list ap;
  va_start(ap, fmt);
  int rc = send_tuple(self, sup, ref, true, fmt, ap);
  va_end(ap);
  if (rc == AC_OK) *ref_out = ref;
  return rc;
}

int ac_sup_start_child(ac_proc *self, ac_pid sup, const ac_child_spec *spec, ac_term extra,
                       ac_ref *ref_out) {
  if (!spec) return send_call(self, sup, ref_out, "{a,t}", "start_child",
                              extra.p ? extra : term_of(nil_term));
  sup_state *st = ac_node_state(ac_proc_node(self), sup, &ac_supervisor);
  if (!st) return AC_ENOPROC;
  sup_pending *p = ac_calloc(1, sizeof *p);
  if (!p) return AC_ENOMEM;
  int rc = child_from_spec(&p->child, spec, true);
  if (rc) {
    free(p);
    return rc;
  }
  ac_ref key = ac_make_ref(self);
  p->ref = key.bits;
  rc = send_call(self, sup, ref_out, "{a,r}", "start_child", key);
  if (rc) {
    child_free(&p->child);
    free(p);
    return rc;
  }
  p->next = st->pending;
  st->pending = p;
  return AC_OK;
}

int ac_sup_terminate_child(ac_proc *self, ac_pid sup, const char *id, ac_ref *ref_out) {
  if (!valid_id(id)) return AC_EINVAL;
  return send_call(self, sup, ref_out, "{a,a}", "terminate_child", id);
}

int ac_sup_terminate_child_pid(ac_proc *self, ac_pid sup, ac_pid child, ac_ref *ref_out) {
  return send_call(self, sup, ref_out, "{a,p}", "terminate_child", child);
}

int ac_sup_restart_child(ac_proc *self, ac_pid sup, const char *id, ac_ref *ref_out) {
  if (!valid_id(id)) return AC_EINVAL;
  return send_call(self, sup, ref_out, "{a,a}", "restart_child", id);
}

int ac_sup_delete_child(ac_proc *self, ac_pid sup, const char *id, ac_ref *ref_out) {
  if (!valid_id(id)) return AC_EINVAL;
  return send_call(self, sup, ref_out, "{a,a}", "delete_child", id);
}

int ac_sup_which_children(ac_proc *self, ac_pid sup, ac_ref *ref_out) {
  return send_call(self, sup, ref_out, "a", "which_children");
}

int ac_sup_count_children(ac_proc *self, ac_pid sup, ac_ref *ref_out) {
  return send_call(self, sup, ref_out, "a", "count_children");
}

/* ---- Inspection -------------------------------------------------------------------------- */

int ac_sup_children(const ac_node *node, ac_pid sup, ac_sup_child_info *out, size_t cap) {
  const sup_state *st = ac_node_state(node, sup, &ac_supervisor);
  if (!st) return AC_ENOPROC;
  uint32_t first = st->flags.strategy == AC_SIMPLE_ONE_FOR_ONE && st->count && st->children[0].id;
  uint32_t n = st->count - first;
  for (uint32_t i = 0; i < n && i < cap; i++) {
    const sup_child *c = &st->children[first + i];
    out[i].id = c->id;
    out[i].pid = c->pid;
    out[i].type = c->type;
    out[i].restart = c->restart;
    out[i].restarting = c->restarting;
  }
  return (int)n;
}

int ac_sup_restart_count(const ac_node *node, ac_pid sup, uint32_t *out) {
  const sup_state *st = ac_node_state(node, sup, &ac_supervisor);
  if (!st || !out) return AC_ENOPROC;
  /* The window as of now: restarts older than now - period no longer count, even if no new
   * restart has pruned them yet. */
  uint64_t now = node->host.now_ns(node->host.ctx, node->index);
  uint64_t threshold = now > st->flags.period_ns ? now - st->flags.period_ns : 0;
  uint32_t n = 0;
  for (uint32_t i = 0; i < st->r_count; i++)
    n += st->restarts[(st->r_head + i) % st->r_cap] >= threshold;
  *out = n;
  return AC_OK;
}
