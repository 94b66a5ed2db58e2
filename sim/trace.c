/*
 * The trace writer: recording, hashing and file writing (format in trace.h; the reader is
 * trace_read.c, a library of its own).
 *
 * Recording is on the hot path of every run: it mixes the record's fixed fields with
 * independent multiplications (no long dependency chain) and, only when a file was asked for,
 * appends the encoded record to a buffer that is written out at 1 MiB (a file) or 64 KiB (a
 * descriptor streamed to a live viewer, which should see records soon). No allocation per
 * event: the buffer grows only for a record larger than its room.
 */
#define _POSIX_C_SOURCE 200809L
#include "trace.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "bytes.h"
#include "term.h"

#define K0 SIM_HASH_K0
#define K1 SIM_HASH_K1
#define K2 SIM_HASH_K2
#define K3 SIM_HASH_K3
#define K4 SIM_HASH_K4
#define K5 SIM_HASH_K5
#define K6 SIM_HASH_K6
#define K7 SIM_HASH_K7
#define TRACE_BUF_FLUSH (1u << 20)
#define TRACE_FD_FLUSH (1u << 16)

static void put16(uint8_t *p, uint16_t v) { ac_le16_put(p, v); }
static void put32(uint8_t *p, uint32_t v) { ac_le32_put(p, v); }
static void put64(uint8_t *p, uint64_t v) { ac_le64_put(p, v); }

/* ---- Writer ------------------------------------------------------------------------------ */

void sim_trace_init(sim_trace *t) {
  memset(t, 0, sizeof *t);
  t->hash = SIM_HASH_INIT;
  t->fd = -1;
}

static int buf_reserve(sim_trace *t, size_t extra) {
  if (t->buf_len + extra <= t->buf_cap) return 0;
  size_t cap = t->buf_cap ? t->buf_cap : (TRACE_BUF_FLUSH + 4096);
  while (cap < t->buf_len + extra) cap *= 2;
  uint8_t *buf = ac_realloc(t->buf, cap);
  if (!buf) return AC_ENOMEM;
  t->buf = buf;
  t->buf_cap = cap;
  return 0;
}

static void buf_flush(sim_trace *t) {
  assert(t->buf_len <= t->buf_cap && (t->out.file == NULL || t->fd == -1));
  if (t->buf_len && !t->err) {
    if (t->out.file) {
      if (fwrite(t->buf, 1, t->buf_len, t->out.file) != t->buf_len) t->err = AC_EIO;
    } else {
      for (size_t done = 0; done < t->buf_len;) {
        ssize_t n = write(t->fd, t->buf + done, t->buf_len - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          t->err = AC_EIO; /* a reader that went away: the run goes on, only hashed */
          break;
        }
        done += (size_t)n;
      }
    }
  }
  t->buf_len = 0;
}

/* The header into the (empty) buffer. */
static void put_header(sim_trace *t, uint64_t seed, const char *name) {
  size_t name_len = strlen(name);
  const char *tool = "crashlab " CRASHLAB_VERSION;
  uint32_t tool_len = (uint32_t)strlen(tool);
  uint32_t header_size = 8 + 4 + 4 + 8 + 4 + (uint32_t)name_len + 4 + tool_len;
  assert(t->buf_len == 0 && t->buf_cap >= 64 + name_len && "the header opens an empty buffer");
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
  t->bytes = header_size;
  t->header_hash = ac_hash_bytes(0, t->buf, header_size);
  t->writing = true;
}

int sim_trace_open_fd(sim_trace *t, int fd, uint64_t seed, const char *name) {
  if (fd < 0 || !name || t->writing || strlen(name) > 255) return AC_EINVAL;
  if (buf_reserve(t, 64 + strlen(name)) != 0) return AC_ENOMEM;
  t->fd = fd;
  put_header(t, seed, name);
  return AC_OK;
}

int sim_trace_open(sim_trace *t, const char *path, uint64_t seed, const char *name) {
  if (!path || !name || t->writing) return AC_EINVAL;
  size_t name_len = strlen(name);
  if (name_len > 255) return AC_EINVAL; /* the reader's limit */
  if (buf_reserve(t, 64 + name_len) != 0) return AC_ENOMEM;
  int rc = sim_outfile_open(&t->out, path);
  if (rc != AC_OK) {
    free(t->buf); /* as it was before the call: closed, nothing held */
    t->buf = NULL;
    t->buf_cap = 0;
    return rc;
  }
  put_header(t, seed, name);
  return AC_OK;
}

static void append_record(sim_trace *t, const sim_record *r) {
  if (buf_reserve(t, SIM_TRACE_RECORD_SIZE + r->payload_size) != 0) {
    t->err = AC_ENOMEM;
    return;
  }
  assert(t->buf_len + SIM_TRACE_RECORD_SIZE + r->payload_size <= t->buf_cap);
  assert(r->payload_size == 0 || r->payload != NULL);
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
  t->bytes += SIM_TRACE_RECORD_SIZE + r->payload_size;
  if (t->limit_bytes && t->bytes > t->limit_bytes) t->over_limit = true;
  if (t->buf_len >= (t->out.file ? TRACE_BUF_FLUSH : TRACE_FD_FLUSH)) buf_flush(t);
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
    assert(t->recent_next < t->recent_cap && t->recent_len <= t->recent_cap);
    t->recent_next = (t->recent_next + 1) % t->recent_cap;
    if (t->recent_len < t->recent_cap) t->recent_len++;
  }
  if (t->writing) {
    sim_record r = {ev->kind, ev->flags, ev->payload_size, time_ns, ev->node,
                    ev->a,    ev->b,     ev->c,            ev->payload};
    append_record(t, &r);
  }
}

void sim_trace_info(sim_trace *t, uint64_t time_ns, const ac_event *ev) {
  /* Written, never hashed nor counted: the record describes the run (where its file was, its
   * options) without being part of it, so the same run has the same hash from any path. */
  if (t->writing) {
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
  t->recent = ac_calloc(n, sizeof *t->recent);
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
  if (t->writing && !t->out.file) { /* a descriptor: flushed, left open */
    if (complete) {
      sim_record end = {SIM_REC_END, 0, 0, 0, 0, t->count, t->hash, t->header_hash, NULL};
      append_record(t, &end);
    }
    buf_flush(t);
    t->fd = -1;
  }
  t->writing = false;
  if (t->out.file) {
    if (complete) {
      sim_record end = {SIM_REC_END, 0, 0, 0, 0, t->count, t->hash, t->header_hash, NULL};
      append_record(t, &end);
    }
    buf_flush(t);
    if (sim_outfile_close(&t->out, complete && !t->err) != AC_OK && !t->err) t->err = AC_EIO;
  }
  free(t->buf);
  t->buf = NULL;
  t->buf_len = t->buf_cap = 0;
  return t->err;
}

