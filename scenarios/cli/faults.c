/*
 * Fault records to a fault plan (faults.h). Each AC_EV_FAULT record's payload names its fault
 * (docs/architecture.md, "Faults"): the tag is the plan's kind (a link record of the default
 * link is net_default), the other elements its fields, a process by its stable target. Each
 * record becomes the sim_planned value that makes it again; the plan's writer (lua/plan.c)
 * turns them into text.
 */
#define _GNU_SOURCE /* open_memstream */

#include "faults.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "term.h"
#include "trace.h"

/* ---- Reading a record -------------------------------------------------------------------- */

static bool elem(ac_term t, uint32_t i, ac_term *out) { return ac_term_elem(t, i, out) == AC_OK; }

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

/* A copy, in the plan's memory, of the text of an atom (or, with binaries, a binary); NULL
 * when t is neither or out of memory (*oom says which). */
static const char *own_text(scn_plan *p, ac_term t, bool binaries, bool *oom) {
  const char *s;
  const uint8_t *bytes;
  size_t len;
  if (ac_term_get_atom(t, &s, &len) != AC_OK) {
    if (!binaries || ac_term_get_binary(t, &bytes, &len) != AC_OK) return NULL;
    s = (const char *)bytes;
  }
  if (memchr(s, 0, len)) return NULL;
  char *c = scn_plan_own(p, len + 1);
  if (!c) return *oom = true, NULL;
  memcpy(c, s, len);
  return c;
}

/* The name at element i of t. */
static bool name_at(scn_plan *p, ac_term t, uint32_t i, const char **out, bool *oom) {
  ac_term e;
  return elem(t, i, &e) && (*out = own_text(p, e, false, oom)) != NULL;
}

static bool int_at(ac_term t, uint32_t i, int64_t *out) {
  ac_term e;
  return elem(t, i, &e) && ac_term_get_int(e, out) == AC_OK;
}

/* A process target from a stable target (or the pid alone, from an older record). */
static bool read_target(scn_plan *p, ac_term record, uint32_t pid_at, uint32_t target_at, sim_target *out,
                        bool *oom) {
  ac_term target, v;
  if (!elem(record, target_at, &target) || ac_term_type(target) != AC_T_LIST) {
    return elem(record, pid_at, &v) && ac_term_get_pid(v, &out->pid) == AC_OK;
  }
  if (prop(target, "pid", &v)) return ac_term_get_pid(v, &out->pid) == AC_OK;
  if (!prop(target, "node", &v) || !(out->node = own_text(p, v, false, oom))) return false;
  if (prop(target, "name", &v)) return (out->name = own_text(p, v, false, oom)) != NULL;
  if (!prop(target, "sup", &v) || !(out->sup = own_text(p, v, false, oom)) || !prop(target, "child", &v))
    return false;
  uint32_t n = ac_term_count(v);
  const char **ids = n ? scn_plan_own(p, n * sizeof *ids) : NULL;
  if (!ids) return *oom = n > 0, false;
  ac_term id = ac_term_first(v);
  for (uint32_t i = 0; i < n; i++, id = ac_term_next(id))
    if (!(ids[i] = own_text(p, id, true, oom))) return false;
  out->child = ids;
  out->child_count = n;
  return true;
}

/* A latency from [{dist, D}, {Field, Ns | Shape}...]. */
static bool read_latency(ac_term l, sim_dist *d) {
  ac_term v;
  int kind = -1;
  for (int k = SIM_DIST_CONSTANT; k <= SIM_DIST_PARETO; k++)
    if (prop(l, "dist", &v) && ac_term_is_atom(v, sim_dist_name((sim_dist_kind)k))) kind = k;
  if (kind < 0) return false;
  static const char *const a_names[] = {"value", "min", "mean", "mean", "scale"};
  int64_t ns;
  d->kind = (sim_dist_kind)kind;
  if (!prop(l, a_names[kind], &v) || ac_term_get_int(v, &ns) != AC_OK) return false;
  d->a_ns = (uint64_t)ns;
  const char *b = kind == SIM_DIST_UNIFORM ? "max" : kind == SIM_DIST_NORMAL ? "sd" : NULL;
  if (b && (!prop(l, b, &v) || ac_term_get_int(v, &ns) != AC_OK)) return false;
  if (b) d->b_ns = (uint64_t)ns;
  if (kind == SIM_DIST_PARETO && (!prop(l, "shape", &v) || ac_term_get_float(v, &d->shape) != AC_OK)) return false;
  if (prop(l, "cap", &v) && ac_term_get_int(v, &ns) == AC_OK) d->cap_ns = (uint64_t)ns;
  return true;
}

