/*
 * Terms: the values that processes send each other.
 *
 * A term is always one contiguous, position-independent block of bytes, so copying a message
 * is one memcpy and a receiver can never observe a sender's later changes. Terms are built with
 * an ac_tbuf (a small builder with a sticky error) and read in place through ac_term handles,
 * which are just pointers into a block that has already been validated.
 *
 * Encoding (all integers little-endian, no alignment):
 *   0x01 INT     i64
 *   0x02 FLOAT   f64 (finite only)
 *   0x03 ATOM    u8 len, len bytes (UTF-8 text, 0..255 bytes)
 *   0x04 REF     u64 (see ac_ref)
 *   0x05 PID     u64 (see ac_pid)
 *   0x06 TUPLE   u32 arity, u32 body_size, arity terms
 *   0x07 MAP     u32 count, u32 body_size, count key/value pairs, keys strictly increasing in
 *                term order (so equal maps have equal bytes)
 *   0x08 NIL     (the empty list [])
 *   0x09 LIST    u32 count (>= 1), u32 body_size, count terms, then one tail term (NIL for a
 *                proper list)
 *   0x0A BINARY  u32 len, len bytes
 * The tag values follow Erlang's term order (number < atom < reference < pid < tuple < map <
 * nil < list < binary), and two terms are exactly equal (=:=) iff their encodings are equal.
 * body_size lets a reader skip a compound term in O(1).
 *
 * Limits: a term nests at most AC_TERM_DEPTH_MAX compound levels and a builder refuses to grow
 * past its size_max (AC_TERM_SIZE_MAX unless changed). Reaching either is an error, not a crash.
 */
#ifndef CRASHLAB_TERM_H
#define CRASHLAB_TERM_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define AC_TERM_DEPTH_MAX 512u
#define AC_TERM_SIZE_MAX (64u * 1024u * 1024u)
#define AC_ATOM_LEN_MAX 255u

/* Tags, in Erlang's term order. */
typedef enum ac_type {
  AC_T_INT = 1,
  AC_T_FLOAT = 2,
  AC_T_ATOM = 3,
  AC_T_REF = 4,
  AC_T_PID = 5,
  AC_T_TUPLE = 6,
  AC_T_MAP = 7,
  AC_T_NIL = 8,
  AC_T_LIST = 9,
  AC_T_BINARY = 10,
} ac_type;

/*
 * A process identifier: node (16 bits) | slot (24 bits) | generation (24 bits).
 * The slot indexes the node's process table directly; the generation makes a pid unique for the
 * whole run (a slot whose generation would wrap is retired instead of reused). Printed as
 * <node.slot.generation>. The all-zero pid is "no process"; slot 0 of every node is reserved for
 * the node itself, <N.0.1> (the sender of signals injected from outside, e.g. by a fault).
 */
typedef struct ac_pid {
  uint64_t bits;
} ac_pid;

#define AC_PID_NONE ((ac_pid){0})
#define AC_PID_NODE_BITS 16u
#define AC_PID_SLOT_BITS 24u
#define AC_PID_GEN_BITS 24u
#define AC_PID_SLOT_MAX ((1u << AC_PID_SLOT_BITS) - 1u)
#define AC_PID_GEN_MAX ((1u << AC_PID_GEN_BITS) - 1u)
#define AC_NODE_MAX ((1u << AC_PID_NODE_BITS) - 1u)

static inline ac_pid ac_pid_make(uint32_t node, uint32_t slot, uint32_t gen) {
  ac_pid p = {((uint64_t)node << 48) | ((uint64_t)(slot & AC_PID_SLOT_MAX) << 24) |
              (uint64_t)(gen & AC_PID_GEN_MAX)};
  return p;
}
static inline uint32_t ac_pid_node(ac_pid p) { return (uint32_t)(p.bits >> 48); }
static inline uint32_t ac_pid_slot(ac_pid p) { return (uint32_t)(p.bits >> 24) & AC_PID_SLOT_MAX; }
static inline uint32_t ac_pid_gen(ac_pid p) { return (uint32_t)p.bits & AC_PID_GEN_MAX; }
static inline bool ac_pid_eq(ac_pid a, ac_pid b) { return a.bits == b.bits; }
static inline bool ac_pid_is_none(ac_pid p) { return p.bits == 0; }

/* A reference: node (16 bits) | serial (48 bits), unique per run. Printed #Ref<node.serial>. */
typedef struct ac_ref {
  uint64_t bits;
} ac_ref;

static inline ac_ref ac_ref_make(uint32_t node, uint64_t serial) {
  ac_ref r = {((uint64_t)node << 48) | (serial & ((UINT64_C(1) << 48) - 1))};
  return r;
}
static inline uint32_t ac_ref_node(ac_ref r) { return (uint32_t)(r.bits >> 48); }
static inline uint64_t ac_ref_serial(ac_ref r) { return r.bits & ((UINT64_C(1) << 48) - 1); }
static inline bool ac_ref_eq(ac_ref a, ac_ref b) { return a.bits == b.bits; }

