/*
 * The trace reader library (crashlab::trace): the push parser, the file reader built on it,
 * the run hash and the readable text of records. It depends on crashlab::core only (terms), so
 * a viewer or an export reads traces without the scheduler.
 *
 * One copy of the parsing logic: the parser takes bytes in any chunks (one at a time from a
 * pipe, or 16 KiB at a time from a file) and hands out a record only once it is complete. It
 * trusts nothing: every size is bounds-checked before bytes are awaited, every payload is
 * validated as a term, and the trailer's count, run hash and header hash are compared with what
 * was recomputed. Errors name the stream offset of the record (or field) that is wrong, and
 * every good record before the damage has been handed out by then.
 */
#define _POSIX_C_SOURCE 200809L
#include "trace.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "bytes.h"
#include "term.h"

#define HEADER_FIXED 28u
#define READ_CHUNK (1u << 14)

uint64_t sim_hash_record(uint64_t h, const sim_record *r) {
  uint64_t w0 = (uint64_t)r->kind | ((uint64_t)r->flags << 16) | ((uint64_t)r->payload_size << 32);
  uint64_t e = (w0 * SIM_HASH_K0) ^ (r->time_ns * SIM_HASH_K1) ^ ((uint64_t)r->node * SIM_HASH_K2) ^
               (r->a * SIM_HASH_K3) ^ (r->b * SIM_HASH_K4) ^ (r->c * SIM_HASH_K5);
  if (r->payload_size) e ^= ac_hash_bytes(0, r->payload, r->payload_size) * SIM_HASH_K6;
  h = (h ^ e) * SIM_HASH_K7;
  return h ^ (h >> 32);
}

/* ---- Push parser ------------------------------------------------------------------------- */

void sim_trace_parser_init(sim_trace_parser *p) {
  memset(p, 0, sizeof *p);
  p->hash = SIM_HASH_INIT;
}

void sim_trace_parser_free(sim_trace_parser *p) {
  free(p->buf);
  p->buf = NULL;
  p->pos = p->len = p->cap = 0;
}

/* Records the first error at stream offset `at`; returns it (sticky). */
static int parser_fail(sim_trace_parser *p, int code, uint64_t at, const char *fmt, ...) {
  if (p->status) return p->status;
  int n = snprintf(p->error, sizeof p->error, "offset %" PRIu64 ": ", at);
  va_list ap;
  va_start(ap, fmt);
  if (n > 0 && (size_t)n < sizeof p->error) vsnprintf(p->error + n, sizeof p->error - (size_t)n, fmt, ap);
  va_end(ap);
  p->status = code;
  return code;
}

int sim_trace_parser_feed(sim_trace_parser *p, const void *bytes, size_t n) {
  if (p->status || n == 0) return p->status;
  if (p->ended) return parser_fail(p, AC_EBADTRACE, p->offset, "data after the end record");
  if (p->pos > 0) { /* consumed bytes go: the buffer holds at most one record plus a chunk */
    memmove(p->buf, p->buf + p->pos, p->len - p->pos);
    p->len -= p->pos;
    p->pos = 0;
  }
  if (p->len + n > p->cap) {
    size_t cap = p->cap ? p->cap : 4096;
    while (cap < p->len + n) cap *= 2;
    uint8_t *buf = ac_realloc(p->buf, cap);
    if (!buf) return parser_fail(p, AC_ENOMEM, p->offset, "out of memory");
    p->buf = buf;
    p->cap = cap;
  }
  memcpy(p->buf + p->len, bytes, n);
  p->len += n;
  return AC_OK;
}

