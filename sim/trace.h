/*
 * The trace: every observable event of a run, hashed as it happens and, when asked, written
 * to a file in a canonical binary encoding that the visualiser and the exports read.
 *
 * File format version 1 (all integers little-endian; the full description with the meaning of
 * each event kind is in docs/architecture.md):
 *   header  "CRASHLAB" | u32 version | u32 header_size | u64 seed |
 *           u32 name_len | name | u32 tool_len | tool version text
 *   records (48 bytes each, then payload_size bytes of an encoded term):
 *           u16 kind | u16 flags | u32 payload_size | u64 time_ns | u32 node | u32 reserved(0) |
 *           u64 a | u64 b | u64 c
 *   trailer a record of kind SIM_REC_END: a = record count, b = run hash, c = ac_hash_bytes(0,
 *           header bytes) so a damaged seed or name is detected too; no payload.
 * A file without the trailer is incomplete; while a run is being written the file has a
 * ".partial" suffix and is renamed into place only once complete.
 *
 * The run hash: h starts at SIM_HASH_INIT; for each record,
 *   e = (w0 * K0) ^ (time_ns * K1) ^ (node * K2) ^ (a * K3) ^ (b * K4) ^ (c * K5)
 *       ^ (payload_size ? ac_hash_bytes(0, payload) * K6 : 0),   w0 = kind | flags << 16 |
 *       (u64)payload_size << 32,
 *   h = (h ^ e) * K7; h ^= h >> 32;
 * with the constants K0..K7 of sim/trace.c (64-bit wrapping arithmetic).
 */
#ifndef CRASHLAB_SIM_TRACE_H
#define CRASHLAB_SIM_TRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "event.h"

#define SIM_TRACE_MAGIC "CRASHLAB"
#define SIM_TRACE_VERSION 1u
#define SIM_TRACE_RECORD_SIZE 48u
#define SIM_REC_END 0xFFFFu
#define SIM_HASH_INIT UINT64_C(0x243f6a8885a308d3)

/* A decoded record. payload points into the reader's buffer (valid until the next read). */
typedef struct sim_record {
  uint16_t kind;
  uint16_t flags;
  uint32_t payload_size;
  uint64_t time_ns;
  uint32_t node;
  uint64_t a, b, c;
  const uint8_t *payload;
} sim_record;

/* Mixes one record into a running hash (the function above). */
uint64_t sim_hash_record(uint64_t h, const sim_record *r);

/* ---- Writer ------------------------------------------------------------------------------ */

#define SIM_RECENT_PAYLOAD_MAX 240u

/* A record kept for the "last events" report, with a copy of a small payload. */
typedef struct sim_recent {
  sim_record rec;
  uint8_t payload[SIM_RECENT_PAYLOAD_MAX];
} sim_recent;

typedef struct sim_trace {
  uint64_t hash;           /* run hash so far */
  uint64_t count;          /* records so far */
  uint64_t kind_count[64]; /* records per kind (kinds >= 64 share the last cell) */
  FILE *file;              /* NULL when not writing */
  char *path;              /* final path */
  char *partial_path;      /* path + ".partial" while writing */
  uint8_t *buf;            /* pending bytes */
  size_t buf_len, buf_cap;
  int err;                 /* first write error (AC_EIO), sticky */
  uint64_t header_hash;    /* of the header bytes, for the trailer */
  sim_recent *recent;      /* ring of the last recent_cap records, or NULL */
  uint32_t recent_cap, recent_next, recent_len;
} sim_trace;

/* Starts a trace that only hashes. Cannot fail. */
void sim_trace_init(sim_trace *t);
/* Also writes to `path` (as path.partial until sim_trace_close completes it). AC_EIO, AC_ENOMEM. */
int sim_trace_open(sim_trace *t, const char *path, uint64_t seed, const char *name);
/* Records one event at time_ns: hash, count, and append when writing. */
void sim_trace_record(sim_trace *t, uint64_t time_ns, const ac_event *ev);
/* Keeps the last n records (payloads over SIM_RECENT_PAYLOAD_MAX bytes are dropped from the
 * copy). AC_ENOMEM. */
int sim_trace_keep_recent(sim_trace *t, uint32_t n);
/* Copies up to cap kept records, oldest first; their payloads stay valid until the next
 * record. Returns how many. */
uint32_t sim_trace_recent(const sim_trace *t, sim_record *out, uint32_t cap);

/*
 * Ends the trace. With complete = true, writes the trailer, flushes and renames the file into
 * place; otherwise (or on any write error) removes the partial file. Returns the first write
 * error. Safe to call twice; the hash and the kept recent records stay readable (free those
 * with sim_trace_keep_recent(t, 0)).
 */
int sim_trace_close(sim_trace *t, bool complete);

/* ---- Reader ------------------------------------------------------------------------------ */

typedef struct sim_trace_reader {
  FILE *file;
  const char *path;
  uint64_t seed;
  char name[256];
  char tool[64];
  uint64_t offset;      /* file offset of the next record */
  uint64_t hash;        /* recomputed over the records read */
  uint64_t header_hash; /* of the header bytes read */
  uint64_t count;
  uint8_t *payload;     /* buffer for the current record's payload */
  size_t payload_cap;
  bool ended;           /* the trailer was read and checked */
  char error[512];      /* "path: offset N: what is wrong" after a failure */
} sim_trace_reader;

/* Opens and checks the header. On failure returns AC_EIO or AC_EBADTRACE with r->error set;
 * call sim_trace_reader_close in every case. */
int sim_trace_reader_open(sim_trace_reader *r, const char *path);
/*
 * Reads the next record: 1 with *rec filled, 0 at a verified end (trailer count and hash match
 * what was read), or AC_EBADTRACE / AC_EIO with r->error naming the offset and the problem
 * (bad kind, payload that is not a valid term, truncation, hash mismatch, missing trailer).
 */
int sim_trace_reader_next(sim_trace_reader *r, sim_record *rec);
void sim_trace_reader_close(sim_trace_reader *r);

/* ---- Text -------------------------------------------------------------------------------- */

/* "1.5s", "250ms", "12us", "7ns", "666.666666ms": exact, in the largest unit the value reaches
 * (trailing zeros dropped), so a time reads the same way however many digits it has. */
void sim_format_duration(uint64_t ns, char *buf, size_t cap);
/* One readable line for a record (no newline), snprintf semantics. */
size_t sim_format_record(const sim_record *rec, char *buf, size_t cap);

#endif