/* A read-only handle on an encoded, validated term. Valid as long as its block is. */
typedef struct ac_term {
  const uint8_t *p;
} ac_term;

/* ---- Builder ---------------------------------------------------------------------------- */

#define AC__TBUF_INLINE 96u
#define AC__TBUF_OPEN_INLINE 8u

typedef struct ac__tb_open {
  uint32_t header_off; /* offset of the compound's tag byte */
  uint32_t count;      /* elements written so far (for a map: keys + values) */
  uint8_t tag;         /* AC_T_TUPLE, AC_T_LIST or AC_T_MAP */
  uint8_t tail;        /* list only: 1 once ac_tb_list_tail() was called */
} ac__tb_open;

/*
 * A term builder. Embed it (stack or struct), ac_tb_init() it, write exactly one top-level term
 * with the ac_tb_* calls, then ac_tb_finish(). Every call returns 0 or a negative AC_E code; the
 * first error is sticky: later calls do nothing and return it again, so a caller may check only
 * the result of ac_tb_finish(). Small terms live in the inline buffer; larger ones are
 * malloc'ed and freed by ac_tb_free().
 */
typedef struct ac_tbuf {
  uint8_t *data;      /* the bytes written so far (inline or heap) */
  size_t size;        /* bytes written */
  size_t cap;         /* capacity of data */
  size_t size_max;    /* refuse to grow past this (AC_ETOOBIG) */
  int err;            /* first error, sticky */
  uint32_t depth;     /* compounds currently open */
  uint32_t top_count; /* complete top-level terms written (must end at 1) */
  ac__tb_open *open;  /* stack of open compounds (inline or heap) */
  uint32_t open_cap;  /* capacity of open */
  ac__tb_open open_inline[AC__TBUF_OPEN_INLINE];
  uint8_t inline_data[AC__TBUF_INLINE];
} ac_tbuf;

/* Prepares an empty builder with size_max = AC_TERM_SIZE_MAX. Cannot fail. */
void ac_tb_init(ac_tbuf *b);
/* Forgets everything written and the sticky error; keeps any heap buffer for reuse. */
void ac_tb_reset(ac_tbuf *b);
/* A place in a builder to come back to. ac_tb_rewind(b, m) forgets everything written since
 * ac_tb_mark(b) (bytes, compounds opened, and any error), which must have been taken where a
 * term could start and with no error recorded. */
typedef struct ac_tb_mark_t {
  size_t size;
  uint32_t depth;
} ac_tb_mark_t;
ac_tb_mark_t ac_tb_mark(const ac_tbuf *b);
void ac_tb_rewind(ac_tbuf *b, ac_tb_mark_t m);
/* Frees heap memory; the builder must be ac_tb_init'ed again before reuse. Safe to call twice. */
void ac_tb_free(ac_tbuf *b);

int ac_tb_int(ac_tbuf *b, int64_t v);
/* AC_EINVAL for NaN or infinity (Erlang has neither). */
int ac_tb_float(ac_tbuf *b, double v);
/* AC_EINVAL for NULL or a name longer than AC_ATOM_LEN_MAX bytes. */
int ac_tb_atom(ac_tbuf *b, const char *name);
int ac_tb_atom_n(ac_tbuf *b, const char *name, size_t len);
int ac_tb_binary(ac_tbuf *b, const void *bytes, size_t len);
int ac_tb_pid(ac_tbuf *b, ac_pid pid);
int ac_tb_ref(ac_tbuf *b, ac_ref ref);
/* Copies an existing valid term (it may come from another block). */
int ac_tb_term(ac_tbuf *b, ac_term t);
/* Open a compound; its elements follow; ac_tb_end() closes it. AC_ETOODEEP past the limit. */
int ac_tb_tuple_begin(ac_tbuf *b);
int ac_tb_list_begin(ac_tbuf *b);
/* Map: write key, value, key, value, ...; at ac_tb_end the pairs are sorted by key, and a
 * repeated key gives AC_EDUPKEY, an odd element count AC_EINVAL. */
int ac_tb_map_begin(ac_tbuf *b);
/* Inside an open list with at least one element: the next term written is the list's tail,
 * making an improper list [a,b|Tail]. AC_ESTATE otherwise. */
int ac_tb_list_tail(ac_tbuf *b);
/* Closes the innermost open compound. An empty list becomes NIL. AC_ESTATE if none is open. */
int ac_tb_end(ac_tbuf *b);

/*
 * Appends terms described by a format, a compact way to build messages from C:
 *   i int64_t    d double    a atom (const char *)    s binary from a C string (const char *)
 *   b binary (const void *, size_t)    p ac_pid    r ac_ref    t ac_term (copied)
 *   n the empty list []    { } tuple    [ ] proper list    #{ } map (key value ...)    | tail
 * Spaces and commas are ignored. Arguments must have exactly these types: a plain int for i is
 * undefined behaviour (write INT64_C(1) or (int64_t)n). Example:
 *   ac_tb_fmt(&b, "{a, p, [i, i]}", "ping", self, INT64_C(1), INT64_C(2)).
 * AC_EINVAL for an unknown or unbalanced format character.
 */
