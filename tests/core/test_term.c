/*
 * Tests of core/term: the encoding, the builder, validation, Erlang term order, hashing,
 * matching and printing.
 *
 * Goal: every promise of term.h holds, with the boundaries named in the test names (depth and
 * size limits, the int/float tie, 0.0 against -0.0, canonical maps and list tails), and hostile
 * bytes never make a reader step outside its block.
 *
 * Method: terms are built with the ac_tb_* calls or ac_tb_fmt and read back through the public
 * accessors; equality of encodings is checked byte for byte. Term order is checked on a list of
 * terms written down in ascending order, comparing every pair. Validation is attacked by
 * truncating a rich block at every length and by setting each byte to each of its 256 values,
 * each time in a heap block of the exact size so that AddressSanitizer reports any read past
 * its end. The hash is pinned to constants computed once, so a change of algorithm is noticed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"
#include "term.h"

/* ac_tb_fmt reads 'i' arguments as int64_t; an int literal there would be undefined behaviour. */
#define I(x) ((int64_t)(x))

/* Finishes b, checks that the result validates in place, and returns it. */
static ac_term finished(ac_tbuf *b) {
  ac_term t = {NULL}, v = {NULL};
  assert_int_equal(ac_tb_finish(b, &t), 0);
  assert_int_equal(ac_term_validate(t.p, b->size, &v), 0);
  assert_ptr_equal(v.p, t.p);
  assert_int_equal(ac_term_size(t), b->size);
  return t;
}

static void assert_prints(ac_term t, const char *want) {
  char buf[512];
  size_t n = ac_term_print(t, buf, sizeof buf);
  assert_string_equal(buf, want);
  assert_int_equal(n, strlen(want));
}

static void assert_float_prints(double d, const char *want) {
  ac_tbuf b;
  ac_tb_init(&b);
  assert_int_equal(ac_tb_float(&b, d), 0);
  assert_prints(finished(&b), want);
  ac_tb_free(&b);
}

static bool same_bytes(ac_term a, ac_term b) {
  size_t n = ac_term_size(a);
  return n == ac_term_size(b) && memcmp(a.p, b.p, n) == 0;
}

/* ---- Status ------------------------------------------------------------------------------- */

static void test_status_text_and_names_come_from_the_table(void **state) {
  (void)state;
  assert_string_equal(ac_strerror(AC_OK), "success");
  assert_string_equal(ac_errname(AC_OK), "AC_OK");
  assert_string_equal(ac_strerror(AC_EDUPKEY), "duplicate key in map");
  assert_string_equal(ac_errname(AC_ENOPROC), "AC_ENOPROC");
  assert_string_equal(ac_errname(AC_ENOTLOCAL), "AC_ENOTLOCAL");
  assert_string_equal(ac_strerror(-999), "unknown error");
  assert_string_equal(ac_errname(-999), "AC_E?");
  assert_string_equal(ac_errname(1), "AC_E?");
}

/* ---- Round trips -------------------------------------------------------------------------- */

static void test_every_scalar_type_round_trips(void **state) {
  (void)state;
  ac_tbuf b;
  ac_tb_init(&b);
  const int64_t ints[] = {0, -1, 42, INT64_MIN, INT64_MAX};
  for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
    ac_tb_reset(&b);
    assert_int_equal(ac_tb_int(&b, ints[i]), 0);
    ac_term t = finished(&b);
    int64_t v = 0;
    assert_int_equal(ac_term_type(t), AC_T_INT);
    assert_int_equal(ac_term_get_int(t, &v), 0);
    assert_true(v == ints[i]);
    double d = 7.0;
    assert_int_equal(ac_term_get_float(t, &d), AC_EINVAL);
    assert_true(d == 7.0); /* untouched on error */
  }
  ac_tb_reset(&b);
  assert_int_equal(ac_tb_float(&b, -1.25e-300), 0);
  double d = 0;
  assert_int_equal(ac_term_get_float(finished(&b), &d), 0);
  assert_true(d == -1.25e-300);

  ac_tb_reset(&b);
  assert_int_equal(ac_tb_atom(&b, "hello"), 0);
  const char *name = NULL;
  size_t len = 0;
  ac_term t = finished(&b);
  assert_int_equal(ac_term_get_atom(t, &name, &len), 0);
  assert_int_equal(len, 5);
  assert_memory_equal(name, "hello", 5);
  assert_true(ac_term_is_atom(t, "hello"));
  assert_false(ac_term_is_atom(t, "hell"));

  ac_tb_reset(&b);
  assert_int_equal(ac_tb_binary(&b, "\0\1\2", 3), 0);
  const uint8_t *bytes = NULL;
  assert_int_equal(ac_term_get_binary(finished(&b), &bytes, &len), 0);
  assert_int_equal(len, 3);
  assert_memory_equal(bytes, "\0\1\2", 3);

  ac_tb_reset(&b);
  assert_int_equal(ac_tb_pid(&b, ac_pid_make(3, 12, 7)), 0);
  ac_pid pid = AC_PID_NONE;
  assert_int_equal(ac_term_get_pid(finished(&b), &pid), 0);
  assert_true(ac_pid_eq(pid, ac_pid_make(3, 12, 7)));

  ac_tb_reset(&b);
  assert_int_equal(ac_tb_ref(&b, ac_ref_make(2, 99)), 0);
  ac_ref ref = {0};
  assert_int_equal(ac_term_get_ref(finished(&b), &ref), 0);
  assert_true(ac_ref_eq(ref, ac_ref_make(2, 99)));
  assert_int_equal(ac_term_get_int(finished(&b), &(int64_t){0}), AC_EINVAL);
  ac_tb_free(&b);
}

/* {} and #{} are ordinary values: walked zero times, printed, compared, hashed and matched. */
static void test_empty_tuple_and_map(void **state) {
  (void)state;
  ac_tbuf b;
  ac_tb_init(&b);
  assert_int_equal(ac_tb_fmt(&b, "{{}, #{}, {a}}", "x"), 0);
  ac_term t = finished(&b);
  ac_term empty = ac_term_first(t), map = ac_term_next(empty), one = ac_term_next(map);
  assert_int_equal(ac_term_count(empty), 0);
  assert_int_equal(ac_term_count(map), 0);
  assert_true(ac_term_first(empty).p == map.p); /* just past {}: the next term */
  char text[64];
  ac_term_print(t, text, sizeof text);
  assert_string_equal(text, "{{},#{},{x}}");
  assert_true(ac_term_compare(empty, one) < 0); /* tuples by size first */
  assert_true(ac_term_compare(empty, empty) == 0);
  assert_true(ac_term_compare(empty, map) < 0); /* tuple < map */
  assert_true(ac_term_match(empty, empty));
  assert_false(ac_term_match(one, empty));
  assert_true(ac_term_hash(empty) != ac_term_hash(map));
  ac_term e;
  assert_int_equal(ac_term_elem(empty, 0, &e), AC_EINVAL);
  ac_tb_free(&b);
}

