/*
 * Trace recording, hashing, file writing and reading (format in trace.h).
 *
 * Recording is on the hot path of every run: it mixes the record's fixed fields with
 * independent multiplications (no long dependency chain) and, only when a file was asked for,
 * appends the encoded record to a 1 MiB buffer that is flushed with fwrite. The reader trusts
 * nothing: every size is bounds-checked, every payload validated as a term, and the trailer's
 * count and hash compared with what was recomputed.
 */
#define _POSIX_C_SOURCE 200809L
#include "trace.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "term.h"

#define K0 UINT64_C(0x9e3779b97f4a7c15)
#define K1 UINT64_C(0xc2b2ae3d27d4eb4f)
#define K2 UINT64_C(0x165667b19e3779f9)
#define K3 UINT64_C(0xd6e8feb86659fd93)
#define K4 UINT64_C(0xa0761d6478bd642f)
#define K5 UINT64_C(0xe7037ed1a0b428db)
#define K6 UINT64_C(0x8ebc6af09c88c6e3)
#define K7 UINT64_C(0x589965cc75374cc3)
#define TRACE_BUF_FLUSH (1u << 20)

uint64_t sim_hash_record(uint64_t h, const sim_record *r) {
  uint64_t w0 = (uint64_t)r->kind | ((uint64_t)r->flags << 16) | ((uint64_t)r->payload_size << 32);
  uint64_t e = (w0 * K0) ^ (r->time_ns * K1) ^ ((uint64_t)r->node * K2) ^ (r->a * K3) ^
               (r->b * K4) ^ (r->c * K5);
  if (r->payload_size) e ^= ac_hash_bytes(0, r->payload, r->payload_size) * K6;
  h = (h ^ e) * K7;
  return h ^ (h >> 32);
}

static void put16(uint8_t *p, uint16_t v) { ac_le16_put(p, v); }
static void put32(uint8_t *p, uint32_t v) { ac_le32_put(p, v); }
static void put64(uint8_t *p, uint64_t v) { ac_le64_put(p, v); }
static uint16_t get16(const uint8_t *p) { return ac_le16_get(p); }
static uint32_t get32(const uint8_t *p) { return ac_le32_get(p); }
static uint64_t get64(const uint8_t *p) { return ac_le64_get(p); }

/* ---- Writer ------------------------------------------------------------------------------ */

void sim_trace_init(sim_trace *t) {
  memset(t, 0, sizeof *t);
  t->hash = SIM_HASH_INIT;
}

static int buf_reserve(sim_trace *t, size_t extra) {
  if (t->buf_len + extra <= t->buf_cap) return 0;
  size_t cap = t->buf_cap ? t->buf_cap : (TRACE_BUF_FLUSH + 4096);
  while (cap < t->buf_len + extra) cap *= 2;
  uint8_t *buf = realloc(t->buf, cap);
  if (!buf) return AC_ENOMEM;
  t->buf = buf;
  t->buf_cap = cap;
  return 0;
}

static void buf_flush(sim_trace *t) {
  if (t->buf_len && !t->err && fwrite(t->buf, 1, t->buf_len, t->file) != t->buf_len) t->err = AC_EIO;
  t->buf_len = 0;
}

