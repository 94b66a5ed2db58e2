/*
 * What the files of core/ share: the process and node structs and the cross-file helpers
 * (ac__*). Not installed, not for users.
 */
#ifndef CRASHLAB_CORE_INTERNAL_H
#define CRASHLAB_CORE_INTERNAL_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

#include "code.h"
#include "node.h"

/* Process flags (ac_proc_head.flags). */
enum {
  AC__F_LIVE = 1u << 0,      /* slot holds a live process */
  AC__F_INIT = 1u << 1,      /* init not yet run */
  AC__F_RUNNABLE = 1u << 2,  /* the host was told (ready) and has not run it yet */
  AC__F_RUNNING = 1u << 3,   /* one of its callbacks is on the C stack */
  AC__F_WAITING = 1u << 4,   /* in a receive that has not matched yet */
  AC__F_TIMED_OUT = 1u << 5, /* its receive timer fired */
  AC__F_TRAP_EXIT = 1u << 6,
  AC__F_EXITING = 1u << 7,   /* doomed: exit_reason is set, finalisation pending */
  AC__F_RECV_SET = 1u << 8,  /* the running callback declared its next receive */
  AC__F_PATTERN = 1u << 9,   /* match_arg is a pattern block owned by the process */
  AC__F_YIELD = 1u << 10,    /* the callback asked to run again without waiting (ac_yield) */
  AC__F_CONTINUE = 1u << 11, /* runnable because it yielded: its step calls handle(NULL) */
  AC__F_MATCHED = 1u << 12,  /* runnable because the message at *save matched its receive */
  AC__F_ACK = 1u << 13,      /* spawned with AC_SPAWN_ACK, not yet acknowledged: init_arg
                                stays (its sender is who to tell) until then */
  AC__F_ACK_DEFER = 1u << 14, /* the process acknowledges itself (ac_ack), not its init */
  AC__F_TIMER = 1u << 15,     /* recv_timer holds the handle of its receive's timeout timer */
};

struct ac_proc {
  ac_proc_head head;        /* pid, host_index, flags: must stay first */
  ac_node *node;            /* the node it lives on */
  const ac_behaviour *beh;  /* callbacks */
  void *state;              /* beh->state_size bytes from the node allocator, or NULL */
  ac_msg *mbox_head;        /* oldest message */
  ac_msg **mbox_tail;       /* link to append to */
  ac_msg **save;            /* link whose message is the first one not yet scanned */
  ac_match_fn match;        /* current receive; NULL matches anything */
  const void *match_arg;
  ac_msg *init_arg;         /* argument for init, until it runs */
  ac_msg *exit_reason;      /* set when doomed */
  union {
    int64_t recv_timeout_ns; /* of the receive being declared, until it begins... */
    uint64_t recv_timer;     /* ...then the host handle of its timeout timer (AC__F_TIMER) */
  };
  uint32_t mbox_len;        /* messages in the mailbox */
  uint32_t rels;            /* first link/monitor record, index + 1 (0: none) */
  uint32_t name_entry;      /* registry entry + 1 (0: no name); free list link when dead */
  uint32_t recv_gen;        /* bumped per receive; a timer of an older receive is stale */
};

/* A link or monitor record; each relation has one record at each local end. */
enum { AC__REL_LINK = 1, AC__REL_MONITORS = 2, AC__REL_MONITORED_BY = 3 };
typedef struct ac__rel {
  ac_pid other;   /* the process at the other end */
  uint64_t ref;   /* monitor reference bits (0 for links) */
  uint32_t next;  /* next record of the same process, index + 1 */
  uint32_t kind;  /* AC__REL_* (0 when free) */
} ac__rel;

/* A registered name. */
typedef struct ac__name {
  char *text;     /* NUL-terminated, from the allocator (len + 1 bytes) */
  uint32_t len;
  uint32_t hash;
  ac_pid pid;     /* AC_PID_NONE when the entry is free */
} ac__name;

/* A set of 64-bit keys (live timer references), open addressing with tombstones. */
typedef struct ac__u64set {
  uint64_t *keys; /* 0 empty, 1 tombstone, else key | 2 never collides: keys are refs >= 2 */
  uint32_t cap;   /* power of two or 0 */
  uint32_t used;  /* keys + tombstones */
  uint32_t count; /* keys */
} ac__u64set;

/* A process watching another node: monitor_node(Node, true), or every node (monitor_nodes). */
#define AC__NODE_ANY UINT32_MAX
typedef struct ac__nodemon {
  ac_pid pid;
  uint32_t index; /* the node watched, or AC__NODE_ANY (nodeup and nodedown of all) */
} ac__nodemon;

/* A monitor of a registered name (monitor(process, Name | {Name, Node})), kept on the
 * watcher's node until its DOWN is delivered, it is removed, or the watcher dies: its DOWN
 * names {Name, Node} where a monitor of a pid names the pid, as Erlang's does. Rare, so a
 * plain array searched by reference. */
typedef struct ac__namemon {
  uint64_t ref;
  ac_pid watcher;
  uint32_t node_index;               /* the node the name was looked up on */
  char name[AC_ATOM_LEN_MAX + 1];
} ac__namemon;

