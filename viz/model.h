/*
 * The visualiser's model: trace records in, "what exists and what happens at time T" out.
 *
 * Pure C: it reads only the record struct (sim/trace.h), the event kinds (core/event.h) and
 * core's term reader. The layout and the drawing query it; they never read records themselves.
 *
 * Positions. The model holds the records of a trace in order (copied, payloads in its own
 * arena). A cursor position `pos` is a count of applied records: 0 is before the first record,
 * viz_model_count(m) is after the last. Event i is applied at pos iff i < pos. All "at the
 * cursor" queries answer for the model's one cursor, moved by viz_model_seek /
 * viz_model_seek_time. Appending never moves the cursor (a live viewer that follows the run
 * seeks to the end after appending; that replays only the new records).
 *
 * Indices. Events, nodes and processes are named by small indices that never change once
 * given: an event by its position in the trace, a node by the trace's node index (kind 32's a),
 * a process by its place in spawn order (0 = first spawn). Processes spawned before the
 * cursor are exactly the indices 0 .. viz_model_proc_count(m) - 1. VIZ_NONE means "none".
 * Iteration orders are deterministic (spawn order, trace order); nothing depends on addresses.
 *
 * Lifetimes. Pointers returned by the query functions (const viz_proc *, const viz_edge *, ...)
 * stay valid until the next viz_model_append, viz_model_seek* or viz_model_free, whichever
 * comes first. Strings copied into caller buffers behave like snprintf (always NUL-terminated
 * when cap > 0, truncated, the return value is the length written).
 *
 * Tolerance. Unknown kinds are counted and ignored; a payload that is not a valid term is
 * dropped (counted, the record is kept without payload); a payload of an unexpected shape is
 * ignored for that record. Nothing a trace contains can crash the model.
 *
 * Seeking. While appending, the model keeps its head state (after the last record) and takes
 * a snapshot of the derived state every `spacing` records, where spacing is adapted to the
 * state's size so that the snapshots cost about as much memory as the records themselves. A
 * seek restores the nearest snapshot at or before the target and replays forward from it (or
 * replays forward from the cursor when that is nearer). Stepping back is a seek to pos - 1.
 */
#ifndef CRASHLAB_VIZ_MODEL_H
#define CRASHLAB_VIZ_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "term.h"
#include "trace.h"

#define VIZ_NONE UINT32_MAX
#define VIZ_TIME_UNKNOWN UINT64_MAX

/* Trace format version 2 kinds that core/event.h may not name yet (same numbers). */
#define VIZ_EV_RUN_END 34u  /* flags = why (1..9), a = verdict (0 pass, 1 fail, 2 error),
                               payload = binary detail */
#define VIZ_EV_PROPERTY 35u /* flags = 1 failed, payload = {NameBin, MessageBin} */
#define VIZ_EV_LINKS 36u    /* payload = {Down, Flaky}, lists of {FromName, ToName} */
#define VIZ_EV_CODE 38u     /* flags = op (VIZ_CODE_*), a = caller or 0, b = the process
                               concerned or 0, payload = {Module, Version[, Detail]} */

/* The operations of a code record (kind 38's flags), as core/event.h numbers them. */
enum {
  VIZ_CODE_LOAD = 1,          /* Version became current */
  VIZ_CODE_DELETE = 2,        /* Version (the current one) became old */
  VIZ_CODE_PURGE = 3,         /* b != 0: b ran old Version and is killed; b == 0: removed */
  VIZ_CODE_SOFT_REFUSED = 4,  /* soft_purge refused: a process runs old Version */
  VIZ_CODE_SOFT_PURGED = 5,   /* soft_purge removed old Version */
  VIZ_CODE_SUSPEND = 6,       /* server b suspended (sys:suspend) */
  VIZ_CODE_RESUME = 7,        /* server b resumed (sys:resume) */
  VIZ_CODE_CHANGE_OK = 8,     /* server b's state changed by Version's code_change: b runs it */
  VIZ_CODE_CHANGE_FAILED = 9, /* server b's code_change failed (Detail): b stays where it was */
  VIZ_CODE_LOAD_REFUSED = 10, /* a load refused (not_purged): old Version is still there;
                                 nothing changed, so nothing is drawn (nor for ops unknown here) */
};

