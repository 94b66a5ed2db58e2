/*
 * The trace: every observable event of a run, hashed as it happens and, when asked, written
 * to a file in a canonical binary encoding that the visualiser and the exports read.
 *
 * File format version 2 (all integers little-endian; the full description with the meaning of
 * each event kind and its payload is in docs/architecture.md, "Trace format (version 2)"; the
 * kinds are the table of core/event.h):
 *   header  "CRASHLAB" | u32 version | u32 header_size | u64 seed |
 *           u32 name_len | name | u32 tool_len | tool version text
 *   records (48 bytes each, then payload_size bytes of an encoded term):
 *           u16 kind | u16 flags | u32 payload_size | u64 time_ns | u32 node | u32 reserved(0) |
 *           u64 a | u64 b | u64 c
 *   trailer a record of kind SIM_REC_END: a = record count, b = run hash, c = ac_hash_bytes(0,
 *           header bytes) so a damaged seed or name is detected too; no payload.
 * A file without the trailer is incomplete; while a run is being written a regular file has a
 * ".partial" suffix and is renamed into place only once complete (outfile.h; a FIFO or a device
 * is written in place). The last record before the
 * trailer is always run_end (AC_EV_RUN_END), saying why the run ended.
 *
 * Two libraries: the writer (sim_trace_*, in crashlab::sim, on the hot path of every run) and
 * the reader (sim_trace_parser_*, sim_trace_reader_*, sim_format_*, in crashlab::trace, which
 * needs only crashlab::core for terms), so a viewer or an export links the reader alone.
 *
 * The run hash: h starts at SIM_HASH_INIT; for each record,
 *   e = (w0 * K0) ^ (time_ns * K1) ^ (node * K2) ^ (a * K3) ^ (b * K4) ^ (c * K5)
 *       ^ (payload_size ? ac_hash_bytes(0, payload) * K6 : 0),   w0 = kind | flags << 16 |
 *       (u64)payload_size << 32,
 *   h = (h ^ e) * K7; h ^= h >> 32;
 * with the constants SIM_HASH_K0..K7 below (64-bit wrapping arithmetic).
 */
#ifndef CRASHLAB_SIM_TRACE_H
#define CRASHLAB_SIM_TRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "event.h"
#include "outfile.h"

#define SIM_TRACE_MAGIC "CRASHLAB"
#define SIM_TRACE_VERSION 2u
#define SIM_TRACE_RECORD_SIZE 48u
#define SIM_REC_END 0xFFFFu
#define SIM_HASH_INIT UINT64_C(0x243f6a8885a308d3)
#define SIM_HASH_K0 UINT64_C(0x9e3779b97f4a7c15)
#define SIM_HASH_K1 UINT64_C(0xc2b2ae3d27d4eb4f)
#define SIM_HASH_K2 UINT64_C(0x165667b19e3779f9)
#define SIM_HASH_K3 UINT64_C(0xd6e8feb86659fd93)
#define SIM_HASH_K4 UINT64_C(0xa0761d6478bd642f)
#define SIM_HASH_K5 UINT64_C(0xe7037ed1a0b428db)
#define SIM_HASH_K6 UINT64_C(0x8ebc6af09c88c6e3)
#define SIM_HASH_K7 UINT64_C(0x589965cc75374cc3)

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

/* Mixes one record into a running hash (the function above). Reader library. */
uint64_t sim_hash_record(uint64_t h, const sim_record *r);

/* ---- Writer (crashlab::sim) ------------------------------------------------------------------------------ */

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
  sim_outfile out;         /* the file written (outfile.h); out.file is NULL when none */
  int fd;                  /* or a descriptor streamed to (sim_trace_open_fd), else -1 */
  bool writing;            /* file or fd */
  uint64_t bytes;          /* bytes of trace produced so far (header included) */
  uint64_t limit_bytes;    /* 0: none; past it over_limit is set (the world stops the run) */
  bool over_limit;
  uint8_t *buf;            /* pending bytes */
  size_t buf_len, buf_cap;
  int err;                 /* first write error (AC_EIO), sticky */
  uint64_t header_hash;    /* of the header bytes, for the trailer */
  sim_recent *recent;      /* ring of the last recent_cap records, or NULL */
  uint32_t recent_cap, recent_next, recent_len;
} sim_trace;

/* Starts a trace that only hashes. Cannot fail. */
void sim_trace_init(sim_trace *t);
/* Also writes to `path` (as path.partial until sim_trace_close completes it, or in place when
 * path is a FIFO or a device: sim_outfile_open). AC_EIO with errno set, AC_ENOMEM. */
int sim_trace_open(sim_trace *t, const char *path, uint64_t seed, const char *name);
/* Streams to an open descriptor instead (a pipe to a live viewer): the buffer is written out
 * every 64 KiB and at sim_trace_close, which neither renames nor closes fd. AC_EINVAL for a
 * bad fd or name, AC_ENOMEM. */
int sim_trace_open_fd(sim_trace *t, int fd, uint64_t seed, const char *name);
/* Records one event at time_ns: hash, count, and append when writing. */
void sim_trace_record(sim_trace *t, uint64_t time_ns, const ac_event *ev);
/* Keeps the last n records (payloads over SIM_RECENT_PAYLOAD_MAX bytes are dropped from the
 * copy). AC_ENOMEM. */
int sim_trace_keep_recent(sim_trace *t, uint32_t n);
/* Writes a record that describes the run rather than being part of it (AC_EV_RUN_INFO): it
 * reaches the file or descriptor but neither the run hash, the record count nor the recent
 * ring, so a run's hash does not depend on the path its file was named by. */
