/*
 * The Perfetto / Chrome trace-event export (export_perfetto.h has the mapping).
 *
 * Two passes over the trace with the reader. The first learns what the JSON must say before
 * its first event: every node's name, every process's track number and name (its registered
 * name may come long after its spawn), and, for every message, whether it was sent and how many
 * later records (deliver, receive, drop, duplicate, dead letter) carry its id, so the second
 * pass knows which record ends the flow arrow and never leaves a flow start without its end.
 * The second pass writes the events in record order, which is virtual-time order, so each
 * track's timestamps only grow (a per-track cursor spreads events of one instant 2 ns apart).
 *
 * Cost: O(records) time for each pass; memory O(processes + messages) for the two tables.
 * Strings go out escaped for JSON (quotes, backslashes, control bytes) and as valid UTF-8:
 * a byte that is not part of a valid sequence becomes U+FFFD.
 */
#define _POSIX_C_SOURCE 200809L
#include "export_perfetto.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "model.h"
#include "outfile.h"
#include "status.h"
#include "term.h"
#include "trace.h"

/* Record kinds of trace format 2 that core/event.h may not name yet (docs: trace format). */
enum { KIND_RUN_END = 34, KIND_PROPERTY = 35, KIND_LINKS = 36, KIND_CODE = VIZ_EV_CODE };

#define NAME_MAX_BYTES 96u   /* a track's name: label or registered name, then the pid */
#define TEXT_MAX_BYTES 1024u /* a payload's printed text in args (longer text is cut, "...") */
#define SLICE_NAME_MAX 64u   /* a slice's name: short, the full text is in its args */
#define STEP_NS 2u           /* spacing of events of one track that share a virtual time */

/* ---- A map from u64 keys (pids, message ids; 0 is never a key) to u32 values ---------------- */

typedef struct u64map {
  uint64_t *key;
  uint32_t *value;
  uint32_t cap, count; /* cap is a power of two, count < cap * 3 / 4 */
} u64map;

static uint32_t slot_of(uint64_t key, uint32_t cap) {
  key ^= key >> 33;
  key *= UINT64_C(0xff51afd7ed558ccd);
  key ^= key >> 33;
  return (uint32_t)key & (cap - 1);
}

static uint32_t *map_find(const u64map *m, uint64_t key) {
  if (!m->cap || key == 0) return NULL;
  for (uint32_t i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
    if (m->key[i] == key) return &m->value[i];
    if (m->key[i] == 0) return NULL;
  }
}

/* Inserts key (absent) with value. AC_ENOMEM, the map unchanged. */
static int map_put(u64map *m, uint64_t key, uint32_t value) {
  if ((m->count + 1) * 4 >= m->cap * 3) {
    uint32_t cap = m->cap ? m->cap * 2 : 1024;
    if (cap < m->cap) return AC_ENOMEM;
    u64map grown = {calloc(cap, sizeof *grown.key), calloc(cap, sizeof *grown.value), cap, m->count};
    if (!grown.key || !grown.value) {
      free(grown.key);
      free(grown.value);
      return AC_ENOMEM;
    }
    for (uint32_t i = 0; i < m->cap; i++) {
      if (!m->key[i]) continue;
      uint32_t j = slot_of(m->key[i], cap);
      while (grown.key[j]) j = (j + 1) & (cap - 1);
      grown.key[j] = m->key[i];
      grown.value[j] = m->value[i];
    }
    free(m->key);
    free(m->value);
    *m = grown;
  }
  uint32_t i = slot_of(key, m->cap);
  while (m->key[i]) i = (i + 1) & (m->cap - 1);
  m->key[i] = key;
  m->value[i] = value;
  m->count++;
  return 0;
}

static void map_free(u64map *m) {
  free(m->key);
  free(m->value);
  memset(m, 0, sizeof *m);
}

/* ---- What the first pass learns ------------------------------------------------------------- */

typedef struct track {
  uint64_t pid_bits;
  uint64_t cursor_ns;          /* the next event of this track starts no earlier */
  uint32_t node;               /* node index */
  bool is_node;                /* the node's own track */
  bool began, ended;           /* the lifetime slice was opened / closed */
  char label[NAME_MAX_BYTES];  /* spawn label (or "node") */
  char code[NAME_MAX_BYTES];   /* "kv v1": the module version it was spawned in, or "" */
  char regname[NAME_MAX_BYTES]; /* first registered name, or "" */
} track;