/* Messages kept per process, in and out, for the inspector. */
#define VIZ_PROC_MSGS 8u
/* Finished messages (delivered, dropped, duplicated, dead) kept for drawing their end. */
#define VIZ_FINISHED_KEEP 128u
/* Longest node name, behaviour and label kept (longer ones are cut). */
#define VIZ_NAME_MAX 48u

/* A record as the model keeps it. The payload is at viz_model_payload(). */
typedef struct viz_event {
  uint64_t time_ns;
  uint64_t a, b, c;
  uint64_t payload_off; /* into the model's arena */
  uint32_t payload_size; /* 0: none (or it was not a valid term) */
  uint32_t node;
  uint16_t kind;
  uint16_t flags;
} viz_event;

/* ---- Nodes ------------------------------------------------------------------------------- */

typedef struct viz_node {
  uint32_t index;         /* the trace's node index */
  uint32_t machine;       /* the machine number (a restarted node keeps it) */
  uint32_t incarnation;   /* 0 for the first node on its machine, 1 after a restart, ... */
  uint32_t created_event; /* the node record (kind 32) */
  uint32_t crash_event;   /* the {crash_node, Name} fault that took it down, or VIZ_NONE */
  char name[VIZ_NAME_MAX];
} viz_node;

/* ---- Processes --------------------------------------------------------------------------- */

/* What a process is, fixed once its records are read (some fields name later events: compare
 * them with the cursor, or use the viz_model_proc_* queries that do). */
typedef struct viz_proc {
  uint64_t pid;            /* pid bits (ac_pid) */
  uint64_t parent_pid;     /* spawn's a */
  uint32_t parent;         /* process index of the parent, or VIZ_NONE (a node pid) */
  uint32_t node;           /* node index (the pid's node) */
  uint32_t spawn_event;
  uint32_t exit_event;     /* VIZ_NONE while it has not exited (in the whole trace so far) */
  uint32_t sup;            /* process index of its supervisor, or VIZ_NONE */
  uint32_t child_event;    /* the {child_started, Id} report naming it, or VIZ_NONE */
  uint32_t sup_started_event; /* its own {supervisor_started, ...} report, or VIZ_NONE */
  uint32_t child_slot;     /* internal: its (supervisor, child id) restart history, or VIZ_NONE */
  uint64_t spawn_ns;
  uint64_t exit_ns;        /* VIZ_TIME_UNKNOWN while not exited */
  bool is_supervisor;      /* behaviour "supervisor", or it made supervisor reports */
  bool exit_abnormal;      /* reason other than normal / shutdown / {shutdown, _} */
  uint32_t version;        /* the module version it was spawned in, 0 when not in a module */
  char behaviour[VIZ_NAME_MAX];
  char label[VIZ_NAME_MAX];
  char module[VIZ_NAME_MAX]; /* the module it runs ({Behaviour, Label, Module, Version} spawn
                                payload, or the first code_change naming it), "" when none */
} viz_proc;

/* State flags at the cursor (viz_proc_state.flags and viz_model_proc_flags). */
enum {
  VIZ_PROC_ALIVE = 1u << 0,   /* spawned, not exited, its node up */
  VIZ_PROC_RUNNING = 1u << 1, /* alive and had a record at the cursor's instant (the cursor
                                 is at the time of the last record applied, not after it) */
  VIZ_PROC_WAITING = 1u << 2, /* alive, not running, not paused: waiting in receive */
  VIZ_PROC_TRAP = 1u << 3,    /* trapping exits */
  VIZ_PROC_PAUSED = 1u << 4,  /* a {pause, Pid} fault without its resume */
  VIZ_PROC_SLOWED = 1u << 5,  /* a {slow, Pid, ExtraNs > 0} fault in force */
  VIZ_PROC_NODE_DOWN = 1u << 6, /* its node crashed (the process is gone with it) */
  VIZ_PROC_SUSPENDED = 1u << 7, /* a server suspended for an upgrade (code record 6, not yet 7) */
};

