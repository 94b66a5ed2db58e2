/*
 * Tests of sim/trace: the run hash, the trace file's writer and reader, and the text forms.
 *
 * Goal: what the writer records, the reader gives back field for field with the same count and
 * hash; a trace file that exists is always complete (no file and no ".partial" left after an
 * abandoned run); and a damaged file is never read as a good one: every truncation and every
 * flipped byte that the format can notice ends in AC_EBADTRACE with an error that names the
 * file and the offset, so a user can find the damage.
 *
 * Method: each test gets a fresh directory from mkdtemp (removed by the teardown). A small
 * trace with payload-carrying and payload-less records of several kinds is written, read back
 * and compared with the list of records it was made from. The corruption tests load the good
 * file's bytes, damage a copy at offsets computed from the documented layout (a header, then
 * 48-byte records each followed by its payload, then the trailer) and read the copy to its
 * end. The text functions are checked against the examples their contracts give.
 *
 * Format version 2 adds: the push parser (fed one byte at a time it must give exactly what the
 * file reader gives, and report truncation only when told the input is over), the refusal of a
 * version-1 file naming the version, streaming to a descriptor (no rename, the descriptor left
 * open), and the world's records of faults made through the C API (a partition gives a fault
 * and a links record, a kill one fault record), run_end as the last record, and the trace
 * limit ending a run with a complete trace. These use a world with an event hook that keeps
 * every record's kind, flags, a and readable payload.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcntl.h>

#include "term.h"
#include "trace.h"
#include "world.h"

#define I(x) ((int64_t)(x))

/* ---- Fixture: a scratch directory per test -------------------------------------------------- */

typedef struct scratch {
  char dir[256];
  char path[300];    /* the trace written by write_sample() */
  char partial[320]; /* path + ".partial" */
  char copy[300];    /* a damaged copy */
} scratch;

static int scratch_setup(void **state) {
  scratch *s = calloc(1, sizeof *s);
  if (!s) return -1;
  const char *tmp = getenv("TMPDIR");
  if (!tmp || !*tmp || strlen(tmp) > 200) tmp = "/tmp";
  snprintf(s->dir, sizeof s->dir, "%s/crashlab-test-trace-XXXXXX", tmp);
  if (!mkdtemp(s->dir)) {
    free(s);
    return -1;
  }
  snprintf(s->path, sizeof s->path, "%s/run.trace", s->dir);
  snprintf(s->partial, sizeof s->partial, "%s.partial", s->path);
  snprintf(s->copy, sizeof s->copy, "%s/damaged.trace", s->dir);
  *state = s;
  return 0;
}

static int scratch_teardown(void **state) {
  scratch *s = *state;
  DIR *d = opendir(s->dir);
  if (d) {
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
      char file[512];
      snprintf(file, sizeof file, "%s/%s", s->dir, e->d_name);
      remove(file);
    }
    closedir(d);
  }
  rmdir(s->dir);
  free(s);
  return 0;
}

static bool exists(const char *path) { return access(path, F_OK) == 0; }

static int dir_entry_count(const char *dir) {
  DIR *d = opendir(dir);
  assert_non_null(d);
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
  closedir(d);
  return n;
}

/* The whole file in a malloc'ed buffer. */
static uint8_t *load(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  assert_int_equal(fseek(f, 0, SEEK_END), 0);
  long len = ftell(f);
  assert_true(len > 0);
  rewind(f);
  uint8_t *bytes = malloc((size_t)len);
  assert_non_null(bytes);
  assert_int_equal(fread(bytes, 1, (size_t)len, f), (size_t)len);
  fclose(f);
  *size = (size_t)len;
  return bytes;
}

static void store(const char *path, const uint8_t *bytes, size_t size) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(bytes, 1, size, f), size);
  assert_int_equal(fclose(f), 0);
}

/* ---- A sample run ---------------------------------------------------------------------------- */

#define SAMPLE_MAX 8

typedef struct sample {
  uint64_t time_ns[SAMPLE_MAX];
  ac_event ev[SAMPLE_MAX];
  ac_tbuf payload[SAMPLE_MAX];
  uint64_t offset[SAMPLE_MAX + 1]; /* file offset of each record; the last is the trailer's */
  int count;
  uint64_t hash; /* the writer's run hash */
} sample;

static const uint64_t SAMPLE_SEED = 77;
#define SAMPLE_NAME "unit-sample"

static ac_pid pid(uint32_t node, uint32_t slot, uint32_t gen) { return ac_pid_make(node, slot, gen); }

/* Adds an event; fmt (may be NULL) builds its payload. */
static void sample_add(sample *s, uint64_t time_ns, uint16_t kind, uint16_t flags, uint64_t a,
                       uint64_t b, uint64_t c, const char *fmt, ...) {
  assert_true(s->count < SAMPLE_MAX);
  int i = s->count++;
  ac_tbuf *tb = &s->payload[i];
  ac_tb_init(tb);
  ac_term t = {NULL};
  if (fmt) {
    va_list ap;
    va_start(ap, fmt);
    ac_tb_vfmt(tb, fmt, ap);
    va_end(ap);
    assert_int_equal(ac_tb_finish(tb, &t), AC_OK);
  }
  s->time_ns[i] = time_ns;
  s->ev[i] = (ac_event){kind, flags, 0, a, b, c, t.p, fmt ? (uint32_t)tb->size : 0};
}

