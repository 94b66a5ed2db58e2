/*
 * Tests of viz/export_perfetto: a trace as Chrome trace-event JSON for Perfetto.
 *
 * Goal: the file is valid JSON whatever bytes the trace's names and payloads hold; every flow
 * arrow that starts has exactly one end, on the receiver's track, and a message still in
 * flight at the end draws none; nodes and processes are named by metadata; each track's
 * timestamps never go back; faults are global instants and crashes instants on the process's
 * track; upgrades (code records) are instants of category "code", on the track of the process
 * they are about or global, and a process started in a module names its version in its track;
 * a damaged trace or an unwritable output path gives one error naming the file, and no
 * output file.
 *
 * Method: a small two-node trace is written with the real writer (sim/trace.h) from events
 * built by hand: spawns (one label full of quotes, backslashes, control bytes and a byte that
 * is not UTF-8), a registered name, a message across nodes (send, deliver, receive), a dropped
 * one, one still in flight, a burst of sends at one instant, a fault, a crash, the run's end.
 * It is exported, and the JSON is parsed back by a small strict parser in this file (RFC 8259:
 * no trailing commas, escapes checked, control bytes refused, UTF-8 checked) into a tree that
 * the assertions walk.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "event.h"
#include "export_perfetto.h"
#include "status.h"
#include "term.h"
#include "trace.h"

/* ---- A strict JSON parser into a tree ------------------------------------------------------- */

typedef enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jtype;

typedef struct jnode {
  jtype type;
  double num;
  char *str;            /* J_STR: decoded UTF-8 */
  struct jnode **kid;   /* J_ARR, J_OBJ */
  char **key;           /* J_OBJ */
  size_t count;
} jnode;

typedef struct jparser {
  const char *s;
  size_t n, i;
  const char *err; /* first error */
  size_t err_at;
} jparser;

static void jfail(jparser *p, const char *what) {
  if (!p->err) {
    p->err = what;
    p->err_at = p->i;
  }
}

static void jws(jparser *p) {
  while (p->i < p->n && strchr(" \t\r\n", p->s[p->i]) && p->s[p->i]) p->i++;
}

static void jfree(jnode *j) {
  if (!j) return;
  for (size_t k = 0; k < j->count; k++) {
    jfree(j->kid[k]);
    if (j->key) free(j->key[k]);
  }
  free(j->kid);
  free(j->key);
  free(j->str);
  free(j);
}

static void put_utf8(char *out, size_t *len, unsigned cp) {
  if (cp < 0x80) out[(*len)++] = (char)cp;
  else if (cp < 0x800) {
    out[(*len)++] = (char)(0xC0 | cp >> 6);
    out[(*len)++] = (char)(0x80 | (cp & 0x3F));
  } else {
    out[(*len)++] = (char)(0xE0 | cp >> 12);
    out[(*len)++] = (char)(0x80 | (cp >> 6 & 0x3F));
    out[(*len)++] = (char)(0x80 | (cp & 0x3F));
  }
}

/* A string at p->i (the opening quote), decoded; NULL on error. */
static char *jstring(jparser *p) {
  if (p->i >= p->n || p->s[p->i] != '"') return jfail(p, "expected a string"), NULL;
  p->i++;
  char *out = malloc(p->n - p->i + 1);
  size_t len = 0;
  assert_non_null(out);
  while (p->i < p->n && p->s[p->i] != '"') {
    unsigned char c = (unsigned char)p->s[p->i];
    if (c < 0x20) return free(out), jfail(p, "raw control byte in a string"), NULL;
    if (c == '\\') {
      if (p->i + 1 >= p->n) break;
      char e = p->s[p->i + 1];
      const char *simple = strchr("\"\\/bfnrt", e);
      if (e && simple) {
        out[len++] = "\"\\/\b\f\n\r\t"[simple - "\"\\/bfnrt"];
        p->i += 2;
      } else if (e == 'u' && p->i + 6 <= p->n) {
        unsigned cp = 0;
        for (int k = 2; k < 6; k++) {
          char h = p->s[p->i + (size_t)k];
          int v = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
          if (v < 0) return free(out), jfail(p, "bad \\u escape"), NULL;
          cp = cp * 16 + (unsigned)v;
        }
        if (cp >= 0xD800 && cp < 0xE000) return free(out), jfail(p, "surrogate escape"), NULL;
        put_utf8(out, &len, cp);
        p->i += 6;
      } else {
        return free(out), jfail(p, "bad escape"), NULL;
      }
    } else if (c >= 0x80) {
      size_t k = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
      if (!k || c > 0xF4 || p->i + k > p->n) return free(out), jfail(p, "bad UTF-8"), NULL;
      for (size_t m = 1; m < k; m++)
        if (((unsigned char)p->s[p->i + m] & 0xC0) != 0x80) return free(out), jfail(p, "bad UTF-8"), NULL;
      memcpy(out + len, p->s + p->i, k);
      len += k;
      p->i += k;
    } else {
      out[len++] = (char)c;
      p->i++;
    }
  }
  if (p->i >= p->n) return free(out), jfail(p, "unterminated string"), NULL;
  p->i++;
  out[len] = 0;
  return out;
}