int sim_trace_open(sim_trace *t, const char *path, uint64_t seed, const char *name) {
  if (!path || !name || t->file) return AC_EINVAL;
  size_t path_len = strlen(path), name_len = strlen(name);
  if (name_len > 255) return AC_EINVAL; /* the reader's limit */
  t->path = malloc(path_len + 1);
  t->partial_path = malloc(path_len + sizeof ".partial");
  if (!t->path || !t->partial_path || buf_reserve(t, 64 + name_len) != 0) {
    free(t->path);
    free(t->partial_path);
    free(t->buf);
    t->path = t->partial_path = NULL;
    t->buf = NULL;
    t->buf_cap = 0;
    return AC_ENOMEM;
  }
  memcpy(t->path, path, path_len + 1);
  memcpy(t->partial_path, path, path_len);
  memcpy(t->partial_path + path_len, ".partial", sizeof ".partial");
  /* O_NOFOLLOW: never write through a symbolic link planted at the partial name. */
  int fd = open(t->partial_path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
  t->file = fd >= 0 ? fdopen(fd, "wb") : NULL;
  if (fd >= 0 && !t->file) close(fd);
  if (!t->file) {
    free(t->path);
    free(t->partial_path);
    free(t->buf);
    t->path = t->partial_path = NULL;
    t->buf = NULL;
    t->buf_cap = 0;
    return AC_EIO;
  }
  const char *tool = "crashlab " CRASHLAB_VERSION;
  uint32_t tool_len = (uint32_t)strlen(tool);
  uint32_t header_size = 8 + 4 + 4 + 8 + 4 + (uint32_t)name_len + 4 + tool_len;
  uint8_t *p = t->buf;
  memcpy(p, SIM_TRACE_MAGIC, 8);
  put32(p + 8, SIM_TRACE_VERSION);
  put32(p + 12, header_size);
  put64(p + 16, seed);
  put32(p + 24, (uint32_t)name_len);
  memcpy(p + 28, name, name_len);
  put32(p + 28 + name_len, tool_len);
  memcpy(p + 32 + name_len, tool, tool_len);
  t->buf_len = header_size;
  t->header_hash = ac_hash_bytes(0, t->buf, header_size);
  return AC_OK;
}

static void append_record(sim_trace *t, const sim_record *r) {
  if (buf_reserve(t, SIM_TRACE_RECORD_SIZE + r->payload_size) != 0) {
    t->err = AC_ENOMEM;
    return;
  }
  uint8_t *p = t->buf + t->buf_len;
  put16(p, r->kind);
  put16(p + 2, r->flags);
  put32(p + 4, r->payload_size);
  put64(p + 8, r->time_ns);
  put32(p + 16, r->node);
  put32(p + 20, 0);
  put64(p + 24, r->a);
  put64(p + 32, r->b);
  put64(p + 40, r->c);
  if (r->payload_size) memcpy(p + SIM_TRACE_RECORD_SIZE, r->payload, r->payload_size);
  t->buf_len += SIM_TRACE_RECORD_SIZE + r->payload_size;
  if (t->buf_len >= TRACE_BUF_FLUSH) buf_flush(t);
}

void sim_trace_record(sim_trace *t, uint64_t time_ns, const ac_event *ev) {
  /* sim_hash_record, computed from the event in place: this runs for every event of a run. */
  uint64_t w0 = (uint64_t)ev->kind | ((uint64_t)ev->flags << 16) | ((uint64_t)ev->payload_size << 32);
  uint64_t e = (w0 * K0) ^ (time_ns * K1) ^ ((uint64_t)ev->node * K2) ^ (ev->a * K3) ^
               (ev->b * K4) ^ (ev->c * K5);
  if (ev->payload_size) e ^= ac_hash_bytes(0, ev->payload, ev->payload_size) * K6;
  uint64_t h = (t->hash ^ e) * K7;
  t->hash = h ^ (h >> 32);
  t->count++;
  t->kind_count[ev->kind < 64 ? ev->kind : 63]++;
  if (t->recent) {
    sim_recent *slot = &t->recent[t->recent_next];
    slot->rec = (sim_record){ev->kind, ev->flags, ev->payload_size, time_ns, ev->node,
                             ev->a,    ev->b,     ev->c,            NULL};
    if (ev->payload_size <= SIM_RECENT_PAYLOAD_MAX) {
      if (ev->payload_size) memcpy(slot->payload, ev->payload, ev->payload_size);
    } else {
      slot->rec.payload_size = 0; /* too large to keep: shown without it */
    }
    t->recent_next = (t->recent_next + 1) % t->recent_cap;
    if (t->recent_len < t->recent_cap) t->recent_len++;
  }
  if (t->file) {
    sim_record r = {ev->kind, ev->flags, ev->payload_size, time_ns, ev->node,
                    ev->a,    ev->b,     ev->c,            ev->payload};
    append_record(t, &r);
  }
}

int sim_trace_keep_recent(sim_trace *t, uint32_t n) {
  free(t->recent);
  t->recent = NULL;
  t->recent_cap = t->recent_next = t->recent_len = 0;
  if (n == 0) return AC_OK;
  t->recent = calloc(n, sizeof *t->recent);
  if (!t->recent) return AC_ENOMEM;
  t->recent_cap = n;
  return AC_OK;
}

uint32_t sim_trace_recent(const sim_trace *t, sim_record *out, uint32_t cap) {
  uint32_t n = t->recent_len < cap ? t->recent_len : cap;
  uint32_t start = (t->recent_next + t->recent_cap - n) % (t->recent_cap ? t->recent_cap : 1);
  for (uint32_t i = 0; i < n; i++) {
    const sim_recent *slot = &t->recent[(start + i) % t->recent_cap];
    out[i] = slot->rec;
    out[i].payload = slot->rec.payload_size ? slot->payload : NULL;
  }
  return n;
}

int sim_trace_close(sim_trace *t, bool complete) {
  if (t->file) {
    if (complete) {
      sim_record end = {SIM_REC_END, 0, 0, 0, 0, t->count, t->hash, t->header_hash, NULL};
      append_record(t, &end);
    }
    buf_flush(t);
    if (fclose(t->file) != 0 && !t->err) t->err = AC_EIO;
    t->file = NULL;
    if (complete && !t->err) {
      if (rename(t->partial_path, t->path) != 0) {
        t->err = AC_EIO;
        remove(t->partial_path);
      }
    } else {
      remove(t->partial_path);
    }
  }
  free(t->buf);
  free(t->path);
  free(t->partial_path);
  t->buf = NULL;
  t->path = t->partial_path = NULL;
  t->buf_len = t->buf_cap = 0;
  return t->err;
}

/* ---- Reader ------------------------------------------------------------------------------ */

static int reader_fail(sim_trace_reader *r, int code, const char *what) {
  snprintf(r->error, sizeof r->error, "%s: offset %" PRIu64 ": %s", r->path, r->offset, what);
  return code;
}

int sim_trace_reader_open(sim_trace_reader *r, const char *path) {
  memset(r, 0, sizeof *r);
  r->path = path;
  r->hash = SIM_HASH_INIT;
  r->file = fopen(path, "rb");
  if (!r->file) {
    snprintf(r->error, sizeof r->error, "%s: cannot open: %s", path, strerror(errno));
    return AC_EIO;
  }
  uint8_t h[28 + 256 + 4 + 64];
  if (fread(h, 1, 28, r->file) != 28 || memcmp(h, SIM_TRACE_MAGIC, 8) != 0)
    return reader_fail(r, AC_EBADTRACE, "not a crashlab trace (bad magic or too short)");
  if (get32(h + 8) != SIM_TRACE_VERSION)
    return reader_fail(r, AC_EBADTRACE, "unsupported trace format version");
  uint32_t header_size = get32(h + 12);
  r->seed = get64(h + 16);
  uint32_t name_len = get32(h + 24);
  if (name_len >= sizeof r->name || header_size < 32 + name_len)
    return reader_fail(r, AC_EBADTRACE, "bad header size or name length");
  uint8_t *tail = h + 28;
  size_t rest = header_size - 28;
  if (rest > sizeof h - 28 || fread(tail, 1, rest, r->file) != rest)
    return reader_fail(r, AC_EBADTRACE, "truncated header");
  r->header_hash = ac_hash_bytes(0, h, header_size);
  memcpy(r->name, tail, name_len);
  r->name[name_len] = 0;
  uint32_t tool_len = get32(tail + name_len);
  if (tool_len >= sizeof r->tool || 4 + name_len + tool_len != rest)
    return reader_fail(r, AC_EBADTRACE, "bad tool version length");
  memcpy(r->tool, tail + name_len + 4, tool_len);
  r->tool[tool_len] = 0;
  r->offset = header_size;
  return AC_OK;
}

int sim_trace_reader_next(sim_trace_reader *r, sim_record *rec) {
  if (r->ended) return 0;
  uint8_t p[SIM_TRACE_RECORD_SIZE];
  size_t got = fread(p, 1, sizeof p, r->file);
  if (got == 0) return reader_fail(r, AC_EBADTRACE, "truncated: the end-of-trace record is missing");
  if (got != sizeof p) return reader_fail(r, AC_EBADTRACE, "truncated record");
  *rec = (sim_record){get16(p), get16(p + 2), get32(p + 4), get64(p + 8), get32(p + 16),
                      get64(p + 24), get64(p + 32), get64(p + 40), NULL};
  if (get32(p + 20) != 0) return reader_fail(r, AC_EBADTRACE, "reserved field is not zero");
  if (rec->kind == SIM_REC_END) {
    if (rec->payload_size) return reader_fail(r, AC_EBADTRACE, "end record with a payload");
    if (rec->a != r->count) return reader_fail(r, AC_EBADTRACE, "record count does not match the trailer");
    if (rec->b != r->hash) return reader_fail(r, AC_EBADTRACE, "hash does not match the trailer (corrupt trace)");
    if (rec->c != r->header_hash)
      return reader_fail(r, AC_EBADTRACE, "header (seed, name, version) does not match the trailer (corrupt trace)");
    if (fgetc(r->file) != EOF) return reader_fail(r, AC_EBADTRACE, "data after the end record");
    r->ended = true;
    return 0;
  }
  if (!ac_event_name(rec->kind)) return reader_fail(r, AC_EBADTRACE, "unknown event kind");
  if (rec->payload_size > AC_TERM_SIZE_MAX) return reader_fail(r, AC_EBADTRACE, "payload too large");
  if (rec->payload_size) {
    if (rec->payload_size > r->payload_cap) {
      uint8_t *buf = realloc(r->payload, rec->payload_size);
      if (!buf) return reader_fail(r, AC_ENOMEM, "out of memory");
      r->payload = buf;
      r->payload_cap = rec->payload_size;
    }
    if (fread(r->payload, 1, rec->payload_size, r->file) != rec->payload_size)
      return reader_fail(r, AC_EBADTRACE, "truncated payload");
    ac_term t;
    if (ac_term_validate(r->payload, rec->payload_size, &t) != AC_OK)
      return reader_fail(r, AC_EBADTRACE, "payload is not a valid term");
    rec->payload = r->payload;
  }
  r->hash = sim_hash_record(r->hash, rec);
  r->count++;
  r->offset += SIM_TRACE_RECORD_SIZE + rec->payload_size;
  return 1;
}

void sim_trace_reader_close(sim_trace_reader *r) {
  if (r->file) fclose(r->file);
  free(r->payload);
  r->file = NULL;
  r->payload = NULL;
}

/* ---- Text -------------------------------------------------------------------------------- */

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

static size_t fmt_pid(uint64_t bits, char *buf, size_t cap) {
  ac_pid p = {bits};
  return (size_t)snprintf(buf, cap, "<%u.%u.%u>", ac_pid_node(p), ac_pid_slot(p), ac_pid_gen(p));
}

size_t sim_format_record(const sim_record *rec, char *buf, size_t cap) {
  char pa[32], pb[32], term[256] = "";
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
    case AC_EV_SPAWN: m = snprintf(out, room, "%s -> %s %s", pa, pb, term); break;
    case AC_EV_SEND: m = snprintf(out, room, "%s -> %s #%" PRIu64 " %s", pa, pb, rec->c, term); break;
    case AC_EV_DELIVER:
    case AC_EV_SEND_DEAD: m = snprintf(out, room, "%s -> %s #%" PRIu64, pa, pb, rec->c); break;
    case AC_EV_RECEIVE: m = snprintf(out, room, "%s <- %s #%" PRIu64, pa, pb, rec->c); break;
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
    case AC_EV_NODE:
    case AC_EV_NODEUP:
    case AC_EV_NODEDOWN: m = snprintf(out, room, "%" PRIu64 " %s", rec->a, term); break;
    case AC_EV_FAULT: m = snprintf(out, room, "%s", term); break;
    case AC_EV_NET_DROP:
    case AC_EV_NET_DUP: m = snprintf(out, room, "%s -> %s %s", pa, pb, term); break;
    case SIM_REC_END: m = snprintf(out, room, "%" PRIu64 " records hash=%016" PRIx64, rec->a, rec->b); break;
    default: m = snprintf(out, room, "%s %s", pa, term); break;
  }
  return used + (m > 0 ? (size_t)m : 0);
}