static void sample_build(sample *s) {
  memset(s, 0, sizeof *s);
  ac_pid self = pid(0, 1, 1), peer = pid(0, 2, 1);
  sample_add(s, 0, AC_EV_NODE, 0, 0, 0, 0, "a", "a");
  /* Spawned from outside: the parent is the node's own pid <0.0.0>, whose bits are 0. */
  sample_add(s, 0, AC_EV_SPAWN, 0, pid(0, 0, 0).bits, self.bits, 0, "a", "pinger");
  sample_add(s, 1000, AC_EV_SEND, 0, self.bits, peer.bits, 5, "{a,p,i}", "ping", self, I(1));
  sample_add(s, 1000, AC_EV_DELIVER, 0, self.bits, peer.bits, 5, NULL);
  sample_add(s, 250000000, AC_EV_SIGNAL, AC_SIG_TRAPPED | AC_SIG_LINK, peer.bits, self.bits, 0,
             "{a,i}", "crash", I(-3));
  sample_add(s, 1500000000, AC_EV_EXIT, 0, peer.bits, 0, 0, "a", "normal");
}

static void sample_free(sample *s) {
  for (int i = 0; i < s->count; i++) ac_tb_free(&s->payload[i]);
}

/* Writes the sample to s->path and works out where each record lies. */
static void write_sample(const scratch *sc, sample *s) {
  sim_trace t;
  sim_trace_init(&t);
  assert_int_equal(sim_trace_open(&t, sc->path, SAMPLE_SEED, SAMPLE_NAME), AC_OK);
  for (int i = 0; i < s->count; i++) sim_trace_record(&t, s->time_ns[i], &s->ev[i]);
  /* Until closed, only the partial file exists. */
  assert_true(exists(sc->partial));
  assert_false(exists(sc->path));
  assert_int_equal(sim_trace_close(&t, true), AC_OK);
  assert_true(exists(sc->path));
  assert_false(exists(sc->partial));
  s->hash = t.hash;
  assert_int_equal(t.count, (uint64_t)s->count);
  /* header = magic, version, header_size, seed, name_len, name, tool_len, tool. */
  size_t size;
  uint8_t *bytes = load(sc->path, &size);
  uint32_t header_size = (uint32_t)bytes[12] | (uint32_t)bytes[13] << 8 |
                         (uint32_t)bytes[14] << 16 | (uint32_t)bytes[15] << 24;
  free(bytes);
  uint64_t off = header_size;
  for (int i = 0; i < s->count; i++) {
    s->offset[i] = off;
    off += SIM_TRACE_RECORD_SIZE + s->ev[i].payload_size;
  }
  s->offset[s->count] = off;
  assert_int_equal(size, off + SIM_TRACE_RECORD_SIZE);
}

/* ---- Writer and reader --------------------------------------------------------------------- */

static void test_written_trace_reads_back_equal(void **state) {
  scratch *sc = *state;
  sample s;
  sample_build(&s);
  write_sample(sc, &s);

  sim_trace_reader r;
  assert_int_equal(sim_trace_reader_open(&r, sc->path), AC_OK);
  assert_int_equal(r.seed, SAMPLE_SEED);
  assert_string_equal(r.name, SAMPLE_NAME);
  assert_int_equal(strncmp(r.tool, "crashlab ", 9), 0);
  uint64_t hash = SIM_HASH_INIT;
  sim_record rec;
  for (int i = 0; i < s.count; i++) {
    assert_int_equal(sim_trace_reader_next(&r, &rec), 1);
    const ac_event *ev = &s.ev[i];
    assert_int_equal(rec.kind, ev->kind);
    assert_int_equal(rec.flags, ev->flags);
    assert_int_equal(rec.time_ns, s.time_ns[i]);
    assert_int_equal(rec.node, ev->node);
    assert_int_equal(rec.a, ev->a);
    assert_int_equal(rec.b, ev->b);
    assert_int_equal(rec.c, ev->c);
    assert_int_equal(rec.payload_size, ev->payload_size);
    if (ev->payload_size)
      assert_memory_equal(rec.payload, ev->payload, ev->payload_size);
    else
      assert_null(rec.payload);
    hash = sim_hash_record(hash, &rec);
  }
  assert_int_equal(sim_trace_reader_next(&r, &rec), 0);
  assert_true(r.ended);
  assert_int_equal(r.count, (uint64_t)s.count);
  assert_int_equal(r.hash, s.hash);
  assert_int_equal(hash, s.hash);
  /* A verified end stays the end. */
  assert_int_equal(sim_trace_reader_next(&r, &rec), 0);
  sim_trace_reader_close(&r);
  sim_trace_reader_close(&r);
  sample_free(&s);
}

static void test_hash_does_not_depend_on_writing_a_file(void **state) {
  scratch *sc = *state;
  sample s;
  sample_build(&s);
  write_sample(sc, &s);
  sim_trace t;
  sim_trace_init(&t);
  assert_int_equal(t.hash, SIM_HASH_INIT);
  for (int i = 0; i < s.count; i++) sim_trace_record(&t, s.time_ns[i], &s.ev[i]);
  assert_int_equal(t.hash, s.hash);
  assert_int_equal(t.count, (uint64_t)s.count);
  assert_int_equal(t.kind_count[AC_EV_SEND], 1);
  assert_int_equal(sim_trace_close(&t, true), AC_OK);
  assert_int_equal(dir_entry_count(sc->dir), 1); /* only the sample's own file */
  sample_free(&s);
}