/* What changes with time, at the cursor. Fields are as of the records applied. */
typedef struct viz_proc_state {
  uint64_t last_step_ns;   /* time of its last record (as actor), VIZ_TIME_UNKNOWN if none */
  uint32_t flags;          /* only TRAP, PAUSED, SLOWED, SUSPENDED are stored; see
                              viz_model_proc_flags */
  uint32_t version;        /* the module version it runs (spawn, then code_change), 0 none */
  uint32_t code_event;     /* its last code_change record (ok or failed), or VIZ_NONE */
  uint32_t mailbox;        /* messages delivered to it minus received */
  uint32_t reg_event;      /* the register record of its current name, or VIZ_NONE */
  uint32_t msg_in[VIZ_PROC_MSGS];  /* ring of event indices (receive, or deliver/local send) */
  uint32_t msg_out[VIZ_PROC_MSGS]; /* ring of send event indices */
  uint32_t in_total, out_total;    /* messages ever in / out (ring position = total % N) */
} viz_proc_state;

/* One of the last messages of a process. */
typedef struct viz_msg {
  uint32_t event; /* the send (out) or the receive / delivery (in) */
  uint64_t id;    /* message id (c) */
  uint64_t peer;  /* the other pid (0 for a named send: print the payload) */
  uint64_t time_ns;
} viz_msg;

/* ---- Links and monitors ------------------------------------------------------------------ */

enum { VIZ_EDGE_LINK = 1, VIZ_EDGE_MONITOR = 2 };

/* A link (from < to in spawn order, undirected) or a monitor (from watches to). Edges whose
 * ends are not processes of the trace (a node pid) are not kept. */
typedef struct viz_edge {
  uint32_t from, to; /* process indices */
  uint64_t ref;      /* monitor reference, 0 for links */
  uint32_t kind;     /* VIZ_EDGE_* */
  uint32_t event;    /* the link / monitor record */
} viz_edge;

/* ---- Messages in flight and finished ------------------------------------------------------ */

typedef enum viz_flight_state {
  VIZ_FLIGHT_IN_FLIGHT = 1, /* sent to another node, not yet delivered at the cursor */
  VIZ_FLIGHT_DELIVERED = 2, /* arrived (remote deliver, or a local send) */
  VIZ_FLIGHT_DROPPED = 3,   /* net_drop: the network lost it (drop_why = 1 link down, 2 lost) */
  VIZ_FLIGHT_DUPLICATED = 4, /* net_dup: the network delivers it twice */
  VIZ_FLIGHT_DEAD = 5,      /* send_dead: the receiver was dead (or the name unknown) */
} viz_flight_state;

typedef struct viz_flight {
  uint64_t id;          /* message id (c) */
  uint64_t from, to;    /* pid bits; to = 0 for a named send not yet resolved */
  uint32_t from_node, to_node; /* node indices (to_node from the named send's node name) */
  uint32_t send_event;  /* VIZ_NONE if the send is not in the trace */
  uint32_t end_event;   /* the record that ended it, VIZ_NONE while in flight */
  uint64_t send_ns;
  uint64_t arrive_ns;   /* the deliver's time when known (replay), else VIZ_TIME_UNKNOWN */
  uint64_t end_ns;      /* time of end_event, VIZ_TIME_UNKNOWN while in flight */
  uint32_t state;       /* viz_flight_state */
  uint32_t drop_why;    /* net_drop flags */
  bool named;           /* a send to {Name, Node}: print element 0 of the send's payload */
} viz_flight;

/* ---- The network ------------------------------------------------------------------------- */

/* A directed pair of nodes by name, with the machines of the names' latest incarnation at the
 * cursor (VIZ_NONE when the name is unknown). */
typedef struct viz_netpair {
  uint32_t from_machine, to_machine;
  uint32_t from_node, to_node; /* node indices, latest incarnation at the cursor */
  char from[VIZ_NAME_MAX], to[VIZ_NAME_MAX];
} viz_netpair;

/* ---- Supervisor children ----------------------------------------------------------------- */