int sim_trace_parser_header(sim_trace_parser *p) {
  if (p->status) return p->status;
  if (p->have_header) return 1;
  const uint8_t *h = p->buf + p->pos;
  size_t have = p->len - p->pos;
  if (have < 8) return 0;
  if (memcmp(h, SIM_TRACE_MAGIC, 8) != 0)
    return parser_fail(p, AC_EBADTRACE, 0, "not a crashlab trace (bad magic)");
  if (have < HEADER_FIXED) return 0;
  uint32_t version = ac_le32_get(h + 8);
  if (version != SIM_TRACE_VERSION)
    return parser_fail(p, AC_EBADTRACE, 8,
                       "trace format version %" PRIu32 ": this crashlab reads version %u; record "
                       "the run again", version, SIM_TRACE_VERSION);
  uint32_t header_size = ac_le32_get(h + 12);
  uint32_t name_len = ac_le32_get(h + 24);
  if (name_len >= sizeof p->name || header_size < HEADER_FIXED + 4 + name_len ||
      header_size > HEADER_FIXED + 4 + name_len + sizeof p->tool)
    return parser_fail(p, AC_EBADTRACE, 12, "bad header size or name length");
  if (have < header_size) return 0;
  uint32_t tool_len = ac_le32_get(h + HEADER_FIXED + name_len);
  if (tool_len >= sizeof p->tool || HEADER_FIXED + name_len + 4 + tool_len != header_size)
    return parser_fail(p, AC_EBADTRACE, HEADER_FIXED + name_len, "bad tool version length");
  p->version = version;
  p->seed = ac_le64_get(h + 16);
  memcpy(p->name, h + HEADER_FIXED, name_len);
  p->name[name_len] = 0;
  memcpy(p->tool, h + HEADER_FIXED + name_len + 4, tool_len);
  p->tool[tool_len] = 0;
  p->header_hash = ac_hash_bytes(0, h, header_size);
  p->have_header = true;
  p->pos += header_size;
  p->offset = header_size;
  return 1;
}

int sim_trace_parser_next(sim_trace_parser *p, sim_record *rec) {
  if (p->status) return p->status;
  if (p->ended) return 0;
  if (!p->have_header) {
    int rc = sim_trace_parser_header(p);
    if (rc <= 0) return rc;
  }
  if (p->len - p->pos < SIM_TRACE_RECORD_SIZE) return 0;
  const uint8_t *q = p->buf + p->pos;
  sim_record r = {ac_le16_get(q),      ac_le16_get(q + 2),  ac_le32_get(q + 4),
                  ac_le64_get(q + 8),  ac_le32_get(q + 16), ac_le64_get(q + 24),
                  ac_le64_get(q + 32), ac_le64_get(q + 40), NULL};
  uint64_t at = p->offset;
  if (ac_le32_get(q + 20) != 0) return parser_fail(p, AC_EBADTRACE, at, "reserved field is not zero");
  if (r.kind == SIM_REC_END) {
    if (r.payload_size) return parser_fail(p, AC_EBADTRACE, at, "end record with a payload");
    if (r.a != p->count)
      return parser_fail(p, AC_EBADTRACE, at, "record count does not match the trailer (%" PRIu64
                         " read, %" PRIu64 " in the trailer)", p->count, r.a);
    if (r.b != p->hash)
      return parser_fail(p, AC_EBADTRACE, at, "hash does not match the trailer (corrupt trace)");
    if (r.c != p->header_hash)
      return parser_fail(p, AC_EBADTRACE, at,
                         "header (seed, name, version) does not match the trailer (corrupt trace)");
    p->pos += SIM_TRACE_RECORD_SIZE;
    p->offset += SIM_TRACE_RECORD_SIZE;
    if (p->pos != p->len) return parser_fail(p, AC_EBADTRACE, p->offset, "data after the end record");
    p->ended = true;
    return 0;
  }
  if (!ac_event_name(r.kind)) return parser_fail(p, AC_EBADTRACE, at, "unknown event kind %u", r.kind);
  if (r.payload_size > AC_TERM_SIZE_MAX) return parser_fail(p, AC_EBADTRACE, at, "payload too large");
  if (p->len - p->pos < SIM_TRACE_RECORD_SIZE + (size_t)r.payload_size) return 0;
  if (r.payload_size) {
    r.payload = q + SIM_TRACE_RECORD_SIZE;
    ac_term t;
    if (ac_term_validate(r.payload, r.payload_size, &t) != AC_OK)
      return parser_fail(p, AC_EBADTRACE, at, "payload is not a valid term (%s record)",
                         ac_event_name(r.kind));
  }
  if (r.kind != AC_EV_RUN_INFO) { /* run_info describes the run: not hashed nor counted */
    p->hash = sim_hash_record(p->hash, &r);
    p->count++;
  }
  p->pos += SIM_TRACE_RECORD_SIZE + r.payload_size;
  p->offset += SIM_TRACE_RECORD_SIZE + r.payload_size;
  *rec = r;
  return 1;
}

