/*
 * Terms: building, validating, reading, ordering, hashing, matching and printing the encoded
 * values described in term.h.
 *
 * Every multi-byte field is little-endian and read or written through bytes.h, which works at any
 * alignment, so a block means the same thing on every host; doubles travel as
 * their IEEE-754 bits (memcpy to a uint64_t).
 *
 * Canonical form. Two terms are exactly equal iff their bytes are equal, which needs one encoding
 * per value: map keys are strictly increasing in term order, and a list's tail is never itself a
 * LIST ([1|[2,3]] is the same Erlang term as [1,2,3] and is stored as the latter). The builder
 * produces this form and ac_term_validate() refuses anything else. A LIST's body_size counts all
 * bytes after its 9-byte header, the tail term included, so that ac_term_next() skips it in O(1).
 *
 * Trust. ac_term_validate() treats its input as hostile: it checks every bound before reading and
 * never believes a size field it has not checked against the bytes it was given. Every other
 * reader takes an ac_term handle, which by contract points at a validated or builder-made term,
 * and trusts the size fields.
 *
 * The builder appends to one buffer (inline, then heap with doubling) and keeps a stack of open
 * compounds whose headers are patched by ac_tb_end(). Bytes move only when a map's pairs arrive
 * out of order (they are sorted and the body rebuilt) or a list tail is a list (it is spliced).
 *
 * Recursion. Validation, comparison, matching, printing and the depth count recurse into nested
 * compounds, against the usual no-recursion rule. That is safe here because nesting is bounded by
 * AC_TERM_DEPTH_MAX: the builder refuses to open a deeper compound and ac_term_validate() refuses
 * a deeper block before recursing further, so the stack holds at most a few hundred small frames.
 *
 * Cost. Building is amortised O(size), plus O(n log n) key comparisons for a map whose keys were
 * written out of order; validation is O(size) plus one key comparison per map pair; element
 * access and map lookup are O(position), as elements have variable size. Nothing allocates except
 * the builder's buffers and the scratch arrays of an out-of-order map.
 */
#include "term.h"

#include "alloc.h"
#include "bytes.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
  SCALAR_SIZE = 9, /* tag + 8-byte payload: INT, FLOAT, REF, PID */
  HDR_SIZE = 9,    /* tag + u32 count + u32 body_size: TUPLE, MAP, LIST */
};

/* States of ac__tb_open.tail for a list: the header documents 0 and 1; 2 records that the one
 * tail term has been written, so that a second one is refused. */
enum { TAIL_NONE = 0, TAIL_WANTED = 1, TAIL_DONE = 2 };

/* ---- Bytes -------------------------------------------------------------------------------- */

static uint32_t rd_u32(const uint8_t *p) { return ac_le32_get(p); }
static uint64_t rd_u64(const uint8_t *p) { return ac_le64_get(p); }
static void wr_u32(uint8_t *p, uint32_t v) { ac_le32_put(p, v); }
static void wr_u64(uint8_t *p, uint64_t v) { ac_le64_put(p, v); }

/* int64_t is two's complement by definition, so the bits carry over unchanged; memcpy avoids the
 * implementation-defined conversion of out-of-range unsigned values. */
static int64_t i64_from_bits(uint64_t u) {
  int64_t v;
  memcpy(&v, &u, sizeof v);
  return v;
}

static double f64_from_bits(uint64_t u) {
  double d;
  memcpy(&d, &u, sizeof d);
  return d;
}

static uint64_t f64_bits(double d) {
  uint64_t u;
  memcpy(&u, &d, sizeof u);
  return u;
}

static int cmp_u64(uint64_t a, uint64_t b) { return (a > b) - (a < b); }

static int cmp_bytes(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len) {
  size_t n = a_len < b_len ? a_len : b_len;
  int c = n ? memcmp(a, b, n) : 0;
  if (c != 0) return c < 0 ? -1 : 1;
  return cmp_u64(a_len, b_len);
}

static bool is_compound(uint8_t tag) {
  return tag == AC_T_TUPLE || tag == AC_T_MAP || tag == AC_T_LIST;
}

/* ---- Reading ------------------------------------------------------------------------------ */

ac_type ac_term_type(ac_term t) { return (ac_type)t.p[0]; }

size_t ac_term_size(ac_term t) {
  switch ((ac_type)t.p[0]) {
  case AC_T_INT:
  case AC_T_FLOAT:
  case AC_T_REF:
  case AC_T_PID:
    return SCALAR_SIZE;
  case AC_T_ATOM:
    return 2u + t.p[1];
  case AC_T_NIL:
    return 1;
  case AC_T_TUPLE:
  case AC_T_MAP:
  case AC_T_LIST:
    return HDR_SIZE + (size_t)rd_u32(t.p + 5);
  case AC_T_BINARY:
    return 5u + (size_t)rd_u32(t.p + 1);
  }
  assert(0 && "an ac_term handle on an unknown tag");
  abort(); /* unreachable: assertions are on in every build */
}

ac_term ac_term_next(ac_term t) {
  ac_term n = {t.p + ac_term_size(t)};
  return n;
}

ac_term ac_term_first(ac_term t) {
  assert(is_compound(t.p[0])); /* {} and #{} have none: the handle is not to be read */
  ac_term f = {t.p + HDR_SIZE};
  return f;
}

uint32_t ac_term_count(ac_term t) { return is_compound(t.p[0]) ? rd_u32(t.p + 1) : 0; }

int ac_term_get_int(ac_term t, int64_t *out) {
  if (t.p[0] != AC_T_INT) return AC_EINVAL;
  *out = i64_from_bits(rd_u64(t.p + 1));
  return 0;
}

int ac_term_get_float(ac_term t, double *out) {
  if (t.p[0] != AC_T_FLOAT) return AC_EINVAL;
  *out = f64_from_bits(rd_u64(t.p + 1));
  return 0;
}

int ac_term_get_atom(ac_term t, const char **name, size_t *len) {
  if (t.p[0] != AC_T_ATOM) return AC_EINVAL;
  *name = (const char *)(t.p + 2);
  *len = t.p[1];
  return 0;
}

int ac_term_get_binary(ac_term t, const uint8_t **bytes, size_t *len) {
  if (t.p[0] != AC_T_BINARY) return AC_EINVAL;
  *bytes = t.p + 5;
  *len = rd_u32(t.p + 1);
  return 0;
}

int ac_term_get_pid(ac_term t, ac_pid *out) {
  if (t.p[0] != AC_T_PID) return AC_EINVAL;
  out->bits = rd_u64(t.p + 1);
  return 0;
}