typedef struct viz_restart_info {
  uint32_t sup;          /* supervisor's process index */
  uint32_t restarts;     /* {restarting, Id} reports for this child id up to the cursor */
  uint32_t in_period;    /* of those, how many fall in [T - period, T] */
  int64_t intensity;     /* from {supervisor_started, Strategy, Intensity, PeriodNs}; -1 unknown */
  uint64_t period_ns;    /* 0 when unknown */
  char strategy[VIZ_NAME_MAX];
  char child_id[VIZ_NAME_MAX]; /* the Id, printed */
} viz_restart_info;

/* ---- Timeline ---------------------------------------------------------------------------- */

typedef enum viz_mark_kind {
  VIZ_MARK_FAULT = 0,    /* fault records (kind 25) */
  VIZ_MARK_CRASH = 1,    /* abnormal exits (kind 2, reason not normal/shutdown) */
  VIZ_MARK_PROPERTY = 2, /* property failures (kind 35) */
  VIZ_MARK_RUN_END = 3,  /* run_end (kind 34) */
  VIZ_MARK_CODE = 4,     /* upgrades (kind 38): load, delete, purge (the removal), soft_purge
                            done, code_change ok or failed */
  VIZ_MARK_KINDS = 5,
} viz_mark_kind;

/* ---- The model --------------------------------------------------------------------------- */

/* The derived state at one position (the head and the cursor; snapshots copy it). Internal:
 * read it through the queries below. */
typedef struct viz_state {
  uint32_t pos;            /* records applied */
  uint64_t time_ns;        /* the cursor's time: the last applied record's, or a seek's time */
  uint64_t instant_ns;     /* time of the last applied record (VIZ_TIME_UNKNOWN at pos 0) */
  uint32_t nprocs;         /* processes spawned before pos */
  viz_proc_state *procs;   /* [nprocs], cap procs_cap */
  uint32_t procs_cap;
  viz_edge *edges;
  uint32_t nedges, edges_cap;
  uint32_t *flying;        /* message slots in flight, oldest first */
  uint32_t nflying, flying_cap;
  uint32_t finished[VIZ_FINISHED_KEEP]; /* ring: message slot << 3 | viz_flight_state */
  uint32_t finished_end[VIZ_FINISHED_KEEP]; /* the event that finished each */
  uint32_t nfinished;      /* total ever finished (ring position = nfinished % KEEP) */
} viz_state;

typedef struct viz_snapshot viz_snapshot;
typedef struct viz_msginfo viz_msginfo;
typedef struct viz_child viz_child;

typedef struct viz_model {
  /* Records. */
  viz_event *ev;
  uint32_t count, ev_cap;
  uint8_t *arena;
  uint64_t arena_len, arena_cap;
  /* Nodes by trace index. */
  viz_node *nodes;
  uint32_t nnodes; /* highest node index seen + 1 (some may be unused: machine VIZ_NONE) */
  /* Processes in spawn order, and their index by pid (open addressing). */
  viz_proc *procs;
  uint32_t nprocs, procs_cap;
  uint32_t *pid_index;
  uint32_t pid_index_cap;
  /* Messages by id (open addressing) and their send / end records. */
  viz_msginfo *msgs;
  uint32_t nmsgs, msgs_cap;
  uint32_t *msg_index;
  uint32_t msg_index_cap;
  /* Supervisor children: (supervisor, child id) and their restarts. */
  viz_child *children;
  uint32_t nchildren, children_cap;
  uint32_t *child_index; /* children by (supervisor, Id) hash (open addressing) */
  uint32_t child_index_cap;
  /* Marks for the timeline, and the links records and partition faults in order. */
  uint32_t *marks[VIZ_MARK_KINDS];
  uint32_t nmarks[VIZ_MARK_KINDS], marks_cap[VIZ_MARK_KINDS];
  uint32_t *links_events;
  uint32_t nlinks_events, links_events_cap;
  uint32_t *net_faults; /* partition / isolate / cut / heal faults, for the partition query */
  uint32_t nnet_faults, net_faults_cap;
  /* Derived state: after the last record, at the cursor, and snapshots. */
  viz_state head;
  viz_state cur;
  viz_snapshot *snaps;
  uint32_t nsnaps, snaps_cap;
  uint32_t spacing;         /* records between snapshots, adapted as the state grows */
  uint32_t since_snap;
  uint64_t snap_bytes;      /* memory held by snapshots */
  uint64_t recent_ns;       /* viz_model_set_recent: how long a record keeps its process green */
  /* Tolerance counters. */
  uint64_t unknown_kinds;   /* records of kinds the model does not know */
  uint64_t bad_payloads;    /* payloads that were not valid terms (dropped) */
  int err;                  /* first allocation failure (AC_ENOMEM), sticky */
  /* The trace header's scenario name and seed ("" and 0 until known). */
  char scenario[256];
  uint64_t seed;
} viz_model;