static void test_compounds_round_trip_and_can_be_walked(void **state) {
  (void)state;
  ac_tbuf b;
  ac_tb_init(&b);
  assert_int_equal(ac_tb_fmt(&b, "{i, [a, a | a], #{a i, a s}, b, n}", I(1), "x", "y", "z", "k",
                             I(2), "v", "text", "", (size_t)0),
                   0);
  ac_term t = finished(&b);
  assert_int_equal(ac_term_type(t), AC_T_TUPLE);
  assert_int_equal(ac_term_count(t), 5);
  ac_term e;
  assert_int_equal(ac_term_elem(t, 5, &e), AC_EINVAL);
  assert_int_equal(ac_term_elem(t, 1, &e), 0);
  assert_int_equal(ac_term_type(e), AC_T_LIST);
  assert_int_equal(ac_term_count(e), 2);
  assert_true(ac_term_is_atom(ac_term_first(e), "x"));
  assert_true(ac_term_is_atom(ac_term_next(ac_term_first(e)), "y"));
  ac_term tail;
  assert_int_equal(ac_term_list_tail(e, &tail), 0);
  assert_true(ac_term_is_atom(tail, "z"));
  assert_int_equal(ac_term_list_tail(t, &tail), AC_EINVAL);

  ac_term map = ac_term_next(e), key, value;
  assert_int_equal(ac_term_count(map), 2);
  ac_tbuf kb;
  ac_tb_init(&kb);
  assert_int_equal(ac_tb_atom(&kb, "v"), 0);
  key = finished(&kb);
  assert_int_equal(ac_term_map_get(map, key, &value), 0);
  const uint8_t *bytes;
  size_t len;
  assert_int_equal(ac_term_get_binary(value, &bytes, &len), 0);
  assert_int_equal(len, 4);
  assert_int_equal(ac_term_map_get(t, key, &value), AC_EINVAL);

  ac_term empty = ac_term_next(map);
  assert_int_equal(ac_term_get_binary(empty, &bytes, &len), 0);
  assert_int_equal(len, 0);
  ac_term nil = ac_term_next(empty);
  assert_int_equal(ac_term_type(nil), AC_T_NIL);
  assert_int_equal(ac_term_count(nil), 0);
  assert_ptr_equal(ac_term_next(nil).p, t.p + ac_term_size(t));
  assert_int_equal(ac_term_list_tail(nil, &tail), AC_EINVAL);
  assert_prints(t, "{1,[x,y|z],#{k => 2,v => <<\"text\">>},<<>>,[]}");
  ac_tb_free(&kb);
  ac_tb_free(&b);
}

static void test_map_get_finds_present_keys_only(void **state) {
  (void)state;
  ac_tbuf b, k;
  ac_tb_init(&b);
  ac_tb_init(&k);
  assert_int_equal(ac_tb_fmt(&b, "#{i a, i a, d a}", I(3), "three", I(1), "one", 1.0, "float"),
                   0);
  ac_term map = finished(&b), v;
  assert_int_equal(ac_tb_int(&k, 1), 0);
  assert_int_equal(ac_term_map_get(map, finished(&k), &v), 0);
  assert_true(ac_term_is_atom(v, "one"));
  ac_tb_reset(&k);
  assert_int_equal(ac_tb_float(&k, 1.0), 0);
  assert_int_equal(ac_term_map_get(map, finished(&k), &v), 0);
  assert_true(ac_term_is_atom(v, "float"));
  ac_tb_reset(&k);
  assert_int_equal(ac_tb_int(&k, 2), 0);
  assert_int_equal(ac_term_map_get(map, finished(&k), &v), AC_ENOTFOUND);
  ac_tb_reset(&k);
  assert_int_equal(ac_tb_atom(&k, "zz"), 0);
  assert_int_equal(ac_term_map_get(map, finished(&k), NULL), AC_ENOTFOUND);
  ac_tb_free(&k);
  ac_tb_free(&b);
}

static void test_copied_term_is_byte_identical(void **state) {
  (void)state;
  ac_tbuf a, b;
  ac_tb_init(&a);
  ac_tb_init(&b);
  assert_int_equal(ac_tb_fmt(&a, "{a, [i, i]}", "pair", I(1), I(2)), 0);
  ac_term inner = finished(&a);
  assert_int_equal(ac_tb_fmt(&b, "[t, t]", inner, inner), 0);
  ac_term outer = finished(&b);
  assert_true(same_bytes(ac_term_first(outer), inner));
  assert_prints(outer, "[{pair,[1,2]},{pair,[1,2]}]");
  ac_tb_free(&a);
  ac_tb_free(&b);
}

/* ---- Canonical form ----------------------------------------------------------------------- */

static void test_map_keys_sorted_so_equal_maps_have_equal_bytes(void **state) {
  (void)state;
  ac_tbuf x, y;
  ac_tb_init(&x);
  ac_tb_init(&y);
  assert_int_equal(ac_tb_fmt(&x, "#{a i, a i, a i, i a}", "b", I(2), "a", I(1), "c", I(3), I(9),
                             "nine"),
                   0);
  assert_int_equal(ac_tb_fmt(&y, "#{i a, a i, a i, a i}", I(9), "nine", "c", I(3), "a", I(1), "b",
                             I(2)),
                   0);
  ac_term tx = finished(&x), ty = finished(&y);
  assert_true(same_bytes(tx, ty));
  assert_true(ac_term_equal(tx, ty));
  assert_int_equal(ac_term_compare(tx, ty), 0);
  assert_true(ac_term_hash(tx) == ac_term_hash(ty));
  assert_prints(tx, "#{9 => nine,a => 1,b => 2,c => 3}");
  ac_tb_free(&x);
  ac_tb_free(&y);
}

static void test_map_with_repeated_key_is_refused(void **state) {
  (void)state;
  ac_tbuf b;
  ac_tb_init(&b);
  assert_int_equal(ac_tb_fmt(&b, "#{a i, a i}", "k", I(1), "k", I(2)), AC_EDUPKEY);
  assert_int_equal(ac_tb_finish(&b, &(ac_term){NULL}), AC_EDUPKEY);
  /* Not adjacent as written: found only by the sort. */
  ac_tb_reset(&b);
  assert_int_equal(ac_tb_fmt(&b, "#{a i, a i, a i}", "k", I(1), "a", I(0), "k", I(2)),
                   AC_EDUPKEY);
  /* 1 and 1.0 are different keys (=:=), as in Erlang. */
  ac_tb_reset(&b);
  assert_int_equal(ac_tb_fmt(&b, "#{d a, i a}", 1.0, "f", I(1), "i"), 0);
  assert_prints(finished(&b), "#{1 => i,1.0 => f}");
  ac_tb_free(&b);
}

static void test_map_with_odd_element_count_is_invalid(void **state) {
  (void)state;
  ac_tbuf b;
  ac_tb_init(&b);
  assert_int_equal(ac_tb_map_begin(&b), 0);
  assert_int_equal(ac_tb_atom(&b, "lonely"), 0);
  assert_int_equal(ac_tb_end(&b), AC_EINVAL);
  ac_tb_reset(&b);
  assert_int_equal(ac_tb_fmt(&b, "#{}"), 0);
  assert_prints(finished(&b), "#{}");
  ac_tb_free(&b);
}

static void test_list_tail_that_is_a_list_is_spliced(void **state) {
  (void)state;
  ac_tbuf x, y, z, w;
  ac_tb_init(&x);
  ac_tb_init(&y);
  ac_tb_init(&z);
  ac_tb_init(&w);
  assert_int_equal(ac_tb_fmt(&x, "[i | [i, i | a]]", I(1), I(2), I(3), "t"), 0);
  assert_int_equal(ac_tb_fmt(&y, "[i, i, i | a]", I(1), I(2), I(3), "t"), 0);
  ac_term tx = finished(&x), ty = finished(&y);
  assert_true(same_bytes(tx, ty));
  assert_int_equal(ac_term_count(tx), 3);
  /* [1|[]] is the proper list [1]. */
  assert_int_equal(ac_tb_fmt(&z, "[i | n]", I(1)), 0);
  assert_int_equal(ac_tb_fmt(&w, "[i]", I(1)), 0);
  assert_true(same_bytes(finished(&z), finished(&w)));
  assert_prints(tx, "[1,2,3|t]");
  ac_tb_free(&x);
  ac_tb_free(&y);
  ac_tb_free(&z);
  ac_tb_free(&w);
}