int ac_term_get_ref(ac_term t, ac_ref *out) {
  if (t.p[0] != AC_T_REF) return AC_EINVAL;
  out->bits = rd_u64(t.p + 1);
  return 0;
}

bool ac_term_is_atom(ac_term t, const char *name) {
  if (t.p[0] != AC_T_ATOM || name == NULL) return false;
  size_t len = strlen(name);
  return len == t.p[1] && memcmp(t.p + 2, name, len) == 0;
}

int ac_term_elem(ac_term t, uint32_t i, ac_term *out) {
  if (t.p[0] != AC_T_TUPLE && t.p[0] != AC_T_LIST) return AC_EINVAL;
  if (i >= rd_u32(t.p + 1)) return AC_EINVAL;
  ac_term e = ac_term_first(t);
  for (uint32_t k = 0; k < i; k++) e = ac_term_next(e);
  *out = e;
  return 0;
}

int ac_term_list_tail(ac_term t, ac_term *out) {
  if (t.p[0] != AC_T_LIST) return AC_EINVAL;
  uint32_t count = rd_u32(t.p + 1);
  ac_term e = ac_term_first(t);
  for (uint32_t k = 0; k < count; k++) e = ac_term_next(e);
  *out = e;
  return 0;
}

int ac_term_map_get(ac_term map, ac_term key, ac_term *value) {
  if (map.p[0] != AC_T_MAP) return AC_EINVAL;
  uint32_t count = rd_u32(map.p + 1);
  ac_term k = {map.p + HDR_SIZE};
  /* Pairs have variable size, so there is no index to bisect; the scan stops at the first key
   * past the one sought, which the sorted keys allow. */
  for (uint32_t i = 0; i < count; i++) {
    ac_term v = ac_term_next(k);
    int c = ac_term_compare(k, key);
    if (c == 0) {
      if (value) *value = v;
      return 0;
    }
    if (c > 0) break;
    k = ac_term_next(v);
  }
  return AC_ENOTFOUND;
}

bool ac_term_equal(ac_term a, ac_term b) {
  size_t n = ac_term_size(a);
  return n == ac_term_size(b) && memcmp(a.p, b.p, n) == 0;
}

/* ---- Validation --------------------------------------------------------------------------- */

static int v_term(const uint8_t *p, size_t avail, uint32_t depth, size_t *used);

/* Validates the elements of the compound at p whose header has been checked: `count` terms
 * (pairs for a map, plus the tail for a list) must fill exactly the body of `body` bytes. */
static int v_body(const uint8_t *p, size_t body, uint32_t count, uint32_t depth) {
  const uint8_t *q = p + HDR_SIZE;
  size_t left = body;
  uint8_t tag = p[0];
  uint32_t terms_per_elem = tag == AC_T_MAP ? 2 : 1;
  const uint8_t *prev_key = NULL;
  for (uint32_t i = 0; i < count; i++) {
    for (uint32_t j = 0; j < terms_per_elem; j++) {
      size_t n;
      int rc = v_term(q, left, depth, &n);
      if (rc != 0) return rc;
      /* Keys strictly increasing is what makes equal maps byte-equal. */
      if (tag == AC_T_MAP && j == 0) {
        if (prev_key && ac_term_compare((ac_term){prev_key}, (ac_term){q}) >= 0)
          return AC_EBADTERM;
        prev_key = q;
      }
      q += n;
      left -= n;
    }
  }
  if (tag == AC_T_LIST) {
    size_t n;
    int rc = v_term(q, left, depth, &n);
    if (rc != 0) return rc;
    if (q[0] == AC_T_LIST) return AC_EBADTERM; /* not canonical: splice it into the list */
    left -= n;
  }
  return left == 0 ? 0 : AC_EBADTERM;
}

/* Validates a compound at depth `depth` (1 for an outermost compound). */
static int v_compound(const uint8_t *p, size_t avail, uint32_t depth, size_t *used) {
  if (depth > AC_TERM_DEPTH_MAX) return AC_ETOODEEP;
  if (avail < HDR_SIZE) return AC_EBADTERM;
  uint32_t count = rd_u32(p + 1);
  size_t body = rd_u32(p + 5);
  if (body > avail - HDR_SIZE) return AC_EBADTERM;
  if (p[0] == AC_T_LIST && count == 0) return AC_EBADTERM; /* [] is NIL */
  int rc = v_body(p, body, count, depth);
  if (rc != 0) return rc;
  *used = HDR_SIZE + body;
  return 0;
}

/* Checks the term starting at p, which has `avail` readable bytes, nested inside `depth` open
 * compounds; on success *used is its size. */
static int v_term(const uint8_t *p, size_t avail, uint32_t depth, size_t *used) {
  if (avail < 1) return AC_EBADTERM;
  size_t need;
  switch (p[0]) {
  case AC_T_INT:
  case AC_T_REF:
  case AC_T_PID:
    need = SCALAR_SIZE;
    break;
  case AC_T_FLOAT:
    if (avail < SCALAR_SIZE || !isfinite(f64_from_bits(rd_u64(p + 1)))) return AC_EBADTERM;
    need = SCALAR_SIZE;
    break;
  case AC_T_ATOM:
    if (avail < 2) return AC_EBADTERM;
    need = 2u + p[1]; /* a u8 length cannot exceed AC_ATOM_LEN_MAX */
    break;
  case AC_T_NIL:
    need = 1;
    break;
  case AC_T_BINARY:
    if (avail < 5) return AC_EBADTERM;
    need = 5u + (size_t)rd_u32(p + 1);
    break;
  case AC_T_TUPLE:
  case AC_T_MAP:
  case AC_T_LIST:
    return v_compound(p, avail, depth + 1, used);
  default:
    return AC_EBADTERM;
  }
  if (need > avail) return AC_EBADTERM;
  *used = need;
  return 0;
}

int ac_term_validate(const void *bytes, size_t size, ac_term *out) {
  if (bytes == NULL) return AC_EINVAL;
  if (size > AC_TERM_SIZE_MAX) return AC_ETOOBIG;
  size_t used = 0;
  int rc = v_term(bytes, size, 0, &used);
  if (rc != 0) return rc;
  if (used != size) return AC_EBADTERM;
  if (out) out->p = bytes;
  return 0;
}

/* ---- Order, equality, hash ---------------------------------------------------------------- */

/* Compares an int64 with a finite double exactly. Converting the int to double would round
 * above 2^53, so the double is split instead: outside [-2^63, 2^63) it is beyond every int64;
 * inside, its integral part converts exactly and its fraction breaks a tie. */