/* ---- Building ---------------------------------------------------------------------------- */

/* An empty model with the cursor at 0. Cannot fail. */
void viz_model_init(viz_model *m);
/* Frees everything; the model must be viz_model_init'ed again before reuse. Safe twice. */
void viz_model_free(viz_model *m);
/*
 * Appends one record (records in trace order; the trailer, SIM_REC_END, is ignored). The
 * payload is copied; the caller's buffer may be reused at once. Updates the head state and the
 * whole-trace tables (timeline marks, message arrivals, restart histories); the cursor does not
 * move. Returns 0 or AC_ENOMEM (sticky: later appends return it and do nothing).
 */
int viz_model_append(viz_model *m, const sim_record *rec);
/*
 * Loads a whole trace file through sim_trace_reader, appending every record, then seeks to 0.
 * Returns 0, or AC_EIO / AC_EBADTRACE / AC_ENOMEM with err filled ("path: offset N: ..."). The
 * records read before a damaged part stay in the model (a viewer may show them).
 */
int viz_model_load(viz_model *m, const char *path, char *err, size_t err_cap);

/* Records the trace header's scenario name and seed (viz_model_load does it; a live viewer
 * calls it once its parser has the header). */
void viz_model_set_header(viz_model *m, const char *scenario, uint64_t seed);

/* ---- Time and the cursor ----------------------------------------------------------------- */

uint32_t viz_model_count(const viz_model *m);
/* Time of the first / last record (0 for an empty model). */
uint64_t viz_model_first_ns(const viz_model *m);
uint64_t viz_model_last_ns(const viz_model *m);
/* The time over which a dead process, a crash and a lost message fade from the picture: 1/40
 * of the trace's span (at least 1 ns), so they read the same on a short run and a long one. */
uint64_t viz_model_fade_ns(const viz_model *m);
/* Index of the first record with time > t_ns (count if none): seeking there applies exactly
 * the records at or before t_ns. Binary search. */
uint32_t viz_model_index_after(const viz_model *m, uint64_t t_ns);
/* Moves the cursor so that exactly records 0 .. pos-1 are applied (pos is clamped to count).
 * The cursor's time becomes the last applied record's time (0 at pos 0). 0 or AC_ENOMEM. */
int viz_model_seek(viz_model *m, uint32_t pos);
/* Moves the cursor to time t_ns: pos = viz_model_index_after(t_ns), time = t_ns. */
int viz_model_seek_time(viz_model *m, uint64_t t_ns);
uint32_t viz_model_pos(const viz_model *m);
uint64_t viz_model_time(const viz_model *m);

/* ---- Records ----------------------------------------------------------------------------- */

/* Record i, or NULL when out of range. */
const viz_event *viz_model_event(const viz_model *m, uint32_t i);
/* The payload term of record i: 0 with *out set, AC_ENOTFOUND when it has none. */
int viz_model_payload(const viz_model *m, uint32_t i, ac_term *out);
/* Record i's payload printed (~w), cut to cap - 1 bytes with "..." at the end when longer;
 * "" when none. Returns the length written. */
size_t viz_model_print_payload(const viz_model *m, uint32_t i, char *buf, size_t cap);
/* One readable line for record i (sim_format_record). */
size_t viz_model_format_event(const viz_model *m, uint32_t i, char *buf, size_t cap);

/* ---- Nodes ------------------------------------------------------------------------------- */