typedef struct message {
  uint32_t flow_id; /* dense, from 1, given at the send; 0: not sent in this trace */
  uint32_t steps;   /* records after the send that carry the id */
  bool started;     /* pass 2: the flow's "s" was written */
  uint64_t last_ns; /* pass 2: the time of its last flow event (an arrow never goes back) */
} message;

typedef struct exporter {
  const char *trace_path, *out_path;
  char *err;
  size_t errcap;
  track *tracks;            /* index + 1 is the track's tid */
  uint32_t track_count, track_cap;
  u64map track_by_pid;      /* pid bits -> track index */
  message *msgs;
  uint32_t msg_count, msg_cap;
  u64map msg_by_id;         /* message id -> msgs index */
  char (*node_name)[NAME_MAX_BYTES];
  uint32_t node_cap;        /* node_name has entries 0 .. node_cap - 1 */
  uint64_t last_time_ns;
  uint64_t seed;
  char run_name[256];
  FILE *out;
  bool first;               /* no element of traceEvents written yet */
} exporter;

static void fail(exporter *x, const char *fmt, ...) {
  if (!x->err || !x->errcap) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(x->err, x->errcap, fmt, ap);
  va_end(ap);
}

static int node_room(exporter *x, uint32_t node) {
  if (node < x->node_cap) return 0;
  if (node > AC_NODE_MAX) return AC_EBADTRACE;
  uint32_t cap = x->node_cap ? x->node_cap : 16;
  while (cap <= node) cap *= 2;
  char(*grown)[NAME_MAX_BYTES] = realloc(x->node_name, (size_t)cap * NAME_MAX_BYTES);
  if (!grown) return AC_ENOMEM;
  memset(grown + x->node_cap, 0, (size_t)(cap - x->node_cap) * NAME_MAX_BYTES);
  x->node_name = grown;
  x->node_cap = cap;
  return 0;
}

/* The text of an atom or binary term (cut to fit), else its printed form. */
static void term_text(const uint8_t *payload, uint32_t size, char *buf, size_t cap) {
  buf[0] = 0;
  if (!size) return;
  ac_term t = {payload};
  const char *s;
  const uint8_t *bytes;
  size_t len;
  if (ac_term_get_atom(t, &s, &len) == 0 || (ac_term_get_binary(t, &bytes, &len) == 0 && (s = (const char *)bytes))) {
    if (len >= cap) len = cap - 1;
    memcpy(buf, s, len);
    buf[len] = 0;
    return;
  }
  if (ac_term_print(t, buf, cap) >= cap && cap > 4) memcpy(buf + cap - 4, "...", 4);
}

/* The track of a pid, made on first sight: a process's own, or for the node's pid (slot 0) and
 * pids never spawned in the trace, the node's track. */
static int track_get(exporter *x, uint64_t pid_bits, uint32_t rec_node, uint32_t *out) {
  ac_pid pid = {pid_bits};
  uint32_t node = pid_bits ? ac_pid_node(pid) : rec_node;
  uint32_t *found = map_find(&x->track_by_pid, pid_bits);
  if (found) {
    *out = *found;
    return 0;
  }
  uint64_t node_pid = ac_pid_make(node, 0, 1).bits;
  bool own = pid_bits && ac_pid_slot(pid) != 0;
  if (!own && (found = map_find(&x->track_by_pid, node_pid))) {
    *out = *found;
    return 0;
  }
  int rc = node_room(x, node);
  if (rc) return rc;
  if (x->track_count == x->track_cap) {
    uint32_t cap = x->track_cap ? x->track_cap * 2 : 256;
    track *grown = realloc(x->tracks, (size_t)cap * sizeof *grown);
    if (!grown) return AC_ENOMEM;
    x->tracks = grown;
    x->track_cap = cap;
  }
  track *t = &x->tracks[x->track_count];
  memset(t, 0, sizeof *t);
  t->pid_bits = own ? pid_bits : node_pid;
  t->node = node;
  t->is_node = !own;
  snprintf(t->label, sizeof t->label, "%s", own ? "process" : "node");
  if ((rc = map_put(&x->track_by_pid, t->pid_bits, x->track_count)) != 0) return rc;
  *out = x->track_count++;
  return 0;
}