static int cmp_int_float(int64_t i, double d) {
  if (d >= 0x1p63) return -1;
  if (d < -0x1p63) return 1;
  double whole = trunc(d);
  int64_t w = (int64_t)whole;
  if (i != w) return i < w ? -1 : 1;
  double frac = d - whole; /* exact: d and whole share their exponent range */
  return frac > 0 ? -1 : frac < 0 ? 1 : 0;
}

static int cmp_numbers(ac_term a, ac_term b) {
  uint64_t ua = rd_u64(a.p + 1), ub = rd_u64(b.p + 1);
  if (a.p[0] == AC_T_INT && b.p[0] == AC_T_INT) {
    int64_t x = i64_from_bits(ua), y = i64_from_bits(ub);
    return (x > y) - (x < y);
  }
  if (a.p[0] == AC_T_FLOAT && b.p[0] == AC_T_FLOAT) {
    double x = f64_from_bits(ua), y = f64_from_bits(ub);
    if (x != y) return x < y ? -1 : 1;
    /* Only 0.0 and -0.0 are numerically equal with different bits; -0.0 goes first so that
     * 0 is returned only for identical terms. */
    return ua == ub ? 0 : (signbit(x) ? -1 : 1);
  }
  /* Mixed: numeric order, and on a tie the integer sorts first (1 < 1.0). */
  if (a.p[0] == AC_T_INT) {
    int c = cmp_int_float(i64_from_bits(ua), f64_from_bits(ub));
    return c != 0 ? c : -1;
  }
  int c = cmp_int_float(i64_from_bits(ub), f64_from_bits(ua));
  return c != 0 ? -c : 1;
}

/* Lists compare like chains of cons cells: element by element, then tail against tail. When one
 * list runs out first, its tail (never a LIST, by the canonical form) meets a non-empty list. */
static int cmp_lists(ac_term a, ac_term b) {
  uint32_t na = rd_u32(a.p + 1), nb = rd_u32(b.p + 1);
  uint32_t n = na < nb ? na : nb;
  ac_term x = ac_term_first(a), y = ac_term_first(b);
  for (uint32_t i = 0; i < n; i++, x = ac_term_next(x), y = ac_term_next(y)) {
    int c = ac_term_compare(x, y);
    if (c != 0) return c;
  }
  if (na == nb) return ac_term_compare(x, y);
  if (na < nb) return x.p[0] < AC_T_LIST ? -1 : 1;
  return y.p[0] < AC_T_LIST ? 1 : -1;
}

/* Erlang's rule for maps of equal size: all keys in order first, then the values in key order. */
static int cmp_maps(ac_term a, ac_term b) {
  uint32_t na = rd_u32(a.p + 1), nb = rd_u32(b.p + 1);
  if (na != nb) return na < nb ? -1 : 1;
  for (int pass = 0; pass < 2; pass++) {
    ac_term x = {a.p + HDR_SIZE}, y = {b.p + HDR_SIZE};
    for (uint32_t i = 0; i < na; i++) {
      ac_term xv = ac_term_next(x), yv = ac_term_next(y);
      int c = pass == 0 ? ac_term_compare(x, y) : ac_term_compare(xv, yv);
      if (c != 0) return c;
      x = ac_term_next(xv);
      y = ac_term_next(yv);
    }
  }
  return 0;
}

static int cmp_tuples(ac_term a, ac_term b) {
  uint32_t na = rd_u32(a.p + 1), nb = rd_u32(b.p + 1);
  if (na != nb) return na < nb ? -1 : 1;
  ac_term x = {a.p + HDR_SIZE}, y = {b.p + HDR_SIZE};
  for (uint32_t i = 0; i < na; i++, x = ac_term_next(x), y = ac_term_next(y)) {
    int c = ac_term_compare(x, y);
    if (c != 0) return c;
  }
  return 0;
}

int ac_term_compare(ac_term a, ac_term b) {
  uint8_t ta = a.p[0], tb = b.p[0];
  bool num_a = ta == AC_T_INT || ta == AC_T_FLOAT, num_b = tb == AC_T_INT || tb == AC_T_FLOAT;
  if (num_a && num_b) return cmp_numbers(a, b);
  if (ta != tb) return ta < tb ? -1 : 1;
  switch ((ac_type)ta) {
  case AC_T_ATOM:
    return cmp_bytes(a.p + 2, a.p[1], b.p + 2, b.p[1]);
  case AC_T_REF:
  case AC_T_PID:
    return cmp_u64(rd_u64(a.p + 1), rd_u64(b.p + 1));
  case AC_T_TUPLE:
    return cmp_tuples(a, b);
  case AC_T_MAP:
    return cmp_maps(a, b);
  case AC_T_NIL:
    return 0;
  case AC_T_LIST:
    return cmp_lists(a, b);
  case AC_T_BINARY:
    return cmp_bytes(a.p + 5, rd_u32(a.p + 1), b.p + 5, rd_u32(b.p + 1));
  case AC_T_INT:
  case AC_T_FLOAT:
    break;
  }
  assert(0 && "ac_term_compare on an unknown tag");
  abort(); /* unreachable: assertions are on in every build */
}

/*
 * The hash (fixed: traces and tests record its values, so changing it is a format change).
 *   K0 = 0x9E3779B97F4A7C15, K1 = 0xBF58476D1CE4E5B9, K2 = 0x94D049BB133111EB
 *   mix(x) = x ^= x >> 30; x *= K1; x ^= x >> 27; x *= K2; x ^= x >> 31   (splitmix64 finaliser)
 *   h = seed ^ K0
 *   for each whole 8-byte word w of the input, read little-endian:  h = mix(h ^ w)
 *   if 1..7 bytes remain: w = those bytes little-endian, zero-padded;  h = mix(h ^ w)
 *   return mix(h ^ len)
 * All arithmetic is modulo 2^64. Words are assembled from bytes, so neither alignment nor host
 * byte order matter; the final length keeps "ab" and "ab\0" apart. mix is a bijection, so every
 * input word reaches every output bit. ac_term_hash(t) is ac_hash_bytes(0, t's encoding).
 */
static uint64_t hash_mix(uint64_t x) {
  x ^= x >> 30;
  x *= UINT64_C(0xBF58476D1CE4E5B9);
  x ^= x >> 27;
  x *= UINT64_C(0x94D049BB133111EB);
  x ^= x >> 31;
  return x;
}