/* Node indices run 0 .. viz_model_node_count - 1 (whole trace). */
uint32_t viz_model_node_count(const viz_model *m);
/* The node with this index if its record is applied at the cursor, else NULL. */
const viz_node *viz_model_node(const viz_model *m, uint32_t index);
/* True when the node exists at the cursor and has not crashed. */
bool viz_model_node_up(const viz_model *m, uint32_t index);

/* ---- Processes --------------------------------------------------------------------------- */

/* Processes spawned before the cursor: indices 0 .. n - 1, in spawn order. */
uint32_t viz_model_proc_count(const viz_model *m);
/* Process i (any index spawned in the whole trace so far), or NULL. */
const viz_proc *viz_model_proc(const viz_model *m, uint32_t i);
/* Process i's changing state at the cursor, or NULL when not spawned before it. */
const viz_proc_state *viz_model_proc_state(const viz_model *m, uint32_t i);
/* VIZ_PROC_* flags at the cursor (0 when not spawned). A process is running at the instant of
 * its records, and for recent_ns after its last one (viz_model_set_recent), else waiting. */
uint32_t viz_model_proc_flags(const viz_model *m, uint32_t i);
/* How long after its last record a process still counts as running (default 0: only at that
 * instant). Virtual time moves on only while every process waits, so 0 is the exact state;
 * a playing window sets the virtual time one glance covers, so that who acted shows. */
void viz_model_set_recent(viz_model *m, uint64_t ns);
/* True when it exited (or its node crashed) before the cursor; *time_ns gets when (may be
 * NULL). */
bool viz_model_proc_dead(const viz_model *m, uint32_t i, uint64_t *time_ns);
/* Its exit reason printed (cut like viz_model_print_payload), "" when alive at the cursor. */
size_t viz_model_proc_reason(const viz_model *m, uint32_t i, char *buf, size_t cap);
/* Its registered name at the cursor, "" when none. */
size_t viz_model_proc_name(const viz_model *m, uint32_t i, char *buf, size_t cap);
/* What a person calls it: registered name, else label, else behaviour. */
size_t viz_model_proc_display(const viz_model *m, uint32_t i, char *buf, size_t cap);
/* Its last messages in (out = false) or out, newest first, up to cap (<= VIZ_PROC_MSGS).
 * Returns how many were written. */
uint32_t viz_model_proc_msgs(const viz_model *m, uint32_t i, bool out, viz_msg *msgs,
                             uint32_t cap);
/* The module version it runs at the cursor, "kv v2", or "" when it was not started in a module
 * (nor upgraded by a code_change). */
size_t viz_model_proc_code(const viz_model *m, uint32_t i, char *buf, size_t cap);
/* What a code record (kind 38) says, for a person: "load kv v2", "code_change kv v2 failed:
 * {badarg, ...}", "purge kv v1 killed <0.3.0>", "suspend <0.3.0> (kv v1)"; "" for another kind. */
size_t viz_model_code_text(const viz_model *m, uint32_t i, char *buf, size_t cap);
/* The same text from a code record's fields (flags, b and payload), for readers without a
 * model (the Perfetto export); proc 0 leaves the pid out ("code_change kv v2"). */
size_t viz_code_text(uint16_t op, uint64_t proc, ac_term payload, bool has_payload, char *buf,
                     size_t cap);
/* The index of the process with these pid bits (any time in the trace), or VIZ_NONE. */
uint32_t viz_model_find_pid(const viz_model *m, uint64_t pid);
/*
 * Processes spawned before the cursor whose registered name, label or pid text
 * ("<0.12.0>", also without the brackets) contains `text` (case-sensitive), in spawn order,
 * alive ones first. Writes up to cap indices; returns how many matched in all.
 */
uint32_t viz_model_search(const viz_model *m, const char *text, uint32_t *out, uint32_t cap);

/* ---- Links and monitors at the cursor ---------------------------------------------------- */

/* The current links and monitors, in the order they were made (removals keep the order). */
const viz_edge *viz_model_edges(const viz_model *m, uint32_t *count);

/* ---- Supervisors ------------------------------------------------------------------------- */

/* Restart history of the child id that process `child` was started as: 0 with *out filled,
 * AC_ENOTFOUND when it is not a supervisor's child. */