static jnode *jvalue(jparser *p, int depth);

static jnode *jcompound(jparser *p, int depth, bool obj) {
  jnode *j = calloc(1, sizeof *j);
  assert_non_null(j);
  j->type = obj ? J_OBJ : J_ARR;
  p->i++;
  jws(p);
  if (p->i < p->n && p->s[p->i] == (obj ? '}' : ']')) {
    p->i++;
    return j;
  }
  for (;;) {
    char *key = NULL;
    if (obj) {
      jws(p);
      if (!(key = jstring(p))) return jfree(j), NULL;
      jws(p);
      if (p->i >= p->n || p->s[p->i] != ':') return free(key), jfree(j), jfail(p, "expected ':'"), NULL;
      p->i++;
    }
    jnode *v = jvalue(p, depth + 1);
    if (!v) return free(key), jfree(j), NULL;
    j->kid = realloc(j->kid, (j->count + 1) * sizeof *j->kid);
    assert_non_null(j->kid);
    if (obj) {
      j->key = realloc(j->key, (j->count + 1) * sizeof *j->key);
      assert_non_null(j->key);
      j->key[j->count] = key;
    }
    j->kid[j->count++] = v;
    jws(p);
    if (p->i < p->n && p->s[p->i] == ',') {
      p->i++;
      continue;
    }
    if (p->i < p->n && p->s[p->i] == (obj ? '}' : ']')) {
      p->i++;
      return j;
    }
    return jfree(j), jfail(p, obj ? "expected ',' or '}'" : "expected ',' or ']'"), NULL;
  }
}