static bool is_message_kind(uint16_t kind) {
  return kind == AC_EV_SEND || kind == AC_EV_DELIVER || kind == AC_EV_RECEIVE ||
         kind == AC_EV_SEND_DEAD || kind == AC_EV_NET_DROP || kind == AC_EV_NET_DUP;
}

static int learn_message(exporter *x, const sim_record *rec) {
  uint32_t *found = map_find(&x->msg_by_id, rec->c);
  if (rec->kind == AC_EV_SEND) {
    if (found) return 0; /* a second send with one id: the first one owns the flow */
    if (x->msg_count == x->msg_cap) {
      uint32_t cap = x->msg_cap ? x->msg_cap * 2 : 1024;
      message *grown = realloc(x->msgs, (size_t)cap * sizeof *grown);
      if (!grown) return AC_ENOMEM;
      x->msgs = grown;
      x->msg_cap = cap;
    }
    x->msgs[x->msg_count] = (message){x->msg_count + 1, 0, false, 0};
    return map_put(&x->msg_by_id, rec->c, x->msg_count++);
  }
  if (found) x->msgs[*found].steps++;
  return 0;
}

/* Pass 1 for one record. */
static int learn(exporter *x, const sim_record *rec) {
  uint32_t ti;
  int rc = 0;
  x->last_time_ns = rec->time_ns;
  if (rec->kind == AC_EV_NODE) {
    if (rec->a > AC_NODE_MAX) return AC_EBADTRACE;
    if ((rc = node_room(x, (uint32_t)rec->a)) != 0) return rc;
    term_text(rec->payload, rec->payload_size, x->node_name[rec->a], NAME_MAX_BYTES);
    return track_get(x, ac_pid_make((uint32_t)rec->a, 0, 1).bits, (uint32_t)rec->a, &ti);
  }
  if (rec->kind == AC_EV_SPAWN && rec->b) {
    if ((rc = track_get(x, rec->b, rec->node, &ti)) != 0) return rc;
    /* Format 2: {Behaviour, Label}, or {Behaviour, Label, Module, Version} for a process
     * started in a module; format 1: the behaviour atom. */
    ac_term t = {rec->payload}, label, mod, ver;
    int64_t v;
    bool tuple = rec->payload_size && ac_term_type(t) == AC_T_TUPLE;
    if (tuple && (ac_term_count(t) == 2 || ac_term_count(t) == 4) &&
        ac_term_elem(t, 1, &label) == 0)
      term_text(label.p, (uint32_t)ac_term_size(label), x->tracks[ti].label, NAME_MAX_BYTES);
    else
      term_text(rec->payload, rec->payload_size, x->tracks[ti].label, NAME_MAX_BYTES);
    if (tuple && ac_term_count(t) == 4 && ac_term_elem(t, 2, &mod) == 0 &&
        ac_term_elem(t, 3, &ver) == 0 && ac_term_get_int(ver, &v) == 0) {
      char name[NAME_MAX_BYTES - 24];
      term_text(mod.p, (uint32_t)ac_term_size(mod), name, sizeof name);
      snprintf(x->tracks[ti].code, NAME_MAX_BYTES, "%s v%lld", name, (long long)v);
    }
    return 0;
  }
  if (rec->kind == AC_EV_REGISTER && rec->a) {
    if ((rc = track_get(x, rec->a, rec->node, &ti)) != 0) return rc;
    if (!x->tracks[ti].is_node && !x->tracks[ti].regname[0])
      term_text(rec->payload, rec->payload_size, x->tracks[ti].regname, NAME_MAX_BYTES);
    return 0;
  }
  if (is_message_kind(rec->kind) && rec->c && (rc = learn_message(x, rec)) != 0) return rc;
  /* Every pid an event happens on gets its track now, so the metadata names them all. */
  uint64_t actor = rec->kind == AC_EV_DELIVER || rec->kind == AC_EV_NET_DROP ||
                   rec->kind == AC_EV_NET_DUP || (rec->kind == KIND_CODE && rec->b) ? rec->b : rec->a;
  if (rec->kind == AC_EV_FAULT || (rec->kind >= KIND_RUN_END && rec->kind != KIND_CODE) ||
      rec->kind == AC_EV_NODEUP || rec->kind == AC_EV_NODEDOWN)
    actor = 0;
  return track_get(x, actor, rec->node, &ti);
}