uint64_t ac_hash_bytes(uint64_t seed, const void *bytes, size_t len) {
  const uint8_t *p = bytes;
  uint64_t h = seed ^ UINT64_C(0x9E3779B97F4A7C15);
  size_t i = 0;
  for (; len - i >= 8; i += 8) h = hash_mix(h ^ rd_u64(p + i));
  if (i < len) {
    uint64_t w = 0;
    for (size_t k = 0; i + k < len; k++) w |= (uint64_t)p[i + k] << (8 * k);
    h = hash_mix(h ^ w);
  }
  return hash_mix(h ^ (uint64_t)len);
}

uint64_t ac_term_hash(ac_term t) { return ac_hash_bytes(0, t.p, ac_term_size(t)); }

/* ---- Matching ----------------------------------------------------------------------------- */

static bool is_wildcard(ac_term t) { return t.p[0] == AC_T_ATOM && t.p[1] == 1 && t.p[2] == '_'; }

/* Cons-wise, like cmp_lists: a pattern [a|'_'] matches [a,b,c] because its tail meets [b,c]. */
static bool match_lists(ac_term value, ac_term pattern) {
  uint32_t nv = rd_u32(value.p + 1), np = rd_u32(pattern.p + 1);
  uint32_t n = nv < np ? nv : np;
  ac_term v = ac_term_first(value), p = ac_term_first(pattern);
  for (uint32_t i = 0; i < n; i++, v = ac_term_next(v), p = ac_term_next(p)) {
    if (!ac_term_match(v, p)) return false;
  }
  if (nv == np) return ac_term_match(v, p);
  /* The pattern ran out first: only a wildcard tail takes the rest of the value. A value that ran
   * out first has a non-list tail, which no remaining list pattern can match. */
  return np < nv && is_wildcard(p);
}

static bool match_maps(ac_term value, ac_term pattern) {
  uint32_t np = rd_u32(pattern.p + 1);
  ac_term k = {pattern.p + HDR_SIZE};
  for (uint32_t i = 0; i < np; i++) {
    ac_term pv = ac_term_next(k), vv;
    if (ac_term_map_get(value, k, &vv) != 0 || !ac_term_match(vv, pv)) return false;
    k = ac_term_next(pv);
  }
  return true;
}

bool ac_term_match(ac_term value, ac_term pattern) {
  if (is_wildcard(pattern)) return true;
  if (value.p[0] != pattern.p[0]) return false;
  switch (pattern.p[0]) {
  case AC_T_TUPLE: {
    uint32_t n = rd_u32(pattern.p + 1);
    if (rd_u32(value.p + 1) != n) return false;
    ac_term v = {value.p + HDR_SIZE}, p = {pattern.p + HDR_SIZE};
    for (uint32_t i = 0; i < n; i++, v = ac_term_next(v), p = ac_term_next(p)) {
      if (!ac_term_match(v, p)) return false;
    }
    return true;
  }
  case AC_T_LIST:
    return match_lists(value, pattern);
  case AC_T_MAP:
    return match_maps(value, pattern);
  default:
    return ac_term_equal(value, pattern);
  }
}

/* ---- Builder: buffer and state ------------------------------------------------------------ */

void ac_tb_init(ac_tbuf *b) {
  /* Field by field: the inline buffers need no clearing, and builders are made per message. */
  b->size = 0;
  b->err = 0;
  b->depth = 0;
  b->top_count = 0;
  b->data = b->inline_data;
  b->cap = AC__TBUF_INLINE;
  b->size_max = AC_TERM_SIZE_MAX;
  b->open = b->open_inline;
  b->open_cap = AC__TBUF_OPEN_INLINE;
}

void ac_tb_reset(ac_tbuf *b) {
  b->size = 0;
  b->err = 0;
  b->depth = 0;
  b->top_count = 0;
}

ac_tb_mark_t ac_tb_mark(const ac_tbuf *b) {
  assert(b->err == 0);
  return (ac_tb_mark_t){b->size, b->depth};
}

void ac_tb_rewind(ac_tbuf *b, ac_tb_mark_t m) {
  /* A compound counts in its parent only when it ends, and the top-level count only when a
   * whole term ends: the compounds opened since the mark left no count behind. */
  assert(m.size <= b->size && m.depth <= b->depth);
  b->size = m.size;
  b->depth = m.depth;
  b->err = 0;
}

void ac_tb_free(ac_tbuf *b) {
  if (b->data != b->inline_data) free(b->data);
  if (b->open != b->open_inline) free(b->open);
  b->data = b->inline_data;
  b->cap = AC__TBUF_INLINE;
  b->open = b->open_inline;
  b->open_cap = AC__TBUF_OPEN_INLINE;
  b->size = 0;
  b->depth = 0;
  b->top_count = 0;
  /* A freed builder refuses work until it is initialised again, instead of writing. */
  b->err = AC_ESTATE;
}

/* Records `code` unless an earlier error is already recorded; returns the sticky error. */
static int tb_fail(ac_tbuf *b, int code) {
  assert(code < 0);
  if (b->err == 0) b->err = code;
  return b->err;
}

/* Appends n bytes of room and returns where they start, or NULL with the sticky error set. The
 * limit is size_max, but never above AC_TERM_SIZE_MAX: a larger block would be refused by
 * ac_term_validate() and could overflow a u32 body_size. */
static uint8_t *tb_reserve(ac_tbuf *b, size_t n) {
  size_t limit = b->size_max < AC_TERM_SIZE_MAX ? b->size_max : AC_TERM_SIZE_MAX;
  if (b->size > limit || n > limit - b->size) {
    tb_fail(b, AC_ETOOBIG);
    return NULL;
  }
  size_t need = b->size + n;
  assert(b->cap > 0); /* ac_tb_init() was called */
  if (need > b->cap) {
    size_t cap = b->cap;
    while (cap < need) cap *= 2; /* cannot overflow: need <= AC_TERM_SIZE_MAX */
    if (cap > limit) cap = limit;
    bool was_inline = b->data == b->inline_data;
    uint8_t *data = was_inline ? ac_malloc(cap) : ac_realloc(b->data, cap);
    if (data == NULL) {
      tb_fail(b, AC_ENOMEM);
      return NULL;
    }
    if (was_inline) memcpy(data, b->inline_data, b->size);
    b->data = data;
    b->cap = cap;
  }
  uint8_t *at = b->data + b->size;
  b->size = need;
  return at;
}

/* Is there a place for one more term? Not after the one top-level term, nor after a list's
 * tail term. */
static int tb_slot(ac_tbuf *b) {
  if (b->err) return b->err;
  if (b->depth == 0) return b->top_count == 0 ? 0 : tb_fail(b, AC_ESTATE);
  const ac__tb_open *o = &b->open[b->depth - 1];
  if (o->tag == AC_T_LIST && o->tail == TAIL_DONE) return tb_fail(b, AC_ESTATE);
  return 0;
}

