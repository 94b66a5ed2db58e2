/*
 * Drawing (viz/draw.h): what a frame's command list shows.
 *
 * Goal: a crash is drawn in the crash colour just after it and not before, and stays visible
 * with its reason when a successor starts in the same instant; a message half-way through its
 * latency is a disc between its sender and its receiver; a cut between two partitioned panels
 * is drawn, long, labelled and clear of the boxes at 1280x800 and 800x500; the timeline cursor
 * stands at the x of T; the help overlay lists the keys; no text ever runs out of the filled
 * box it sits on, at 640x400, 1280x800 and 1920x1080; long labels are cut in the middle so
 * their ends survive; a failure the scenario expected reads as a pass, and the failure banner
 * names its property once; the timeline says 0s and has round ticks; a process started in a
 * module shows the version it runs in a badge ("v2", "zz" while suspended for an upgrade), in
 * its tooltip and in the inspector, and upgrades get a lane of marks on the timeline and a
 * legend entry that a narrow window keeps.
 * Method: small traces are built as sim_records and appended to the real model; a frame is
 * drawn with the default metrics and its commands are read (no SDL).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"

#include "fixture.h"

static int setup(void **state) {
  (void)state;
  build();
  return 0;
}

static int teardown(void **state) {
  (void)state;
  viz_model_free(&model);
  return 0;
}

typedef struct drawn {
  viz_cmds cmds;
  viz_layout *layout;
  viz_view view;
} drawn;

static void draw_at(drawn *d, uint64_t t_ns, float w, float h) {
  viz_cmds_init(&d->cmds);
  assert_int_equal(viz_layout_new(&d->layout), 0);
  viz_view_init(&d->view, w, h);
  d->view.time_ns = t_ns;
  d->view.scenario = "test";
  assert_int_equal(viz_model_seek_time(&model, t_ns), 0);
  assert_int_equal(viz_draw_frame(&d->cmds, &model, d->layout, &d->view), 0);
}

static void drawn_free(drawn *d) {
  viz_cmds_free(&d->cmds);
  viz_layout_free(d->layout);
}

static bool same_rgb(viz_color a, viz_color b) { return a.r == b.r && a.g == b.g && a.b == b.b; }

static viz_box box_of(const drawn *d, uint32_t proc) {
  viz_box r;
  assert_true(viz_layout_proc_rect(d->layout, proc, &r));
  return viz_xform_rect(&d->view.xf, r);
}

/* The colour of the fill covering exactly box b, or alpha 0 if none. */
static viz_color box_fill(const drawn *d, viz_box b) {
  for (uint32_t i = 0; i < d->cmds.count; i++) {
    const viz_cmd *c = &d->cmds.cmd[i];
    if (c->kind == VIZ_CMD_FILL && c->x == b.x && c->y == b.y && c->w == b.w && c->h == b.h)
      return c->color;
  }
  return (viz_color){0, 0, 0, 0};
}

static void test_crashed_box_has_the_crash_colour_just_after_and_not_before(void **state) {
  (void)state;
  drawn before, after;
  draw_at(&before, 49 * MS, 1280, 800);
  draw_at(&after, 51 * MS, 1280, 800);
  uint32_t worker = viz_model_find_pid(&model, pid(0, 2));
  viz_color cb = box_fill(&before, box_of(&before, worker));
  viz_color ca = box_fill(&after, box_of(&after, worker));
  assert_true(cb.a > 0 && ca.a > 0);
  assert_false(same_rgb(cb, viz_colors.crash));
  assert_true(same_rgb(ca, viz_colors.crash));
  drawn_free(&before);
  drawn_free(&after);
}

static void test_message_half_way_is_a_disc_between_sender_and_receiver(void **state) {
  (void)state;
  drawn d;
  draw_at(&d, 30 * MS, 1280, 800);
  viz_box s = box_of(&d, viz_model_find_pid(&model, pid(0, 2)));
  viz_box r = box_of(&d, viz_model_find_pid(&model, pid(1, 1)));
  float sx = s.x + s.w / 2, sy = s.y + s.h / 2, rx = r.x + r.w / 2, ry = r.y + r.h / 2;
  bool found = false;
  for (uint32_t i = 0; i < d.cmds.count; i++) {
    const viz_cmd *c = &d.cmds.cmd[i];
    if (c->kind != VIZ_CMD_CIRCLE || c->width != 0 || !same_rgb(c->color, viz_colors.message))
      continue;
    /* Half-way: at the midpoint of the two centres, within a pixel. */
    if (fabsf(c->x - (sx + rx) / 2) < 1.0f && fabsf(c->y - (sy + ry) / 2) < 1.0f) found = true;
    assert_true(c->x > fminf(sx, rx) && c->x < fmaxf(sx, rx));
  }
  assert_true(found);
  drawn_free(&d);
}

