/*
 * Observable events: what core/ reports to its host for every step a user could see.
 *
 * The host (sim/) stamps each event with the virtual time, mixes it into the run's hash and,
 * when asked, appends it to the trace file. The kinds and the meaning of the fields a, b, c and
 * the payload are part of the trace format (docs/architecture.md, "Trace format"): add new
 * kinds at the end, never renumber.
 */
#ifndef CRASHLAB_EVENT_H
#define CRASHLAB_EVENT_H

#include <stdint.h>

/* X(name, value, text): text is the short word used by the readable trace. */
#define AC_EVENT_TABLE(X)                                                                    \
  X(AC_EV_SPAWN, 1, "spawn")             /* a=parent b=child payload={Behaviour, Label}: atoms, \
                                            Label what a person calls the process; a process  \
                                            started in a module version: {Behaviour, Label,   \
                                            Module, Version} (core/code.h) */                 \
  X(AC_EV_EXIT, 2, "exit")               /* a=pid                payload=reason */           \
  X(AC_EV_SEND, 3, "send")               /* a=from b=to c=msg id payload=message; flags     \
                                            AC_SEND_NAMED: b=0 payload={Name, Node, Message} */ \
  X(AC_EV_DELIVER, 4, "deliver")         /* a=from b=to c=msg id: a message without a send   \
                                            event of this step reached a mailbox (EXIT, DOWN, \
                                            from another node); a local send delivers at once */ \
  X(AC_EV_RECEIVE, 5, "receive")         /* a=pid  b=from c=msg id (taken by receive) */     \
  X(AC_EV_TIMEOUT, 6, "timeout")         /* a=pid (receive ... after fired) */               \
  X(AC_EV_LINK, 7, "link")               /* a=pid b=other */                                 \
  X(AC_EV_UNLINK, 8, "unlink")           /* a=pid b=other */                                 \
  X(AC_EV_MONITOR, 9, "monitor")         /* a=watcher b=target c=ref */                      \
  X(AC_EV_DEMONITOR, 10, "demonitor")    /* a=watcher b=target c=ref */                      \
  X(AC_EV_DOWN, 11, "down")              /* a=watcher b=target c=ref payload=reason */       \
  X(AC_EV_SIGNAL, 12, "signal")          /* a=from b=to flags=outcome payload=reason */      \
  X(AC_EV_REGISTER, 13, "register")      /* a=pid payload=name atom */                       \
  X(AC_EV_UNREGISTER, 14, "unregister")  /* a=pid payload=name atom */                       \
  X(AC_EV_TIMER_START, 15, "timer")      /* a=owner b=dest c=timer ref flags=kind */         \
  X(AC_EV_TIMER_FIRE, 16, "timer_fire")  /* a=owner b=dest c=timer ref */                    \
  X(AC_EV_TIMER_CANCEL, 17, "timer_cancel") /* a=owner c=timer ref */                        \
  X(AC_EV_TRAP_EXIT, 18, "trap_exit")    /* a=pid flags=1 on, 0 off */                       \
  X(AC_EV_SEND_DEAD, 19, "send_dead")    /* a=from b=to c=msg id (to was dead: dropped) */   \
  X(AC_EV_SUPERVISOR, 20, "supervisor")  /* a=supervisor b=child or 0 payload=report (sup.h) */ \
  X(AC_EV_NET_DROP, 21, "net_drop")      /* a=from b=to c=msg id flags=why (1 link down, 2   \
                                            lost, 3 no connection, 4 connection gone)          \
                                            payload=message: the network lost it */            \
  X(AC_EV_NET_DUP, 22, "net_dup")        /* a=from b=to c=msg id: delivered twice */         \
  X(AC_EV_NODEUP, 23, "nodeup")          /* a=other node index payload=its name: this node  \
                                            connected to it */                               \
  X(AC_EV_NODEDOWN, 24, "nodedown")      /* a=other node index payload=its name: this node  \
                                            lost its connection to it */                     \
  X(AC_EV_FAULT, 25, "fault")            /* node=0 flags=fault kind (sim/world.h) a=target   \
                                            pid or 0 payload=the fault as a term */           \
  X(AC_EV_NODE, 32, "node")              /* a=node index payload=node name atom */           \
  X(AC_EV_NOTE, 33, "note")              /* a=pid (or 0) payload=any term (user annotation) */ \
  X(AC_EV_RUN_END, 34, "run_end")        /* flags=why it ended (SIM_END_*) a=verdict (0 pass \
                                            1 fail 2 error) payload=detail binary; last */     \
  X(AC_EV_PROPERTY, 35, "property")      /* flags=1 failed payload={Name, Message} binaries */ \
  X(AC_EV_LINKS, 36, "links")            /* node=0 payload={Down, Flaky}: sorted lists of    \
                                            {From, To} node-name pairs, after a link change */ \
  X(AC_EV_RUN_INFO, 37, "run_info")      /* node=0 payload=#{...}: what replay needs (file,   \
                                            content hashes, seed, options, version); first     \
                                            record; not in the run hash nor the count */ \
  X(AC_EV_CODE, 38, "code")              /* flags=op (AC_CODE_*) a=caller or 0 b=the process  \
                                            concerned or 0 payload={Module, Version} or       \
                                            {Module, Version, Detail} (core/code.h) */

