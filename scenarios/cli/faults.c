/*
 * Fault records to a fault plan (faults.h). Each AC_EV_FAULT record's payload names its fault
 * (docs/architecture.md, "Faults"): the tag is the plan's kind (a link record of the default
 * link is net_default), the other elements its fields, a process by its stable target. The
 * text written is Lua that plan.c reads back to the same faults: times in the exact format of
 * sim_format_duration, numbers with 17 significant digits.
 */
#include "faults.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "term.h"
#include "trace.h"

/* ---- A growing string -------------------------------------------------------------------- */

typedef struct sbuf {
  char *s;
  size_t len, cap;
  bool oom;
} sbuf;

static void put(sbuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char tmp[512];
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0 || b->oom) return;
  size_t need = b->len + (size_t)n + 1;
  if (need > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) cap *= 2;
    char *s = realloc(b->s, cap);
    if (!s) {
      b->oom = true;
      return;
    }
    b->s = s;
    b->cap = cap;
  }
  if ((size_t)n < sizeof tmp) {
    memcpy(b->s + b->len, tmp, (size_t)n + 1);
  } else { /* longer than the scratch buffer: format again in place */
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
  }
  b->len += (size_t)n;
}

/* A Lua string literal of bytes s[0..len). */
static void put_str(sbuf *b, const char *s, size_t len) {
  put(b, "\"");
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') put(b, "\\%c", c);
    else if (c >= 32 && c < 127) put(b, "%c", c);
    else put(b, "\\%03u", c);
  }
  put(b, "\"");
}

static void put_duration(sbuf *b, uint64_t ns) {
  char t[40];
  sim_format_duration(ns, t, sizeof t);
  put(b, "\"%s\"", t);
}

static void put_float(sbuf *b, double v) {
  char t[40];
  snprintf(t, sizeof t, "%.17g", v);
  put(b, "%s%s", t, strpbrk(t, ".eEn") ? "" : ".0");
}

/* Any term as the Lua value that converts back to it where Lua can say it (atoms and short
 * binaries are strings, tuples arrays, maps tables); lists are written as arrays. */
static void put_term(sbuf *b, ac_term t, int depth) {
  const char *s;
  size_t len;
  int64_t i;
  double d;
  ac_pid pid;
  switch (ac_term_type(t)) {
    case AC_T_INT: ac_term_get_int(t, &i); put(b, "%" PRId64, i); return;
    case AC_T_FLOAT: ac_term_get_float(t, &d); put_float(b, d); return;
    case AC_T_ATOM:
      ac_term_get_atom(t, &s, &len);
      if ((len == 4 && memcmp(s, "true", 4) == 0) || (len == 5 && memcmp(s, "false", 5) == 0)) put(b, "%.*s", (int)len, s);
      else put_str(b, s, len);
      return;
    case AC_T_BINARY: {
      const uint8_t *bytes;
      ac_term_get_binary(t, &bytes, &len);
      put_str(b, (const char *)bytes, len);
      return;
    }
    case AC_T_PID:
      ac_term_get_pid(t, &pid);
      put(b, "\"<%u.%u.%u>\"", ac_pid_node(pid), ac_pid_slot(pid), ac_pid_gen(pid));
      return;
    case AC_T_TUPLE: case AC_T_LIST: case AC_T_NIL: {
      uint32_t n = ac_term_count(t);
      put(b, "{");
      ac_term e = ac_term_first(t);
      for (uint32_t k = 0; k < n && depth < 32; k++, e = ac_term_next(e)) {
        put(b, k ? ", " : " ");
        put_term(b, e, depth + 1);
      }
      put(b, n ? " }" : "}");
      return;
    }
    case AC_T_MAP: {
      uint32_t n = ac_term_count(t);
      put(b, "{");
      ac_term k = ac_term_first(t);
      for (uint32_t j = 0; j < n && depth < 32; j++) {
        ac_term v = ac_term_next(k);
        put(b, j ? ", [" : " [");
        put_term(b, k, depth + 1);
        put(b, "] = ");
        put_term(b, v, depth + 1);
        k = ac_term_next(v);
      }
      put(b, n ? " }" : "}");
      return;
    }
    default: put(b, "nil"); return;
  }
}