/* The settings of a link record: those it lists (a trace lists them all). */
static bool read_link(ac_term settings, sim_fault *f) {
  ac_term v;
  int64_t n;
  if (prop(settings, "latency", &v)) {
    if (!read_latency(v, &f->link.latency)) return false;
    f->link_fields |= SIM_LINK_LATENCY;
  }
  if (prop(settings, "loss", &v)) {
    if (ac_term_get_float(v, &f->link.loss) != AC_OK) return false;
    f->link_fields |= SIM_LINK_LOSS;
  }
  if (prop(settings, "dup", &v)) {
    if (ac_term_get_float(v, &f->link.dup) != AC_OK) return false;
    f->link_fields |= SIM_LINK_DUP;
  }
  if (prop(settings, "bandwidth", &v)) {
    if (ac_term_get_int(v, &n) != AC_OK || n < 0) return false;
    f->link.bandwidth = (uint64_t)n;
    f->link_fields |= SIM_LINK_BANDWIDTH;
  }
  if (prop(settings, "mode", &v)) {
    if (!ac_term_is_atom(v, "datagram") && !ac_term_is_atom(v, "connection")) return false;
    f->link.datagram = ac_term_is_atom(v, "datagram");
    f->link_fields |= SIM_LINK_MODE;
  }
  if (prop(settings, "down", &v)) {
    if (!ac_term_is_atom(v, "true") && !ac_term_is_atom(v, "false")) return false;
    f->link.down = ac_term_is_atom(v, "true");
    f->link_fields |= SIM_LINK_DOWN;
  }
  return f->link_fields != 0;
}

/* The groups of a partition record: [[Name, ...], ...]. */
static bool read_groups(scn_plan *p, ac_term groups, sim_fault *f, bool *oom) {
  uint32_t n = ac_term_count(groups), total = 0;
  ac_term g = ac_term_first(groups);
  for (uint32_t i = 0; i < n; i++, g = ac_term_next(g)) total += ac_term_count(g);
  uint32_t *sizes = scn_plan_own(p, (n ? n : 1) * sizeof *sizes);
  const char **members = scn_plan_own(p, (total ? total : 1) * sizeof *members);
  if (!sizes || !members) return *oom = true, false;
  g = ac_term_first(groups);
  for (uint32_t i = 0, at = 0; i < n; i++, g = ac_term_next(g)) {
    if (ac_term_type(g) != AC_T_LIST) return false;
    sizes[i] = ac_term_count(g);
    ac_term m = ac_term_first(g);
    for (uint32_t k = 0; k < sizes[i]; k++, m = ac_term_next(m))
      if (!(members[at++] = own_text(p, m, false, oom))) return false;
  }
  f->members = members;
  f->group_size = sizes;
  f->group_count = n;
  return n > 0;
}

/* The planned fault of a fault record. false: a shape no plan can hold (or out of memory:
 * *oom). */
static bool entry(scn_plan *p, const sim_record *rec, sim_planned *out, bool *oom) {
  ac_term t = {rec->payload}, e;
  sim_fault *f = &out->fault;
  memset(out, 0, sizeof *out);
  out->at_ns = rec->time_ns;
  if (!rec->payload_size) return false;
  if (ac_term_is_atom(t, "heal")) {
    f->kind = SIM_FK_HEAL;
    return true;
  }
  const char *tag;
  size_t tag_len;
  char name[32];
  if (ac_term_type(t) != AC_T_TUPLE || !elem(t, 0, &e) || ac_term_get_atom(e, &tag, &tag_len) != AC_OK ||
      tag_len >= sizeof name)
    return false;
  snprintf(name, sizeof name, "%.*s", (int)tag_len, tag);
  int kind = sim_fault_kind_of(name);
  if (kind == SIM_FK_LINK && elem(t, 1, &e) && ac_term_is_atom(e, "default")) kind = SIM_FK_NET_DEFAULT;
  f->kind = (uint16_t)kind;
  uint32_t n = ac_term_count(t);
  int64_t i;
  switch (kind) {
    case SIM_FK_KILL:
      if (!read_target(p, t, 1, 3, &f->target, oom) || !elem(t, 2, &e)) return false;
      uint8_t *reason = scn_plan_own(p, ac_term_size(e));
      if (!reason) return *oom = true, false;
      memcpy(reason, e.p, ac_term_size(e));
      f->reason.p = reason;
      return true;
    case SIM_FK_PAUSE: case SIM_FK_RESUME: return read_target(p, t, 1, 2, &f->target, oom);
    case SIM_FK_SLOW:
      if (!read_target(p, t, 1, 3, &f->target, oom) || !int_at(t, 2, &i) || i < 0) return false;
      f->slow_ns = (uint64_t)i;
      return true;
    case SIM_FK_PARTITION: return elem(t, 1, &e) && ac_term_type(e) == AC_T_LIST && read_groups(p, e, f, oom);
    case SIM_FK_ISOLATE: case SIM_FK_HEAL: case SIM_FK_CRASH_NODE: case SIM_FK_RESTART_NODE:
      return n == 2 && name_at(p, t, 1, &f->node, oom);
    case SIM_FK_CUT: case SIM_FK_FLAKY_DOWN: case SIM_FK_FLAKY_UP:
      return name_at(p, t, 1, &f->from, oom) && name_at(p, t, 2, &f->to, oom);
    case SIM_FK_LINK:
      if (!name_at(p, t, 1, &f->from, oom) || !name_at(p, t, 2, &f->to, oom)) return false;
      return elem(t, 3, &e) && read_link(e, f);
    case SIM_FK_NET_DEFAULT: return elem(t, 3, &e) && read_link(e, f);
    case SIM_FK_CLOCK:
      return name_at(p, t, 1, &f->node, oom) && int_at(t, 2, &f->jump_ns) && elem(t, 3, &e) &&
             ac_term_get_float(e, &f->drift) == AC_OK;
    default: return false;
  }
}