static void test_empty_list_becomes_nil(void **state) {
  (void)state;
  ac_tbuf b;
  ac_tb_init(&b);
  assert_int_equal(ac_tb_list_begin(&b), 0);
  assert_int_equal(ac_tb_end(&b), 0);
  ac_term t = finished(&b);
  assert_int_equal(b.size, 1);
  assert_int_equal(ac_term_type(t), AC_T_NIL);
  assert_prints(t, "[]");
  ac_tb_reset(&b);
  assert_int_equal(ac_tb_fmt(&b, "{[], n, {}}"), 0);
  assert_prints(finished(&b), "{[],[],{}}");
  ac_tb_free(&b);
}

/* ---- Builder limits and state ------------------------------------------------------------- */

static void test_builder_refuses_term_deeper_than_limit(void **state) {
  (void)state;
  ac_tbuf b;
  ac_tb_init(&b);
  for (uint32_t i = 0; i < AC_TERM_DEPTH_MAX; i++) assert_int_equal(ac_tb_tuple_begin(&b), 0);
  assert_int_equal(ac_tb_list_begin(&b), AC_ETOODEEP);
  assert_int_equal(ac_tb_end(&b), AC_ETOODEEP);
  assert_int_equal(ac_tb_finish(&b, &(ac_term){NULL}), AC_ETOODEEP);

  /* Exactly at the limit is fine, and validates. */
  ac_tb_reset(&b);
  for (uint32_t i = 0; i < AC_TERM_DEPTH_MAX; i++) assert_int_equal(ac_tb_tuple_begin(&b), 0);
  assert_int_equal(ac_tb_int(&b, 7), 0);
  for (uint32_t i = 0; i < AC_TERM_DEPTH_MAX; i++) assert_int_equal(ac_tb_end(&b), 0);
  ac_term deep = finished(&b);
  char text[2 * AC_TERM_DEPTH_MAX + 2];
  assert_int_equal(ac_term_print(deep, text, sizeof text), 2 * AC_TERM_DEPTH_MAX + 1);

  /* A valid term copied into an open compound can push the whole past the limit. */
  ac_tbuf c;
  ac_tb_init(&c);
  assert_int_equal(ac_tb_list_begin(&c), 0);
  assert_int_equal(ac_tb_term(&c, deep), AC_ETOODEEP);
  ac_tb_free(&c);
  ac_tb_free(&b);
}

static void test_builder_refuses_to_grow_past_size_max(void **state) {
  (void)state;
  ac_tbuf b;
  ac_tb_init(&b);
  b.size_max = 32;
  uint8_t blob[40] = {0};
  assert_int_equal(ac_tb_binary(&b, blob, sizeof blob), AC_ETOOBIG);
  assert_int_equal(ac_tb_finish(&b, &(ac_term){NULL}), AC_ETOOBIG);

  ac_tb_reset(&b);
  assert_int_equal(ac_tb_list_begin(&b), 0);
  int rc = 0;
  for (int i = 0; i < 10 && rc == 0; i++) rc = ac_tb_int(&b, i);
  assert_int_equal(rc, AC_ETOOBIG);
  assert_true(b.size <= 32);

  /* 32 bytes exactly is allowed: a 27-byte binary has a 5-byte header. */
  ac_tb_reset(&b);
  assert_int_equal(ac_tb_binary(&b, blob, 27), 0);
  assert_int_equal(finished(&b).p[0], AC_T_BINARY);
  ac_tb_free(&b);
}

static void test_builder_grows_from_inline_to_heap_and_keeps_it_on_reset(void **state) {
  (void)state;
  ac_tbuf b;
  ac_tb_init(&b);
  assert_ptr_equal(b.data, b.inline_data);
  assert_int_equal(ac_tb_list_begin(&b), 0);
  for (int64_t i = 0; i < 10000; i++) assert_int_equal(ac_tb_int(&b, i), 0);
  assert_int_equal(ac_tb_end(&b), 0);
  ac_term t = finished(&b);
  assert_int_equal(b.size, 9 + 10000 * 9 + 1);
  ac_term e;
  int64_t v = 0;
  assert_int_equal(ac_term_elem(t, 9999, &e), 0);
  assert_int_equal(ac_term_get_int(e, &v), 0);
  assert_true(v == 9999);
  const uint8_t *heap = b.data;
  assert_ptr_not_equal(heap, b.inline_data);
  ac_tb_reset(&b);
  assert_int_equal(ac_tb_int(&b, 1), 0);
  assert_ptr_equal(b.data, heap);
  ac_tb_free(&b);
  ac_tb_free(&b); /* twice is safe */
  assert_int_equal(ac_tb_int(&b, 1), AC_ESTATE);
  ac_tb_init(&b);
  assert_int_equal(ac_tb_int(&b, 1), 0);
  ac_tb_free(&b);
}

static void test_builder_error_is_sticky_until_reset(void **state) {
  (void)state;
  ac_tbuf b;
  ac_tb_init(&b);
  assert_int_equal(ac_tb_tuple_begin(&b), 0);
  assert_int_equal(ac_tb_float(&b, NAN), AC_EINVAL);
  assert_int_equal(ac_tb_int(&b, 1), AC_EINVAL);
  assert_int_equal(ac_tb_float(&b, INFINITY), AC_EINVAL);
  assert_int_equal(ac_tb_end(&b), AC_EINVAL);
  assert_int_equal(ac_tb_atom(&b, NULL), AC_EINVAL);
  assert_int_equal(ac_tb_finish(&b, &(ac_term){NULL}), AC_EINVAL);
  ac_tb_reset(&b);
  assert_int_equal(ac_tb_int(&b, 1), 0);
  finished(&b);
  /* A later, different error does not replace the first one. */
  ac_tb_reset(&b);
  assert_int_equal(ac_tb_end(&b), AC_ESTATE);
  assert_int_equal(ac_tb_float(&b, NAN), AC_ESTATE);
  ac_tb_free(&b);
}

static void test_second_top_level_term_is_refused(void **state) {
  (void)state;
  ac_tbuf b;
  ac_tb_init(&b);
  assert_int_equal(ac_tb_int(&b, 1), 0);
  assert_int_equal(ac_tb_int(&b, 2), AC_ESTATE);
  assert_int_equal(ac_tb_finish(&b, &(ac_term){NULL}), AC_ESTATE);
  ac_tb_reset(&b);
  assert_int_equal(ac_tb_fmt(&b, "i i", I(1), I(2)), AC_ESTATE);
  ac_tb_free(&b);
}

static void test_builder_refuses_calls_out_of_place(void **state) {
  (void)state;
  ac_tbuf b;
  ac_tb_init(&b);
  ac_term t;
  assert_int_equal(ac_tb_finish(&b, &t), AC_ESTATE); /* nothing written */
  ac_tb_reset(&b);
  assert_int_equal(ac_tb_list_tail(&b), AC_ESTATE); /* no list open */
  ac_tb_reset(&b);
  assert_int_equal(ac_tb_list_begin(&b), 0);
  assert_int_equal(ac_tb_list_tail(&b), AC_ESTATE); /* [|T] has no element */
  ac_tb_reset(&b);
  assert_int_equal(ac_tb_tuple_begin(&b), 0);
  assert_int_equal(ac_tb_int(&b, 1), 0);
  assert_int_equal(ac_tb_list_tail(&b), AC_ESTATE); /* a tuple has no tail */
  ac_tb_reset(&b);
  assert_int_equal(ac_tb_fmt(&b, "[i | i", I(1), I(2)), AC_EINVAL); /* unbalanced */
  ac_tb_reset(&b);
  assert_int_equal(ac_tb_fmt(&b, "[i |", I(1)), AC_EINVAL);
  ac_tb_reset(&b);
  assert_int_equal(ac_tb_list_begin(&b), 0);
  assert_int_equal(ac_tb_int(&b, 1), 0);
  assert_int_equal(ac_tb_list_tail(&b), 0);
  assert_int_equal(ac_tb_end(&b), AC_ESTATE); /* tail announced, never written */
  ac_tb_reset(&b);
  assert_int_equal(ac_tb_fmt(&b, "[i | i i]", I(1), I(2), I(3)), AC_ESTATE); /* two tails */
  ac_tb_reset(&b);
  assert_int_equal(ac_tb_fmt(&b, "[i | i |", I(1), I(2)), AC_ESTATE);
  ac_tb_reset(&b);
  assert_int_equal(ac_tb_tuple_begin(&b), 0);
  assert_int_equal(ac_tb_finish(&b, &t), AC_ESTATE); /* still open */
  ac_tb_free(&b);
}