/* ---- Reading a record -------------------------------------------------------------------- */

static bool elem(ac_term t, uint32_t i, ac_term *out) { return ac_term_elem(t, i, out) == AC_OK; }

/* The atom or binary text of t, or NULL. */
static const char *text_of(ac_term t, char *buf, size_t cap) {
  const char *s;
  size_t len;
  if (ac_term_get_atom(t, &s, &len) != AC_OK) return NULL;
  snprintf(buf, cap, "%.*s", (int)len, s);
  return buf;
}

/* ` field = "name"` for the atom element i of t. */
static bool put_name(sbuf *b, const char *field, ac_term t, uint32_t i) {
  ac_term e;
  char name[300];
  if (!elem(t, i, &e) || !text_of(e, name, sizeof name)) return false;
  put(b, ", %s = ", field);
  put_str(b, name, strlen(name));
  return true;
}

/* The value of key `key` in a proplist [{Key, Value}, ...]. */
static bool prop(ac_term list, const char *key, ac_term *out) {
  uint32_t n = ac_term_count(list);
  ac_term e = ac_term_first(list);
  for (uint32_t i = 0; i < n; i++, e = ac_term_next(e)) {
    ac_term k;
    if (ac_term_count(e) == 2 && elem(e, 0, &k) && ac_term_is_atom(k, key)) return elem(e, 1, out);
  }
  return false;
}

/* `, target = {...}` from a stable target (or the pid alone, from an older record). */
static bool put_target(sbuf *b, ac_term record, uint32_t pid_at, uint32_t target_at) {
  ac_term target, pid, v;
  char s[300];
  if (!elem(record, target_at, &target) || ac_term_type(target) != AC_T_LIST) {
    if (!elem(record, pid_at, &pid) || ac_term_type(pid) != AC_T_PID) return false;
    put(b, ", target = { pid = ");
    put_term(b, pid, 0);
    put(b, " }");
    return true;
  }
  if (prop(target, "pid", &v)) {
    put(b, ", target = { pid = ");
    put_term(b, v, 0);
    put(b, " }");
    return true;
  }
  if (!prop(target, "node", &v) || !text_of(v, s, sizeof s)) return false;
  put(b, ", target = { node = ");
  put_str(b, s, strlen(s));
  if (prop(target, "name", &v) && text_of(v, s, sizeof s)) {
    put(b, ", name = ");
    put_str(b, s, strlen(s));
  } else if (prop(target, "sup", &v) && text_of(v, s, sizeof s)) {
    put(b, ", sup = ");
    put_str(b, s, strlen(s));
    if (!prop(target, "child", &v)) return false;
    put(b, ", child = ");
    if (ac_term_count(v) == 1) put_term(b, ac_term_first(v), 0);
    else put_term(b, v, 0);
  } else {
    return false;
  }
  put(b, " }");
  return true;
}

/* `, latency = ...` from [{dist, D}, {Field, Ns | Shape}...]. */
static void put_latency(sbuf *b, ac_term l) {
  uint32_t n = ac_term_count(l);
  ac_term e = ac_term_first(l);
  put(b, ", latency = {");
  for (uint32_t i = 0; i < n; i++, e = ac_term_next(e)) {
    ac_term k, v;
    char key[32], s[64];
    int64_t ns;
    double d;
    if (!elem(e, 0, &k) || !elem(e, 1, &v) || !text_of(k, key, sizeof key)) continue;
    put(b, "%s%s = ", i ? ", " : " ", key);
    if (text_of(v, s, sizeof s)) put_str(b, s, strlen(s));
    else if (ac_term_get_int(v, &ns) == AC_OK) put_duration(b, (uint64_t)ns);
    else if (ac_term_get_float(v, &d) == AC_OK) put_float(b, d);
  }
  put(b, " }");
}