/* Room for a term of n bytes in a place that accepts one, or NULL with the sticky error set. */
static uint8_t *tb_put(ac_tbuf *b, size_t n) {
  if (tb_slot(b) != 0) return NULL;
  return tb_reserve(b, n);
}

/* Counts a term that has just been completed in its enclosing place. */
static int tb_done(ac_tbuf *b) {
  if (b->depth == 0) {
    b->top_count++;
    return 0;
  }
  ac__tb_open *o = &b->open[b->depth - 1];
  if (o->tag == AC_T_LIST && o->tail == TAIL_WANTED)
    o->tail = TAIL_DONE;
  else
    o->count++;
  return 0;
}

/* ---- Builder: scalars --------------------------------------------------------------------- */

static int tb_scalar(ac_tbuf *b, uint8_t tag, uint64_t payload) {
  uint8_t *p = tb_put(b, SCALAR_SIZE);
  if (p == NULL) return b->err;
  p[0] = tag;
  wr_u64(p + 1, payload);
  return tb_done(b);
}

int ac_tb_int(ac_tbuf *b, int64_t v) { return tb_scalar(b, AC_T_INT, (uint64_t)v); }

int ac_tb_float(ac_tbuf *b, double v) {
  if (!isfinite(v)) return tb_fail(b, AC_EINVAL);
  return tb_scalar(b, AC_T_FLOAT, f64_bits(v));
}

int ac_tb_pid(ac_tbuf *b, ac_pid pid) { return tb_scalar(b, AC_T_PID, pid.bits); }

int ac_tb_ref(ac_tbuf *b, ac_ref ref) { return tb_scalar(b, AC_T_REF, ref.bits); }

int ac_tb_atom(ac_tbuf *b, const char *name) {
  if (name == NULL) return tb_fail(b, AC_EINVAL);
  return ac_tb_atom_n(b, name, strlen(name));
}

int ac_tb_atom_n(ac_tbuf *b, const char *name, size_t len) {
  if ((name == NULL && len > 0) || len > AC_ATOM_LEN_MAX) return tb_fail(b, AC_EINVAL);
  uint8_t *p = tb_put(b, 2 + len);
  if (p == NULL) return b->err;
  p[0] = AC_T_ATOM;
  p[1] = (uint8_t)len;
  if (len) memcpy(p + 2, name, len);
  return tb_done(b);
}

int ac_tb_binary(ac_tbuf *b, const void *bytes, size_t len) {
  if (bytes == NULL && len > 0) return tb_fail(b, AC_EINVAL);
  if (len > AC_TERM_SIZE_MAX) return tb_fail(b, AC_ETOOBIG);
  uint8_t *p = tb_put(b, 5 + len);
  if (p == NULL) return b->err;
  p[0] = AC_T_BINARY;
  wr_u32(p + 1, (uint32_t)len);
  if (len) memcpy(p + 5, bytes, len);
  return tb_done(b);
}

/* Nesting levels of a valid term: 0 for a scalar, 1 + the deepest element for a compound. */
static uint32_t term_depth(ac_term t) {
  if (!is_compound(t.p[0])) return 0;
  uint32_t n = rd_u32(t.p + 1) * (t.p[0] == AC_T_MAP ? 2u : 1u) + (t.p[0] == AC_T_LIST);
  uint32_t deepest = 0;
  ac_term e = {t.p + HDR_SIZE};
  for (uint32_t i = 0; i < n; i++, e = ac_term_next(e)) {
    uint32_t d = term_depth(e);
    if (d > deepest) deepest = d;
  }
  return deepest + 1;
}

int ac_tb_term(ac_tbuf *b, ac_term t) {
  if (tb_slot(b) != 0) return b->err;
  /* t is valid on its own, but placed inside open compounds it may nest too deep. */
  if (b->depth > 0 && is_compound(t.p[0]) && b->depth + term_depth(t) > AC_TERM_DEPTH_MAX)
    return tb_fail(b, AC_ETOODEEP);
  size_t n = ac_term_size(t);
  /* Growing the buffer would move a term read from it, and writing would overwrite it. */
  assert((uintptr_t)t.p + n <= (uintptr_t)b->data ||
              (uintptr_t)t.p >= (uintptr_t)b->data + b->cap);
  uint8_t *p = tb_reserve(b, n);
  if (p == NULL) return b->err;
  memcpy(p, t.p, n);
  return tb_done(b);
}

/* ---- Builder: compounds ------------------------------------------------------------------- */

static int tb_grow_open(ac_tbuf *b) {
  uint32_t cap = b->open_cap * 2 < AC_TERM_DEPTH_MAX ? b->open_cap * 2 : AC_TERM_DEPTH_MAX;
  bool was_inline = b->open == b->open_inline;
  ac__tb_open *open = was_inline ? ac_malloc(cap * sizeof *open)
                                 : ac_realloc(b->open, cap * sizeof *open);
  if (open == NULL) return tb_fail(b, AC_ENOMEM);
  if (was_inline) memcpy(open, b->open_inline, sizeof b->open_inline);
  b->open = open;
  b->open_cap = cap;
  return 0;
}

static int tb_begin(ac_tbuf *b, uint8_t tag) {
  if (tb_slot(b) != 0) return b->err;
  if (b->depth >= AC_TERM_DEPTH_MAX) return tb_fail(b, AC_ETOODEEP);
  if (b->depth == b->open_cap && tb_grow_open(b) != 0) return b->err;
  size_t off = b->size;
  uint8_t *p = tb_reserve(b, HDR_SIZE);
  if (p == NULL) return b->err;
  memset(p, 0, HDR_SIZE);
  p[0] = tag;
  ac__tb_open *o = &b->open[b->depth++];
  o->header_off = (uint32_t)off; /* off < size limit <= AC_TERM_SIZE_MAX */
  o->count = 0;
  o->tag = tag;
  o->tail = TAIL_NONE;
  return 0;
}

int ac_tb_tuple_begin(ac_tbuf *b) { return tb_begin(b, AC_T_TUPLE); }
int ac_tb_list_begin(ac_tbuf *b) { return tb_begin(b, AC_T_LIST); }
int ac_tb_map_begin(ac_tbuf *b) { return tb_begin(b, AC_T_MAP); }

int ac_tb_list_tail(ac_tbuf *b) {
  if (b->err) return b->err;
  if (b->depth == 0) return tb_fail(b, AC_ESTATE);
  ac__tb_open *o = &b->open[b->depth - 1];
  if (o->tag != AC_T_LIST || o->count == 0 || o->tail != TAIL_NONE) return tb_fail(b, AC_ESTATE);
  o->tail = TAIL_WANTED;
  return 0;
}