/* ---- The plan ------------------------------------------------------------------------------ */

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

int scn_plan_from_trace(const char *trace_path, scn_plan *out, char *err, size_t cap) {
  memset(out, 0, sizeof *out);
  char scenario[1024] = "";
  sim_trace_reader r;
  sim_record rec;
  int rc = sim_trace_reader_open(&r, trace_path);
  if (rc == AC_OK) {
    out->has_seed = true;
    out->seed = r.seed;
    snprintf(scenario, sizeof scenario, "%s", r.name);
    rc = 1;
  }
  uint32_t cap_faults = 0;
  bool oom = false;
  while (rc == 1 && (rc = sim_trace_reader_next(&r, &rec)) == 1) {
    if (rec.kind == AC_EV_RUN_INFO && rec.payload_size) info_path(&rec, scenario, sizeof scenario);
    if (rec.kind != AC_EV_FAULT) continue;
    if (out->count == cap_faults) { /* grown by doubling in the plan's memory: at most twice */
      uint32_t grown = cap_faults ? cap_faults * 2 : 64;
      sim_planned *faults = scn_plan_own(out, grown * sizeof *faults);
      if (!faults) {
        snprintf(err, cap, "out of memory");
        rc = -1;
        break;
      }
      if (out->count) memcpy(faults, out->faults, out->count * sizeof *faults);
      out->faults = faults;
      cap_faults = grown;
    }
    if (!entry(out, &rec, &out->faults[out->count], &oom)) {
      char line[600];
      sim_format_record(&rec, line, sizeof line);
      snprintf(err, cap, "%s: a fault record no plan can hold: %s", trace_path, oom ? "out of memory" : line);
      rc = -1;
      break;
    }
    out->count++;
  }
  if (rc < 0 && r.error[0] && !err[0]) snprintf(err, cap, "%s", r.error);
  sim_trace_reader_close(&r);
  char *copy = rc < 0 ? NULL : scn_plan_own(out, strlen(scenario) + 1);
  if (copy) out->scenario = strcpy(copy, scenario);
  else if (rc >= 0) snprintf(err, cap, "out of memory"), rc = -1;
  if (rc < 0) scn_plan_free(out);
  return rc < 0 ? -1 : 0;
}

int scn_trace_plan_main(const char *trace_path) {
  scn_plan p;
  char err[1024] = "";
  if (scn_plan_from_trace(trace_path, &p, err, sizeof err)) {
    fprintf(stderr, "crashlab: %s\n", err);
    return 2;
  }
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  int rc = f ? 0 : -1;
  if (f) {
    fprintf(f, "-- A crashlab fault plan, read from %s (docs/sweeps.md, \"Fault plans\").\n", trace_path);
    fputs("-- crashlab run SCENARIO --faults THIS_FILE makes these faults instead of the scenario's own.\n", f);
    rc = scn_plan_write(f, &p);
    if (fclose(f) != 0) rc = -1;
  }
  if (rc == 0 && (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0)) rc = -1;
  if (rc) fprintf(stderr, "crashlab: cannot write the plan: %s\n", strerror(errno));
  free(text);
  scn_plan_free(&p);
  return rc ? 2 : 0;
}