static void test_atom_longer_than_255_bytes_is_invalid(void **state) {
  (void)state;
  char name[AC_ATOM_LEN_MAX + 2];
  memset(name, 'a', sizeof name - 1);
  name[sizeof name - 1] = '\0';
  ac_tbuf b;
  ac_tb_init(&b);
  assert_int_equal(ac_tb_atom(&b, name), AC_EINVAL);
  ac_tb_reset(&b);
  assert_int_equal(ac_tb_atom_n(&b, name, AC_ATOM_LEN_MAX), 0);
  assert_int_equal(ac_term_count(finished(&b)), 0);
  ac_tb_reset(&b);
  assert_int_equal(ac_tb_atom_n(&b, "", 0), 0);
  assert_prints(finished(&b), "''");
  ac_tb_free(&b);
}

/* ---- Format ------------------------------------------------------------------------------- */

static void test_fmt_builds_the_same_bytes_as_the_calls(void **state) {
  (void)state;
  ac_pid self = ac_pid_make(1, 2, 3);
  ac_tbuf x, y;
  ac_tb_init(&x);
  ac_tb_init(&y);
  assert_int_equal(ac_tb_fmt(&x, "{a, p, [i, i]}", "ping", self, I(1), I(2)), 0);
  assert_int_equal(ac_tb_tuple_begin(&y), 0);
  assert_int_equal(ac_tb_atom(&y, "ping"), 0);
  assert_int_equal(ac_tb_pid(&y, self), 0);
  assert_int_equal(ac_tb_list_begin(&y), 0);
  assert_int_equal(ac_tb_int(&y, 1), 0);
  assert_int_equal(ac_tb_int(&y, 2), 0);
  assert_int_equal(ac_tb_end(&y), 0);
  assert_int_equal(ac_tb_end(&y), 0);
  assert_true(same_bytes(finished(&x), finished(&y)));

  ac_tb_reset(&x);
  assert_int_equal(ac_tb_fmt(&x, "{d, s, b, r, n, #{a [i|a]}}", 2.5, "hi", "\1\2", (size_t)2,
                             ac_ref_make(0, 7), "k", I(-3), "t"),
                   0);
  assert_prints(finished(&x), "{2.5,<<\"hi\">>,<<1,2>>,#Ref<0.7>,[],#{k => [-3|t]}}");

  /* A format may add elements to a compound its caller opened. */
  ac_tb_reset(&x);
  assert_int_equal(ac_tb_list_begin(&x), 0);
  assert_int_equal(ac_tb_fmt(&x, "a, a", "one", "two"), 0);
  assert_int_equal(ac_tb_end(&x), 0);
  assert_prints(finished(&x), "[one,two]");
  ac_tb_free(&x);
  ac_tb_free(&y);
}

static int vfmt_wrapper(ac_tbuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = ac_tb_vfmt(b, fmt, ap);
  va_end(ap);
  return rc;
}

static void test_vfmt_takes_its_values_from_a_va_list(void **state) {
  (void)state;
  ac_tbuf x, y;
  ac_tb_init(&x);
  ac_tb_init(&y);
  assert_int_equal(vfmt_wrapper(&x, "{a, [i, d], b}", "v", I(-1), 0.5, "\3", (size_t)1), 0);
  assert_int_equal(ac_tb_fmt(&y, "{a, [i, d], b}", "v", I(-1), 0.5, "\3", (size_t)1), 0);
  assert_true(same_bytes(finished(&x), finished(&y)));
  ac_tb_reset(&x);
  assert_int_equal(vfmt_wrapper(&x, "[i", I(1)), AC_EINVAL);
  ac_tb_free(&x);
  ac_tb_free(&y);
}

static void test_fmt_rejects_unknown_and_unbalanced_characters(void **state) {
  (void)state;
  static const char *const bad[] = {"x", "{", "}", "[}", "{]", "#(", "#", "{i}}", "[i]]"};
  ac_tbuf b;
  ac_tb_init(&b);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    ac_tb_reset(&b);
    assert_int_equal(ac_tb_fmt(&b, bad[i], I(1)), AC_EINVAL);
  }
  /* A format never closes a compound its caller opened. */
  ac_tb_reset(&b);
  assert_int_equal(ac_tb_tuple_begin(&b), 0);
  assert_int_equal(ac_tb_fmt(&b, "}"), AC_EINVAL);
  ac_tb_reset(&b);
  assert_int_equal(ac_tb_fmt(&b, "s", (const char *)NULL), AC_EINVAL);
  ac_tb_free(&b);
}

/* ---- Printing ----------------------------------------------------------------------------- */

static void test_print_uses_erlang_text_forms(void **state) {
  (void)state;
  ac_tbuf b;
  ac_tb_init(&b);
  assert_int_equal(ac_tb_fmt(&b, "{a, p, a}", "EXIT", ac_pid_make(0, 12, 0), "killed"), 0);
  assert_prints(finished(&b), "{'EXIT',<0.12.0>,killed}");

  static const struct {
    const char *fmt_text;
    const char *want;
  } atoms[] = {
      {"ok", "ok"},         {"node@host", "node@host"}, {"a_B9", "a_B9"},
      {"Caps", "'Caps'"},   {"_x", "'_x'"},             {"hello world", "'hello world'"},
      {"it's", "'it\\'s'"}, {"back\\slash", "'back\\\\slash'"},
      {"and", "'and'"},     {"receive", "'receive'"},   {"maybe", "'maybe'"},
      {"else", "'else'"},   {"andalso2", "andalso2"},   {"tab\there", "'tab\\there'"},
      {"\x01", "'\\001'"},  {"\xc3\xa9", "'\\303\\251'"}, {"9", "'9'"},
  };
  for (size_t i = 0; i < sizeof atoms / sizeof atoms[0]; i++) {
    ac_tb_reset(&b);
    assert_int_equal(ac_tb_atom(&b, atoms[i].fmt_text), 0);
    assert_prints(finished(&b), atoms[i].want);
  }

  ac_tb_reset(&b);
  assert_int_equal(ac_tb_fmt(&b, "[i, i | i]", I(1), I(2), I(3)), 0);
  assert_prints(finished(&b), "[1,2|3]");
  ac_tb_reset(&b);
  assert_int_equal(ac_tb_fmt(&b, "#{a i, a i}", "b", I(2), "a", I(-1)), 0);
  assert_prints(finished(&b), "#{a => -1,b => 2}");
  ac_tb_reset(&b);
  assert_int_equal(ac_tb_fmt(&b, "{s, s, b, b, r}", "text", "q\"uo\\te", "\1\2\3", (size_t)3,
                             "hi\n", (size_t)3, ac_ref_make(3, 123456789)),
                   0);
  assert_prints(finished(&b),
                "{<<\"text\">>,<<\"q\\\"uo\\\\te\">>,<<1,2,3>>,<<104,105,10>>,#Ref<3.123456789>}");
  ac_tb_reset(&b);
  assert_int_equal(ac_tb_fmt(&b, "{i, i, p}", I(INT64_MIN), I(INT64_MAX),
                             ac_pid_make(AC_NODE_MAX, AC_PID_SLOT_MAX, AC_PID_GEN_MAX)),
                   0);
  assert_prints(finished(&b),
                "{-9223372036854775808,9223372036854775807,<65535.16777215.16777215>}");
  ac_tb_free(&b);
}