/* Writes count and body_size into the header of the compound that starts at off and ends at the
 * end of the buffer. */
static void tb_patch(ac_tbuf *b, size_t off, uint32_t count) {
  size_t body = b->size - off - HDR_SIZE;
  assert(body <= UINT32_MAX);
  wr_u32(b->data + off + 1, count);
  wr_u32(b->data + off + 5, (uint32_t)body);
}

static int tb_end_list(ac_tbuf *b, const ac__tb_open *o) {
  if (o->count == 0) { /* an empty list is NIL, a one-byte term */
    assert(o->tail == TAIL_NONE && b->size == o->header_off + HDR_SIZE);
    b->size = o->header_off;
    b->data[b->size++] = AC_T_NIL;
    return 0;
  }
  if (o->tail == TAIL_WANTED) return tb_fail(b, AC_ESTATE);
  uint32_t count = o->count;
  if (o->tail == TAIL_NONE) {
    uint8_t *p = tb_reserve(b, 1);
    if (p == NULL) return b->err;
    *p = AC_T_NIL;
  } else {
    ac_term tail = {b->data + o->header_off + HDR_SIZE};
    for (uint32_t i = 0; i < count; i++) tail = ac_term_next(tail);
    /* A tail that is a list continues this list: drop its header to keep the canonical form. */
    if (tail.p[0] == AC_T_LIST) {
      count += rd_u32(tail.p + 1);
      size_t at = (size_t)(tail.p - b->data);
      memmove(b->data + at, b->data + at + HDR_SIZE, b->size - at - HDR_SIZE);
      b->size -= HDR_SIZE;
    }
  }
  tb_patch(b, o->header_off, count);
  return 0;
}

typedef struct map_pair {
  const uint8_t *key; /* into the builder's buffer */
  size_t size;        /* key and value bytes */
  uint32_t index;     /* position as written, to make the order total */
} map_pair;

static int map_pair_cmp(const void *x, const void *y) {
  const map_pair *a = x, *b = y;
  int c = ac_term_compare((ac_term){a->key}, (ac_term){b->key});
  return c != 0 ? c : (a->index > b->index) - (a->index < b->index);
}

/* Sorts the `pairs` pairs of the map body at `body` by key, which qsort makes deterministic
 * because the order is total (ties broken by position). AC_EDUPKEY if two keys are equal. */
static int tb_sort_map(ac_tbuf *b, uint8_t *body, size_t body_size, uint32_t pairs) {
  map_pair *v = ac_malloc(pairs * sizeof *v);
  uint8_t *tmp = ac_malloc(body_size);
  int rc = 0;
  if (v == NULL || tmp == NULL) {
    rc = tb_fail(b, AC_ENOMEM);
    goto done;
  }
  ac_term k = {body};
  for (uint32_t i = 0; i < pairs; i++) {
    ac_term end = ac_term_next(ac_term_next(k));
    v[i] = (map_pair){k.p, (size_t)(end.p - k.p), i};
    k = end;
  }
  qsort(v, pairs, sizeof *v, map_pair_cmp);
  size_t at = 0;
  for (uint32_t i = 0; i < pairs; i++) {
    if (i > 0 && ac_term_compare((ac_term){v[i - 1].key}, (ac_term){v[i].key}) == 0) {
      rc = tb_fail(b, AC_EDUPKEY);
      goto done;
    }
    memcpy(tmp + at, v[i].key, v[i].size);
    at += v[i].size;
  }
  assert(at == body_size);
  memcpy(body, tmp, body_size);
done:
  free(tmp);
  free(v);
  return rc;
}

static int tb_end_map(ac_tbuf *b, const ac__tb_open *o) {
  if (o->count % 2 != 0) return tb_fail(b, AC_EINVAL);
  uint32_t pairs = o->count / 2;
  uint8_t *body = b->data + o->header_off + HDR_SIZE;
  size_t body_size = b->size - o->header_off - HDR_SIZE;
  /* Keys usually arrive in order; check that first and sort only when they did not. */
  bool sorted = true;
  ac_term k = {body};
  for (uint32_t i = 0; i + 1 < pairs && sorted; i++) {
    ac_term next_key = ac_term_next(ac_term_next(k));
    int c = ac_term_compare(k, next_key);
    if (c == 0) return tb_fail(b, AC_EDUPKEY);
    sorted = c < 0;
    k = next_key;
  }
  if (!sorted) {
    int rc = tb_sort_map(b, body, body_size, pairs);
    if (rc != 0) return rc;
  }
  tb_patch(b, o->header_off, pairs);
  return 0;
}

int ac_tb_end(ac_tbuf *b) {
  if (b->err) return b->err;
  if (b->depth == 0) return tb_fail(b, AC_ESTATE);
  ac__tb_open o = b->open[b->depth - 1];
  int rc = 0;
  if (o.tag == AC_T_TUPLE)
    tb_patch(b, o.header_off, o.count);
  else if (o.tag == AC_T_LIST)
    rc = tb_end_list(b, &o);
  else
    rc = tb_end_map(b, &o);
  if (rc != 0) return rc;
  b->depth--;
  return tb_done(b);
}

int ac_tb_finish(ac_tbuf *b, ac_term *out) {
  assert(out != NULL);
  if (b->err) return b->err;
  if (b->depth != 0 || b->top_count != 1) return tb_fail(b, AC_ESTATE);
  out->p = b->data;
  return 0;
}

/* ---- Builder: format ---------------------------------------------------------------------- */

static int fmt_value(ac_tbuf *b, char c, va_list *ap) {
  switch (c) {
  case 'i':
    return ac_tb_int(b, va_arg(*ap, int64_t));
  case 'd':
    return ac_tb_float(b, va_arg(*ap, double));
  case 'a':
    return ac_tb_atom(b, va_arg(*ap, const char *));
  case 's': {
    const char *s = va_arg(*ap, const char *);
    return s ? ac_tb_binary(b, s, strlen(s)) : tb_fail(b, AC_EINVAL);
  }
  case 'b': {
    const void *bytes = va_arg(*ap, const void *);
    size_t len = va_arg(*ap, size_t);
    return ac_tb_binary(b, bytes, len);
  }
  case 'p':
    return ac_tb_pid(b, va_arg(*ap, ac_pid));
  case 'r':
    return ac_tb_ref(b, va_arg(*ap, ac_ref));
  case 't':
    return ac_tb_term(b, va_arg(*ap, ac_term));
  case 'n':
    return ac_tb_list_begin(b) != 0 ? b->err : ac_tb_end(b);
  default:
    return tb_fail(b, AC_EINVAL);
  }
}