static bool put_link(sbuf *b, ac_term t, bool dflt) {
  ac_term settings, v;
  if (!elem(t, 3, &settings)) return false;
  if (!dflt && (!put_name(b, "from", t, 1) || !put_name(b, "to", t, 2))) return false;
  char s[32];
  if (prop(settings, "latency", &v)) put_latency(b, v);
  if (prop(settings, "loss", &v)) put(b, ", loss = "), put_term(b, v, 0);
  if (prop(settings, "dup", &v)) put(b, ", dup = "), put_term(b, v, 0);
  if (prop(settings, "bandwidth", &v)) put(b, ", bandwidth = "), put_term(b, v, 0);
  if (prop(settings, "mode", &v) && text_of(v, s, sizeof s)) put(b, ", mode = \"%s\"", s);
  if (prop(settings, "down", &v)) put(b, ", down = "), put_term(b, v, 0);
  return true;
}

/* The plan entry of a fault record, appended to b; its kind in kind. false: a shape no plan
 * can hold. */
static bool entry(sbuf *b, const sim_record *rec, char *kind, size_t kind_cap) {
  ac_term t = {rec->payload}, e;
  char tag[32];
  if (!rec->payload_size) return false;
  if (ac_term_is_atom(t, "heal")) {
    snprintf(kind, kind_cap, "heal");
    put(b, "{ at = ");
    put_duration(b, rec->time_ns);
    put(b, ", kind = \"heal\" }");
    return true;
  }
  if (ac_term_type(t) != AC_T_TUPLE || !elem(t, 0, &e) || !text_of(e, tag, sizeof tag)) return false;
  bool dflt = false;
  if (strcmp(tag, "link") == 0 && elem(t, 1, &e) && ac_term_is_atom(e, "default")) dflt = true;
  snprintf(kind, kind_cap, "%s", dflt ? "net_default" : tag);
  put(b, "{ at = ");
  put_duration(b, rec->time_ns);
  put(b, ", kind = \"%s\"", kind);
  bool ok;
  uint32_t n = ac_term_count(t);
  if (strcmp(tag, "kill") == 0) {
    ok = put_target(b, t, 1, 3) && elem(t, 2, &e);
    if (ok) put(b, ", reason = "), put_term(b, e, 0);
  } else if (strcmp(tag, "pause") == 0 || strcmp(tag, "resume") == 0) {
    ok = put_target(b, t, 1, 2);
  } else if (strcmp(tag, "slow") == 0) {
    int64_t ns;
    ok = put_target(b, t, 1, 3) && elem(t, 2, &e) && ac_term_get_int(e, &ns) == AC_OK;
    if (ok) put(b, ", by = "), put_duration(b, (uint64_t)ns);
  } else if (strcmp(tag, "partition") == 0) {
    ok = elem(t, 1, &e) && ac_term_type(e) == AC_T_LIST;
    if (ok) put(b, ", groups = "), put_term(b, e, 0);
  } else if (strcmp(tag, "isolate") == 0 || strcmp(tag, "heal") == 0 || strcmp(tag, "crash_node") == 0 ||
             strcmp(tag, "restart_node") == 0) {
    ok = n == 2 && put_name(b, "node", t, 1);
  } else if (strcmp(tag, "cut") == 0 || strcmp(tag, "flaky_down") == 0 || strcmp(tag, "flaky_up") == 0) {
    ok = put_name(b, "from", t, 1) && put_name(b, "to", t, 2);
  } else if (strcmp(tag, "link") == 0) {
    ok = put_link(b, t, dflt);
  } else if (strcmp(tag, "clock") == 0) {
    int64_t jump;
    double drift;
    ok = put_name(b, "node", t, 1) && elem(t, 2, &e) && ac_term_get_int(e, &jump) == AC_OK && elem(t, 3, &e) &&
         ac_term_get_float(e, &drift) == AC_OK;
    if (ok) {
      put(b, ", jump = \"%s", jump < 0 ? "-" : "");
      char d[40];
      sim_format_duration(jump < 0 ? (uint64_t)(-(jump + 1)) + 1 : (uint64_t)jump, d, sizeof d);
      put(b, "%s\", drift = ", d);
      put_float(b, drift);
    }
  } else {
    ok = false;
  }
  put(b, " }");
  return ok;
}

/* ---- The plan ------------------------------------------------------------------------------ */

void scn_plan_text_free(scn_plan_text *p) {
  for (uint32_t i = 0; i < p->count; i++) free(p->faults[i].text);
  free(p->faults);
  p->faults = NULL;
  p->count = 0;
}