/* ---- JSON output ---------------------------------------------------------------------------- */

/* The length of the valid UTF-8 sequence at s (n bytes left), or 0 if it is not one. */
static size_t utf8_len(const unsigned char *s, size_t n) {
  unsigned char c = s[0];
  size_t len = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
  if (!len || len > n || c > 0xF4) return 0;
  for (size_t i = 1; i < len; i++)
    if ((s[i] & 0xC0) != 0x80) return 0;
  if (len == 3 && ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] >= 0xA0))) return 0;
  if (len == 4 && ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] >= 0x90))) return 0;
  return len;
}

/* Writes s (n bytes) as a JSON string, quotes included. */
static void jstr(FILE *f, const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  putc('"', f);
  for (size_t i = 0; i < n;) {
    unsigned char c = p[i];
    if (c == '"' || c == '\\') {
      putc('\\', f);
      putc(c, f);
      i++;
    } else if (c < 0x20 || c == 0x7F) {
      fprintf(f, "\\u%04x", c);
      i++;
    } else if (c < 0x80) {
      putc(c, f);
      i++;
    } else {
      size_t len = utf8_len(p + i, n - i);
      if (len) {
        fwrite(p + i, 1, len, f);
        i += len;
      } else {
        fputs("\\ufffd", f);
        i++;
      }
    }
  }
  putc('"', f);
}

static void jcstr(FILE *f, const char *s) { jstr(f, s, strlen(s)); }

/* Starts an element of the traceEvents array (JSON has no trailing commas). */
static void elem(exporter *x) {
  if (!x->first) fputs(",\n", x->out);
  x->first = false;
}

static void jts(FILE *f, uint64_t ns) {
  fprintf(f, "%" PRIu64 ".%03u", ns / 1000u, (unsigned)(ns % 1000u));
}

static void pid_text(uint64_t bits, char *buf, size_t cap) {
  ac_pid p = {bits};
  snprintf(buf, cap, "<%u.%u.%u>", ac_pid_node(p), ac_pid_slot(p), ac_pid_gen(p));
}

static void write_metadata(exporter *x) {
  FILE *f = x->out;
  for (uint32_t n = 0; n < x->node_cap; n++) {
    bool used = x->node_name[n][0] != 0;
    for (uint32_t i = 0; !used && i < x->track_count; i++) used = x->tracks[i].node == n;
    if (!used) continue;
    char name[NAME_MAX_BYTES + 32];
    snprintf(name, sizeof name, "%s (node %u)", x->node_name[n][0] ? x->node_name[n] : "?", n);
    elem(x);
    fprintf(f, "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%u,\"tid\":0,\"args\":{\"name\":", n + 1);
    jcstr(f, name);
    fprintf(f, "}},\n{\"ph\":\"M\",\"name\":\"process_sort_index\",\"pid\":%u,\"tid\":0,"
               "\"args\":{\"sort_index\":%u}}", n + 1, n);
  }
  for (uint32_t i = 0; i < x->track_count; i++) {
    const track *t = &x->tracks[i];
    char pid[40], name[3 * NAME_MAX_BYTES + 48];
    pid_text(t->pid_bits, pid, sizeof pid);
    snprintf(name, sizeof name, "%s%s%s%s %s", t->regname[0] ? t->regname : t->label,
             t->code[0] ? " (" : "", t->code, t->code[0] ? ")" : "", pid);
    elem(x);
    fprintf(f, "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%u,\"tid\":%u,\"args\":{\"name\":",
            t->node + 1, i + 1);
    jcstr(f, name);
    fprintf(f, "}},\n{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":%u,\"tid\":%u,"
               "\"args\":{\"sort_index\":%u}}", t->node + 1, i + 1, i);
  }
}