/* Closes a compound this format opened, if `c` is the bracket that closes it. */
static int fmt_close(ac_tbuf *b, char c, uint32_t *opened) {
  if (b->err) return b->err;
  if (*opened == 0) return tb_fail(b, AC_EINVAL); /* would close the caller's compound */
  uint8_t tag = b->open[b->depth - 1].tag;
  bool fits = c == ']' ? tag == AC_T_LIST : (tag == AC_T_TUPLE || tag == AC_T_MAP);
  if (!fits) return tb_fail(b, AC_EINVAL);
  (*opened)--;
  return ac_tb_end(b);
}

/* Writes the terms of a format, taking values from *ap; returns 0 or the sticky error. */
static int fmt_run(ac_tbuf *b, const char *fmt, va_list *ap) {
  uint32_t opened = 0; /* compounds opened by this format and still open */
  int rc = 0;
  for (const char *c = fmt; *c != '\0' && rc == 0; c++) {
    switch (*c) {
    case ' ':
    case ',':
      break;
    case '{':
    case '[':
      rc = *c == '{' ? ac_tb_tuple_begin(b) : ac_tb_list_begin(b);
      opened += rc == 0;
      break;
    case '#':
      if (c[1] != '{') {
        rc = tb_fail(b, AC_EINVAL);
        break;
      }
      c++;
      rc = ac_tb_map_begin(b);
      opened += rc == 0;
      break;
    case '}':
    case ']':
      rc = fmt_close(b, *c, &opened);
      break;
    case '|':
      rc = ac_tb_list_tail(b);
      break;
    default:
      rc = fmt_value(b, *c, ap);
      break;
    }
  }
  if (rc == 0 && opened != 0) rc = tb_fail(b, AC_EINVAL);
  return rc;
}

int ac_tb_vfmt(ac_tbuf *b, const char *fmt, va_list ap) {
  if (b->err) return b->err;
  if (fmt == NULL) return tb_fail(b, AC_EINVAL);
  /* A va_list parameter may be an array that decayed to a pointer, so &ap would not be a
   * va_list *; a copy is a real va_list whose address the helpers can share. */
  va_list copy;
  va_copy(copy, ap);
  int rc = fmt_run(b, fmt, &copy);
  va_end(copy);
  return rc;
}

int ac_tb_fmt(ac_tbuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = ac_tb_vfmt(b, fmt, ap);
  va_end(ap);
  return rc;
}

int ac_term_vbuild(ac_tbuf *b, ac_term *out, const char *fmt, va_list ap) {
  ac_tb_init(b);
  out->p = NULL;
  int rc = ac_tb_vfmt(b, fmt, ap);
  if (rc == AC_OK) rc = ac_tb_finish(b, out);
  if (rc != AC_OK) out->p = NULL;
  return rc;
}

int ac_term_build(ac_tbuf *b, ac_term *out, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = ac_term_vbuild(b, out, fmt, ap);
  va_end(ap);
  return rc;
}

/* ---- Printing ----------------------------------------------------------------------------- */

/* snprintf-style output: counts every byte, stores only what fits before the final NUL. */
typedef struct pr_out {
  char *buf;
  size_t cap;
  size_t len; /* bytes the full text needs so far */
} pr_out;

static void pr_putn(pr_out *o, const char *s, size_t n) {
  if (o->cap > 0 && o->len < o->cap - 1) {
    size_t room = o->cap - 1 - o->len;
    memcpy(o->buf + o->len, s, n < room ? n : room);
  }
  o->len += n;
}

static void pr_puts(pr_out *o, const char *s) { pr_putn(o, s, strlen(s)); }
static void pr_putc(pr_out *o, char c) { pr_putn(o, &c, 1); }

/* Escapes one byte inside a quoted atom or string the way Erlang writes it: \' or \" for the
 * quote, \\, the named control escapes, \ooo (octal) for any other byte outside 0x20..0x7e. */
static void pr_escaped(pr_out *o, uint8_t c, char quote) {
  static const char named_from[] = "\n\r\t\v\b\f\x1b\x7f";
  static const char named_to[] = "nrtvbfed";
  if (c == (uint8_t)quote || c == '\\') {
    pr_putc(o, '\\');
    pr_putc(o, (char)c);
    return;
  }
  if (c >= 0x20 && c <= 0x7e) {
    pr_putc(o, (char)c);
    return;
  }
  const char *named = memchr(named_from, c, sizeof named_from - 1);
  char esc[5] = {'\\', 0, 0, 0, 0};
  if (named) {
    esc[1] = named_to[named - named_from];
  } else {
    esc[1] = (char)('0' + (c >> 6));
    esc[2] = (char)('0' + ((c >> 3) & 7));
    esc[3] = (char)('0' + (c & 7));
  }
  pr_puts(o, esc);
}

static bool atom_needs_quotes(const uint8_t *s, size_t len) {
  static const char *const reserved[] = {
      "after", "and",   "andalso", "band",    "begin", "bnot", "bor",  "bsl", "bsr", "bxor",
      "case",  "catch", "cond",    "div",     "end",   "fun",  "if",   "let", "not", "of",
      "or",    "orelse", "receive", "rem",    "try",   "when", "xor",  "maybe", "else"};
  if (len == 0 || s[0] < 'a' || s[0] > 'z') return true;
  for (size_t i = 1; i < len; i++) {
    uint8_t c = s[i];
    bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '_' || c == '@';
    if (!word) return true;
  }
  for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++) {
    if (strlen(reserved[i]) == len && memcmp(reserved[i], s, len) == 0) return true;
  }
  return false;
}

static void pr_atom(pr_out *o, const uint8_t *s, size_t len) {
  if (!atom_needs_quotes(s, len)) {
    pr_putn(o, (const char *)s, len);
    return;
  }
  pr_putc(o, '\'');
  for (size_t i = 0; i < len; i++) pr_escaped(o, s[i], '\'');
  pr_putc(o, '\'');
}

static void pr_binary(pr_out *o, const uint8_t *s, size_t len) {
  bool text = len > 0;
  for (size_t i = 0; i < len && text; i++) text = s[i] >= 0x20 && s[i] <= 0x7e;
  pr_puts(o, "<<");
  if (text) {
    pr_putc(o, '"');
    for (size_t i = 0; i < len; i++) pr_escaped(o, s[i], '"');
    pr_putc(o, '"');
  } else {
    for (size_t i = 0; i < len; i++) {
      char num[8];
      snprintf(num, sizeof num, i ? ",%u" : "%u", (unsigned)s[i]);
      pr_puts(o, num);
    }
  }
  pr_puts(o, ">>");
}