static void test_hash_changes_with_every_field(void **state) {
  (void)state;
  uint8_t payload[] = {AC_T_INT, 1, 0, 0, 0, 0, 0, 0, 0};
  const sim_record base = {AC_EV_SEND, 0, sizeof payload, 10, 0, 1, 2, 3, payload};
  uint64_t h = sim_hash_record(SIM_HASH_INIT, &base);
  sim_record r;
#define DIFFERS(field, value)                                   \
  do {                                                          \
    r = base;                                                   \
    r.field = value;                                            \
    assert_int_not_equal(sim_hash_record(SIM_HASH_INIT, &r), h); \
  } while (0)
  DIFFERS(kind, AC_EV_DELIVER);
  DIFFERS(flags, 1);
  DIFFERS(time_ns, 11);
  DIFFERS(node, 1);
  DIFFERS(a, 9);
  DIFFERS(b, 9);
  DIFFERS(c, 9);
#undef DIFFERS
  uint8_t other[sizeof payload];
  memcpy(other, payload, sizeof payload);
  other[1] = 2;
  r = base;
  r.payload = other;
  assert_int_not_equal(sim_hash_record(SIM_HASH_INIT, &r), h);
  /* Order matters: the hash is of a sequence, not a set. */
  sim_record second = base;
  second.time_ns = 20;
  assert_int_not_equal(sim_hash_record(sim_hash_record(SIM_HASH_INIT, &base), &second),
                       sim_hash_record(sim_hash_record(SIM_HASH_INIT, &second), &base));
}

static void test_abandoned_trace_leaves_no_file_and_no_partial(void **state) {
  scratch *sc = *state;
  sample s;
  sample_build(&s);
  sim_trace t;
  sim_trace_init(&t);
  assert_int_equal(sim_trace_open(&t, sc->path, SAMPLE_SEED, SAMPLE_NAME), AC_OK);
  for (int i = 0; i < s.count; i++) sim_trace_record(&t, s.time_ns[i], &s.ev[i]);
  assert_true(exists(sc->partial));
  uint64_t hash = t.hash;
  assert_int_equal(sim_trace_close(&t, false), AC_OK);
  assert_false(exists(sc->path));
  assert_false(exists(sc->partial));
  assert_int_equal(dir_entry_count(sc->dir), 0);
  /* Closing again is harmless, and the hash stays readable. */
  assert_int_equal(sim_trace_close(&t, true), AC_OK);
  assert_false(exists(sc->path));
  assert_int_equal(t.hash, hash);
  sample_free(&s);
}

static void test_complete_trace_closed_twice_stays_complete(void **state) {
  scratch *sc = *state;
  sim_trace t;
  sim_trace_init(&t);
  assert_int_equal(sim_trace_open(&t, sc->path, 1, "empty"), AC_OK);
  assert_int_equal(sim_trace_close(&t, true), AC_OK);
  assert_int_equal(sim_trace_close(&t, false), AC_OK);
  assert_true(exists(sc->path));
  /* An empty run is a valid trace: the trailer alone. */
  sim_trace_reader r;
  sim_record rec;
  assert_int_equal(sim_trace_reader_open(&r, sc->path), AC_OK);
  assert_int_equal(sim_trace_reader_next(&r, &rec), 0);
  assert_int_equal(r.count, 0);
  assert_int_equal(r.hash, SIM_HASH_INIT);
  sim_trace_reader_close(&r);
}

static void test_open_in_missing_directory_fails_with_eio(void **state) {
  scratch *sc = *state;
  char path[320];
  snprintf(path, sizeof path, "%s/no-such-dir/x.trace", sc->dir);
  sim_trace t;
  sim_trace_init(&t);
  assert_int_equal(sim_trace_open(&t, path, 1, "x"), AC_EIO);
  /* A failed open holds nothing: the trace is as sim_trace_init left it, so a caller that
   * gives up at once (as sim_world_create does) leaks nothing. */
  assert_null(t.out.file);
  assert_null(t.out.target);
  assert_null(t.out.partial);
  assert_null(t.buf);
  assert_int_equal(t.buf_cap, 0);
  assert_int_equal(t.hash, SIM_HASH_INIT);
  assert_int_equal(dir_entry_count(sc->dir), 0);
  /* It still hashes, and closing it is harmless. */
  ac_event ev = {AC_EV_NOTE, 0, 0, 0, 0, 0, NULL, 0};
  sim_trace_record(&t, 5, &ev);
  assert_int_equal(t.count, 1);
  assert_int_equal(sim_trace_close(&t, true), AC_OK);
  assert_int_equal(dir_entry_count(sc->dir), 0);
}

/* ---- Damaged files ------------------------------------------------------------------------- */

/* Reads `path` to its end and requires AC_EBADTRACE with an error naming the file and an offset
 * (and `want` when not NULL). Returns nothing: any other outcome fails the test. */
static void assert_bad_trace(const char *path, const char *what, const char *want) {
  sim_trace_reader r;
  sim_record rec;
  int rc = sim_trace_reader_open(&r, path);
  int records = 0;
  if (rc == AC_OK)
    while ((rc = sim_trace_reader_next(&r, &rec)) == 1) records++;
  if (rc != AC_EBADTRACE)
    fail_msg("%s: got %d (%s) after %d records, want AC_EBADTRACE", what, rc, ac_errname(rc),
             records);
  if (!strstr(r.error, path) || !strstr(r.error, "offset"))
    fail_msg("%s: error '%s' does not name the file and the offset", what, r.error);
  if (want && !strstr(r.error, want)) fail_msg("%s: error '%s' lacks '%s'", what, r.error, want);
  sim_trace_reader_close(&r);
}