/* The start of an event on track ti at time_ns: "{"ph":PH,"pid":..,"tid":..,"ts":..". Moves the
 * track's cursor so the track's next event comes later by `advance_ns`. */
static void event_begin(exporter *x, uint32_t ti, const char *ph, uint64_t time_ns, uint32_t advance_ns) {
  track *t = &x->tracks[ti];
  uint64_t ts = time_ns > t->cursor_ns ? time_ns : t->cursor_ns;
  t->cursor_ns = ts + advance_ns;
  elem(x);
  fprintf(x->out, "{\"ph\":\"%s\",\"pid\":%u,\"tid\":%u,\"ts\":", ph, t->node + 1, ti + 1);
  jts(x->out, ts);
}

/* The args every event carries: its exact time and its readable record line. */
static void args_record(exporter *x, const sim_record *rec) {
  char when[48], line[TEXT_MAX_BYTES];
  sim_format_duration(rec->time_ns, when, sizeof when);
  if (sim_format_record(rec, line, sizeof line) >= sizeof line) memcpy(line + sizeof line - 4, "...", 4);
  fputs(",\"args\":{\"time\":", x->out);
  jcstr(x->out, when);
  fputs(",\"record\":", x->out);
  jcstr(x->out, line);
  if (rec->payload_size) {
    char text[TEXT_MAX_BYTES];
    if (ac_term_print((ac_term){rec->payload}, text, sizeof text) >= sizeof text)
      memcpy(text + sizeof text - 4, "...", 4);
    fputs(",\"term\":", x->out);
    jcstr(x->out, text);
  }
  fputs("}}", x->out);
}

/* A short slice named `name` on track ti, with the flow event of message m inside it. */
static void marker(exporter *x, uint32_t ti, const sim_record *rec, const char *name, message *m) {
  uint64_t time_ns = m && m->started && m->last_ns > rec->time_ns ? m->last_ns : rec->time_ns;
  event_begin(x, ti, "X", time_ns, STEP_NS);
  uint64_t ts = x->tracks[ti].cursor_ns - STEP_NS;
  fputs(",\"dur\":0.001,\"cat\":\"msg\",\"name\":", x->out);
  jcstr(x->out, name);
  args_record(x, rec);
  if (!m) return;
  const char *ph = NULL;
  if (rec->kind == AC_EV_SEND) {
    if (m->steps && !m->started) ph = "s";
    m->started = true;
  } else if (m->started && m->steps) {
    ph = --m->steps ? "t" : "f";
  }
  if (!ph) return;
  m->last_ns = ts;
  elem(x);
  fprintf(x->out, "{\"ph\":\"%s\",\"pid\":%u,\"tid\":%u,\"ts\":", ph, x->tracks[ti].node + 1, ti + 1);
  jts(x->out, ts);
  fprintf(x->out, ",\"cat\":\"msg\",\"name\":\"message\",\"id\":%u%s}", m->flow_id,
          ph[0] == 'f' ? ",\"bp\":\"e\"" : "");
}

/* An instant of category cat: on track ti (scope "t"), or global (scope "g") when ti is
 * UINT32_MAX. */
static void instant_cat(exporter *x, uint32_t ti, const sim_record *rec, const char *cat,
                        const char *name) {
  if (ti == UINT32_MAX) {
    uint32_t node = rec->node;
    elem(x);
    fprintf(x->out, "{\"ph\":\"i\",\"s\":\"g\",\"pid\":%u,\"tid\":0,\"ts\":", node + 1);
    jts(x->out, rec->time_ns);
  } else {
    event_begin(x, ti, "i", rec->time_ns, STEP_NS);
    fputs(",\"s\":\"t\"", x->out);
  }
  fprintf(x->out, ",\"cat\":\"%s\",\"name\":", cat);
  jcstr(x->out, name);
  args_record(x, rec);
}

static void instant(exporter *x, uint32_t ti, const sim_record *rec, const char *name) {
  instant_cat(x, ti, rec, "event", name);
}