static void test_cut_between_partitioned_panels_is_drawn(void **state) {
  (void)state;
  drawn d;
  draw_at(&d, 70 * MS, 1280, 800);
  viz_box a = viz_xform_rect(&d.view.xf, viz_layout_panel_rect(d.layout, 0));
  viz_box b = viz_xform_rect(&d.view.xf, viz_layout_panel_rect(d.layout, 1));
  int cuts = 0;
  for (uint32_t i = 0; i < d.cmds.count; i++) {
    const viz_cmd *c = &d.cmds.cmd[i];
    if (c->kind != VIZ_CMD_LINE || !c->dashed || !same_rgb(c->color, viz_colors.cut)) continue;
    bool from_a = viz_box_contains(a, c->x, c->y), to_b = viz_box_contains(b, c->x + c->w, c->y + c->h);
    if (from_a && to_b) cuts++;
  }
  assert_int_equal(cuts, 1); /* one down direction, a -> b */
  drawn_free(&d);
  /* Before the cut, nothing of the kind on the canvas (the legend shows its sample). */
  draw_at(&d, 30 * MS, 1280, 800);
  viz_regions g;
  viz_draw_regions(&model, &d.view, &g);
  for (uint32_t i = 0; i < d.cmds.count; i++) {
    const viz_cmd *c = &d.cmds.cmd[i];
    assert_false(c->kind == VIZ_CMD_LINE && c->dashed && same_rgb(c->color, viz_colors.cut) &&
                 viz_box_contains(g.canvas, c->x, c->y));
  }
  drawn_free(&d);
}

static void test_timeline_cursor_is_at_the_x_of_t(void **state) {
  (void)state;
  drawn d;
  draw_at(&d, 25 * MS, 1280, 800);
  viz_regions g;
  viz_draw_regions(&model, &d.view, &g);
  float x = viz_draw_timeline_x(&model, &d.view, 25 * MS);
  float x0 = viz_draw_timeline_x(&model, &d.view, 0), x1 = viz_draw_timeline_x(&model, &d.view, 100 * MS);
  assert_true(fabsf(x - (x0 + (x1 - x0) * 0.25f)) < 0.5f);
  bool found = false;
  for (uint32_t i = 0; i < d.cmds.count; i++) {
    const viz_cmd *c = &d.cmds.cmd[i];
    if (c->kind == VIZ_CMD_FILL && same_rgb(c->color, viz_colors.cursor) && c->y >= g.timeline.y - 4 &&
        fabsf(c->x + c->w / 2 - x) < 1.0f)
      found = true;
  }
  assert_true(found);
  /* A click there seeks back to (about) T. */
  uint64_t t;
  assert_true(viz_draw_hit_timeline(&model, &d.view, x, g.timeline.y + 10, &t));
  assert_true(t > 24 * MS && t < 26 * MS);
  assert_false(viz_draw_hit_timeline(&model, &d.view, x, g.canvas.y + 10, &t));
  drawn_free(&d);
}

static bool has_text(const viz_cmds *c, const char *s) {
  for (uint32_t i = 0; i < c->count; i++)
    if (c->cmd[i].kind == VIZ_CMD_TEXT && c->cmd[i].text_len == strlen(s) &&
        memcmp(c->text + c->cmd[i].text_offset, s, strlen(s)) == 0)
      return true;
  return false;
}

/* The cut mark reads at a glance in a big and a small frame: its dashed line reaches at least
 * 60 px across the border (it was 48 px, 24 into each panel), a solid bar crosses it on the
 * border, a "cut" label sits beside it, and nothing in the cut colour covers a process box. */