static void test_every_truncation_is_refused_with_its_offset(void **state) {
  scratch *sc = *state;
  sample s;
  sample_build(&s);
  write_sample(sc, &s);
  size_t size;
  uint8_t *good = load(sc->path, &size);
  uint64_t header_size = s.offset[0];
  char at[64];
  /* Named boundaries: inside the magic, inside the fixed header, inside the tool text, right
   * after the header, inside a record's fixed part, inside a payload, right before the
   * trailer, inside the trailer. */
  struct {
    uint64_t length;
    const char *want;
  } cuts[] = {
      {5, "offset 0"},
      {20, "offset 0"},
      {header_size - 3, "offset 0"},
      {header_size, NULL},
      {s.offset[2] + 20, NULL},
      {s.offset[2] + SIM_TRACE_RECORD_SIZE + 2, NULL},
      {s.offset[s.count], NULL},
      {size - 1, NULL},
  };
  for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
    store(sc->copy, good, cuts[i].length);
    snprintf(at, sizeof at, "truncated to %" PRIu64 " bytes", cuts[i].length);
    assert_bad_trace(sc->copy, at, cuts[i].want);
  }
  /* The offset named is where the damaged record starts. */
  store(sc->copy, good, s.offset[2] + SIM_TRACE_RECORD_SIZE + 2);
  snprintf(at, sizeof at, "offset %" PRIu64 ":", s.offset[2]);
  assert_bad_trace(sc->copy, "truncated in a payload", at);
  store(sc->copy, good, s.offset[s.count]);
  snprintf(at, sizeof at, "offset %" PRIu64 ":", s.offset[s.count]);
  assert_bad_trace(sc->copy, "trailer missing", at);
  /* Every other length too, the empty file included: none may pass for a complete trace. */
  for (size_t len = 0; len < size; len++) {
    store(sc->copy, good, len);
    snprintf(at, sizeof at, "truncated to %zu bytes", len);
    assert_bad_trace(sc->copy, at, NULL);
  }
  free(good);
  sample_free(&s);
}

/* Stores a copy of `good` with byte `offset` XORed with `mask`, and expects it refused. */
static void assert_flip_refused(const scratch *sc, const uint8_t *good, size_t size,
                                uint64_t offset, uint8_t mask, const char *what,
                                const char *want) {
  uint8_t *bad = malloc(size);
  assert_non_null(bad);
  memcpy(bad, good, size);
  bad[offset] ^= mask;
  store(sc->copy, bad, size);
  free(bad);
  assert_bad_trace(sc->copy, what, want);
}

static void test_flipped_bytes_are_refused(void **state) {
  scratch *sc = *state;
  sample s;
  sample_build(&s);
  write_sample(sc, &s);
  size_t size;
  uint8_t *good = load(sc->path, &size);
  /* Record 2 is the send: {ping, Pid, 1}, 48 bytes of fixed fields then the payload. */
  uint64_t send = s.offset[2], payload = send + SIM_TRACE_RECORD_SIZE;
  uint32_t payload_size = s.ev[2].payload_size;
  /* The last byte of the payload is the top byte of the integer 1: still a valid term, so only
   * the trailer's hash can notice. */
  assert_flip_refused(sc, good, size, payload + payload_size - 1, 0x40, "payload int changed",
                      "hash does not match");
  /* The tuple's tag: no longer a valid term. */
  assert_flip_refused(sc, good, size, payload, 0x7f, "payload tag changed", "not a valid term");
  /* Fixed fields: time (byte 8), node (16), a (24), c (40): only the hash notices. */
  assert_flip_refused(sc, good, size, send + 8, 0x01, "time changed", "hash does not match");
  assert_flip_refused(sc, good, size, send + 16, 0x01, "node changed", "hash does not match");
  assert_flip_refused(sc, good, size, send + 24, 0x80, "a changed", "hash does not match");
  assert_flip_refused(sc, good, size, send + 40, 0x02, "c changed", "hash does not match");
  /* flags (byte 2) and the reserved word (20). */
  assert_flip_refused(sc, good, size, send + 2, 0x01, "flags changed", "hash does not match");
  assert_flip_refused(sc, good, size, send + 20, 0x01, "reserved set", "reserved");
  /* kind (byte 0): 3 (send) ^ 0x60 = 99 is no event kind. */
  assert_flip_refused(sc, good, size, send, 0x60, "kind changed", "unknown event kind");
  /* The trailer's count and hash. */
  uint64_t trailer = s.offset[s.count];
  assert_flip_refused(sc, good, size, trailer + 24, 0x01, "trailer count changed", "count");
  assert_flip_refused(sc, good, size, trailer + 32, 0x01, "trailer hash changed", "hash");
  /* The header: magic and version. */
  assert_flip_refused(sc, good, size, 0, 0x20, "magic changed", "not a crashlab trace");
  assert_flip_refused(sc, good, size, 8, 0x02, "version changed", "version");
  /* The seed (byte 16) and a letter of the name (byte 28): the trailer's header hash notices,
   * so a trace cannot claim another seed than the one that made it. */
  assert_flip_refused(sc, good, size, 16, 0x01, "seed changed", "header");
  assert_flip_refused(sc, good, size, 28, 0x01, "name changed", "header");
  assert_flip_refused(sc, good, size, trailer + 40, 0x01, "trailer header hash changed", "header");
  free(good);
  sample_free(&s);
}

static void test_data_after_the_trailer_is_refused(void **state) {
  scratch *sc = *state;
  sample s;
  sample_build(&s);
  write_sample(sc, &s);
  size_t size;
  uint8_t *good = load(sc->path, &size);
  uint8_t *longer = malloc(size + 1);
  assert_non_null(longer);
  memcpy(longer, good, size);
  longer[size] = 0;
  store(sc->copy, longer, size + 1);
  assert_bad_trace(sc->copy, "a byte after the trailer", "after the end record");
  free(longer);
  free(good);
  sample_free(&s);
}

static void test_other_files_are_not_crashlab_traces(void **state) {
  scratch *sc = *state;
  const char text[] = "this is a text file, long enough to hold a whole header and more\n";
  store(sc->copy, (const uint8_t *)text, sizeof text - 1);
  assert_bad_trace(sc->copy, "a text file", "not a crashlab trace");
  store(sc->copy, (const uint8_t *)"CRASH", 5);
  assert_bad_trace(sc->copy, "a short file", "not a crashlab trace");
  /* A missing file is an input/output error, with the path. */
  sim_trace_reader r;
  assert_int_equal(sim_trace_reader_open(&r, sc->path), AC_EIO);
  assert_non_null(strstr(r.error, sc->path));
  sim_trace_reader_close(&r);
}