static void test_print_floats_shortest_round_trip_in_erlang_layout(void **state) {
  (void)state;
  assert_float_prints(1.0, "1.0");
  assert_float_prints(1.5, "1.5");
  assert_float_prints(-2.5, "-2.5");
  assert_float_prints(0.1, "0.1");
  assert_float_prints(0.5, "0.5");
  assert_float_prints(0.001, "0.001");
  assert_float_prints(0.0001, "1.0e-4");
  assert_float_prints(1.0e-5, "1.0e-5");
  assert_float_prints(1.2e-7, "1.2e-7");
  assert_float_prints(123.456, "123.456");
  assert_float_prints(100.0, "100.0");
  assert_float_prints(120.0, "120.0");
  assert_float_prints(1000.0, "1.0e3");
  assert_float_prints(12345.0, "12345.0");
  assert_float_prints(1.0e10, "1.0e10");
  assert_float_prints(-1.0e10, "-1.0e10");
  assert_float_prints(1.0e100, "1.0e100");
  assert_float_prints(0.1 + 0.2, "0.30000000000000004");
  assert_float_prints(9007199254740991.0, "9007199254740991.0");
  assert_float_prints(9007199254740992.0, "9.007199254740992e15");
  assert_float_prints(1.7976931348623157e308, "1.7976931348623157e308");
  assert_float_prints(5e-324, "5.0e-324");
  assert_float_prints(0.0, "0.0");
  assert_float_prints(-0.0, "-0.0");
}

static void test_print_truncates_like_snprintf(void **state) {
  (void)state;
  ac_tbuf b;
  ac_tb_init(&b);
  assert_int_equal(ac_tb_fmt(&b, "{a, [i, i]}", "hello", I(10), I(20)), 0);
  ac_term t = finished(&b);
  const char *full = "{hello,[10,20]}";
  size_t n = strlen(full);
  assert_int_equal(ac_term_print(t, NULL, 0), n);
  for (size_t cap = 1; cap <= n + 2; cap++) {
    char buf[32];
    memset(buf, '#', sizeof buf);
    assert_int_equal(ac_term_print(t, buf, cap), n);
    size_t kept = cap - 1 < n ? cap - 1 : n;
    assert_memory_equal(buf, full, kept);
    assert_int_equal(buf[kept], '\0');
    for (size_t i = cap; i < sizeof buf; i++) assert_int_equal(buf[i], '#'); /* untouched */
  }
  ac_tb_free(&b);
}

/* A deterministic 64-bit generator (splitmix64) for the randomised tests below. The seed is
 * CRASHLAB_SEED when set, and is printed with every failure. */
static uint64_t test_seed(void) {
  const char *env = getenv("CRASHLAB_SEED");
  return env && *env ? strtoull(env, NULL, 0) : UINT64_C(20240601);
}