static bool is_crash(const sim_record *rec) {
  if (!rec->payload_size) return false;
  ac_term reason = {rec->payload}, first;
  if (ac_term_is_atom(reason, "normal") || ac_term_is_atom(reason, "shutdown")) return false;
  if (ac_term_type(reason) == AC_T_TUPLE && ac_term_count(reason) == 2 &&
      ac_term_elem(reason, 0, &first) == 0 && ac_term_is_atom(first, "shutdown"))
    return false;
  return true;
}

/* The name of a slice or instant: what happened, then the start of its payload text. */
static void event_name(const sim_record *rec, const char *what, char *buf, size_t cap) {
  char text[SLICE_NAME_MAX];
  term_text(rec->payload, rec->payload_size, text, sizeof text);
  snprintf(buf, cap, "%s%s%s", what, text[0] ? " " : "", text);
}

/* Pass 2 for one record. */
static int emit(exporter *x, const sim_record *rec) {
  char name[SLICE_NAME_MAX + 32];
  uint32_t ti;
  uint32_t *mi = is_message_kind(rec->kind) && rec->c ? map_find(&x->msg_by_id, rec->c) : NULL;
  message *m = mi ? &x->msgs[*mi] : NULL;
  int rc = 0;
  switch (rec->kind) {
  case AC_EV_NODE: return 0;
  case AC_EV_SPAWN:
    if ((rc = track_get(x, rec->b, rec->node, &ti)) != 0) return rc;
    if (!x->tracks[ti].is_node && !x->tracks[ti].began) {
      x->tracks[ti].began = true;
      event_begin(x, ti, "B", rec->time_ns, 0);
      fputs(",\"cat\":\"process\",\"name\":", x->out);
      jcstr(x->out, x->tracks[ti].regname[0] ? x->tracks[ti].regname : x->tracks[ti].label);
      args_record(x, rec);
    }
    if ((rc = track_get(x, rec->a, rec->node, &ti)) != 0) return rc;
    event_name(rec, "spawn", name, sizeof name);
    marker(x, ti, rec, name, NULL);
    return 0;
  case AC_EV_EXIT:
    if ((rc = track_get(x, rec->a, rec->node, &ti)) != 0) return rc;
    event_name(rec, is_crash(rec) ? "crash" : "exit", name, sizeof name);
    instant(x, ti, rec, name);
    if (x->tracks[ti].began && !x->tracks[ti].ended) {
      x->tracks[ti].ended = true;
      event_begin(x, ti, "E", rec->time_ns, 0);
      fputs("}", x->out);
    }
    return 0;
  case AC_EV_SEND:
    if ((rc = track_get(x, rec->a, rec->node, &ti)) != 0) return rc;
    event_name(rec, "send", name, sizeof name);
    marker(x, ti, rec, name, m);
    return 0;
  case AC_EV_RECEIVE:
  case AC_EV_SEND_DEAD:
    if ((rc = track_get(x, rec->a, rec->node, &ti)) != 0) return rc;
    marker(x, ti, rec, rec->kind == AC_EV_RECEIVE ? "receive" : "dead letter", m);
    return 0;
  case AC_EV_DELIVER:
  case AC_EV_NET_DROP:
  case AC_EV_NET_DUP:
    if ((rc = track_get(x, rec->b, rec->node, &ti)) != 0) return rc;
    marker(x, ti, rec, rec->kind == AC_EV_DELIVER ? "deliver" : rec->kind == AC_EV_NET_DROP ? "dropped" : "duplicated", m);
    return 0;
  case AC_EV_FAULT:
  case KIND_RUN_END:
  case KIND_PROPERTY:
  case KIND_LINKS: {
    const char *what = rec->kind == AC_EV_FAULT ? "fault" : rec->kind == KIND_RUN_END ? "run end"
                       : rec->kind == KIND_PROPERTY ? "property failed" : "links";
    event_name(rec, what, name, sizeof name);
    instant(x, UINT32_MAX, rec, name);
    return 0;
  }
  case KIND_CODE: {
    /* An upgrade step: on the track of the process it is about (suspend, code_change, a purge
     * killing it), else a global instant (load, delete, purge) so it shows across the nodes. */
    char text[160];
    viz_code_text(rec->flags, rec->b, (ac_term){rec->payload}, rec->payload_size != 0, text,
                  sizeof text);
    if (!rec->b) {
      instant_cat(x, UINT32_MAX, rec, "code", text);
      return 0;
    }
    if ((rc = track_get(x, rec->b, rec->node, &ti)) != 0) return rc;
    instant_cat(x, ti, rec, "code", text);
    return 0;
  }
  default: {
    uint64_t actor = rec->kind == AC_EV_NODEUP || rec->kind == AC_EV_NODEDOWN ? 0 : rec->a;
    if ((rc = track_get(x, actor, rec->node, &ti)) != 0) return rc;
    const char *what = ac_event_name(rec->kind);
    event_name(rec, what ? what : "event", name, sizeof name);
    instant(x, ti, rec, name);
    return 0;
  }
  }
}