/* The path recorded in a run_info record, if it has one. */
static void info_path(const sim_record *rec, char *out, size_t cap) {
  ac_tbuf b;
  ac_term key, v;
  const uint8_t *s;
  size_t len;
  if (ac_term_build(&b, &key, "a", "path") == AC_OK &&
      ac_term_map_get((ac_term){rec->payload}, key, &v) == AC_OK && ac_term_get_binary(v, &s, &len) == AC_OK)
    snprintf(out, cap, "%.*s", (int)len, (const char *)s);
  ac_tb_free(&b);
}

int scn_plan_from_trace(const char *trace_path, scn_plan_text *out, char *err, size_t cap) {
  memset(out, 0, sizeof *out);
  snprintf(out->trace, sizeof out->trace, "%s", trace_path);
  sim_trace_reader r;
  sim_record rec;
  int rc = sim_trace_reader_open(&r, trace_path);
  if (rc == AC_OK) {
    out->seed = r.seed;
    snprintf(out->scenario, sizeof out->scenario, "%s", r.name);
    rc = 1;
  }
  uint32_t cap_faults = 0;
  while (rc == 1 && (rc = sim_trace_reader_next(&r, &rec)) == 1) {
    if (rec.kind == AC_EV_RUN_INFO && rec.payload_size) info_path(&rec, out->scenario, sizeof out->scenario);
    if (rec.kind != AC_EV_FAULT) continue;
    sbuf b = {0};
    scn_plan_fault f = {rec.time_ns, "", NULL};
    bool ok = entry(&b, &rec, f.kind, sizeof f.kind);
    if (!ok || b.oom) {
      char line[600];
      sim_format_record(&rec, line, sizeof line);
      snprintf(err, cap, "%s: a fault record no plan can hold: %s", trace_path, b.oom ? "out of memory" : line);
      free(b.s);
      rc = -1;
      break;
    }
    if (out->count == cap_faults) {
      uint32_t grown = cap_faults ? cap_faults * 2 : 64;
      scn_plan_fault *p = realloc(out->faults, grown * sizeof *p);
      if (!p) {
        free(b.s);
        snprintf(err, cap, "out of memory");
        rc = -1;
        break;
      }
      out->faults = p;
      cap_faults = grown;
    }
    f.text = b.s;
    out->faults[out->count++] = f;
  }
  if (rc < 0 && r.error[0] && !err[0]) snprintf(err, cap, "%s", r.error);
  sim_trace_reader_close(&r);
  if (rc < 0) scn_plan_text_free(out);
  return rc < 0 ? -1 : 0;
}

int scn_plan_text_write(FILE *f, const scn_plan_text *p, const bool *keep) {
  sbuf b = {0};
  put(&b, "-- A crashlab fault plan, read from %s (docs/sweeps.md, \"Fault plans\").\n", p->trace);
  put(&b, "-- crashlab run SCENARIO --faults THIS_FILE makes these faults instead of the scenario's own.\n");
  put(&b, "return { scenario = ");
  put_str(&b, p->scenario, strlen(p->scenario));
  put(&b, ", seed = %" PRIu64 ", faults = {\n", p->seed);
  for (uint32_t i = 0; i < p->count; i++)
    if (!keep || keep[i]) put(&b, "  %s,\n", p->faults[i].text);
  put(&b, "} }\n");
  int rc = b.oom ? (errno = ENOMEM, -1) : (fwrite(b.s, 1, b.len, f) == b.len ? 0 : -1);
  free(b.s);
  return rc;
}

int scn_trace_plan_main(const char *trace_path) {
  scn_plan_text p;
  char err[1024] = "";
  if (scn_plan_from_trace(trace_path, &p, err, sizeof err)) {
    fprintf(stderr, "crashlab: %s\n", err);
    return 2;
  }
  int rc = scn_plan_text_write(stdout, &p, NULL);
  if (rc == 0 && fflush(stdout) != 0) rc = -1;
  if (rc) fprintf(stderr, "crashlab: cannot write the plan: %s\n", strerror(errno));
  scn_plan_text_free(&p);
  return rc ? 2 : 0;
}