int viz_model_restart_info(const viz_model *m, uint32_t child, viz_restart_info *out);
/* Times of its {restarting, Id} reports up to the cursor, oldest first; writes up to cap and
 * returns how many there are in all. */
uint32_t viz_model_restart_times(const viz_model *m, uint32_t child, uint64_t *times_ns,
                                 uint32_t cap);

/* ---- Messages ---------------------------------------------------------------------------- */

/*
 * Messages in flight at the cursor (oldest send first), then finished ones whose end is within
 * keep_ns before the cursor's time (most recent last; at most VIZ_FINISHED_KEEP remembered).
 * Writes up to cap; returns how many there are in all. A view interpolates an in-flight
 * message between send_ns and arrive_ns (unknown in live mode before its arrival).
 */
uint32_t viz_model_flights(const viz_model *m, uint64_t keep_ns, viz_flight *out, uint32_t cap);
/* Messages in flight at the cursor. */
uint32_t viz_model_flying_count(const viz_model *m);

/* ---- Network ----------------------------------------------------------------------------- */

/* Directed pairs whose link is down (flaky = false) or that have a flaky setting (flaky = true)
 * at the cursor, from the last `links` record (sorted as the record lists them). Writes up to
 * cap; returns how many in all. */
uint32_t viz_model_net_pairs(const viz_model *m, bool flaky, viz_netpair *out, uint32_t cap);
/* The partition / isolate / cut fault in force at the cursor (the last one with no plain
 * `heal` after it), or VIZ_NONE. Its payload says the groups. */
uint32_t viz_model_partition_event(const viz_model *m);

/* ---- Timeline ---------------------------------------------------------------------------- */

/* Event indices of one kind of mark over the whole trace, in order; *count gets how many. */
const uint32_t *viz_model_marks(const viz_model *m, viz_mark_kind kind, uint32_t *count);
/* Jumping: next = the first mark of a kind with index >= pos (not yet applied); prev = the
 * last one with index < pos - 1 (before the record the cursor stands just after). VIZ_NONE
 * when none. A viewer jumps with viz_model_seek(m, mark + 1), so the mark is applied. */
uint32_t viz_model_mark_next(const viz_model *m, viz_mark_kind kind);
uint32_t viz_model_mark_prev(const viz_model *m, viz_mark_kind kind);
/* Records per time bucket: buckets equal slices of [t0_ns, t1_ns) (t1 > t0); counts[k] gets the
 * records in bucket k. Whole trace, independent of the cursor. */
void viz_model_density(const viz_model *m, uint64_t t0_ns, uint64_t t1_ns, uint32_t *counts,
                       uint32_t buckets);
/* Abnormal exits within window_ns before the cursor's time (and at or before it), oldest first:
 * writes up to cap exit event indices, returns how many in all. */
uint32_t viz_model_recent_crashes(const viz_model *m, uint64_t window_ns, uint32_t *events,
                                  uint32_t cap);
/* The property failure's name and message (record i of kind 35), "" when not one. */
size_t viz_model_property_text(const viz_model *m, uint32_t i, char *name, size_t name_cap,
                               char *message, size_t message_cap);

/* ---- Aggregates for big runs ------------------------------------------------------------- */

/* Alive processes per node index at the cursor: counts[0 .. cap) are filled (zeroed first). */
void viz_model_count_per_node(const viz_model *m, uint32_t *counts, uint32_t cap);
/* For each process index < cap: the alive processes in its supervision subtree at the cursor
 * (itself included; 0 when not alive). */
void viz_model_subtree_sizes(const viz_model *m, uint32_t *sizes, uint32_t cap);
/* Sends from node f to node t within window_ns before the cursor's time:
 * matrix[f * n + t] for node indices < n (zeroed first). */
void viz_model_node_traffic(const viz_model *m, uint64_t window_ns, uint32_t *matrix,
                            uint32_t n);

/* ---- Accounting -------------------------------------------------------------------------- */

/* Bytes the model holds (records, arena, tables, states, snapshots). */
uint64_t viz_model_memory_bytes(const viz_model *m);

#endif