typedef enum ac_event_kind {
#define AC__EV_ENUM(name, value, text) name = value,
  AC_EVENT_TABLE(AC__EV_ENUM)
#undef AC__EV_ENUM
} ac_event_kind;

/* Outcome of an exit signal (AC_EV_SIGNAL flags). */
enum {
  AC_SIG_IGNORED = 0, /* normal reason to a process that does not trap exits */
  AC_SIG_TRAPPED = 1, /* became an {'EXIT', From, Reason} message */
  AC_SIG_KILLED = 2,  /* the receiver dies */
  AC_SIG_LINK = 0x10, /* flag: the signal came from a link (not from exit/2) */
};

/* AC_EV_SEND flags. */
enum {
  AC_SEND_NAMED = 0x1, /* a send to {Name, Node}: b = 0, payload {Name, NodeName, Message} */
};

/* Kinds of timers (AC_EV_TIMER_START flags). */
enum {
  AC_TIMER_SEND_AFTER = 1, /* a message to deliver later (erlang:send_after) */
};

/* Operations of AC_EV_CODE (flags). a = the caller (0 outside processes); b = the process the
 * record is about, or 0; Version = the version the operation is about. */
enum {
  AC_CODE_LOAD = 1,         /* Version became current ({Module, Version}) */
  AC_CODE_DELETE = 2,       /* Version (the current one) became old */
  AC_CODE_PURGE = 3,        /* b != 0: b runs old Version and is killed (its exit follows);
                               b == 0: old Version is removed */
  AC_CODE_SOFT_REFUSED = 4, /* soft_purge refused: a process runs old Version */
  AC_CODE_SOFT_PURGED = 5,  /* soft_purge removed old Version */
  AC_CODE_SUSPEND = 6,      /* sys:suspend of server b (recorded by b, a = the requester);
                               Version: the one b's state belongs to */
  AC_CODE_RESUME = 7,       /* sys:resume of server b */
  AC_CODE_CHANGE_OK = 8,    /* sys:change_code: Version's code_change of server b succeeded;
                               b runs Version */
  AC_CODE_CHANGE_FAILED = 9, /* Version's code_change of server b failed, Detail the reason
                               ({'EXIT', Why} for a raise): b's state is unchanged */
  AC_CODE_LOAD_REFUSED = 10 /* a load refused with not_purged: old Version still exists
                               (nothing changed) */
};

typedef struct ac_event {
  uint16_t kind;           /* ac_event_kind */
  uint16_t flags;          /* kind-specific */
  uint32_t node;           /* node index where it happened */
  uint64_t a, b, c;        /* kind-specific, see the table */
  const uint8_t *payload;  /* an encoded term, or NULL */
  uint32_t payload_size;   /* bytes of payload */
} ac_event;

/* The short name of an event kind ("spawn", ...) or NULL for an unknown kind. */
const char *ac_event_name(uint16_t kind);

#endif