static void test_cut_mark_is_long_labelled_and_clear_of_the_boxes(void **state) {
  (void)state;
  static const float sizes[][2] = {{1280, 800}, {800, 500}};
  for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    drawn d;
    draw_at(&d, 70 * MS, sizes[k][0], sizes[k][1]);
    viz_box a = viz_xform_rect(&d.view.xf, viz_layout_panel_rect(d.layout, 0));
    viz_box b = viz_xform_rect(&d.view.xf, viz_layout_panel_rect(d.layout, 1));
    viz_box boxes[3];
    uint32_t nb = 0;
    for (uint32_t p = 0; p < viz_model_proc_count(&model); p++) {
      viz_box r;
      if (viz_layout_proc_rect(d.layout, p, &r)) boxes[nb++] = viz_xform_rect(&d.view.xf, r);
    }
    assert_int_equal(nb, 3);
    viz_regions g;
    viz_draw_regions(&model, &d.view, &g);
    float longest = 0.0f;
    bool bar = false;
    for (uint32_t i = 0; i < d.cmds.count; i++) {
      const viz_cmd *c = &d.cmds.cmd[i];
      if (c->kind != VIZ_CMD_LINE || !same_rgb(c->color, viz_colors.cut) ||
          !viz_box_contains(g.canvas, c->x, c->y))
        continue;
      if (c->dashed && viz_box_contains(a, c->x, c->y) &&
          viz_box_contains(b, c->x + c->w, c->y + c->h))
        longest = fmaxf(longest, hypotf(c->w, c->h));
      if (!c->dashed && c->width >= 3 && fabsf(c->h) >= 20.0f) bar = true;
      /* The line's extent, thickened by its width, misses every box. */
      float hw = (float)c->width / 2.0f;
      viz_box ext = {fminf(c->x, c->x + c->w) - hw, fminf(c->y, c->y + c->h) - hw,
                     fabsf(c->w) + 2 * hw, fabsf(c->h) + 2 * hw};
      for (uint32_t j = 0; j < nb; j++)
        assert_false(ext.x < boxes[j].x + boxes[j].w && boxes[j].x < ext.x + ext.w &&
                     ext.y < boxes[j].y + boxes[j].h && boxes[j].y < ext.y + ext.h);
    }
    assert_true(longest >= 60.0f);
    assert_true(bar);
    assert_true(has_text(&d.cmds, "cut"));
    drawn_free(&d);
  }
}

static void test_help_overlay_lists_every_key(void **state) {
  (void)state;
  drawn d;
  viz_cmds_init(&d.cmds);
  assert_int_equal(viz_layout_new(&d.layout), 0);
  viz_view_init(&d.view, 1280, 800);
  d.view.flags |= VIZ_VIEW_HELP;
  assert_int_equal(viz_draw_frame(&d.cmds, &model, d.layout, &d.view), 0);
  for (size_t i = 0; viz_draw_keys[i].key; i++) {
    assert_true(has_text(&d.cmds, viz_draw_keys[i].key));
    assert_true(has_text(&d.cmds, viz_draw_keys[i].what));
  }
  assert_true(has_text(&d.cmds, "q") && has_text(&d.cmds, "?"));
  drawn_free(&d);
}

/* Every text lies inside a fill drawn before it, and inside the frame. */
static void check_text_on_fills(const drawn *d) {
  const viz_metrics *mt = &viz_metrics_default;
  for (uint32_t i = 0; i < d->cmds.count; i++) {
    const viz_cmd *t = &d->cmds.cmd[i];
    if (t->kind != VIZ_CMD_TEXT) continue;
    float w = viz_text_width(mt, t->size, (int)t->text_len), h = mt->line_height[t->size];
    assert_true(t->x >= 0 && t->x + w <= d->view.width_px + 0.01f);
    bool on_fill = false;
    for (uint32_t j = 0; j < i && !on_fill; j++) {
      const viz_cmd *f = &d->cmds.cmd[j];
      on_fill = f->kind == VIZ_CMD_FILL && t->x >= f->x - 0.01f && t->y >= f->y - 0.01f &&
                t->x + w <= f->x + f->w + 0.01f && t->y + h <= f->y + f->h + 0.51f;
    }
    if (!on_fill)
      fail_msg("text '%.*s' at %.1f,%.1f (%.0fx%.0f frame) is not inside a fill",
               (int)t->text_len, d->cmds.text + t->text_offset, t->x, t->y, d->view.width_px,
               d->view.height_px);
  }
}