/* ---- The two passes -------------------------------------------------------------------------- */

/* Runs one pass over the trace, calling step for each record. */
static int pass(exporter *x, int (*step)(exporter *, const sim_record *)) {
  sim_trace_reader r;
  int rc = sim_trace_reader_open(&r, x->trace_path);
  if (rc == 0) {
    x->seed = r.seed;
    snprintf(x->run_name, sizeof x->run_name, "%s", r.name);
    sim_record rec;
    while ((rc = sim_trace_reader_next(&r, &rec)) == 1) {
      if ((rc = step(x, &rec)) != 0) break;
      if (x->out && ferror(x->out)) {
        rc = AC_EIO;
        break;
      }
    }
  }
  if (rc == AC_EBADTRACE && r.error[0] == 0)
    fail(x, "%s: node index out of range (corrupt trace)", x->trace_path);
  else if (rc == AC_ENOMEM)
    fail(x, "%s: out of memory", x->trace_path);
  else if (rc == AC_EIO && x->out && ferror(x->out))
    fail(x, "cannot write %s: %s", x->out_path, strerror(errno));
  else if (rc != 0)
    fail(x, "%s", r.error[0] ? r.error : "cannot read the trace");
  sim_trace_reader_close(&r);
  return rc;
}

static void close_lifetimes(exporter *x) {
  for (uint32_t i = 0; i < x->track_count; i++) {
    if (!x->tracks[i].began || x->tracks[i].ended) continue;
    x->tracks[i].ended = true;
    event_begin(x, i, "E", x->last_time_ns, 0);
    fputs("}", x->out);
  }
}

static int write_json(exporter *x) {
  sim_outfile out;
  if (sim_outfile_open(&out, x->out_path) != 0) {
    fail(x, "cannot write %s: %s", x->out_path, strerror(errno));
    return AC_EIO;
  }
  x->out = out.file;
  setvbuf(x->out, NULL, _IOFBF, 1u << 20);
  fputs("{\"displayTimeUnit\":\"ns\",\"otherData\":{\"scenario\":", x->out);
  jcstr(x->out, x->run_name);
  fprintf(x->out, ",\"seed\":\"%" PRIu64 "\"},\n\"traceEvents\":[\n", x->seed);
  x->first = true;
  write_metadata(x);
  int rc = pass(x, emit);
  if (rc == 0) {
    close_lifetimes(x);
    fputs("\n]}\n", x->out);
    if (fflush(x->out) != 0 || ferror(x->out)) {
      fail(x, "cannot write %s: %s", x->out_path, strerror(errno));
      rc = AC_EIO;
    }
  }
  if (sim_outfile_close(&out, rc == 0) != 0 && rc == 0) {
    fail(x, "cannot write %s: %s", x->out_path, strerror(errno));
    rc = AC_EIO;
  }
  x->out = NULL;
  return rc;
}

int viz_export_perfetto(const char *trace_path, const char *out_path, char *err, size_t errcap) {
  exporter x;
  memset(&x, 0, sizeof x);
  x.trace_path = trace_path;
  x.out_path = out_path;
  x.err = err;
  x.errcap = errcap;
  int rc = pass(&x, learn);
  if (rc == 0) rc = write_json(&x);
  free(x.tracks);
  free(x.msgs);
  free(x.node_name);
  map_free(&x.track_by_pid);
  map_free(&x.msg_by_id);
  return rc;
}