/* ---- Text ---------------------------------------------------------------------------------- */

static void assert_duration(uint64_t ns, const char *want) {
  char buf[64];
  memset(buf, 'x', sizeof buf);
  sim_format_duration(ns, buf, sizeof buf);
  if (strcmp(buf, want) != 0)
    fail_msg("sim_format_duration(%" PRIu64 ") = '%s', want '%s'", ns, buf, want);
}

static void test_format_duration_uses_the_largest_whole_unit(void **state) {
  (void)state;
  /* The contract's examples that are whole units. */
  assert_duration(250000000, "250ms");
  assert_duration(12000, "12us");
  assert_duration(7, "7ns");
  /* Boundaries: zero, one below and at each unit. */
  assert_duration(0, "0ns");
  assert_duration(999, "999ns");
  assert_duration(1000, "1us");
  assert_duration(999000, "999us");
  assert_duration(1000000, "1ms");
  assert_duration(UINT64_C(1000000000), "1s");
  assert_duration(UINT64_C(60000000000), "60s");
  /* Nanosecond digits of a second, trailing zeros dropped. */
  assert_duration(UINT64_C(1500000001), "1.500000001s");
  assert_duration(UINT64_C(18446744073709551615), "18446744073.709551615s");
}

static void test_format_duration_keeps_the_largest_unit_for_fractions(void **state) {
  (void)state;
  /* One and a half seconds is "1.5s", not "1500ms"; a fraction of a unit stays in that unit
   * with its exact digits, even where a smaller unit would be shorter ("666666666ns"). */
  assert_duration(UINT64_C(1500000000), "1.5s");
  assert_duration(UINT64_C(2250000000), "2.25s");
  assert_duration(UINT64_C(666666666), "666.666666ms");
  assert_duration(UINT64_C(1234567), "1.234567ms");
  assert_duration(UINT64_C(1001), "1.001us");
  assert_duration(UINT64_C(1000000001), "1.000000001s");
}

static void test_format_duration_truncates_like_snprintf(void **state) {
  (void)state;
  char buf[3];
  sim_format_duration(250000000, buf, sizeof buf);
  assert_string_equal(buf, "25");
  char frac[6];
  sim_format_duration(UINT64_C(666666666), frac, sizeof frac); /* "666.666666ms", cut */
  assert_string_equal(frac, "666.6");
  char none[1] = {'x'};
  sim_format_duration(UINT64_C(1500000000), none, 0); /* no room: nothing written */
  assert_int_equal(none[0], 'x');
}

static void test_format_record_of_send_shows_pids_and_message(void **state) {
  (void)state;
  ac_pid from = pid(0, 1, 1), to = pid(3, 12, 7);
  ac_tbuf b;
  ac_tb_init(&b);
  ac_term msg;
  assert_int_equal(ac_tb_fmt(&b, "{a,p,i}", "ping", from, I(42)), AC_OK);
  assert_int_equal(ac_tb_finish(&b, &msg), AC_OK);
  sim_record rec = {AC_EV_SEND, 0, (uint32_t)b.size, 1500000000, 3, from.bits, to.bits, 9, msg.p};
  char line[256];
  size_t n = sim_format_record(&rec, line, sizeof line);
  assert_int_equal(n, strlen(line));
  if (!strstr(line, "send") || !strstr(line, "<0.1.1>") || !strstr(line, "<3.12.7>") ||
      !strstr(line, "{ping,<0.1.1>,42}") || !strstr(line, "#0.9")) /* id: node.counter */
    fail_msg("send record printed as '%s'", line);
  /* The time: seconds and nanoseconds. */
  assert_non_null(strstr(line, "1.500000000s"));
  /* snprintf semantics: a short buffer holds a prefix and the full length is returned. */
  char shorter[16];
  assert_int_equal(sim_format_record(&rec, shorter, sizeof shorter), n);
  assert_int_equal(strlen(shorter), sizeof shorter - 1);
  assert_int_equal(strncmp(shorter, line, sizeof shorter - 1), 0);
  assert_int_equal(sim_format_record(&rec, NULL, 0), n);
  ac_tb_free(&b);
}

static void test_format_record_of_signal_and_end(void **state) {
  (void)state;
  ac_pid from = pid(0, 2, 1), to = pid(0, 1, 1);
  ac_tbuf b;
  ac_tb_init(&b);
  ac_term reason;
  assert_int_equal(ac_tb_fmt(&b, "a", "killed"), AC_OK);
  assert_int_equal(ac_tb_finish(&b, &reason), AC_OK);
  sim_record sig = {AC_EV_SIGNAL, AC_SIG_KILLED | AC_SIG_LINK, (uint32_t)b.size, 0, 0,
                    from.bits, to.bits, 0, reason.p};
  char line[256];
  sim_format_record(&sig, line, sizeof line);
  if (!strstr(line, "signal") || !strstr(line, "<0.2.1> -> <0.1.1> killed (link) dies"))
    fail_msg("signal record printed as '%s'", line);
  sim_record end = {SIM_REC_END, 0, 0, 0, 0, 6, UINT64_C(0x0123456789abcdef), 0, NULL};
  sim_format_record(&end, line, sizeof line);
  if (!strstr(line, "end") || !strstr(line, "6 records hash=0123456789abcdef"))
    fail_msg("end record printed as '%s'", line);
  ac_tb_free(&b);
}

/* ---- Format version 2: the push parser ------------------------------------------------------ */

/* Records as the file reader gives them, with copies of their payloads. */
typedef struct kept {
  sim_record rec[SAMPLE_MAX];
  uint8_t payload[SAMPLE_MAX][256];
  int count;
} kept;