static void test_text_never_spills_out_of_its_box_at_three_sizes(void **state) {
  (void)state;
  static const float sizes[3][2] = {{640, 400}, {1280, 800}, {1920, 1080}};
  for (int s = 0; s < 3; s++) {
    drawn d;
    viz_cmds_init(&d.cmds);
    assert_int_equal(viz_layout_new(&d.layout), 0);
    viz_view_init(&d.view, sizes[s][0], sizes[s][1]);
    d.view.time_ns = 51 * MS;
    d.view.selected = viz_model_find_pid(&model, pid(0, 2));
    d.view.hover = 0;
    d.view.mouse_x = sizes[s][0] - 5;
    d.view.mouse_y = 100;
    snprintf(d.view.search, sizeof d.view.search, "store");
    d.view.scenario = "a_scenario_with_a_rather_long_name_that_will_not_fit_in_a_small_frame";
    viz_model_seek_time(&model, 51 * MS);
    assert_int_equal(viz_draw_frame(&d.cmds, &model, d.layout, &d.view), 0);
    check_text_on_fills(&d);
    d.view.flags |= VIZ_VIEW_HELP;
    assert_int_equal(viz_draw_frame(&d.cmds, &model, d.layout, &d.view), 0);
    check_text_on_fills(&d);
    char title[256];
    viz_draw_title(&model, &d.view, title, sizeof title);
    assert_non_null(strstr(title, "FAIL"));
    assert_non_null(strstr(title, "t=51ms"));
    drawn_free(&d);
  }
}

static void test_long_labels_are_cut_in_the_middle_keeping_both_ends(void **state) {
  (void)state;
  char out[64];
  assert_int_equal(viz_draw_cut_middle("changing_topology.lua:12", 13, out, sizeof out), 13);
  assert_string_equal(out, "chan~y.lua:12");
  assert_int_equal(viz_draw_cut_middle("worker_12", 8, out, sizeof out), 8);
  assert_string_equal(out, "wo~er_12");
  assert_int_equal(viz_draw_cut_middle("worker12", 8, out, sizeof out), 8);
  assert_string_equal(out, "worker12"); /* fits: whole */
  assert_int_equal(viz_draw_cut_middle("abcdef", 2, out, sizeof out), 2);
  assert_string_equal(out, "ab");
  assert_int_equal(viz_draw_cut_middle("abcdefghij", 20, out, 5), 4); /* bounded by cap */
  /* In a frame at 640x400 the worker's long label keeps its end ("label") in its box. */
  drawn d;
  draw_at(&d, 30 * MS, 640, 400);
  viz_box b = box_of(&d, viz_model_find_pid(&model, pid(0, 2)));
  bool found = false;
  for (uint32_t i = 0; i < d.cmds.count; i++) {
    const viz_cmd *c = &d.cmds.cmd[i];
    if (c->kind != VIZ_CMD_TEXT || !viz_box_contains(b, c->x + 1, c->y + 1)) continue;
    const char *t = d.cmds.text + c->text_offset;
    assert_true(c->text_len < strlen("db_worker_with_a_long_label"));
    assert_true(c->text_len >= 5 && memcmp(t + c->text_len - 5, "label", 5) == 0);
    assert_non_null(memchr(t, '~', c->text_len));
    found = true;
  }
  assert_true(found);
  drawn_free(&d);
}

static void test_expected_failure_reads_pass_with_a_calm_banner(void **state) {
  (void)state;
  viz_model failing = model; /* the group's model (a failed run), put back at the end */
  viz_model_init(&model);
  add(AC_EV_NODE, 0, 0, 0, 0, 0, 0, "a", "a@h");
  add(AC_EV_SPAWN, 0, 1 * MS, 0, pid(0, 0), pid(0, 1), 0, "{a, a}", "lua", "cache");
  add(VIZ_EV_PROPERTY, 1, 8000 * MS, 0, 0, 0, 0, "{b, b}", "answers", 7, "no answer", 9);
  add(VIZ_EV_RUN_END, 4, 8000 * MS, 0, 0, 0, 0, "b", "expected failure", 16);
  drawn d;
  draw_at(&d, 8000 * MS, 1280, 800);
  char title[256];
  viz_draw_title(&model, &d.view, title, sizeof title);
  assert_non_null(strstr(title, "PASS (expected failure)"));
  assert_true(has_text(&d.cmds, "PASS (expected failure)"));
  assert_true(has_text(&d.cmds, "expected: failed at 8s: property 'answers': no answer"));
  /* The banner is not the alarming red of a failed run. */
  viz_regions g;
  viz_draw_regions(&model, &d.view, &g);
  for (uint32_t i = 0; i < d.cmds.count; i++) {
    const viz_cmd *c = &d.cmds.cmd[i];
    if (c->kind == VIZ_CMD_FILL && c->x == g.banner.x && c->y == g.banner.y && c->w == g.banner.w)
      assert_true(c->color.r < 100);
  }
  drawn_free(&d);
  viz_model_free(&model);
  model = failing;
}