void sim_trace_info(sim_trace *t, uint64_t time_ns, const ac_event *ev);
/* Copies up to cap kept records, oldest first; their payloads stay valid until the next
 * record. Returns how many. */
uint32_t sim_trace_recent(const sim_trace *t, sim_record *out, uint32_t cap);

/*
 * Ends the trace. With complete = true, writes the trailer, flushes and renames the file into
 * place; otherwise (or on any write error) removes the partial file. On a descriptor: flushes
 * (the trailer too when complete) and leaves the descriptor open. Returns the first write
 * error. Safe to call twice; the hash and the kept recent records stay readable (free those
 * with sim_trace_keep_recent(t, 0)).
 */
int sim_trace_close(sim_trace *t, bool complete);

/* ---- Reader (crashlab::trace) ------------------------------------------------------------ */

/*
 * The push parser: feed it the bytes of a trace as they come (a file, a pipe from a running
 * simulation), take out complete records one by one. The header is parsed first (have_header
 * then true and seed, name, tool set); each record is checked (kind, payload a valid term) and
 * mixed into the hash; the trailer's count, hash and header hash are compared with what was
 * parsed. Errors are sticky: after one, every call returns it again.
 */
typedef struct sim_trace_parser {
  bool have_header;     /* the header was parsed: version, seed, name, tool are set */
  uint32_t version;
  uint64_t seed;
  char name[256];
  char tool[64];
  uint64_t offset;      /* stream offset of the next record (or of the header) */
  uint64_t hash;        /* recomputed over the records parsed */
  uint64_t header_hash; /* of the header bytes */
  uint64_t count;       /* records parsed (the trailer not counted) */
  bool ended;           /* the trailer was parsed and matched */
  int status;           /* 0, or the first error (AC_EBADTRACE, AC_ENOMEM) */
  char error[480];      /* "offset N: what is wrong" after an error */
  uint8_t *buf;         /* bytes fed and not yet consumed: buf[pos, len) */
  size_t pos, len, cap;
} sim_trace_parser;

void sim_trace_parser_init(sim_trace_parser *p);
/* Appends n bytes (copied). Payloads handed out before become invalid. Bytes after the trailer
 * are an error. Returns p->status (AC_ENOMEM if the copy failed). */
int sim_trace_parser_feed(sim_trace_parser *p, const void *bytes, size_t n);
/* Parses the header if it is complete: 1 (now or earlier), 0 when more bytes are needed, or
 * the sticky error. sim_trace_parser_next does it too; this is for a caller that wants the
 * header (seed, name) before any record. */
int sim_trace_parser_header(sim_trace_parser *p);
/* Takes out the next complete record: 1 with *rec filled (its payload points into the parser
 * and stays valid until the next feed or next call), 0 when more bytes are needed or after the
 * trailer (p->ended), or the sticky error (AC_EBADTRACE, with p->error). */
int sim_trace_parser_next(sim_trace_parser *p, sim_record *rec);
/* The input is over: 0 if the trailer was parsed and nothing follows, else AC_EBADTRACE with
 * p->error saying what is missing (a truncated header, record or payload, or the trailer). */
int sim_trace_parser_finish(sim_trace_parser *p);
void sim_trace_parser_free(sim_trace_parser *p);

/* The file reader: the parser fed from a file, 16 KiB at a time. */
typedef struct sim_trace_reader {
  FILE *file;
  const char *path;
  uint64_t seed;        /* copied from the header */
  char name[256];
  char tool[64];
  uint64_t offset;      /* file offset of the next record */
  uint64_t hash;        /* recomputed over the records read */
  uint64_t count;
  bool ended;           /* the trailer was read and checked */
  char error[768];      /* "path: offset N: what is wrong" after a failure */
  sim_trace_parser parser;
} sim_trace_reader;

/* Opens and checks the header. On failure returns AC_EIO or AC_EBADTRACE with r->error set
 * (a version other than SIM_TRACE_VERSION is named: "trace format version 1: this crashlab
 * reads version 2; record the run again"); call sim_trace_reader_close in every case. */
int sim_trace_reader_open(sim_trace_reader *r, const char *path);
/*
 * Reads the next record: 1 with *rec filled (payload valid until the next call), 0 at a
 * verified end (trailer count and hash match what was read), or AC_EBADTRACE / AC_EIO with
 * r->error naming the offset and the problem (bad kind, payload that is not a valid term,
 * truncation, hash mismatch, missing trailer). Every record before the damage is returned.
 */
int sim_trace_reader_next(sim_trace_reader *r, sim_record *rec);
void sim_trace_reader_close(sim_trace_reader *r);

/* ---- Text -------------------------------------------------------------------------------- */

/* "1.5s", "250ms", "12us", "7ns", "666.666666ms": exact, in the largest unit the value reaches
 * (trailing zeros dropped), so a time reads the same way however many digits it has. */
void sim_format_duration(uint64_t ns, char *buf, size_t cap);
/* Reads a duration with a unit, as a person types one on a command line: "1.5s", "250ms",
 * "10us", "7ns", "5m", "1h" (a non-negative number, then the unit, nothing else). 0 with *ns
 * set (rounded to the nearest nanosecond), or AC_EINVAL for anything else. */
int sim_parse_duration(const char *text, uint64_t *ns);
/* One readable line for a record (no newline), snprintf semantics. Reader library. */
size_t sim_format_record(const sim_record *rec, char *buf, size_t cap);

#endif