static uint64_t rng_next(uint64_t *s) {
  uint64_t x = (*s += UINT64_C(0x9E3779B97F4A7C15));
  x = (x ^ (x >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  x = (x ^ (x >> 27)) * UINT64_C(0x94D049BB133111EB);
  return x ^ (x >> 31);
}

static void test_printed_floats_read_back_exactly(void **state) {
  (void)state;
  uint64_t seed = test_seed(), s = seed;
  ac_tbuf b;
  ac_tb_init(&b);
  for (int i = 0; i < 20000; i++) {
    uint64_t bits = rng_next(&s);
    double d;
    /* Half the samples are small integers and simple fractions, the rest raw bit patterns. */
    if (i % 2) {
      memcpy(&d, &bits, sizeof d);
    } else {
      d = (double)(int64_t)(bits % 2000001) / (double)(1 + (bits >> 40) % 64) - 1000.0;
    }
    if (!isfinite(d)) continue;
    ac_tb_reset(&b);
    assert_int_equal(ac_tb_float(&b, d), 0);
    char text[64];
    assert_true(ac_term_print(finished(&b), text, sizeof text) < sizeof text);
    const char *dot = strchr(text, '.'), *e = strchr(text, 'e');
    if (dot == NULL || (e != NULL && e < dot) || strchr(text, '+') != NULL)
      fail_msg("seed %" PRIu64 ": %a printed as %s", seed, d, text);
    double back = strtod(text, NULL);
    if (memcmp(&back, &d, sizeof d) != 0)
      fail_msg("seed %" PRIu64 ": %a printed as %s reads back as %a", seed, d, text, back);
  }
  ac_tb_free(&b);
}

/* ---- Term order --------------------------------------------------------------------------- */

enum { ORDER_MAX = 64 };

typedef struct term_set {
  ac_tbuf bufs[ORDER_MAX];
  ac_term terms[ORDER_MAX];
  size_t count;
} term_set;

#define SET_ADD(set, ...)                                                  \
  do {                                                                     \
    assert_true((set)->count < ORDER_MAX);                                 \
    ac_tbuf *b_ = &(set)->bufs[(set)->count];                              \
    ac_tb_init(b_);                                                        \
    assert_int_equal(ac_tb_fmt(b_, __VA_ARGS__), 0);                       \
    (set)->terms[(set)->count++] = finished(b_);                           \
  } while (0)

/* Terms in strictly ascending Erlang term order. */
static void ascending_terms(term_set *s) {
  SET_ADD(s, "d", -1.0e300);
  SET_ADD(s, "i", I(INT64_MIN));
  SET_ADD(s, "d", -0x1p63); /* numerically equal to INT64_MIN: the int goes first */
  SET_ADD(s, "i", I(-1));
  SET_ADD(s, "d", -0.5);
  SET_ADD(s, "i", I(0));
  SET_ADD(s, "d", -0.0);
  SET_ADD(s, "d", 0.0);
  SET_ADD(s, "i", I(1));
  SET_ADD(s, "d", 1.0);
  SET_ADD(s, "d", 1.5);
  SET_ADD(s, "i", I(2));
  SET_ADD(s, "i", I(9007199254740992)); /* 2^53 */
  SET_ADD(s, "d", 9007199254740992.0);
  SET_ADD(s, "i", I(9007199254740993)); /* not a double: must not round to 2^53 */
  SET_ADD(s, "i", I(INT64_MAX));
  SET_ADD(s, "d", 0x1p63);
  SET_ADD(s, "d", 1.0e300);
  SET_ADD(s, "a", "");
  SET_ADD(s, "a", "a");
  SET_ADD(s, "a", "ab");
  SET_ADD(s, "a", "b");
  SET_ADD(s, "r", ac_ref_make(0, 1));
  SET_ADD(s, "r", ac_ref_make(1, 0));
  SET_ADD(s, "p", ac_pid_make(0, 1, 0));
  SET_ADD(s, "p", ac_pid_make(0, 1, 1));
  SET_ADD(s, "p", ac_pid_make(1, 0, 0));
  SET_ADD(s, "{}");
  SET_ADD(s, "{a}", "b");
  SET_ADD(s, "{a, a}", "a", "a");
  SET_ADD(s, "{a, a}", "a", "b");
  SET_ADD(s, "#{}");
  SET_ADD(s, "#{a i}", "a", I(2));
  SET_ADD(s, "#{a i}", "b", I(1)); /* keys before values */
  SET_ADD(s, "#{a i, a i}", "a", I(1), "b", I(9));
  SET_ADD(s, "#{a i, a i}", "a", I(2), "b", I(0));
  SET_ADD(s, "n");
  SET_ADD(s, "[i | i]", I(1), I(2)); /* tail 2 is a number, below any list */
  SET_ADD(s, "[i]", I(1));
  SET_ADD(s, "[i, i]", I(1), I(2));
  SET_ADD(s, "[i | b]", I(1), "", (size_t)0); /* tail <<>> is above any list */
  SET_ADD(s, "[i]", I(2));
  SET_ADD(s, "b", "", (size_t)0);
  SET_ADD(s, "b", "\0", (size_t)1);
  SET_ADD(s, "b", "\1", (size_t)1);
  SET_ADD(s, "b", "\1\0", (size_t)2);
  SET_ADD(s, "b", "\2", (size_t)1);
}

static void free_set(term_set *s) {
  for (size_t i = 0; i < s->count; i++) ac_tb_free(&s->bufs[i]);
}

static void test_term_order_follows_erlang_across_types(void **state) {
  (void)state;
  term_set *s = calloc(1, sizeof *s);
  assert_non_null(s);
  ascending_terms(s);
  for (size_t i = 0; i < s->count; i++) {
    for (size_t j = 0; j < s->count; j++) {
      int want = (i > j) - (i < j);
      int got = ac_term_compare(s->terms[i], s->terms[j]);
      if (got != want) fail_msg("compare(#%zu, #%zu) = %d, want %d", i, j, got, want);
      assert_int_equal(ac_term_equal(s->terms[i], s->terms[j]), i == j);
    }
  }
  free_set(s);
  free(s);
}

static void test_int_sorts_before_numerically_equal_float(void **state) {
  (void)state;
  ac_tbuf x, y;
  ac_tb_init(&x);
  ac_tb_init(&y);
  assert_int_equal(ac_tb_int(&x, 1), 0);
  assert_int_equal(ac_tb_float(&y, 1.0), 0);
  ac_term one = finished(&x), one_f = finished(&y);
  assert_int_equal(ac_term_compare(one, one_f), -1);
  assert_int_equal(ac_term_compare(one_f, one), 1);
  assert_false(ac_term_equal(one, one_f));
  assert_false(ac_term_match(one, one_f));
  ac_tb_free(&x);
  ac_tb_free(&y);
}

/* Writes a random term with small value ranges, so that ties, equal keys and int/float pairs
 * are common; `depth` bounds the nesting. */
static void random_term(ac_tbuf *b, uint64_t *s, int depth) {
  static const double floats[] = {-0.0, 0.0, 1.0, 1.5, -2.0, 1e300};
  static const char *const atoms[] = {"a", "b", "_", "ab", ""};
  uint64_t r = rng_next(s);
  unsigned kind = (unsigned)(r % (depth > 0 ? 11u : 7u));
  unsigned n = (unsigned)((r >> 8) % 4);
  switch (kind) {
  case 0: ac_tb_int(b, (int64_t)((r >> 16) % 7) - 3); break;
  case 1: ac_tb_float(b, floats[(r >> 16) % 6]); break;
  case 2: ac_tb_atom(b, atoms[(r >> 16) % 5]); break;
  case 3: ac_tb_ref(b, ac_ref_make((uint32_t)(r >> 16) % 2, (r >> 24) % 3)); break;
  case 4: ac_tb_pid(b, ac_pid_make((uint32_t)(r >> 16) % 2, (uint32_t)(r >> 24) % 3, 0)); break;
  case 5: ac_tb_binary(b, "\0\1\2", n); break;
  case 6: ac_tb_fmt(b, "n"); break;
  case 7:
  case 9:
    kind == 7 ? ac_tb_tuple_begin(b) : ac_tb_map_begin(b);
    for (unsigned i = 0; i < n * (kind == 9 ? 2u : 1u); i++) random_term(b, s, depth - 1);
    ac_tb_end(b);
    break;
  default: /* lists, sometimes improper, sometimes with a list as tail */
    ac_tb_list_begin(b);
    for (unsigned i = 0; i < n; i++) random_term(b, s, depth - 1);
    if (n > 0 && (r >> 20) % 2) {
      ac_tb_list_tail(b);
      random_term(b, s, depth - 1);
    }
    ac_tb_end(b);
    break;
  }
}

enum { RANDOM_TERMS = 300 };

static int compare_terms(const void *x, const void *y) {
  return ac_term_compare(*(const ac_term *)x, *(const ac_term *)y);
}

static void test_random_terms_validate_and_order_totally(void **state) {
  (void)state;
  uint64_t seed = test_seed(), s = seed;
  ac_term *terms = calloc(RANDOM_TERMS, sizeof *terms);
  assert_non_null(terms);
  ac_tbuf b;
  ac_tb_init(&b);
  size_t n = 0, dup_maps = 0;
  while (n < RANDOM_TERMS) {
    ac_tb_reset(&b);
    random_term(&b, &s, 4);
    ac_term t;
    int rc = ac_tb_finish(&b, &t);
    if (rc == AC_EDUPKEY) {
      dup_maps++;
      continue;
    }
    if (rc != 0) fail_msg("seed %" PRIu64 ": builder error %s", seed, ac_errname(rc));
    uint8_t *copy = malloc(b.size);
    assert_non_null(copy);
    memcpy(copy, t.p, b.size);
    if (ac_term_validate(copy, b.size, &terms[n]) != 0) {
      char text[512];
      ac_term_print(t, text, sizeof text);
      fail_msg("seed %" PRIu64 ": built term %s does not validate", seed, text);
    }
    assert_true(ac_term_match(terms[n], terms[n]));
    n++;
  }
  print_message("seed %" PRIu64 ": %zu terms, %zu maps with a repeated key skipped\n", seed, n,
                dup_maps);
  for (size_t i = 0; i < n; i++) {
    for (size_t j = 0; j < n; j++) {
      int c = ac_term_compare(terms[i], terms[j]), d = ac_term_compare(terms[j], terms[i]);
      if (c != -d || (c == 0) != ac_term_equal(terms[i], terms[j]))
        fail_msg("seed %" PRIu64 ": compare is not antisymmetric or not exact", seed);
      if (c == 0) assert_true(ac_term_hash(terms[i]) == ac_term_hash(terms[j]));
    }
  }
  /* After sorting, every earlier term is <= every later one: the order is transitive. */
  qsort(terms, n, sizeof *terms, compare_terms);
  for (size_t i = 0; i < n; i++) {
    for (size_t j = i + 1; j < n; j++) {
      if (ac_term_compare(terms[i], terms[j]) > 0)
        fail_msg("seed %" PRIu64 ": term order is not transitive", seed);
    }
  }
  for (size_t i = 0; i < n; i++) free((void *)terms[i].p);
  free(terms);
  ac_tb_free(&b);
}

/* ---- Validation --------------------------------------------------------------------------- */

/* A block that uses every tag and every compound feature. */
static ac_term rich_term(ac_tbuf *b) {
  ac_tb_init(b);
  assert_int_equal(ac_tb_fmt(b, "{i, d, a, r, p, [a, {} | b], #{a i, i [n]}, s, n}", I(-5), 2.5,
                             "atom", ac_ref_make(1, 2), ac_pid_make(1, 2, 3), "x", "tl",
                             (size_t)2, "key", I(1), I(7), "bin"),
                   0);
  return finished(b);
}

/* Validates a copy of bytes[0..size) held in a heap block of exactly that size, so that a read
 * past its end is an ASan error; when it validates, every reader is run over it. */
static int validate_exact(const uint8_t *bytes, size_t size) {
  uint8_t *copy = malloc(size ? size : 1);
  assert_non_null(copy);
  if (size) memcpy(copy, bytes, size);
  ac_term t;
  int rc = ac_term_validate(copy, size, &t);
  if (rc == 0) {
    char text[256];
    assert_int_equal(ac_term_size(t), size);
    assert_int_equal(ac_term_compare(t, t), 0);
    assert_true(ac_term_match(t, t));
    (void)ac_term_hash(t);
    (void)ac_term_print(t, text, sizeof text);
  }
  free(copy);
  return rc;
}

static void test_validate_refuses_every_truncation(void **state) {
  (void)state;
  ac_tbuf b;
  ac_term t = rich_term(&b);
  size_t size = ac_term_size(t);
  assert_int_equal(validate_exact(t.p, size), 0);
  for (size_t len = 0; len < size; len++) {
    int rc = validate_exact(t.p, len);
    if (rc == 0) fail_msg("a block cut to %zu of %zu bytes validated", len, size);
  }
  uint8_t longer[512];
  assert_true(size < sizeof longer);
  memcpy(longer, t.p, size);
  longer[size] = AC_T_NIL;
  assert_int_equal(validate_exact(longer, size + 1), AC_EBADTERM);
  ac_tb_free(&b);
}

static void test_validate_survives_every_single_byte_corruption(void **state) {
  (void)state;
  ac_tbuf b;
  ac_term t = rich_term(&b);
  size_t size = ac_term_size(t);
  uint8_t *bytes = malloc(size);
  assert_non_null(bytes);
  size_t accepted = 0;
  for (size_t at = 0; at < size; at++) {
    for (unsigned v = 0; v < 256; v++) {
      memcpy(bytes, t.p, size);
      bytes[at] = (uint8_t)v;
      int rc = validate_exact(bytes, size);
      assert_true(rc == 0 || rc == AC_EBADTERM || rc == AC_ETOODEEP);
      accepted += rc == 0;
    }
  }
  /* Payload bytes may take any value, so some corruptions are still valid terms. */
  assert_true(accepted > size);
  free(bytes);
  ac_tb_free(&b);
}

static void test_validate_refuses_noncanonical_and_malformed_blocks(void **state) {
  (void)state;
  /* Map #{b => 1, a => 2}: keys out of order. */
  const uint8_t unsorted[] = {AC_T_MAP, 2, 0, 0, 0, 8, 0, 0, 0, AC_T_ATOM, 1, 'b', AC_T_NIL,
                              AC_T_ATOM, 1, 'a', AC_T_NIL};
  assert_int_equal(validate_exact(unsorted, sizeof unsorted), AC_EBADTERM);
  const uint8_t repeated[] = {AC_T_MAP, 2, 0, 0, 0, 8, 0, 0, 0, AC_T_ATOM, 1, 'a', AC_T_NIL,
                              AC_T_ATOM, 1, 'a', AC_T_NIL};
  assert_int_equal(validate_exact(repeated, 17), AC_EBADTERM);
  const uint8_t sorted[] = {AC_T_MAP, 2, 0, 0, 0, 8, 0, 0, 0, AC_T_ATOM, 1, 'a', AC_T_NIL,
                            AC_T_ATOM, 1, 'b', AC_T_NIL};
  assert_int_equal(validate_exact(sorted, sizeof sorted), 0);
  /* A list of count 0 (that is NIL's job) and a list whose tail is a list. */
  const uint8_t empty_list[] = {AC_T_LIST, 0, 0, 0, 0, 1, 0, 0, 0, AC_T_NIL};
  assert_int_equal(validate_exact(empty_list, sizeof empty_list), AC_EBADTERM);
  const uint8_t list_tail[] = {AC_T_LIST, 1, 0, 0, 0, 12, 0, 0, 0, AC_T_NIL,
                               AC_T_LIST, 1, 0, 0, 0, 2, 0, 0, 0, AC_T_NIL, AC_T_NIL};
  assert_int_equal(validate_exact(list_tail, sizeof list_tail), AC_EBADTERM);
  /* body_size one too small and one too large for the same tuple {[]} . */
  const uint8_t small_body[] = {AC_T_TUPLE, 1, 0, 0, 0, 0, 0, 0, 0, AC_T_NIL};
  assert_int_equal(validate_exact(small_body, sizeof small_body), AC_EBADTERM);
  const uint8_t large_body[] = {AC_T_TUPLE, 1, 0, 0, 0, 2, 0, 0, 0, AC_T_NIL};
  assert_int_equal(validate_exact(large_body, sizeof large_body), AC_EBADTERM);
  const uint8_t right_body[] = {AC_T_TUPLE, 1, 0, 0, 0, 1, 0, 0, 0, AC_T_NIL};
  assert_int_equal(validate_exact(right_body, sizeof right_body), 0);
  /* Floats must be finite: NaN and +infinity bit patterns. */
  const uint8_t nan[] = {AC_T_FLOAT, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f};
  assert_int_equal(validate_exact(nan, sizeof nan), AC_EBADTERM);
  const uint8_t inf[] = {AC_T_FLOAT, 0, 0, 0, 0, 0, 0, 0xf0, 0x7f};
  assert_int_equal(validate_exact(inf, sizeof inf), AC_EBADTERM);
  const uint8_t unknown_tag[] = {0x0b};
  assert_int_equal(validate_exact(unknown_tag, 1), AC_EBADTERM);
  const uint8_t zero_tag[] = {0x00};
  assert_int_equal(validate_exact(zero_tag, 1), AC_EBADTERM);
  /* A binary whose length runs past the block. */
  const uint8_t long_binary[] = {AC_T_BINARY, 0xff, 0xff, 0xff, 0xff, 'x'};
  assert_int_equal(validate_exact(long_binary, sizeof long_binary), AC_EBADTERM);
  /* The size limit is checked before any byte is read. */
  assert_int_equal(ac_term_validate(unknown_tag, (size_t)AC_TERM_SIZE_MAX + 1, NULL),
                   AC_ETOOBIG);
  assert_int_equal(ac_term_validate(NULL, 1, NULL), AC_EINVAL);
}

/* Writes `levels` nested one-element tuples around NIL. */
static size_t nested_tuples(uint8_t *out, uint32_t levels) {
  size_t size = (size_t)levels * 9 + 1;
  for (uint32_t i = 0; i < levels; i++) {
    uint8_t *h = out + (size_t)i * 9;
    uint32_t body = (uint32_t)(size - (size_t)(i + 1) * 9);
    h[0] = AC_T_TUPLE;
    h[1] = 1;
    h[2] = h[3] = h[4] = 0;
    for (int k = 0; k < 4; k++) h[5 + k] = (uint8_t)(body >> (8 * k));
  }
  out[size - 1] = AC_T_NIL;
  return size;
}

static void test_validate_refuses_block_deeper_than_limit(void **state) {
  (void)state;
  size_t cap = (size_t)(AC_TERM_DEPTH_MAX + 1) * 9 + 1;
  uint8_t *bytes = malloc(cap);
  assert_non_null(bytes);
  size_t size = nested_tuples(bytes, AC_TERM_DEPTH_MAX);
  assert_int_equal(validate_exact(bytes, size), 0);
  size = nested_tuples(bytes, AC_TERM_DEPTH_MAX + 1);
  assert_int_equal(validate_exact(bytes, size), AC_ETOODEEP);
  free(bytes);
}

/* ---- Matching ----------------------------------------------------------------------------- */

/* Builds a value from value_fmt (its arguments first) and a pattern from pattern_fmt (the rest
 * of the arguments). Only atoms and int64_t arguments are used in these tests, so the split is
 * made by walking the value format. */
static bool matches(const char *value_fmt, const char *pattern_fmt, ...) {
  ac_tbuf v, p;
  ac_tb_init(&v);
  ac_tb_init(&p);
  va_list ap;
  va_start(ap, pattern_fmt);
  const char *fmts[2] = {value_fmt, pattern_fmt};
  ac_tbuf *bufs[2] = {&v, &p};
  for (int k = 0; k < 2; k++) {
    for (const char *c = fmts[k]; *c; c++) {
      ac_tbuf *b = bufs[k];
      int rc = 0;
      switch (*c) {
      case 'a': rc = ac_tb_atom(b, va_arg(ap, const char *)); break;
      case 'i': rc = ac_tb_int(b, va_arg(ap, int64_t)); break;
      case 'n': rc = ac_tb_fmt(b, "n"); break;
      case '{': rc = ac_tb_tuple_begin(b); break;
      case '[': rc = ac_tb_list_begin(b); break;
      case '#': rc = ac_tb_map_begin(b); c++; break;
      case '}': case ']': rc = ac_tb_end(b); break;
      case '|': rc = ac_tb_list_tail(b); break;
      default: break;
      }
      assert_int_equal(rc, 0);
    }
  }
  va_end(ap);
  bool m = ac_term_match(finished(&v), finished(&p));
  ac_tb_free(&v);
  ac_tb_free(&p);
  return m;
}

static void test_match_treats_underscore_atom_as_wildcard(void **state) {
  (void)state;
  assert_true(matches("{a,i,a}", "{a,a,a}", "EXIT", I(12), "killed", "EXIT", "_", "killed"));
  assert_false(matches("{a,i,a}", "{a,a,a}", "EXIT", I(12), "normal", "EXIT", "_", "killed"));
  assert_false(matches("{a,i}", "{a,a,a}", "EXIT", I(12), "EXIT", "_", "killed"));
  assert_true(matches("{a,i}", "a", "x", I(1), "_"));
  assert_true(matches("i", "i", I(5), I(5)));
  assert_false(matches("i", "i", I(5), I(6)));
  assert_false(matches("i", "a", I(5), "x"));
  /* Lists: element-wise, and a wildcard tail takes the rest. */
  assert_true(matches("[a,a,a]", "[a|a]", "x", "y", "z", "x", "_"));
  assert_false(matches("[a,a,a]", "[a,a]", "x", "y", "z", "x", "_"));
  assert_true(matches("[a,a]", "[a,a]", "x", "y", "x", "_"));
  assert_false(matches("[a]", "[a,a]", "x", "x", "_"));
  assert_true(matches("[a|i]", "[a|a]", "x", I(3), "x", "_"));
  assert_false(matches("n", "[a]", "_"));
  assert_true(matches("n", "n"));
  /* Maps: every pattern key present with a matching value; extra keys are fine. */
  assert_true(matches("#{a i, a i}", "#{a a}", "k", I(1), "j", I(2), "k", "_"));
  assert_true(matches("#{a i, a i}", "#{a i}", "k", I(1), "j", I(2), "j", I(2)));
  assert_false(matches("#{a i, a i}", "#{a i}", "k", I(1), "j", I(2), "j", I(3)));
  assert_false(matches("#{a i}", "#{a a}", "k", I(1), "z", "_"));
  assert_true(matches("#{a i}", "#{}", "k", I(1)));
  assert_false(matches("{}", "#{}"));
}

/* ---- Hash --------------------------------------------------------------------------------- */

static void test_hash_is_pinned_to_its_documented_algorithm(void **state) {
  (void)state;
  ac_tbuf b;
  ac_tb_init(&b);
  assert_int_equal(ac_tb_fmt(&b, "{a, p, a}", "EXIT", ac_pid_make(0, 12, 0), "killed"), 0);
  ac_term t = finished(&b);
  /* Computed once, by a separate implementation of the algorithm written above ac_hash_bytes;
   * a change here is a change of the trace format. The block is
   * 06 03000000 17000000 03 04 "EXIT" 05 000000000c000000 03 06 "killed". */
  assert_true(ac_term_hash(t) == UINT64_C(0x02d3d351a3dea761));
  assert_true(ac_hash_bytes(0, "", 0) == UINT64_C(0xe220a8397b1dcdaf));
  assert_true(ac_hash_bytes(0, "abcdefghi", 9) == UINT64_C(0x62af7faf9a9f9b2d));
  assert_true(ac_hash_bytes(0, t.p, b.size) == ac_term_hash(t));
  assert_true(ac_hash_bytes(1, t.p, b.size) != ac_term_hash(t));
  /* Trailing zero bytes still change the hash: the length is mixed in. */
  assert_true(ac_hash_bytes(0, "ab", 2) != ac_hash_bytes(0, "ab\0", 3));
  /* Alignment does not matter. */
  uint8_t shifted[64];
  memcpy(shifted + 1, t.p, b.size);
  assert_true(ac_hash_bytes(0, shifted + 1, b.size) == ac_term_hash(t));
  ac_tb_free(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_status_text_and_names_come_from_the_table),
      cmocka_unit_test(test_every_scalar_type_round_trips),
      cmocka_unit_test(test_compounds_round_trip_and_can_be_walked),
      cmocka_unit_test(test_empty_tuple_and_map),
      cmocka_unit_test(test_map_get_finds_present_keys_only),
      cmocka_unit_test(test_copied_term_is_byte_identical),
      cmocka_unit_test(test_map_keys_sorted_so_equal_maps_have_equal_bytes),
      cmocka_unit_test(test_map_with_repeated_key_is_refused),
      cmocka_unit_test(test_map_with_odd_element_count_is_invalid),
      cmocka_unit_test(test_list_tail_that_is_a_list_is_spliced),
      cmocka_unit_test(test_empty_list_becomes_nil),
      cmocka_unit_test(test_builder_refuses_term_deeper_than_limit),
      cmocka_unit_test(test_builder_refuses_to_grow_past_size_max),
      cmocka_unit_test(test_builder_grows_from_inline_to_heap_and_keeps_it_on_reset),
      cmocka_unit_test(test_builder_error_is_sticky_until_reset),
      cmocka_unit_test(test_second_top_level_term_is_refused),
      cmocka_unit_test(test_builder_refuses_calls_out_of_place),
      cmocka_unit_test(test_atom_longer_than_255_bytes_is_invalid),
      cmocka_unit_test(test_fmt_builds_the_same_bytes_as_the_calls),
      cmocka_unit_test(test_vfmt_takes_its_values_from_a_va_list),
      cmocka_unit_test(test_fmt_rejects_unknown_and_unbalanced_characters),
      cmocka_unit_test(test_print_uses_erlang_text_forms),
      cmocka_unit_test(test_print_floats_shortest_round_trip_in_erlang_layout),
      cmocka_unit_test(test_print_truncates_like_snprintf),
      cmocka_unit_test(test_printed_floats_read_back_exactly),
      cmocka_unit_test(test_term_order_follows_erlang_across_types),
      cmocka_unit_test(test_int_sorts_before_numerically_equal_float),
      cmocka_unit_test(test_random_terms_validate_and_order_totally),
      cmocka_unit_test(test_validate_refuses_every_truncation),
      cmocka_unit_test(test_validate_survives_every_single_byte_corruption),
      cmocka_unit_test(test_validate_refuses_noncanonical_and_malformed_blocks),
      cmocka_unit_test(test_validate_refuses_block_deeper_than_limit),
      cmocka_unit_test(test_match_treats_underscore_atom_as_wildcard),
      cmocka_unit_test(test_hash_is_pinned_to_its_documented_algorithm),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