/* The runner's failure message names its property already: the banner says it once
 * (it said "property most jobs got through failed at 2s: property 'most jobs got through'
 * (at_end) is false"). */
static void test_failure_banner_names_the_property_once(void **state) {
  (void)state;
  viz_model failing = model; /* the group's model, put back at the end */
  viz_model_init(&model);
  const char *msg = "property 'most jobs got through' (at_end) is false";
  add(AC_EV_NODE, 0, 0, 0, 0, 0, 0, "a", "a@h");
  add(AC_EV_SPAWN, 0, 1 * MS, 0, pid(0, 0), pid(0, 1), 0, "{a, a}", "lua", "keeper");
  add(VIZ_EV_PROPERTY, 1, 2000 * MS, 0, 0, 0, 0, "{b, b}", "most jobs got through",
      strlen("most jobs got through"), msg, strlen(msg));
  add(VIZ_EV_RUN_END, 4, 2000 * MS, 0, 1, 0, 0, "b", "property failed", 15);
  drawn d;
  draw_at(&d, 2000 * MS, 1280, 800);
  assert_true(has_text(&d.cmds, "failed at 2s: property 'most jobs got through' (at_end) is false"));
  for (uint32_t i = 0; i < d.cmds.count; i++) { /* no text says the name twice */
    const viz_cmd *c = &d.cmds.cmd[i];
    if (c->kind != VIZ_CMD_TEXT) continue;
    char t[512];
    snprintf(t, sizeof t, "%.*s", (int)c->text_len, d.cmds.text + c->text_offset);
    const char *first = strstr(t, "most jobs got through");
    assert_true(first == NULL || strstr(first + 1, "most jobs got through") == NULL);
  }
  drawn_free(&d);
  viz_model_free(&model);
  model = failing;
}

/* A crash ring (3 px, red above green and blue as the crash colour fades) around box b. */
static bool ring_around(const drawn *d, viz_box b) {
  for (uint32_t i = 0; i < d->cmds.count; i++) {
    const viz_cmd *c = &d->cmds.cmd[i];
    if (c->kind == VIZ_CMD_RECT && c->width == 3 && c->x == b.x - 4 && c->y == b.y - 4 &&
        c->w == b.w + 8 && c->color.r > c->color.g + 60 && c->color.r > c->color.b + 60)
      return true;
  }
  return false;
}

/* A process killed and replaced in the same instant: by hand (a keeper trapping exits starts a
 * new worker when the EXIT comes, as scenarios/library/restart_by_hand.lua does) and by a
 * supervisor. Either way the kill stays visible for its fade time, with its reason: the
 * hand-made successor takes a new place and the killed one keeps its own, ringed in red, even
 * in a frame drawn afresh (before, the dead worker's place was dropped when the panel was first
 * planned, and the successor sat where it had been with no ring); a supervisor's new child
 * takes its predecessor's place and the ring is drawn over it. */