int sim_trace_parser_finish(sim_trace_parser *p) {
  if (p->status) return p->status;
  if (p->ended) return AC_OK;
  size_t have = p->len - p->pos;
  if (!p->have_header)
    return parser_fail(p, AC_EBADTRACE, 0, have < 8 ? "not a crashlab trace (too short)" : "truncated header");
  if (have == 0)
    return parser_fail(p, AC_EBADTRACE, p->offset, "truncated: the end-of-trace record is missing");
  if (have < SIM_TRACE_RECORD_SIZE) return parser_fail(p, AC_EBADTRACE, p->offset, "truncated record");
  return parser_fail(p, AC_EBADTRACE, p->offset, "truncated payload");
}

/* ---- File reader: the parser fed READ_CHUNK bytes at a time ------------------------------- */

static int reader_fail(sim_trace_reader *r, int code) {
  snprintf(r->error, sizeof r->error, "%s: %s", r->path, r->parser.error);
  return code;
}

/* Feeds the next chunk of the file: 1 fed, 0 at the end of the file, or AC_EIO. */
static int reader_fill(sim_trace_reader *r) {
  uint8_t chunk[READ_CHUNK];
  size_t got = fread(chunk, 1, sizeof chunk, r->file);
  if (got == 0) {
    if (ferror(r->file)) {
      snprintf(r->error, sizeof r->error, "%s: read error: %s", r->path, strerror(errno));
      return AC_EIO;
    }
    return 0;
  }
  int rc = sim_trace_parser_feed(&r->parser, chunk, got);
  return rc ? reader_fail(r, rc) : 1;
}

int sim_trace_reader_open(sim_trace_reader *r, const char *path) {
  memset(r, 0, sizeof *r);
  r->path = path;
  r->hash = SIM_HASH_INIT;
  sim_trace_parser_init(&r->parser);
  r->file = fopen(path, "rb");
  if (!r->file) {
    snprintf(r->error, sizeof r->error, "%s: cannot open: %s", path, strerror(errno));
    return AC_EIO;
  }
  for (;;) {
    int rc = sim_trace_parser_header(&r->parser);
    if (rc < 0) return reader_fail(r, rc);
    if (rc == 1) break;
    rc = reader_fill(r);
    if (rc < 0) return rc;
    if (rc == 0) return reader_fail(r, sim_trace_parser_finish(&r->parser));
  }
  r->seed = r->parser.seed;
  memcpy(r->name, r->parser.name, sizeof r->name);
  memcpy(r->tool, r->parser.tool, sizeof r->tool);
  r->offset = r->parser.offset;
  return AC_OK;
}

int sim_trace_reader_next(sim_trace_reader *r, sim_record *rec) {
  if (!r->file) return AC_EIO;
  for (;;) {
    int rc = sim_trace_parser_next(&r->parser, rec);
    r->count = r->parser.count;
    r->hash = r->parser.hash;
    r->offset = r->parser.offset;
    if (rc == 1) return 1;
    if (rc < 0) return reader_fail(r, rc);
    if (r->parser.ended) { /* nothing may follow the trailer in the file */
      rc = reader_fill(r);
      if (rc < 0) return rc;
      if (rc == 1) {
        sim_trace_parser_next(&r->parser, rec);
        return reader_fail(r, r->parser.status ? r->parser.status : AC_EBADTRACE);
      }
      r->ended = true;
      return 0;
    }
    rc = reader_fill(r);
    if (rc < 0) return rc;
    if (rc == 0) return reader_fail(r, sim_trace_parser_finish(&r->parser));
  }
}