/* A spawn request sent to another node, waiting for its reply. */
typedef struct ac__spawnreq {
  ac_pid requester;
  uint64_t ref;
  uint32_t dest;
  uint32_t flags;
} ac__spawnreq;

/* Timer kind of receive timeouts (public kinds are in event.h). */
enum { AC__TIMER_RECV = 100 };

#define AC__CHUNK_BITS 12u
#define AC__CHUNK_SIZE (1u << AC__CHUNK_BITS)

struct ac_node {
  uint32_t index;
  char name[AC_ATOM_LEN_MAX + 1];
  ac_node_config cfg;
  ac_host host;
  ac_alloc alloc;

  ac_proc **chunks;         /* process table: slot -> chunks[slot >> BITS][slot & MASK] */
  uint32_t chunk_count;
  uint32_t chunk_cap;
  uint32_t slot_count;      /* slots ever handed out (slot 0 is the node itself) */
  uint32_t free_slot;       /* first free slot + 1 (linked through name_entry), 0: none */
  uint32_t live_count;      /* live processes */

  ac__rel *rels;            /* link/monitor pool */
  uint32_t rel_cap;
  uint32_t rel_free;        /* free record index + 1, linked through next */

  ac__name *names;          /* registry entries */
  uint32_t name_cap;
  uint32_t name_free;       /* first free entry + 1 (linked through len) */
  uint32_t *name_index;     /* open addressing: entry + 1, 0 empty, UINT32_MAX tombstone */
  uint32_t name_index_cap;
  uint32_t name_index_used;
  uint32_t name_count;

  ac__u64set timers;        /* live send_after references */

  ac_pid *doomed;           /* FIFO of processes to finalise (iterative exit cascades) */
  uint32_t doomed_head, doomed_tail, doomed_cap;
  bool draining;            /* finalise loop active */

  ac__nodemon *nodemons;    /* node monitors, in the order they were set */
  uint32_t nodemon_count, nodemon_cap;
  ac__namemon *namemons;    /* monitors of registered names (ac_monitor_name) */
  uint32_t namemon_count, namemon_cap;
  ac__spawnreq *spawnreqs;  /* spawn requests in flight, oldest first */
  uint32_t spawnreq_count, spawnreq_cap;
  ac_spawn_handler spawn_handler;

  uint64_t msg_seq;         /* message ids: this node's counter (see ac__msg_id) */
  const char *spawn_label;  /* the next spawn's label (ac_node_set_spawn_label), or NULL */
  uint64_t ref_seq;         /* reference serials */
  ac_proc *running;         /* process whose callback is running, or NULL */
  void *user;               /* the embedder's pointer */

  /* Code (code.c): the versions, and which process runs which version. */
  ac_code *code;            /* the store in use, or NULL until first needed */
  bool code_owned;          /* the node made it and destroys it */
  ac_code_check_fn code_check;    /* the embedder's stack check, or NULL */
  struct ac__codeproc *codeprocs; /* per-process records, unordered; dead ones dropped lazily */
  uint32_t codeproc_count, codeproc_cap;
  const ac_code_version *spawn_code; /* the next spawn's version (ac_code_set_next_spawn) */
};

/* node.c */
ac_proc *ac__proc_get(const ac_node *node, ac_pid pid);
ac_msg *ac__msg_new(ac_node *node, ac_pid from, ac_term t);
void ac__msg_free(ac_node *node, ac_msg *m);
void ac__emit(ac_node *node, uint16_t kind, uint16_t flags, uint64_t a, uint64_t b, uint64_t c,
              const uint8_t *payload, uint32_t payload_size);
static inline void ac__emit_term(ac_node *node, uint16_t kind, uint16_t flags, uint64_t a,
                                 uint64_t b, uint64_t c, ac_term t) {
  ac__emit(node, kind, flags, a, b, c, t.p, (uint32_t)ac_term_size(t));
}
void ac__emit_atom(ac_node *node, uint16_t kind, uint64_t a, uint64_t b, const char *atom);
/* Emits an event whose payload is {x, y} (atoms), or {x, y, Term} when term is not NULL,
 * encoded in place on the stack (no builder, no allocation but for a term over ~700 bytes):
 * the spawn record's {Behaviour, Label} and the named send's {Name, Node, Message}. */
void ac__emit_atoms_tuple(ac_node *node, uint16_t kind, uint16_t flags, uint64_t a, uint64_t b,
                          uint64_t c, const char *x, const char *y, const uint8_t *term,
                          size_t term_size);
ac_ref ac__ref_new(ac_node *node);
/* A new message id, unique in the whole run: the node index in the bits from 40 up, this
 * node's counter (from 1) below, so a message keeps one id from its send to its receive
 * across nodes (trace format version 2); 0 means no message. */
static inline uint64_t ac__msg_id(ac_node *node) {
  return ((uint64_t)node->index << 40) | ++node->msg_seq;
}
int ac__u64set_add(ac__u64set *s, uint64_t key);
bool ac__u64set_remove(ac__u64set *s, uint64_t key);
void ac__u64set_free(ac__u64set *s);