static jnode *jvalue(jparser *p, int depth) {
  jws(p);
  if (depth > 64) return jfail(p, "nested too deep"), NULL;
  if (p->i >= p->n) return jfail(p, "unexpected end"), NULL;
  char c = p->s[p->i];
  if (c == '{' || c == '[') return jcompound(p, depth, c == '{');
  jnode *j = calloc(1, sizeof *j);
  assert_non_null(j);
  if (c == '"') {
    j->type = J_STR;
    if (!(j->str = jstring(p))) return jfree(j), NULL;
    return j;
  }
  static const char *const words[] = {"null", "true", "false"};
  for (int w = 0; w < 3; w++) {
    size_t len = strlen(words[w]);
    if (p->n - p->i >= len && memcmp(p->s + p->i, words[w], len) == 0) {
      j->type = w == 0 ? J_NULL : J_BOOL;
      j->num = w == 1;
      p->i += len;
      return j;
    }
  }
  /* A number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
  size_t start = p->i;
  if (p->s[p->i] == '-') p->i++;
  size_t digits = p->i;
  while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') p->i++;
  bool ok = p->i > digits && !(p->s[digits] == '0' && p->i - digits > 1);
  if (ok && p->i < p->n && p->s[p->i] == '.') {
    size_t frac = ++p->i;
    while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') p->i++;
    ok = p->i > frac;
  }
  if (!ok) return jfree(j), jfail(p, "bad value"), NULL;
  char buf[64];
  size_t len = p->i - start < sizeof buf - 1 ? p->i - start : sizeof buf - 1;
  memcpy(buf, p->s + start, len);
  buf[len] = 0;
  j->type = J_NUM;
  j->num = strtod(buf, NULL);
  return j;
}

static const jnode *jget(const jnode *obj, const char *key) {
  if (!obj || obj->type != J_OBJ) return NULL;
  for (size_t k = 0; k < obj->count; k++)
    if (strcmp(obj->key[k], key) == 0) return obj->kid[k];
  return NULL;
}

static const char *jgets(const jnode *obj, const char *key) {
  const jnode *v = jget(obj, key);
  return v && v->type == J_STR ? v->str : NULL;
}

static double jgetn(const jnode *obj, const char *key, double dflt) {
  const jnode *v = jget(obj, key);
  return v && v->type == J_NUM ? v->num : dflt;
}

static jnode *parse_file(const char *path) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *text = malloc((size_t)size + 1);
  assert_non_null(text);
  assert_int_equal(fread(text, 1, (size_t)size, f), (size_t)size);
  fclose(f);
  jparser p = {text, (size_t)size, 0, NULL, 0};
  jnode *root = jvalue(&p, 0);
  jws(&p);
  if (root && p.i != p.n) jfail(&p, "text after the value");
  if (p.err) fail_msg("%s: invalid JSON at byte %zu: %s", path, p.err_at, p.err);
  free(text);
  return root;
}

static void test_json_parser_refuses_what_is_not_json(void **state) {
  (void)state;
  static const char *const bad[] = {"[1,]", "{\"a\":1,}", "[\"a\nb\"]", "[\"\\x\"]", "[01]",
                                    "[1 2]", "{\"a\" 1}", "[\"\xff\"]", "[", "[\"abc]"};
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    jparser p = {bad[k], strlen(bad[k]), 0, NULL, 0};
    jnode *j = jvalue(&p, 0);
    jws(&p);
    assert_true(p.err != NULL || p.i != p.n);
    jfree(j);
  }
  const char *good = "{\"a\":[1,-2.5,\"x\\u00e9\\n\",true,null,{}]}";
  jparser p = {good, strlen(good), 0, NULL, 0};
  jnode *j = jvalue(&p, 0);
  assert_null(p.err);
  assert_string_equal(jget(j, "a")->kid[2]->str, "x\xc3\xa9\n");
  jfree(j);
}

/* ---- The sample trace ------------------------------------------------------------------------ */

#define WEIRD_LABEL "we\"ird\\la\nbel\x01\xff"

typedef struct scratch {
  char dir[256], trace[300], json[300], partial[320];
} scratch;

static int scratch_setup(void **state) {
  scratch *s = calloc(1, sizeof *s);
  if (!s) return -1;
  const char *tmp = getenv("TMPDIR");
  if (!tmp || !*tmp || strlen(tmp) > 200) tmp = "/tmp";
  snprintf(s->dir, sizeof s->dir, "%s/crashlab-test-perfetto-XXXXXX", tmp);
  if (!mkdtemp(s->dir)) return free(s), -1;
  snprintf(s->trace, sizeof s->trace, "%s/run.trace", s->dir);
  snprintf(s->json, sizeof s->json, "%s/run.json", s->dir);
  snprintf(s->partial, sizeof s->partial, "%s.partial", s->json);
  *state = s;
  return 0;
}

static int scratch_teardown(void **state) {
  scratch *s = *state;
  if (getenv("CRASHLAB_TEST_KEEP")) { /* for a person reading the output */
    fprintf(stderr, "kept %s\n", s->dir);
    free(s);
    return 0;
  }
  remove(s->trace);
  remove(s->json);
  remove(s->partial);
  rmdir(s->dir);
  free(s);
  return 0;
}

static void rec(sim_trace *t, uint64_t time_ns, uint16_t kind, uint16_t flags, uint32_t node,
                uint64_t a, uint64_t b, uint64_t c, const char *fmt, ...) {
  ac_tbuf tb;
  ac_tb_init(&tb);
  ac_term term = {NULL};
  if (fmt) {
    va_list ap;
    va_start(ap, fmt);
    ac_tb_vfmt(&tb, fmt, ap);
    va_end(ap);
    assert_int_equal(ac_tb_finish(&tb, &term), AC_OK);
  }
  ac_event ev = {kind, flags, node, a, b, c, term.p, fmt ? (uint32_t)tb.size : 0};
  sim_trace_record(t, time_ns, &ev);
  ac_tb_free(&tb);
}

static uint64_t msg_id(uint32_t node, uint64_t n) { return (uint64_t)node << 40 | n; }

/* Node a (0) runs pinger and a weirdly named process; node b (1) runs pong. */
static void write_sample(const char *path) {
  sim_trace t;
  sim_trace_init(&t);
  assert_int_equal(sim_trace_open(&t, path, 42, "sample \"scenario\""), 0);
  ac_pid ping = ac_pid_make(0, 1, 1), weird = ac_pid_make(0, 2, 1), pong = ac_pid_make(1, 1, 1);
  uint64_t id1 = msg_id(0, 1), id2 = msg_id(0, 2), id3 = msg_id(0, 3), id4 = msg_id(0, 4);
  rec(&t, 0, AC_EV_NODE, 0, 0, 0, 0, 0, "a", "a@host");
  rec(&t, 0, AC_EV_NODE, 0, 1, 1, 0, 0, "a", "b@host");
  rec(&t, 0, AC_EV_SPAWN, 0, 0, 0, ping.bits, 0, "{a, a}", "lua", "pinger");
  rec(&t, 0, AC_EV_SPAWN, 0, 0, ping.bits, weird.bits, 0, "{a, a}", "lua", WEIRD_LABEL);
  rec(&t, 0, AC_EV_SPAWN, 0, 1, 0, pong.bits, 0, "{a, a}", "server", "ponger");
  rec(&t, 10, AC_EV_REGISTER, 0, 1, pong.bits, 0, 0, "a", "pong");
  /* id1 crosses nodes: send on a, deliver and receive on b. */
  rec(&t, 1000, AC_EV_SEND, 0, 0, ping.bits, pong.bits, id1, "{a, p, s}", "ping", ping, "q\"uote\\");
  rec(&t, 51000, AC_EV_DELIVER, 0, 1, ping.bits, pong.bits, id1, NULL);
  rec(&t, 51000, AC_EV_RECEIVE, 0, 1, pong.bits, ping.bits, id1, NULL);
  /* A burst at one instant on one track: id2 delivered, id3 dropped, id4 still in flight. */
  rec(&t, 60000, AC_EV_SEND, 0, 0, ping.bits, pong.bits, id2, "a", "two");
  rec(&t, 60000, AC_EV_SEND, 0, 0, ping.bits, pong.bits, id3, "a", "three");
  rec(&t, 60000, AC_EV_SEND, 0, 0, ping.bits, pong.bits, id4, "a", "four");
  rec(&t, 60000, AC_EV_NET_DROP, 2, 0, ping.bits, pong.bits, id3, "a", "three");
  rec(&t, 90000, AC_EV_DELIVER, 0, 1, ping.bits, pong.bits, id2, NULL);
  rec(&t, 90000, AC_EV_FAULT, 7, 0, weird.bits, 0, 0, "{a, p, a}", "kill", weird, "boom");
  rec(&t, 90000, AC_EV_EXIT, 0, 0, weird.bits, 0, 0, "a", "boom");
  rec(&t, 95000, AC_EV_EXIT, 0, 0, ping.bits, 0, 0, "a", "normal");
  rec(&t, 100000, 34 /* run_end, trace format 2 */, 1, 0, 0, 0, 0, "s", "stop time reached");
  assert_int_equal(sim_trace_close(&t, true), 0);
}

/* The events of the exported file, checked for the properties every export must have. */
static const jnode *events_of(const jnode *root) {
  const jnode *ev = jget(root, "traceEvents");
  assert_non_null(ev);
  assert_int_equal(ev->type, J_ARR);
  for (size_t k = 0; k < ev->count; k++) {
    assert_int_equal(ev->kid[k]->type, J_OBJ);
    assert_non_null(jgets(ev->kid[k], "ph"));
  }
  return ev;
}

static const jnode *find_meta(const jnode *ev, const char *what, const char *name_part) {
  for (size_t k = 0; k < ev->count; k++) {
    const jnode *e = ev->kid[k];
    const char *name = jgets(jget(e, "args"), "name");
    if (strcmp(jgets(e, "ph"), "M") == 0 && strcmp(jgets(e, "name"), what) == 0 && name &&
        strstr(name, name_part))
      return e;
  }
  return NULL;
}

static void test_export_names_nodes_and_processes(void **state) {
  scratch *s = *state;
  char err[512] = "";
  write_sample(s->trace);
  assert_int_equal(viz_export_perfetto(s->trace, s->json, err, sizeof err), 0);
  assert_int_not_equal(access(s->partial, F_OK), 0);
  jnode *root = parse_file(s->json);
  const jnode *ev = events_of(root);
  const jnode *a = find_meta(ev, "process_name", "a@host"), *b = find_meta(ev, "process_name", "b@host");
  assert_non_null(a);
  assert_non_null(b);
  assert_true(jgetn(a, "pid", 0) != jgetn(b, "pid", 0));
  const jnode *pong = find_meta(ev, "thread_name", "pong <1.1.1>");
  assert_non_null(pong); /* the registered name wins over the label */
  assert_true(jgetn(pong, "pid", 0) == jgetn(b, "pid", -1));
  assert_non_null(find_meta(ev, "thread_name", "pinger <0.1.1>"));
  /* The label of quotes, backslash, newline, a control byte and a byte that is not UTF-8
   * survives as text: escaped, and the bad byte as U+FFFD. */
  assert_non_null(find_meta(ev, "thread_name", "we\"ird\\la\nbel\x01\xef\xbf\xbd <0.2.1>"));
  assert_string_equal(jgets(jget(root, "otherData"), "scenario"), "sample \"scenario\"");
  jfree(root);
}

static void test_every_flow_start_has_one_end_on_the_receiver(void **state) {
  scratch *s = *state;
  char err[512] = "";
  write_sample(s->trace);
  assert_int_equal(viz_export_perfetto(s->trace, s->json, err, sizeof err), 0);
  jnode *root = parse_file(s->json);
  const jnode *ev = events_of(root);
  double pong_tid = jgetn(find_meta(ev, "thread_name", "pong <1.1.1>"), "tid", -1);
  int starts = 0, ends = 0;
  for (size_t k = 0; k < ev->count; k++) {
    const jnode *e = ev->kid[k];
    const char *ph = jgets(e, "ph");
    if (strcmp(ph, "s") != 0) continue;
    starts++;
    double id = jgetn(e, "id", -1);
    int matched = 0, before = 0;
    for (size_t m = 0; m < ev->count; m++) {
      const jnode *f = ev->kid[m];
      if (strcmp(jgets(f, "ph"), "f") || jgetn(f, "id", -2) != id) continue;
      matched++;
      before += m < k;
      assert_true(jgetn(f, "ts", 0) >= jgetn(e, "ts", 0));
      assert_string_equal(jgets(f, "bp"), "e");
      assert_string_equal(jgets(f, "cat"), jgets(e, "cat"));
      /* The ends of id1 (received) and id2 (delivered) and id3 (dropped) are on pong. */
      assert_true(jgetn(f, "tid", 0) == pong_tid);
    }
    assert_int_equal(matched, 1);
    assert_int_equal(before, 0);
  }
  for (size_t k = 0; k < ev->count; k++) ends += strcmp(jgets(ev->kid[k], "ph"), "f") == 0;
  /* id1, id2 and id3 end somewhere; id4 is still in flight and draws no arrow. */
  assert_int_equal(starts, 3);
  assert_int_equal(ends, 3);
  /* id1 has a middle step: delivered, then received. */
  int steps = 0;
  for (size_t k = 0; k < ev->count; k++) steps += strcmp(jgets(ev->kid[k], "ph"), "t") == 0;
  assert_int_equal(steps, 1);
  jfree(root);
}

static void test_each_track_has_non_decreasing_timestamps(void **state) {
  scratch *s = *state;
  char err[512] = "";
  write_sample(s->trace);
  assert_int_equal(viz_export_perfetto(s->trace, s->json, err, sizeof err), 0);
  jnode *root = parse_file(s->json);
  const jnode *ev = events_of(root);
  double last[64][64], slice_start[64][64];
  for (int i = 0; i < 64; i++)
    for (int j = 0; j < 64; j++) last[i][j] = slice_start[i][j] = -1;
  int slices = 0;
  for (size_t k = 0; k < ev->count; k++) {
    const jnode *e = ev->kid[k];
    const char *ph = jgets(e, "ph"), *scope = jgets(e, "s");
    if (strcmp(ph, "M") == 0 || (scope && strcmp(scope, "g") == 0)) continue;
    int pid = (int)jgetn(e, "pid", -1), tid = (int)jgetn(e, "tid", -1);
    assert_true(pid >= 1 && pid < 64 && tid >= 1 && tid < 64);
    double ts = jgetn(e, "ts", -1);
    assert_true(ts >= 0);
    if (strlen(ph) == 1 && strchr("stf", ph[0])) {
      /* A flow event sits inside the slice just written on its track, at its start. */
      assert_true(ts == slice_start[pid][tid]);
      continue;
    }
    if (ts < last[pid][tid]) fail_msg("track %d/%d goes back from %f to %f", pid, tid, last[pid][tid], ts);
    last[pid][tid] = ts;
    if (strcmp(ph, "X") == 0) {
      /* A slice ends before the next one on its track starts: the burst does not overlap. */
      last[pid][tid] = ts + jgetn(e, "dur", -1);
      slice_start[pid][tid] = ts;
      slices++;
    }
  }
  assert_true(slices >= 9);
  jfree(root);
}

static void test_faults_are_global_instants_and_crashes_are_on_their_track(void **state) {
  scratch *s = *state;
  char err[512] = "";
  write_sample(s->trace);
  assert_int_equal(viz_export_perfetto(s->trace, s->json, err, sizeof err), 0);
  jnode *root = parse_file(s->json);
  const jnode *ev = events_of(root);
  double weird_tid = jgetn(find_meta(ev, "thread_name", "<0.2.1>"), "tid", -1);
  bool fault = false, crash = false, normal_crash = false, run_end = false;
  int begins = 0, ends = 0;
  for (size_t k = 0; k < ev->count; k++) {
    const jnode *e = ev->kid[k];
    const char *ph = jgets(e, "ph"), *name = jgets(e, "name"), *scope = jgets(e, "s");
    begins += strcmp(ph, "B") == 0;
    ends += strcmp(ph, "E") == 0;
    if (strcmp(ph, "i") != 0) continue;
    if (strncmp(name, "fault", 5) == 0) {
      fault = true;
      assert_string_equal(scope, "g");
      assert_non_null(strstr(jgets(jget(e, "args"), "term"), "{kill,<0.2.1>,boom}"));
      assert_true(jgetn(e, "ts", 0) == 90.0);
    }
    if (strncmp(name, "crash", 5) == 0) {
      crash = crash || jgetn(e, "tid", 0) == weird_tid;
      normal_crash = normal_crash || strstr(name, "normal") != NULL;
      assert_string_equal(scope, "t");
    }
    run_end = run_end || (strncmp(name, "run end", 7) == 0 && strcmp(scope, "g") == 0);
  }
  assert_true(fault);
  assert_true(crash);
  assert_false(normal_crash); /* an exit for reason normal is not a crash */
  assert_true(run_end);
  assert_int_equal(begins, 3); /* one lifetime per process, each closed */
  assert_int_equal(ends, 3);
  jfree(root);
}

/* An upgrade on node a: kv_server starts in kv v1, v2 is loaded, the server is suspended,
 * changed to v2 and resumed; a code_change to v3 fails. */
static void write_upgrade(const char *path) {
  sim_trace t;
  sim_trace_init(&t);
  assert_int_equal(sim_trace_open(&t, path, 7, "upgrade"), 0);
  ac_pid kv = ac_pid_make(0, 1, 1), client = ac_pid_make(0, 2, 1);
  rec(&t, 0, AC_EV_NODE, 0, 0, 0, 0, 0, "a", "a@host");
  rec(&t, 0, AC_EV_SPAWN, 0, 0, 0, kv.bits, 0, "{a, a, a, i}", "lua", "kv_server", "kv", (int64_t)1);
  rec(&t, 0, AC_EV_SPAWN, 0, 0, 0, client.bits, 0, "{a, a}", "lua", "client");
  rec(&t, 1000, 38, 1, 0, 0, 0, 0, "{a, i}", "kv", (int64_t)2);
  rec(&t, 2000, 38, 6, 0, client.bits, kv.bits, 0, "{a, i}", "kv", (int64_t)1);
  rec(&t, 2000, 38, 8, 0, client.bits, kv.bits, 0, "{a, i}", "kv", (int64_t)2);
  rec(&t, 2000, 38, 7, 0, client.bits, kv.bits, 0, "{a, i}", "kv", (int64_t)2);
  rec(&t, 3000, 38, 9, 0, client.bits, kv.bits, 0, "{a, i, a}", "kv", (int64_t)3, "badarg");
  rec(&t, 4000, 34, 1, 0, 0, 0, 0, "s", "stop time reached");
  assert_int_equal(sim_trace_close(&t, true), 0);
}

static void test_code_records_are_instants_and_tracks_name_their_version(void **state) {
  scratch *s = *state;
  char err[512] = "";
  write_upgrade(s->trace);
  assert_int_equal(viz_export_perfetto(s->trace, s->json, err, sizeof err), 0);
  jnode *root = parse_file(s->json);
  const jnode *ev = events_of(root);
  const jnode *kv = find_meta(ev, "thread_name", "kv_server (kv v1) <0.1.1>");
  assert_non_null(kv);
  assert_non_null(find_meta(ev, "thread_name", "client <0.2.1>"));
  double kv_tid = jgetn(kv, "tid", -1);
  bool load = false, change = false, failed = false;
  for (size_t k = 0; k < ev->count; k++) {
    const jnode *e = ev->kid[k];
    const char *ph = jgets(e, "ph"), *name = jgets(e, "name"), *cat = jgets(e, "cat");
    if (strcmp(ph, "i") != 0 || !cat || strcmp(cat, "code") != 0) continue;
    if (strcmp(name, "load kv v2") == 0) {
      load = true;
      assert_string_equal(jgets(e, "s"), "g"); /* about no process: across the nodes */
    } else {
      assert_string_equal(jgets(e, "s"), "t"); /* on the server's own track */
      assert_true(jgetn(e, "tid", 0) == kv_tid);
      change = change || strcmp(name, "code_change <0.1.1> kv v2") == 0;
      failed = failed || strcmp(name, "code_change <0.1.1> kv v3 failed: badarg") == 0;
    }
  }
  assert_true(load);
  assert_true(change);
  assert_true(failed);
  jfree(root);
}

/* ---- Failures -------------------------------------------------------------------------------- */

static void test_unwritable_output_fails_naming_it_and_leaves_nothing(void **state) {
  scratch *s = *state;
  char out[400], partial[420], err[512] = "";
  write_sample(s->trace);
  snprintf(out, sizeof out, "%s/missing-dir/run.json", s->dir);
  snprintf(partial, sizeof partial, "%s.partial", out);
  assert_int_equal(viz_export_perfetto(s->trace, out, err, sizeof err), AC_EIO);
  assert_non_null(strstr(err, out));
  assert_non_null(strstr(err, "No such file or directory"));
  assert_int_not_equal(access(out, F_OK), 0);
  assert_int_not_equal(access(partial, F_OK), 0);
}

static void test_damaged_trace_fails_naming_it_and_writes_nothing(void **state) {
  scratch *s = *state;
  char err[512] = "";
  write_sample(s->trace);
  FILE *f = fopen(s->trace, "r+b");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  assert_int_equal(ftruncate(fileno(f), size - 30), 0); /* the trailer is cut */
  fclose(f);
  assert_int_equal(viz_export_perfetto(s->trace, s->json, err, sizeof err), AC_EBADTRACE);
  assert_non_null(strstr(err, s->trace));
  assert_int_not_equal(access(s->json, F_OK), 0);
  assert_int_not_equal(access(s->partial, F_OK), 0);
  /* A file that is not a trace at all. */
  f = fopen(s->trace, "wb");
  fputs("not a trace", f);
  fclose(f);
  assert_int_not_equal(viz_export_perfetto(s->trace, s->json, err, sizeof err), 0);
  assert_non_null(strstr(err, s->trace));
  assert_int_not_equal(access(s->json, F_OK), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_json_parser_refuses_what_is_not_json),
      cmocka_unit_test_setup_teardown(test_export_names_nodes_and_processes, scratch_setup, scratch_teardown),
      cmocka_unit_test_setup_teardown(test_every_flow_start_has_one_end_on_the_receiver, scratch_setup, scratch_teardown),
      cmocka_unit_test_setup_teardown(test_each_track_has_non_decreasing_timestamps, scratch_setup, scratch_teardown),
      cmocka_unit_test_setup_teardown(test_faults_are_global_instants_and_crashes_are_on_their_track, scratch_setup, scratch_teardown),
      cmocka_unit_test_setup_teardown(test_code_records_are_instants_and_tracks_name_their_version, scratch_setup, scratch_teardown),
      cmocka_unit_test_setup_teardown(test_unwritable_output_fails_naming_it_and_leaves_nothing, scratch_setup, scratch_teardown),
      cmocka_unit_test_setup_teardown(test_damaged_trace_fails_naming_it_and_writes_nothing, scratch_setup, scratch_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