int ac_tb_fmt(ac_tbuf *b, const char *fmt, ...);
/* The same with a va_list. */
int ac_tb_vfmt(ac_tbuf *b, const char *fmt, va_list ap);

/*
 * Builds one term from a format in one call: ac_tb_init(b), ac_tb_fmt, ac_tb_finish(b, out).
 * On AC_OK *out is the term, valid until b is reset or freed; on error *out is {NULL} and the
 * code is the first error (a format error, AC_ENOMEM, a limit). Either way the caller frees b
 * with ac_tb_free. Example:
 *   ac_tbuf b; ac_term t;
 *   if (ac_term_build(&b, &t, "{a, p}", "ping", self) == AC_OK) ac_send(self, to, t);
 *   ac_tb_free(&b);
 */
int ac_term_build(ac_tbuf *b, ac_term *out, const char *fmt, ...);
/* The same with a va_list. */
int ac_term_vbuild(ac_tbuf *b, ac_term *out, const char *fmt, va_list ap);

/*
 * Checks that exactly one complete term was written and gives a handle on it (valid until the
 * builder is reset or freed). Returns the sticky error if any, AC_ESTATE if a compound is still
 * open or not exactly one top-level term was written.
 */
int ac_tb_finish(ac_tbuf *b, ac_term *out);

/* ---- Reading ---------------------------------------------------------------------------- */

/*
 * Checks that bytes[0..size) is exactly one well-formed term: known tags, sizes in bounds,
 * depth within AC_TERM_DEPTH_MAX, finite floats, map keys strictly increasing. On success *out
 * points into bytes. Returns AC_EBADTERM, AC_ETOODEEP or AC_ETOOBIG (size > AC_TERM_SIZE_MAX).
 */
int ac_term_validate(const void *bytes, size_t size, ac_term *out);

ac_type ac_term_type(ac_term t);
/* Encoded size of t in bytes, including nested terms. */
size_t ac_term_size(ac_term t);

/* Scalar accessors: 0 on success, AC_EINVAL when t is of another type (out untouched). */
int ac_term_get_int(ac_term t, int64_t *out);
int ac_term_get_float(ac_term t, double *out);
/* *name points into the block and is NOT NUL-terminated; *len is its length. */
int ac_term_get_atom(ac_term t, const char **name, size_t *len);
int ac_term_get_binary(ac_term t, const uint8_t **bytes, size_t *len);
int ac_term_get_pid(ac_term t, ac_pid *out);
int ac_term_get_ref(ac_term t, ac_ref *out);

/* True when t is the atom `name`. */
bool ac_term_is_atom(ac_term t, const char *name);

/* Tuple arity, map pair count, proper-part length of a list (0 for NIL); 0 for scalars. */
uint32_t ac_term_count(ac_term t);
/* The i-th element of a tuple or list (O(i)). AC_EINVAL if t is neither or i is out of range. */
int ac_term_elem(ac_term t, uint32_t i, ac_term *out);
/* First element of a tuple, list or map (a map's first key). For an empty tuple or map the
 * handle is just past the header: walk it only count times (zero), never read it. */
ac_term ac_term_first(ac_term t);
/* The term that follows t in its enclosing block (O(1)); used to iterate elements. */
ac_term ac_term_next(ac_term t);
/* The tail of a list (NIL for proper lists). AC_EINVAL if t is not a LIST. */
int ac_term_list_tail(ac_term t, ac_term *out);
/* Looks `key` up in a map (binary search). AC_ENOTFOUND if absent, AC_EINVAL if not a map. */
int ac_term_map_get(ac_term map, ac_term key, ac_term *value);

/* Erlang's term order; 0 only for exactly equal terms (1 and 1.0 differ: the int sorts first). */
int ac_term_compare(ac_term a, ac_term b);
/* Exact equality (=:=): same bytes. */
bool ac_term_equal(ac_term a, ac_term b);
/* A 64-bit hash of the encoding, stable across runs, machines and processes. */
uint64_t ac_term_hash(ac_term t);
/* Hash of raw bytes with the same function (used by the trace). */
uint64_t ac_hash_bytes(uint64_t seed, const void *bytes, size_t len);

/*
 * Pattern matching for selective receive: `pattern` matches `value` when they are equal, except
 * that the atom '_' in the pattern matches any term at that place. Tuples match element-wise,
 * lists element-wise including the tail, maps when every pattern key is present in value with a
 * matching value (extra keys in value are allowed, as in Erlang's map patterns).
 */
bool ac_term_match(ac_term value, ac_term pattern);

/*
 * Prints t in Erlang's text form (~w): {'EXIT',<0.12.0>,killed}, [1,2|3], #{a => 1},
 * <<"text">> or <<1,2>>, #Ref<0.7>, 1.5. Behaves like snprintf: writes at most cap bytes
 * including the NUL (when cap > 0) and returns the length the full text needs.
 */
size_t ac_term_print(ac_term t, char *buf, size_t cap);

#endif