/* proc.c */
int ac__spawn(ac_node *node, ac_pid parent, const ac_behaviour *b, ac_term arg, unsigned opts,
              ac_pid *pid_out, ac_ref *mon_out);
int ac__send(ac_node *node, ac_pid from, ac_pid to, ac_term msg);
/* Appends a message to p's mailbox and wakes p if its receive matches. traced_send: the message
 * already has a send event in this step (a local send), so no deliver event is emitted. */
void ac__deliver(ac_node *node, ac_proc *p, ac_pid from, ac_term msg, uint64_t msg_id,
                 bool traced_send);
void ac__proc_release(ac_node *node, ac_proc *p);
void ac__make_runnable(ac_node *node, ac_proc *p);

/* signal.c */
int ac__exit_signal(ac_node *node, ac_pid from, ac_pid to, ac_term reason, bool via_link);
void ac__doom(ac_node *node, ac_proc *p, ac_term reason);
void ac__doom_atom(ac_node *node, ac_proc *p, const char *reason);
void ac__drain(ac_node *node);
void ac__doomed_push(ac_node *node, ac_proc *p);
int ac__link(ac_node *node, ac_proc *p, ac_pid other);
int ac__monitor(ac_node *node, ac_proc *p, ac_pid target, ac_ref *ref_out);
int ac__rel_add(ac_node *node, ac_proc *p, uint32_t kind, ac_pid other, uint64_t ref);
bool ac__rel_remove(ac_node *node, ac_proc *p, uint32_t kind, ac_pid other, uint64_t ref);
bool ac__rel_has(const ac_node *node, const ac_proc *p, uint32_t kind, ac_pid other);
/* Builds a message from a format (ac_tb_fmt) and delivers it to `to` from `from`. */
void ac__deliver_tuple(ac_node *node, ac_proc *to, ac_pid from, const char *fmt, ...);
int ac__timer_recv_arm(ac_node *node, ac_proc *p, uint64_t delay_ns);
/* The receive no longer needs its timeout timer: tells the host (see ac_host.timer_cancel). */
void ac__timer_recv_cancel(ac_node *node, ac_proc *p);
void ac__rel_free_all(ac_node *node, ac_proc *p);
/* Delivers {'DOWN', Ref, process, Target, Reason} to watcher, or {'DOWN', Ref, process,
 * {Name, Node}, Reason} when ref is a monitor of a registered name (whose record it drops). */
void ac__deliver_down(ac_node *node, ac_proc *watcher, uint64_t ref, ac_pid target, ac_term reason);
/* The name monitor `ref`, or NULL. */
ac__namemon *ac__namemon_find(ac_node *node, uint64_t ref);
void ac__namemon_drop(ac_node *node, uint64_t ref);
/* Whether p holds a monitor with reference ref (an active alias: ac_send_alias). */
bool ac__has_monitor(const ac_node *node, const ac_proc *p, uint64_t ref);

/* dist.c */
/* The name of node `index` as the host knows it (nonode@nohost if it does not). */
const char *ac__node_name(ac_node *node, uint32_t index);
/* Sends a message or signal to node `dest`; AC_ENOCONN when it cannot be reached. */
int ac__dist(ac_node *node, uint32_t op, uint32_t dest, ac_pid from, ac_pid to, uint64_t ref,
             uint32_t flags, const char *name, ac_term term);
/* The same for a message, with the id of its send record (carried to the receiving node). */
int ac__dist_msg(ac_node *node, uint32_t op, uint32_t dest, ac_pid from, ac_pid to,
                 const char *name, ac_term term, uint64_t msg_id, uint64_t ref, uint32_t flags);
/* A dying process's node monitors go. */
void ac__nodemon_drop_proc(ac_node *node, ac_pid pid);
extern const ac_term ac__noconnection, ac__noproc;

/* code.c */
/* A spawn in a module (node->spawn_code set): records it and emits its spawn record
 * {Behaviour, Label, Module, Version}; clears spawn_code. */
void ac__code_spawned(ac_node *node, ac_pid parent, ac_pid pid, const char *behaviour,
                      const char *label);
/* Frees what the node holds of code (its own store, the records) at destruction. */
void ac__code_free(ac_node *node);

/* server.c */
/* Whether server p, started from v's module, runs version v (1 or 0; see server.c); -1 when p
 * is not such a server (its code record decides). */
int ac__server_runs(const ac_proc *p, const ac_code_version *v);

/* registry.c */
int ac__register(ac_node *node, const char *name, ac_pid pid);
int ac__unregister(ac_node *node, const char *name);
ac_pid ac__whereis(const ac_node *node, const char *name, size_t len);
const char *ac__name_of(const ac_node *node, const ac_proc *p);
void ac__unregister_proc(ac_node *node, ac_proc *p);
void ac__registry_free(ac_node *node);

#define AC__ASSERT_RUNNING(self) \
  assert((self) != NULL && ((self)->head.flags & AC__F_RUNNING) && "process call outside its callback")

#endif