void sim_trace_reader_close(sim_trace_reader *r) {
  if (r->file) fclose(r->file);
  r->file = NULL;
  sim_trace_parser_free(&r->parser);
}

/* ---- Text -------------------------------------------------------------------------------- */

int sim_parse_duration(const char *text, uint64_t *ns) {
  static const struct {
    const char *unit;
    double ns;
  } units[] = {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
  if (!text) return AC_EINVAL;
  char *end;
  errno = 0;
  double v = strtod(text, &end);
  if (end == text || errno || !(v >= 0)) return AC_EINVAL;
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
    if (strcmp(end, units[i].unit) == 0 && v * units[i].ns < 1.8e19) {
      *ns = (uint64_t)(v * units[i].ns + 0.5);
      return AC_OK;
    }
  return AC_EINVAL;
}

void sim_format_duration(uint64_t ns, char *buf, size_t cap) {
  static const struct {
    uint64_t ns;
    int digits;
    const char *unit;
  } units[] = {{UINT64_C(1000000000), 9, "s"}, {1000000, 6, "ms"}, {1000, 3, "us"}, {1, 0, "ns"}};
  size_t i = 0;
  while (ns < units[i].ns && units[i].ns > 1) i++; /* the largest unit it reaches (0: ns) */
  uint64_t whole = ns / units[i].ns, frac = ns % units[i].ns;
  if (frac == 0) {
    snprintf(buf, cap, "%" PRIu64 "%s", whole, units[i].unit);
    return;
  }
  char digits[16];
  snprintf(digits, sizeof digits, "%0*" PRIu64, units[i].digits, frac);
  size_t n = strlen(digits);
  while (n > 1 && digits[n - 1] == '0') digits[--n] = 0;
  snprintf(buf, cap, "%" PRIu64 ".%s%s", whole, digits, units[i].unit);
}

/* A message id as "node.counter" (the sending node's index, its counter): ids are unique in
 * the run, the same on every record of one message. */
static const char *msg_id(uint64_t id, char *buf, size_t cap) {
  snprintf(buf, cap, "%" PRIu64 ".%" PRIu64, id >> 40, id & ((UINT64_C(1) << 40) - 1));
  return buf;
}

static size_t fmt_pid(uint64_t bits, char *buf, size_t cap) {
  ac_pid p = {bits};
  return (size_t)snprintf(buf, cap, "<%u.%u.%u>", ac_pid_node(p), ac_pid_slot(p), ac_pid_gen(p));
}

size_t sim_format_record(const sim_record *rec, char *buf, size_t cap) {
  char pa[32], pb[32], mid[48], term[1024] = "";
  fmt_pid(rec->a, pa, sizeof pa);
  fmt_pid(rec->b, pb, sizeof pb);
  if (rec->payload_size) {
    ac_term t = {rec->payload};
    size_t need = ac_term_print(t, term, sizeof term);
    if (need >= sizeof term) memcpy(term + sizeof term - 4, "...", 4);
  }
  unsigned long long secs = (unsigned long long)(rec->time_ns / 1000000000u);
  unsigned long nanos = (unsigned long)(rec->time_ns % 1000000000u);
  const char *name = rec->kind == SIM_REC_END ? "end" : ac_event_name(rec->kind);
  if (!name) name = "?";
  int n = snprintf(buf, cap, "%6llu.%09lus  %-12s ", secs, nanos, name);
  if (n < 0) return 0;
  size_t used = (size_t)n, room = cap > used ? cap - used : 0;
  char *out = cap > used ? buf + used : NULL;
  int m = 0;
  switch (rec->kind) {
    case AC_EV_SPAWN: { /* {Behaviour, Label}: "worker", or "pool.lua:12 (lua)"; with
                           {..., Module, Version}: "loop (lua) in kv v2" */
      ac_term t = {rec->payload}, beh, label, mod, ver;
      const char *bn, *ln, *mn = NULL;
      size_t bl, ll, ml = 0;
      int64_t vn = 0;
      uint32_t arity = rec->payload_size && ac_term_type(t) == AC_T_TUPLE ? ac_term_count(t) : 0;
      bool code = arity == 4 && ac_term_elem(t, 2, &mod) == AC_OK && ac_term_elem(t, 3, &ver) == AC_OK &&
                  ac_term_get_atom(mod, &mn, &ml) == AC_OK && ac_term_get_int(ver, &vn) == AC_OK;
      if ((arity == 2 || code) && ac_term_elem(t, 0, &beh) == AC_OK &&
          ac_term_elem(t, 1, &label) == AC_OK && ac_term_get_atom(beh, &bn, &bl) == AC_OK &&
          ac_term_get_atom(label, &ln, &ll) == AC_OK) {
        if (bl == ll && memcmp(bn, ln, bl) == 0)
          m = snprintf(out, room, "%s -> %s %.*s", pa, pb, (int)ll, ln);
        else
          m = snprintf(out, room, "%s -> %s %.*s (%.*s)", pa, pb, (int)ll, ln, (int)bl, bn);
        if (code && m > 0 && (size_t)m < room)
          m += snprintf(out + m, room - (size_t)m, " in %.*s v%" PRId64, (int)ml, mn, vn);
      } else {
        m = snprintf(out, room, "%s -> %s %s", pa, pb, term);
      }
      break;
    }
    case AC_EV_SEND:
      if (rec->flags & AC_SEND_NAMED) { /* {Name, Node, Message}: "-> {echo,b} #0.2 Message" */
        ac_term t = {rec->payload}, to_name, node, msg;
        const char *nn, *dn;
        size_t nl, dl;
        if (rec->payload_size && ac_term_type(t) == AC_T_TUPLE && ac_term_count(t) == 3 &&
            ac_term_elem(t, 0, &to_name) == AC_OK && ac_term_elem(t, 1, &node) == AC_OK &&
            ac_term_elem(t, 2, &msg) == AC_OK && ac_term_get_atom(to_name, &nn, &nl) == AC_OK &&
            ac_term_get_atom(node, &dn, &dl) == AC_OK) {
          char text[256];
          if (ac_term_print(msg, text, sizeof text) >= sizeof text) memcpy(text + sizeof text - 4, "...", 4);
          m = snprintf(out, room, "%s -> {%.*s,%.*s} #%s %s", pa, (int)nl, nn, (int)dl, dn,
                       msg_id(rec->c, mid, sizeof mid), text);
          break;
        }
      }
      m = snprintf(out, room, "%s -> %s #%s %s", pa, pb, msg_id(rec->c, mid, sizeof mid), term);
      break;
    case AC_EV_DELIVER:
    case AC_EV_SEND_DEAD: m = snprintf(out, room, "%s -> %s #%s", pa, pb, msg_id(rec->c, mid, sizeof mid)); break;
    case AC_EV_RECEIVE: m = snprintf(out, room, "%s <- %s #%s", pa, pb, msg_id(rec->c, mid, sizeof mid)); break;
    case AC_EV_SIGNAL: {
      static const char *outcome[] = {"ignored", "trapped", "dies"};
      unsigned o = rec->flags & 0x3u;
      m = snprintf(out, room, "%s -> %s %s%s %s", pa, pb, term,
                   (rec->flags & AC_SIG_LINK) ? " (link)" : "", o < 3 ? outcome[o] : "?");
      break;
    }
    case AC_EV_MONITOR:
    case AC_EV_DEMONITOR:
    case AC_EV_DOWN:
      m = snprintf(out, room, "%s -> %s ref %" PRIu64 " %s", pa, pb, rec->c & ((UINT64_C(1) << 48) - 1), term);
      break;
    case AC_EV_LINK:
    case AC_EV_UNLINK: m = snprintf(out, room, "%s - %s", pa, pb); break;
    case AC_EV_TIMER_START:
    case AC_EV_TIMER_FIRE:
      m = snprintf(out, room, "%s -> %s timer %" PRIu64, pa, pb, rec->c & ((UINT64_C(1) << 48) - 1));
      break;
    case AC_EV_TRAP_EXIT: m = snprintf(out, room, "%s %s", pa, rec->flags ? "true" : "false"); break;
    case AC_EV_SUPERVISOR:
      m = rec->b ? snprintf(out, room, "%s %s %s", pa, term, pb) : snprintf(out, room, "%s %s", pa, term);
      break;
    case AC_EV_NODE: m = snprintf(out, room, "%" PRIu64 " %s (machine %" PRIu64 ")", rec->a, term, rec->b); break;
    case AC_EV_NODEUP:
    case AC_EV_NODEDOWN: /* "node 0 sees 1 b up" */
      m = snprintf(out, room, "node %" PRIu32 " sees %" PRIu64 " %s %s", rec->node, rec->a, term,
                   rec->kind == AC_EV_NODEUP ? "up" : "down");
      break;
    case AC_EV_FAULT:
      m = rec->a ? snprintf(out, room, "%s %s", pa, term) : snprintf(out, room, "%s", term);
      break;
    case AC_EV_NET_DROP: {
      static const char *why[] = {"?", "link down", "lost", "no connection", "connection gone"};
      unsigned w = rec->flags & 0xffu;
      m = snprintf(out, room, "%s -> %s #%s (%s) %s", pa, pb, msg_id(rec->c, mid, sizeof mid),
                   w < 5 ? why[w] : "?", term);
      break;
    }
    case AC_EV_NET_DUP: m = snprintf(out, room, "%s -> %s #%s", pa, pb, msg_id(rec->c, mid, sizeof mid)); break;
    case AC_EV_CODE: { /* "load {kv,2}", "purge {kv,1} kills <0.3.1>", "... by <0.2.1>" */
      static const char *op[] = {"?", "load", "delete", "purge", "soft_purge refused",
                                 "soft_purge", "suspend", "resume", "code_change", "code_change failed",
                                 "load refused (not_purged)"};
      m = snprintf(out, room, "%s %s%s%s%s%s", rec->flags < 11 ? op[rec->flags] : "?", term,
                   rec->b ? (rec->flags == AC_CODE_PURGE ? " kills " : " of ") : "", rec->b ? pb : "",
                   rec->a ? " by " : "", rec->a ? pa : "");
      break;
    }
    case AC_EV_LINKS: m = snprintf(out, room, "down, flaky: %s", term); break;
    case AC_EV_RUN_INFO: m = snprintf(out, room, "%s", term); break;
    case AC_EV_PROPERTY: m = snprintf(out, room, "failed %s", term); break;
    case AC_EV_RUN_END: {
      static const char *why[] = {"?", "stop time", "quiescent", "time cap", "property failed",
                                  "scenario error", "interrupted", "memory limit", "trace limit",
                                  "finished"};
      static const char *verdict[] = {"pass", "fail", "error"};
      m = snprintf(out, room, "%s, %s %s", rec->flags < 10 ? why[rec->flags] : "?",
                   rec->a < 3 ? verdict[rec->a] : "?", term);
      break;
    }
    case SIM_REC_END: m = snprintf(out, room, "%" PRIu64 " records hash=%016" PRIx64, rec->a, rec->b); break;
    default: m = snprintf(out, room, "%s %s", pa, term); break;
  }
  return used + (m > 0 ? (size_t)m : 0);
}