static void test_crash_stays_visible_when_a_successor_starts_at_the_same_instant(void **state) {
  (void)state;
  viz_model failing = model; /* the group's model, put back at the end */
  uint64_t keeper = pid(0, 1), client = pid(0, 2), w1 = pid(0, 3), w2 = pid(0, 4);
  uint64_t sup = pid(0, 5), c1 = pid(0, 6), c2 = pid(0, 7);
  viz_model_init(&model);
  add(AC_EV_NODE, 0, 0, 0, 0, 0, 0, "a", "a@h");
  add(AC_EV_SPAWN, 0, 1 * MS, 0, pid(0, 0), keeper, 0, "{a, a}", "lua", "keeper");
  add(AC_EV_TRAP_EXIT, 1, 1 * MS, 0, keeper, 0, 0, NULL);
  add(AC_EV_SPAWN, 0, 1 * MS, 0, pid(0, 0), client, 0, "{a, a}", "lua", "client");
  add(AC_EV_SPAWN, 0, 1 * MS, 0, keeper, w1, 0, "{a, a}", "lua", "worker");
  add(AC_EV_LINK, 0, 1 * MS, 0, keeper, w1, 0, NULL);
  add(AC_EV_SPAWN, 0, 2 * MS, 0, pid(0, 0), sup, 0, "{a, a}", "supervisor", "top_sup");
  add(AC_EV_SUPERVISOR, 0, 2 * MS, 0, sup, 0, 0, "{a, a, i, i}", "supervisor_started",
      "one_for_one", I(3), I(5000 * MS));
  add(AC_EV_SPAWN, 0, 2 * MS, 0, sup, c1, 0, "{a, a}", "lua", "db");
  add(AC_EV_SUPERVISOR, 0, 2 * MS, 0, sup, c1, 0, "{a, a}", "child_started", "db");
  add(AC_EV_EXIT, 0, 500 * MS, 0, w1, 0, 0, "a", "killed");
  add(AC_EV_SPAWN, 0, 500 * MS, 0, keeper, w2, 0, "{a, a}", "lua", "worker");
  add(AC_EV_LINK, 0, 500 * MS, 0, keeper, w2, 0, NULL);
  add(AC_EV_EXIT, 0, 500 * MS, 0, c1, 0, 0, "a", "chaos");
  add(AC_EV_SPAWN, 0, 500 * MS, 0, sup, c2, 0, "{a, a}", "lua", "db");
  add(AC_EV_SUPERVISOR, 0, 500 * MS, 0, sup, c2, 0, "{a, a}", "child_started", "db");
  add(VIZ_EV_RUN_END, 1, 1000 * MS, 0, 0, 0, 0, "b", "stop time", 9); /* fades over 25 ms */
  uint32_t old_w = viz_model_find_pid(&model, w1), new_w = viz_model_find_pid(&model, w2);
  uint32_t new_c = viz_model_find_pid(&model, c2);
  uint64_t times[] = {500 * MS, 510 * MS};
  for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
    drawn d;
    draw_at(&d, times[i], 1280, 800);
    viz_box ob = box_of(&d, old_w), nb = box_of(&d, new_w);
    assert_false(ob.x == nb.x && ob.y == nb.y); /* the successor has a place of its own */
    assert_true(ring_around(&d, ob));
    assert_false(ring_around(&d, nb));
    assert_true(has_text(&d.cmds, "killed"));
    assert_true(ring_around(&d, box_of(&d, new_c)));
    assert_true(has_text(&d.cmds, "chaos"));
    drawn_free(&d);
  }
  /* Faded: no ring, no reason. */
  drawn d;
  draw_at(&d, 600 * MS, 1280, 800);
  assert_false(has_text(&d.cmds, "killed"));
  assert_false(has_text(&d.cmds, "chaos"));
  drawn_free(&d);
  viz_model_free(&model);
  model = failing;
}

static void test_timeline_says_0s_and_has_ticks_between_the_ends(void **state) {
  (void)state;
  drawn d;
  draw_at(&d, 25 * MS, 1280, 800);
  assert_true(has_text(&d.cmds, "0s"));
  assert_false(has_text(&d.cmds, "0ns"));
  assert_true(has_text(&d.cmds, "100ms"));
  assert_true(has_text(&d.cmds, "50ms")); /* a round tick half-way */
  drawn_free(&d);
}

/* ---- Code versions and upgrades ------------------------------------------------------------- */

/* The fill that a text command at x, y sits on, searched backwards from command i. */
static const viz_cmd *fill_under(const viz_cmds *c, uint32_t i, float x, float y) {
  while (i-- > 0) {
    const viz_cmd *f = &c->cmd[i];
    if (f->kind == VIZ_CMD_FILL && x >= f->x && y >= f->y && x < f->x + f->w && y < f->y + f->h)
      return f;
  }
  return NULL;
}

/* The first text command inside box b equal to s, or NULL. */
static const viz_cmd *text_in(const drawn *d, viz_box b, const char *s, uint32_t *at) {
  for (uint32_t i = 0; i < d->cmds.count; i++) {
    const viz_cmd *c = &d->cmds.cmd[i];
    if (c->kind == VIZ_CMD_TEXT && viz_box_contains(b, c->x + 1, c->y + 1) &&
        c->text_len == strlen(s) && memcmp(d->cmds.text + c->text_offset, s, c->text_len) == 0) {
      if (at) *at = i;
      return c;
    }
  }
  return NULL;
}