static void keep(kept *k, const sim_record *r) {
  assert_true(k->count < SAMPLE_MAX);
  assert_true(r->payload_size <= sizeof k->payload[0]);
  k->rec[k->count] = *r;
  if (r->payload_size) memcpy(k->payload[k->count], r->payload, r->payload_size);
  k->count++;
}

static void test_parser_fed_one_byte_at_a_time_matches_the_file_reader(void **state) {
  scratch *sc = *state;
  sample s;
  sample_build(&s);
  write_sample(sc, &s);
  kept from_file = {0};
  sim_trace_reader r;
  sim_record rec;
  assert_int_equal(sim_trace_reader_open(&r, sc->path), AC_OK);
  int rc;
  while ((rc = sim_trace_reader_next(&r, &rec)) == 1) keep(&from_file, &rec);
  assert_int_equal(rc, 0);
  uint64_t file_hash = r.hash;
  sim_trace_reader_close(&r);

  size_t size;
  uint8_t *bytes = load(sc->path, &size);
  sim_trace_parser p;
  sim_trace_parser_init(&p);
  int n = 0;
  for (size_t i = 0; i < size; i++) {
    assert_int_equal(sim_trace_parser_feed(&p, &bytes[i], 1), AC_OK);
    while ((rc = sim_trace_parser_next(&p, &rec)) == 1) {
      assert_true(n < from_file.count);
      const sim_record *want = &from_file.rec[n];
      assert_int_equal(rec.kind, want->kind);
      assert_int_equal(rec.flags, want->flags);
      assert_int_equal(rec.time_ns, want->time_ns);
      assert_int_equal(rec.a, want->a);
      assert_int_equal(rec.b, want->b);
      assert_int_equal(rec.c, want->c);
      assert_int_equal(rec.payload_size, want->payload_size);
      if (rec.payload_size) assert_memory_equal(rec.payload, from_file.payload[n], rec.payload_size);
      n++;
    }
    assert_int_equal(rc, 0);
    if (i + 1 < size) assert_false(p.ended); /* the trailer is its last 48 bytes */
  }
  assert_int_equal(n, from_file.count);
  assert_true(p.ended);
  assert_int_equal(sim_trace_parser_finish(&p), AC_OK);
  assert_int_equal(p.hash, file_hash);
  assert_int_equal(p.hash, s.hash);
  assert_string_equal(p.name, SAMPLE_NAME);
  assert_int_equal(p.seed, SAMPLE_SEED);
  sim_trace_parser_free(&p);
  free(bytes);
  sample_free(&s);
}

static void test_parser_reports_truncation_only_when_the_input_is_over(void **state) {
  scratch *sc = *state;
  sample s;
  sample_build(&s);
  write_sample(sc, &s);
  size_t size;
  uint8_t *bytes = load(sc->path, &size);
  sim_trace_parser p;
  sim_trace_parser_init(&p);
  /* Cut in the middle of the third record: two records come out, then "more bytes needed". */
  size_t cut = (size_t)s.offset[2] + 20;
  assert_int_equal(sim_trace_parser_feed(&p, bytes, cut), AC_OK);
  sim_record rec;
  assert_int_equal(sim_trace_parser_next(&p, &rec), 1);
  assert_int_equal(sim_trace_parser_next(&p, &rec), 1);
  assert_int_equal(sim_trace_parser_next(&p, &rec), 0);
  assert_int_equal(sim_trace_parser_finish(&p), AC_EBADTRACE);
  char want[64];
  snprintf(want, sizeof want, "offset %" PRIu64 ": truncated record", s.offset[2]);
  if (!strstr(p.error, want)) fail_msg("error '%s' lacks '%s'", p.error, want);
  sim_trace_parser_free(&p);
  free(bytes);
  sample_free(&s);
}

static void test_version_1_header_is_refused_naming_the_version(void **state) {
  scratch *sc = *state;
  sample s;
  sample_build(&s);
  write_sample(sc, &s);
  size_t size;
  uint8_t *bytes = load(sc->path, &size);
  bytes[8] = 1; /* the version field, little-endian */
  store(sc->copy, bytes, size);
  sim_trace_reader r;
  assert_int_equal(sim_trace_reader_open(&r, sc->copy), AC_EBADTRACE);
  if (!strstr(r.error, sc->copy) || !strstr(r.error, "trace format version 1") ||
      !strstr(r.error, "reads version 2"))
    fail_msg("a version-1 file refused with '%s'", r.error);
  sim_trace_reader_close(&r);
  free(bytes);
  sample_free(&s);
}

