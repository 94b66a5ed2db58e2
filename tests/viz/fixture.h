/*
 * A small known trace for the visualiser's tests, built as sim_records and appended to the
 * real model (shared by test_draw.c, which reads command lists, and test_pixels.c, which reads
 * the pixels of the same frames).
 *
 * Two nodes; on a: a supervisor with a worker "db" (crashes at 50 ms); on b: "store". The
 * worker sends to store at 20 ms, arriving at 40 ms; a cuts b at 60 ms; the run ends at 100 ms
 * with a failed property. Include after <cmocka.h>.
 */
#ifndef CRASHLAB_TESTS_VIZ_FIXTURE_H
#define CRASHLAB_TESTS_VIZ_FIXTURE_H

#include <stdarg.h>
#include <stdint.h>

#include "model.h"
#include "term.h"

#define I(x) ((int64_t)(x))
#define MS UINT64_C(1000000)

static viz_model model;

static void add(uint16_t kind, uint16_t flags, uint64_t time_ns, uint32_t node, uint64_t a,
                uint64_t b, uint64_t c, const char *fmt, ...) {
  sim_record r = {.kind = kind, .flags = flags, .time_ns = time_ns, .node = node, .a = a, .b = b,
                  .c = c};
  ac_tbuf tb;
  ac_tb_init(&tb);
  if (fmt) {
    va_list ap;
    ac_term term;
    va_start(ap, fmt);
    ac_tb_vfmt(&tb, fmt, ap);
    va_end(ap);
    assert_int_equal(ac_tb_finish(&tb, &term), 0);
    r.payload = tb.data;
    r.payload_size = (uint32_t)tb.size;
  }
  assert_int_equal(viz_model_append(&model, &r), 0);
  ac_tb_free(&tb);
}

static uint64_t pid(uint32_t node, uint32_t slot) { return ac_pid_make(node, slot, 1).bits; }

static void build(void) {
  viz_model_init(&model);
  add(AC_EV_NODE, 0, 0, 0, 0, 0, 0, "a", "a@h");
  add(AC_EV_NODE, 0, 0, 1, 1, 1, 0, "a", "b@h");
  add(AC_EV_SPAWN, 0, 1 * MS, 0, pid(0, 0), pid(0, 1), 0, "{a, a}", "supervisor", "top_sup");
  add(AC_EV_SUPERVISOR, 0, 1 * MS, 0, pid(0, 1), 0, 0, "{a, a, i, i}", "supervisor_started",
      "one_for_one", I(3), I(5000 * MS));
  add(AC_EV_SPAWN, 0, 2 * MS, 0, pid(0, 1), pid(0, 2), 0, "{a, a}", "lua", "db_worker_with_a_long_label");
  add(AC_EV_SUPERVISOR, 0, 2 * MS, 0, pid(0, 1), pid(0, 2), 0, "{a, a}", "child_started", "db");
  add(AC_EV_SPAWN, 0, 3 * MS, 1, pid(1, 0), pid(1, 1), 0, "{a, a}", "lua", "store");
  add(AC_EV_SEND, 0, 20 * MS, 0, pid(0, 2), pid(1, 1), (UINT64_C(0) << 40) | 1, "a", "hello");
  add(AC_EV_DELIVER, 0, 40 * MS, 1, pid(0, 2), pid(1, 1), 1, NULL);
  add(AC_EV_EXIT, 0, 50 * MS, 0, pid(0, 2), 0, 0, "a", "boom");
  add(AC_EV_FAULT, 1, 60 * MS, 0, 0, 0, 0, "{a, a, a}", "cut", "a@h", "b@h");
  add(VIZ_EV_LINKS, 0, 60 * MS, 0, 0, 0, 0, "{[{a, a}], []}", "a@h", "b@h");
  add(VIZ_EV_PROPERTY, 1, 90 * MS, 0, 0, 0, 0, "{b, b}", "no_crash", 8, "db crashed", 10);
  add(VIZ_EV_RUN_END, 4, 100 * MS, 0, 1, 0, 0, "b", "property no_crash failed", 24);
}

/*
 * An upgrade, on one node: a supervisor with "kv_server" (started in module kv, version 1) and a
 * "client". kv version 2 is loaded at 20 ms; the client suspends the server at 30 ms, its
 * code_change to version 2 succeeds at 31 ms and it resumes at 32 ms; version 1 is purged at
 * 50 ms, version 3 loaded at 60 ms, and its code_change fails at 70 ms (the server stays on
 * version 2). The run ends at 100 ms. Replaces the model's contents (call after
 * viz_model_free, or on a fresh model).
 */
static inline void build_upgrade(void) { /* inline: not every includer uses it */
  viz_model_init(&model);
  uint64_t sup = pid(0, 1), kv = pid(0, 2), client = pid(0, 3);
  add(AC_EV_NODE, 0, 0, 0, 0, 0, 0, "a", "a@h");
  add(AC_EV_SPAWN, 0, 1 * MS, 0, pid(0, 0), sup, 0, "{a, a}", "supervisor", "top_sup");
  add(AC_EV_SUPERVISOR, 0, 1 * MS, 0, sup, 0, 0, "{a, a, i, i}", "supervisor_started",
      "one_for_one", I(3), I(5000 * MS));
  add(AC_EV_SPAWN, 0, 2 * MS, 0, sup, kv, 0, "{a, a, a, i}", "lua", "kv_server", "kv", I(1));
  add(AC_EV_SUPERVISOR, 0, 2 * MS, 0, sup, kv, 0, "{a, a}", "child_started", "kv");
  add(AC_EV_SPAWN, 0, 3 * MS, 0, pid(0, 0), client, 0, "{a, a}", "lua", "client");
  add(VIZ_EV_CODE, VIZ_CODE_LOAD, 20 * MS, 0, 0, 0, 0, "{a, i}", "kv", I(2));
  add(VIZ_EV_CODE, VIZ_CODE_SUSPEND, 30 * MS, 0, client, kv, 0, "{a, i}", "kv", I(1));
  add(VIZ_EV_CODE, VIZ_CODE_CHANGE_OK, 31 * MS, 0, client, kv, 0, "{a, i}", "kv", I(2));
  add(VIZ_EV_CODE, VIZ_CODE_RESUME, 32 * MS, 0, client, kv, 0, "{a, i}", "kv", I(2));
  add(VIZ_EV_CODE, VIZ_CODE_PURGE, 50 * MS, 0, client, 0, 0, "{a, i}", "kv", I(1));
  add(VIZ_EV_CODE, VIZ_CODE_LOAD, 60 * MS, 0, client, 0, 0, "{a, i}", "kv", I(3));
  add(VIZ_EV_CODE, VIZ_CODE_SUSPEND, 70 * MS, 0, client, kv, 0, "{a, i}", "kv", I(2));
  add(VIZ_EV_CODE, VIZ_CODE_CHANGE_FAILED, 70 * MS, 0, client, kv, 0, "{a, i, a}", "kv", I(3),
      "badarg");
  add(VIZ_EV_CODE, VIZ_CODE_RESUME, 70 * MS, 0, client, kv, 0, "{a, i}", "kv", I(2));
  add(VIZ_EV_RUN_END, 1, 100 * MS, 0, 0, 0, 0, "b", "stop time", 9);
}

#endif