static void test_box_shows_the_version_it_runs_and_zz_while_suspended(void **state) {
  (void)state;
  viz_model keep = model;
  build_upgrade();
  uint32_t kv = viz_model_find_pid(&model, pid(0, 2));
  static const struct { uint64_t t_ns; const char *badge; bool zz; } at[] = {
      {25 * MS, "v1", false}, /* loaded, not yet changed */
      {30 * MS, "v1", true},  /* suspended */
      {40 * MS, "v2", false},
      {80 * MS, "v2", false}, /* the failed code_change to v3 left it on v2 */
  };
  for (size_t k = 0; k < sizeof at / sizeof at[0]; k++) {
    drawn d;
    draw_at(&d, at[k].t_ns, 1280, 800);
    viz_box b = box_of(&d, kv);
    uint32_t i;
    const viz_cmd *c = text_in(&d, b, at[k].badge, &i);
    assert_non_null(c);
    const viz_cmd *f = fill_under(&d.cmds, i, c->x + 1, c->y + 1);
    assert_non_null(f);
    assert_true(same_rgb(f->color, viz_colors.code));
    assert_true((text_in(&d, b, "zz", NULL) != NULL) == at[k].zz);
    /* The client runs no module: no badge in its box. */
    viz_box cb = box_of(&d, viz_model_find_pid(&model, pid(0, 3)));
    assert_null(text_in(&d, cb, "v1", NULL));
    assert_null(text_in(&d, cb, "v2", NULL));
    drawn_free(&d);
  }
  viz_model_free(&model);
  model = keep;
}

/* Fills of colour col in the timeline's third lane (below the crash lane). */
static uint32_t lane3_fills(const drawn *d, viz_color col) {
  viz_regions g;
  viz_draw_regions(&model, &d->view, &g);
  uint32_t n = 0;
  for (uint32_t i = 0; i < d->cmds.count; i++) {
    const viz_cmd *c = &d->cmds.cmd[i];
    if (c->kind == VIZ_CMD_FILL && same_rgb(c->color, col) && c->y > g.timeline.y + 6.0f + 14.0f &&
        c->y + c->h < g.timeline.y + 6.0f + 28.0f && c->w < 10.0f)
      n++;
  }
  return n;
}

static void test_upgrades_are_marked_on_the_timeline_and_in_the_legend(void **state) {
  (void)state;
  drawn plain;
  draw_at(&plain, 25 * MS, 1280, 800); /* the group's trace has no upgrade */
  assert_false(has_text(&plain.cmds, "version"));
  assert_int_equal(lane3_fills(&plain, viz_colors.code), 0);
  drawn_free(&plain);
  viz_model keep = model;
  build_upgrade();
  drawn d;
  draw_at(&d, 25 * MS, 1280, 800);
  assert_true(has_text(&d.cmds, "version"));
  /* Loads at 20 and 60 ms, the purge at 50 and the code_change at 31: four squares in the
   * code colour; the failed code_change at 70 ms in red. */
  assert_int_equal(lane3_fills(&d, viz_colors.code), 4);
  assert_int_equal(lane3_fills(&d, viz_colors.crash), 1);
  drawn_free(&d);
  /* A window too narrow for the whole legend still explains the badges: the entries before
   * "version" give way to it, and what is drawn stays inside the window. */
  static const float narrow[2][2] = {{800, 500}, {640, 400}};
  for (int s = 0; s < 2; s++) {
    draw_at(&d, 25 * MS, narrow[s][0], narrow[s][1]);
    assert_true(has_text(&d.cmds, "version"));
    assert_true(has_text(&d.cmds, "running"));
    for (uint32_t i = 0; i < d.cmds.count; i++) {
      const viz_cmd *c = &d.cmds.cmd[i];
      if (c->kind == VIZ_CMD_TEXT && c->text_len == 7 &&
          memcmp(d.cmds.text + c->text_offset, "version", 7) == 0)
        assert_true(c->x + viz_text_width(&viz_metrics_default, VIZ_FONT_SMALL, 7) <= narrow[s][0]);
    }
    drawn_free(&d);
  }
  viz_model_free(&model);
  model = keep;
}

/* The fill of colour col in the timeline's third lane, or NULL. */
static const viz_cmd *lane3_fill(const drawn *d, viz_color col) {
  viz_regions g;
  viz_draw_regions(&model, &d->view, &g);
  for (uint32_t i = 0; i < d->cmds.count; i++) {
    const viz_cmd *c = &d->cmds.cmd[i];
    if (c->kind == VIZ_CMD_FILL && same_rgb(c->color, col) && c->y > g.timeline.y + 6.0f + 14.0f &&
        c->y + c->h < g.timeline.y + 6.0f + 28.0f && c->w < 10.0f)
      return c;
  }
  return NULL;
}

/* A load and a failed code_change at one instant share a column: the red square of the failure
 * does not cover the load's; they are stacked, both whole. */