static void test_trace_streams_to_a_descriptor_left_open(void **state) {
  scratch *sc = *state;
  sample s;
  sample_build(&s);
  int fd = open(sc->copy, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  assert_true(fd > 0);
  sim_trace t;
  sim_trace_init(&t);
  assert_int_equal(sim_trace_open_fd(&t, fd, SAMPLE_SEED, SAMPLE_NAME), AC_OK);
  for (int i = 0; i < s.count; i++) sim_trace_record(&t, s.time_ns[i], &s.ev[i]);
  assert_int_equal(sim_trace_close(&t, true), AC_OK);
  char partial[340];
  snprintf(partial, sizeof partial, "%s.partial", sc->copy);
  assert_false(exists(partial));
  assert_int_equal(fcntl(fd, F_GETFD), 0); /* still open: the caller owns it */
  close(fd);
  sim_trace_reader r;
  sim_record rec;
  assert_int_equal(sim_trace_reader_open(&r, sc->copy), AC_OK);
  int rc, n = 0;
  while ((rc = sim_trace_reader_next(&r, &rec)) == 1) n++;
  assert_int_equal(rc, 0);
  assert_int_equal(n, s.count);
  assert_int_equal(r.hash, t.hash);
  sim_trace_reader_close(&r);
  sample_free(&s);
}

/* ---- Format version 2: what the world records ---------------------------------------------- */

#define SEEN_MAX 64

typedef struct seen {
  uint16_t kind[SEEN_MAX], flags[SEEN_MAX];
  uint64_t a[SEEN_MAX];
  char text[SEEN_MAX][160]; /* the payload, printed */
  int count;
} seen;

static void on_record(const sim_record *r, void *arg) {
  seen *s = arg;
  if (s->count == SEEN_MAX) return;
  int i = s->count++;
  s->kind[i] = r->kind;
  s->flags[i] = r->flags;
  s->a[i] = r->a;
  s->text[i][0] = 0;
  if (r->payload_size) ac_term_print((ac_term){r->payload}, s->text[i], sizeof s->text[i]);
}

static int seen_find(const seen *s, uint16_t kind, int from) {
  for (int i = from; i < s->count; i++)
    if (s->kind[i] == kind) return i;
  return -1;
}

static sim_world *world_with(seen *s, const char *trace_path, uint64_t limit_bytes) {
  sim_config cfg = {1, "v2", trace_path, -1, limit_bytes};
  sim_world *w = NULL;
  assert_int_equal(sim_world_create(&w, &cfg), AC_OK);
  sim_set_event_hook(w, on_record, s);
  assert_int_equal(sim_node_add(w, "a", NULL, NULL), AC_OK);
  assert_int_equal(sim_node_add(w, "b", NULL, NULL), AC_OK);
  assert_int_equal(sim_node_add(w, "c", NULL, NULL), AC_OK);
  return w;
}

static void test_c_api_partition_records_one_fault_then_links(void **state) {
  (void)state;
  seen s = {0};
  sim_world *w = world_with(&s, NULL, 0);
  uint32_t group[] = {0, 1, 1}; /* {a} | {b, c} */
  assert_int_equal(sim_net_partition(w, group, 3), AC_OK);
  int f = seen_find(&s, AC_EV_FAULT, 0);
  assert_true(f >= 0);
  assert_int_equal(seen_find(&s, AC_EV_FAULT, f + 1), -1); /* exactly one */
  assert_int_equal(s.flags[f], SIM_FAULT_PARTITION);
  assert_string_equal(s.text[f], "{partition,[[a],[b,c]]}");
  assert_int_equal(s.kind[f + 1], AC_EV_LINKS);
  assert_string_equal(s.text[f + 1], "{[{a,b},{a,c},{b,a},{c,a}],[]}");
  sim_net_heal(w);
  int h = seen_find(&s, AC_EV_FAULT, f + 1);
  assert_true(h >= 0);
  assert_int_equal(s.flags[h], SIM_FAULT_HEAL);
  assert_string_equal(s.text[h], "heal");
  assert_int_equal(s.kind[h + 1], AC_EV_LINKS);
  assert_string_equal(s.text[h + 1], "{[],[]}");
  sim_world_destroy(w);
}

static void test_proc_kill_is_one_fault_record_aimed_at_the_pid(void **state) {
  (void)state;
  seen s = {0};
  sim_world *w = world_with(&s, NULL, 0);
  ac_pid gone = ac_pid_make(0, 7, 1); /* no such process: the fault is still what was injected */
  ac_tbuf b;
  ac_tb_init(&b);
  ac_term reason;
  assert_int_equal(ac_tb_fmt(&b, "a", "chaos"), AC_OK);
  assert_int_equal(ac_tb_finish(&b, &reason), AC_OK);
  int before = s.count;
  sim_proc_kill(w, gone, reason);
  int f = seen_find(&s, AC_EV_FAULT, before);
  assert_true(f >= 0);
  assert_int_equal(seen_find(&s, AC_EV_FAULT, f + 1), -1);
  assert_int_equal(s.flags[f], SIM_FAULT_KILL);
  assert_int_equal(s.a[f], gone.bits);
  assert_string_equal(s.text[f], "{kill,<0.7.1>,chaos,[{node,a},{pid,<0.7.1>}]}"); /* by pid: no name */
  ac_tb_free(&b);
  sim_world_destroy(w);
}

static void note_forever(sim_world *w, void *arg) {
  ac_tbuf b;
  ac_tb_init(&b);
  ac_term t;
  if (ac_tb_fmt(&b, "{a,i}", "tick", (int64_t)sim_now(w)) == AC_OK && ac_tb_finish(&b, &t) == AC_OK)
    sim_note(w, t);
  ac_tb_free(&b);
  sim_at(w, sim_now(w) + 1000000, note_forever, arg);
}

static void test_trace_limit_ends_the_run_with_a_complete_trace(void **state) {
  scratch *sc = *state;
  seen s = {0};
  sim_world *w = world_with(&s, sc->path, 2000);
  assert_int_equal(sim_at(w, 0, note_forever, NULL), AC_OK);
  assert_int_equal(sim_run(w, NULL), SIM_STOP_TRACE_LIMIT);
  assert_true(sim_trace_limit_reached(w));
  sim_end(w, SIM_END_TRACE_LIMIT, 2, "trace limit");
  assert_int_equal(sim_finish(w), AC_OK);
  sim_world_destroy(w);
  sim_trace_reader r;
  sim_record rec, last = {0};
  assert_int_equal(sim_trace_reader_open(&r, sc->path), AC_OK);
  int rc;
  while ((rc = sim_trace_reader_next(&r, &rec)) == 1) last = rec;
  assert_int_equal(rc, 0);
  assert_int_equal(last.kind, AC_EV_RUN_END);
  assert_int_equal(last.flags, SIM_END_TRACE_LIMIT);
  assert_int_equal(last.a, 2);
  /* It stopped soon after the limit: one step's records (a note) plus run_end and trailer. */
  assert_true(r.offset < 2000 + 3 * SIM_TRACE_RECORD_SIZE + 64);
  sim_trace_reader_close(&r);
}

/* The live mode: a world streams its trace into a pipe, and the parser, fed what the pipe
 * gives, reads the same records and hash as the world made (the run is small enough for the
 * pipe's buffer, so one process can do both). */
static void test_world_streams_its_trace_through_a_pipe_to_the_parser(void **state) {
  (void)state;
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  seen s = {0};
  sim_config cfg = {5, "live", NULL, fds[1], 0};
  sim_world *w = NULL;
  assert_int_equal(sim_world_create(&w, &cfg), AC_OK);
  sim_set_event_hook(w, on_record, &s);
  assert_int_equal(sim_node_add(w, "a", NULL, NULL), AC_OK);
  assert_int_equal(sim_node_add(w, "b", NULL, NULL), AC_OK);
  uint32_t group[] = {0, 1};
  assert_int_equal(sim_net_partition(w, group, 2), AC_OK);
  sim_net_heal(w);
  assert_int_equal(sim_finish(w), AC_OK);
  uint64_t hash = sim_hash(w);
  sim_world_destroy(w);
  close(fds[1]); /* the world leaves it open: the owner closes it */
  sim_trace_parser p;
  sim_trace_parser_init(&p);
  uint8_t chunk[100]; /* small reads: records arrive split */
  ssize_t got;
  int n = 0, rc;
  sim_record rec;
  while ((got = read(fds[0], chunk, sizeof chunk)) > 0) {
    assert_int_equal(sim_trace_parser_feed(&p, chunk, (size_t)got), AC_OK);
    while ((rc = sim_trace_parser_next(&p, &rec)) == 1) {
      assert_true(n < s.count);
      assert_int_equal(rec.kind, s.kind[n]);
      n++;
    }
    assert_int_equal(rc, 0);
  }
  close(fds[0]);
  assert_int_equal(sim_trace_parser_finish(&p), AC_OK);
  assert_int_equal(n, s.count);
  assert_int_equal(p.hash, hash);
  assert_string_equal(p.name, "live");
  assert_int_equal(s.kind[s.count - 1], AC_EV_RUN_END);
  sim_trace_parser_free(&p);
}

static void test_finish_records_run_end_once_as_the_last_record(void **state) {
  (void)state;
  seen s = {0};
  sim_world *w = world_with(&s, NULL, 0);
  sim_run(w, NULL);
  sim_end(w, SIM_END_QUIESCENT, 0, "done");
  sim_end(w, SIM_END_ERROR, 2, "ignored: only the first one counts");
  assert_int_equal(sim_finish(w), AC_OK);
  assert_int_equal(s.kind[s.count - 1], AC_EV_RUN_END);
  assert_int_equal(s.flags[s.count - 1], SIM_END_QUIESCENT);
  assert_string_equal(s.text[s.count - 1], "<<\"done\">>");
  assert_int_equal(seen_find(&s, AC_EV_RUN_END, 0), s.count - 1);
  sim_world_destroy(w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_written_trace_reads_back_equal, scratch_setup,
                                      scratch_teardown),
      cmocka_unit_test_setup_teardown(test_hash_does_not_depend_on_writing_a_file, scratch_setup,
                                      scratch_teardown),
      cmocka_unit_test(test_hash_changes_with_every_field),
      cmocka_unit_test_setup_teardown(test_abandoned_trace_leaves_no_file_and_no_partial,
                                      scratch_setup, scratch_teardown),
      cmocka_unit_test_setup_teardown(test_complete_trace_closed_twice_stays_complete,
                                      scratch_setup, scratch_teardown),
      cmocka_unit_test_setup_teardown(test_open_in_missing_directory_fails_with_eio,
                                      scratch_setup, scratch_teardown),
      cmocka_unit_test_setup_teardown(test_every_truncation_is_refused_with_its_offset,
                                      scratch_setup, scratch_teardown),
      cmocka_unit_test_setup_teardown(test_flipped_bytes_are_refused, scratch_setup,
                                      scratch_teardown),
      cmocka_unit_test_setup_teardown(test_data_after_the_trailer_is_refused, scratch_setup,
                                      scratch_teardown),
      cmocka_unit_test_setup_teardown(test_other_files_are_not_crashlab_traces, scratch_setup,
                                      scratch_teardown),
      cmocka_unit_test(test_format_duration_uses_the_largest_whole_unit),
      cmocka_unit_test(test_format_duration_keeps_the_largest_unit_for_fractions),
      cmocka_unit_test(test_format_duration_truncates_like_snprintf),
      cmocka_unit_test(test_format_record_of_send_shows_pids_and_message),
      cmocka_unit_test(test_format_record_of_signal_and_end),
      cmocka_unit_test_setup_teardown(test_parser_fed_one_byte_at_a_time_matches_the_file_reader,
                                      scratch_setup, scratch_teardown),
      cmocka_unit_test_setup_teardown(test_parser_reports_truncation_only_when_the_input_is_over,
                                      scratch_setup, scratch_teardown),
      cmocka_unit_test_setup_teardown(test_version_1_header_is_refused_naming_the_version,
                                      scratch_setup, scratch_teardown),
      cmocka_unit_test_setup_teardown(test_trace_streams_to_a_descriptor_left_open, scratch_setup,
                                      scratch_teardown),
      cmocka_unit_test(test_c_api_partition_records_one_fault_then_links),
      cmocka_unit_test(test_proc_kill_is_one_fault_record_aimed_at_the_pid),
      cmocka_unit_test_setup_teardown(test_trace_limit_ends_the_run_with_a_complete_trace,
                                      scratch_setup, scratch_teardown),
      cmocka_unit_test(test_finish_records_run_end_once_as_the_last_record),
      cmocka_unit_test(test_world_streams_its_trace_through_a_pipe_to_the_parser),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