/* Shortest decimal digits that read back as d (> 0): tries 1..17 significant digits, the first
 * count at which the correctly rounded text round-trips. Writes the digits without trailing
 * zeros to digits[] and returns their count; *exp10 is the exponent of the first digit. */
static int float_digits(double d, char digits[18], int *exp10) {
  char sci[40];
  int prec = 1;
  for (; prec <= 17; prec++) {
    snprintf(sci, sizeof sci, "%.*e", prec - 1, d);
    if (strtod(sci, NULL) == d) break;
  }
  assert(prec <= 17); /* 17 significant digits round-trip every double */
  int n = 0;
  const char *c = sci;
  for (; *c != 'e' && *c != 'E' && *c != '\0'; c++) {
    if (*c >= '0' && *c <= '9') digits[n++] = *c; /* skips the locale's decimal point */
  }
  assert(*c != '\0' && n >= 1 && n <= 17);
  *exp10 = (int)strtol(c + 1, NULL, 10);
  while (n > 1 && digits[n - 1] == '0') n--;
  digits[n] = '\0';
  return n;
}

/*
 * Erlang's ~w text of a finite double: the shortest round-tripping digits laid out like OTP's
 * io_lib_format:fwrite_g/1. With L digits S and `place` the exponent of the last digit, plain
 * notation is used while it costs about as little as the exponent form, and the text always
 * has a '.' with a digit on each side: 1.0, 1.5, 0.001, 100.0, 1.0e3, 1.0e10, 1.0e-5, 1.2e-7.
 * Integral values of 2^53 and above always take the exponent form, as in Erlang.
 */
static void pr_float(pr_out *o, double d) {
  if (d == 0) {
    pr_puts(o, signbit(d) ? "-0.0" : "0.0");
    return;
  }
  if (d < 0) pr_putc(o, '-');
  double a = fabs(d);
  char s[18], exp_text[8];
  int exp10;
  int len = float_digits(a, s, &exp10);
  int place = exp10 - (len - 1);
  int exp_cost = snprintf(exp_text, sizeof exp_text, "%d", exp10) + 2;
  if (place < 0 && exp10 >= 0) { /* the point falls inside the digits */
    pr_putn(o, s, (size_t)(exp10 + 1));
    pr_putc(o, '.');
    pr_puts(o, s + exp10 + 1);
  } else if (place < 0 && 2 - place - len <= exp_cost) { /* 0.000ddd */
    pr_puts(o, "0.");
    for (int i = 0; i < -place - len; i++) pr_putc(o, '0');
    pr_puts(o, s);
  } else if (place >= 0 && exp_cost + (len == 1) >= place + 2 && a < 0x1p53) { /* ddd00.0 */
    pr_puts(o, s);
    for (int i = 0; i < place; i++) pr_putc(o, '0');
    pr_puts(o, ".0");
  } else { /* d.ddde<exp> */
    pr_putc(o, s[0]);
    pr_putc(o, '.');
    pr_puts(o, len == 1 ? "0" : s + 1);
    pr_putc(o, 'e');
    pr_puts(o, exp_text);
  }
}

static void pr_term(pr_out *o, ac_term t);

/* Prints n terms from `first` on, separated by commas; returns the term after them. */
static ac_term pr_seq(pr_out *o, ac_term first, uint32_t n) {
  ac_term e = first;
  for (uint32_t i = 0; i < n; i++, e = ac_term_next(e)) {
    if (i) pr_putc(o, ',');
    pr_term(o, e);
  }
  return e;
}

static void pr_compound(pr_out *o, ac_term t) {
  uint32_t n = rd_u32(t.p + 1);
  ac_term e = {t.p + HDR_SIZE};
  if (t.p[0] == AC_T_TUPLE) {
    pr_putc(o, '{');
    pr_seq(o, e, n);
    pr_putc(o, '}');
  } else if (t.p[0] == AC_T_LIST) {
    pr_putc(o, '[');
    ac_term tail = pr_seq(o, e, n);
    if (tail.p[0] != AC_T_NIL) {
      pr_putc(o, '|');
      pr_term(o, tail);
    }
    pr_putc(o, ']');
  } else {
    pr_puts(o, "#{");
    for (uint32_t i = 0; i < n; i++) {
      if (i) pr_putc(o, ',');
      pr_term(o, e);
      pr_puts(o, " => ");
      e = ac_term_next(e);
      pr_term(o, e);
      e = ac_term_next(e);
    }
    pr_putc(o, '}');
  }
}

static void pr_term(pr_out *o, ac_term t) {
  char num[64];
  uint8_t tag = t.p[0];
  /* Only these four carry a u64 payload; reading one elsewhere could overrun a short binary. */
  bool has_u64 = tag == AC_T_INT || tag == AC_T_FLOAT || tag == AC_T_REF || tag == AC_T_PID;
  uint64_t u = has_u64 ? rd_u64(t.p + 1) : 0;
  switch ((ac_type)tag) {
  case AC_T_INT:
    snprintf(num, sizeof num, "%" PRId64, i64_from_bits(u));
    pr_puts(o, num);
    break;
  case AC_T_FLOAT:
    pr_float(o, f64_from_bits(u));
    break;
  case AC_T_ATOM:
    pr_atom(o, t.p + 2, t.p[1]);
    break;
  case AC_T_REF:
    snprintf(num, sizeof num, "#Ref<%" PRIu32 ".%" PRIu64 ">", ac_ref_node((ac_ref){u}),
             ac_ref_serial((ac_ref){u}));
    pr_puts(o, num);
    break;
  case AC_T_PID:
    snprintf(num, sizeof num, "<%" PRIu32 ".%" PRIu32 ".%" PRIu32 ">", ac_pid_node((ac_pid){u}),
             ac_pid_slot((ac_pid){u}), ac_pid_gen((ac_pid){u}));
    pr_puts(o, num);
    break;
  case AC_T_NIL:
    pr_puts(o, "[]");
    break;
  case AC_T_BINARY:
    pr_binary(o, t.p + 5, rd_u32(t.p + 1));
    break;
  case AC_T_TUPLE:
  case AC_T_MAP:
  case AC_T_LIST:
    pr_compound(o, t);
    break;
  }
}

size_t ac_term_print(ac_term t, char *buf, size_t cap) {
  pr_out o = {buf, cap, 0};
  pr_term(&o, t);
  if (cap > 0) buf[o.len < cap ? o.len : cap - 1] = '\0';
  return o.len;
}