static void test_a_failed_code_change_does_not_hide_a_load_at_its_instant(void **state) {
  (void)state;
  viz_model keep = model;
  viz_model_init(&model);
  uint64_t kv = pid(0, 1), client = pid(0, 2);
  add(AC_EV_NODE, 0, 0, 0, 0, 0, 0, "a", "a@h");
  add(AC_EV_SPAWN, 0, 1 * MS, 0, pid(0, 0), kv, 0, "{a, a, a, i}", "lua", "kv_server", "kv", I(1));
  add(AC_EV_SPAWN, 0, 1 * MS, 0, pid(0, 0), client, 0, "{a, a}", "lua", "client");
  add(VIZ_EV_CODE, VIZ_CODE_LOAD, 20 * MS, 0, client, 0, 0, "{a, i}", "kv", I(2));
  add(VIZ_EV_CODE, VIZ_CODE_CHANGE_FAILED, 20 * MS, 0, client, kv, 0, "{a, i, a}", "kv", I(2),
      "badarg");
  add(VIZ_EV_RUN_END, 1, 100 * MS, 0, 0, 0, 0, "b", "stop time", 9);
  drawn d;
  draw_at(&d, 50 * MS, 1280, 800);
  assert_int_equal(lane3_fills(&d, viz_colors.code), 1);
  assert_int_equal(lane3_fills(&d, viz_colors.crash), 1);
  const viz_cmd *load = lane3_fill(&d, viz_colors.code), *failed = lane3_fill(&d, viz_colors.crash);
  assert_true(load->x == failed->x && load->w == failed->w); /* one column */
  assert_true(load->y + load->h <= failed->y);                  /* above it, not under it */
  drawn_free(&d);
  viz_model_free(&model);
  model = keep;
}

static void test_inspector_and_tooltip_name_the_version(void **state) {
  (void)state;
  viz_model keep = model;
  build_upgrade();
  static const float sizes[3][2] = {{640, 400}, {1280, 800}, {1920, 1080}};
  for (int s = 0; s < 3; s++) {
    drawn d;
    viz_cmds_init(&d.cmds);
    assert_int_equal(viz_layout_new(&d.layout), 0);
    viz_view_init(&d.view, sizes[s][0], sizes[s][1]);
    d.view.time_ns = 75 * MS;
    d.view.selected = viz_model_find_pid(&model, pid(0, 2));
    d.view.hover = d.view.selected;
    d.view.mouse_x = 40;
    d.view.mouse_y = 100;
    viz_model_seek_time(&model, d.view.time_ns);
    assert_int_equal(viz_draw_frame(&d.cmds, &model, d.layout, &d.view), 0);
    check_text_on_fills(&d);
    if (s > 0) { /* at 640x400 the inspector cuts these lines */
      assert_true(has_text(&d.cmds, "<0.2.1> kv_server  kv v2"));
      assert_true(has_text(&d.cmds, "code: kv v2 (upgraded)"));
      assert_true(has_text(&d.cmds, "70ms: code_change kv v3 failed: badarg"));
    }
    drawn_free(&d);
  }
  viz_model_free(&model);
  model = keep;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_crashed_box_has_the_crash_colour_just_after_and_not_before),
      cmocka_unit_test(test_crash_stays_visible_when_a_successor_starts_at_the_same_instant),
      cmocka_unit_test(test_failure_banner_names_the_property_once),
      cmocka_unit_test(test_message_half_way_is_a_disc_between_sender_and_receiver),
      cmocka_unit_test(test_cut_between_partitioned_panels_is_drawn),
      cmocka_unit_test(test_cut_mark_is_long_labelled_and_clear_of_the_boxes),
      cmocka_unit_test(test_timeline_cursor_is_at_the_x_of_t),
      cmocka_unit_test(test_help_overlay_lists_every_key),
      cmocka_unit_test(test_text_never_spills_out_of_its_box_at_three_sizes),
      cmocka_unit_test(test_long_labels_are_cut_in_the_middle_keeping_both_ends),
      cmocka_unit_test(test_expected_failure_reads_pass_with_a_calm_banner),
      cmocka_unit_test(test_timeline_says_0s_and_has_ticks_between_the_ends),
      cmocka_unit_test(test_box_shows_the_version_it_runs_and_zz_while_suspended),
      cmocka_unit_test(test_upgrades_are_marked_on_the_timeline_and_in_the_legend),
      cmocka_unit_test(test_a_failed_code_change_does_not_hide_a_load_at_its_instant),
      cmocka_unit_test(test_inspector_and_tooltip_name_the_version),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
