/*
 * The layout (viz/layout.h): stable places, tidy trees, hit testing and aggregation.
 *
 * Goal: a process keeps its place while others start and die, a restarted child takes its
 * predecessor's place, trees never overlap and keep start order, a point maps back to the right
 * process, a 100,000-process node draws counts instead of boxes, a wide tree is never cut at
 * its panel's edge (pools wrap, the rest scales down; few processes scale up), and boxes are
 * as wide as the panel's longest label.
 * Method: processes are given to the layout directly (viz_layout_place / set_alive, as the
 * model sync does), then its world rectangles are read; the tidy tree is checked on an
 * abstract tree.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "layout.h"

static const viz_box canvas = {0, 30, 1280, 650};

static void place(viz_layout *l, uint32_t proc, uint32_t machine, uint32_t sup, uint32_t key,
                  bool supervisor) {
  viz_layout_proc p = {proc, machine, sup, key, supervisor, 0};
  assert_int_equal(viz_layout_place(l, &p), 0);
}

static bool overlap(viz_box a, viz_box b) {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

static viz_box rect_of(const viz_layout *l, uint32_t proc) {
  viz_box r;
  assert_true(viz_layout_proc_rect(l, proc, &r));
  return r;
}

static void test_tidy_tree_has_no_overlap_and_children_in_start_order(void **state) {
  (void)state;
  /* 0 -> 1, 2, 3; 1 -> 4, 5; 3 -> 6 -> 7, 8, 9 */
  enum { N = 10 };
  viz_tidy_node n[N];
  for (int i = 0; i < N; i++) n[i] = (viz_tidy_node){.first_child = -1, .next_sibling = -1};
  n[0].first_child = 1, n[1].next_sibling = 2, n[2].next_sibling = 3;
  n[1].first_child = 4, n[4].next_sibling = 5;
  n[3].first_child = 6, n[6].first_child = 7, n[7].next_sibling = 8, n[8].next_sibling = 9;
  int32_t stack[N];
  float w, h;
  assert_int_equal(viz_tidy_layout(n, N, 0, 100, 24, 12, 28, stack, &w, &h), 0);
  for (int i = 0; i < N; i++)
    for (int j = i + 1; j < N; j++)
      assert_false(overlap((viz_box){n[i].x, n[i].y, 100, 24}, (viz_box){n[j].x, n[j].y, 100, 24}));
  assert_true(n[1].x < n[2].x && n[2].x < n[3].x); /* start order, left to right */
  assert_true(n[4].x < n[5].x && n[7].x < n[8].x && n[8].x < n[9].x);
  assert_true(n[1].y > n[0].y && n[6].y > n[3].y && n[7].y > n[6].y); /* root on top */
  assert_true(n[0].x >= n[1].x && n[0].x <= n[3].x); /* parent above its children */
  assert_true(w >= 6 * 100.0f && h >= 4 * 24.0f);
  /* A cycle is refused, not walked forever. */
  n[9].first_child = 0;
  assert_int_equal(viz_tidy_layout(n, N, 0, 100, 24, 12, 28, stack, &w, &h), AC_EINVAL);
}

static void test_process_keeps_its_place_when_a_sibling_dies_and_another_starts(void **state) {
  (void)state;
  viz_layout *l;
  assert_int_equal(viz_layout_new(&l), 0);
  for (uint32_t i = 0; i < 6; i++) place(l, i, 0, VIZ_NONE, 0, false);
  place(l, 6, 0, VIZ_NONE, 0, true); /* a supervisor with two children */
  place(l, 7, 0, 6, 1, false);
  place(l, 8, 0, 6, 2, false);
  assert_int_equal(viz_layout_arrange(l, canvas), 0);
  viz_box grid3 = rect_of(l, 3), child8 = rect_of(l, 8), sup = rect_of(l, 6);
  /* A grid sibling and a tree sibling die; a new process and a new child start. */
  viz_layout_set_alive(l, 2, false);
  viz_layout_set_alive(l, 7, false);
  place(l, 9, 0, VIZ_NONE, 0, false);
  place(l, 10, 0, 6, 3, false);
  assert_int_equal(viz_layout_arrange(l, canvas), 0);
  viz_box g = rect_of(l, 3), c = rect_of(l, 8);
  assert_memory_equal(&g, &grid3, sizeof g);
  assert_memory_equal(&c, &child8, sizeof c);
  assert_true(rect_of(l, 6).y == sup.y);
  assert_false(overlap(rect_of(l, 9), rect_of(l, 5)));
  assert_false(overlap(rect_of(l, 10), rect_of(l, 8)));
  viz_layout_free(l);
}

static void test_restarted_child_takes_its_predecessors_place(void **state) {
  (void)state;
  viz_layout *l;
  assert_int_equal(viz_layout_new(&l), 0);
  place(l, 0, 1, VIZ_NONE, 0, true);
  place(l, 1, 1, 0, 11, false);
  place(l, 2, 1, 0, 12, false);
  assert_int_equal(viz_layout_arrange(l, canvas), 0);
  viz_box before = rect_of(l, 1);
  viz_layout_set_alive(l, 1, false);
  place(l, 3, 1, 0, 11, false); /* same child id: a restart */
  assert_int_equal(viz_layout_arrange(l, canvas), 0);
  viz_box after = rect_of(l, 3);
  assert_memory_equal(&after, &before, sizeof after);
  /* A child first seen in the grid moves into its supervisor's tree once adopted. */
  place(l, 4, 1, VIZ_NONE, 0, false);
  place(l, 4, 1, 0, 13, false);
  assert_int_equal(viz_layout_arrange(l, canvas), 0);
  assert_true(rect_of(l, 4).y > rect_of(l, 0).y);
  viz_layout_free(l);
}

static void test_hit_returns_the_process_under_the_point(void **state) {
  (void)state;
  viz_layout *l;
  assert_int_equal(viz_layout_new(&l), 0);
  place(l, 0, 0, VIZ_NONE, 0, false);
  place(l, 1, 0, VIZ_NONE, 0, true);
  place(l, 2, 0, 1, 7, false);
  place(l, 3, 1, VIZ_NONE, 0, false);
  assert_int_equal(viz_layout_arrange(l, canvas), 0);
  viz_xform t = viz_xform_fit();
  for (uint32_t p = 0; p < 4; p++) {
    viz_box r = rect_of(l, p);
    assert_int_equal(viz_layout_hit(l, &t, r.x + r.w / 2, r.y + r.h / 2), p);
  }
  /* Zoomed and panned: the same world point under its new screen position. */
  viz_xform_zoom_at(&t, 300, 300, 2.0f);
  viz_xform_pan(&t, -40, 25);
  viz_box s = viz_xform_rect(&t, rect_of(l, 2));
  assert_int_equal(viz_layout_hit(l, &t, s.x + 2, s.y + 2), 2);
  assert_int_equal(viz_layout_hit(l, &t, s.x - 3, s.y - 3), VIZ_NONE);
  viz_layout_free(l);
}

static void test_hundred_thousand_processes_aggregate_and_zoom_brings_boxes_back(void **state) {
  (void)state;
  viz_layout *l;
  assert_int_equal(viz_layout_new(&l), 0);
  place(l, 0, 0, VIZ_NONE, 0, false);
  place(l, 1, 1, VIZ_NONE, 0, false);
  for (uint32_t i = 2; i < 100002; i++) place(l, i, 1, VIZ_NONE, 0, false);
  assert_int_equal(viz_layout_arrange(l, canvas), 0);
  viz_xform t = viz_xform_fit();
  assert_false(viz_layout_panel_aggregated(l, 0, &t));
  assert_true(viz_layout_panel_aggregated(l, 1, &t));
  assert_int_equal(viz_layout_panel_places(l, 1), 100001);
  assert_int_equal(viz_layout_panel_alive(l, 1), 100001);
  /* A smaller crowd comes back as boxes when zoomed in far enough. */
  viz_layout *s;
  assert_int_equal(viz_layout_new(&s), 0);
  for (uint32_t i = 0; i < 15000; i++) place(s, i, 0, VIZ_NONE, 0, false);
  assert_int_equal(viz_layout_arrange(s, canvas), 0);
  assert_true(viz_layout_panel_aggregated(s, 0, &t));
  viz_xform_zoom_at(&t, 0, 0, 4.0f);
  assert_false(viz_layout_panel_aggregated(s, 0, &t));
  viz_layout_free(s);
  viz_layout_free(l);
}

static void test_panels_fill_the_canvas_without_overlap_in_machine_order(void **state) {
  (void)state;
  viz_layout *l;
  assert_int_equal(viz_layout_new(&l), 0);
  for (uint32_t m = 5; m > 0; m--) assert_int_equal(viz_layout_machine(l, m - 1), 0);
  viz_box small = {0, 28, 640, 300};
  assert_int_equal(viz_layout_arrange(l, small), 0);
  assert_int_equal(viz_layout_panel_count(l), 5);
  for (uint32_t i = 0; i < 5; i++) {
    viz_box r = viz_layout_panel_rect(l, i);
    assert_int_equal(viz_layout_panel_machine(l, i), i);
    assert_true(r.x >= small.x && r.y >= small.y && r.x + r.w <= small.x + small.w + 0.01f &&
                r.y + r.h <= small.y + small.h + 0.01f);
    for (uint32_t j = i + 1; j < 5; j++) assert_false(overlap(r, viz_layout_panel_rect(l, j)));
  }
  viz_layout_free(l);
}

/* Every box of every panel lies inside its panel's content area. */
static void check_inside(const viz_layout *l) {
  for (uint32_t i = 0; i < viz_layout_panel_count(l); i++) {
    viz_box c = viz_layout_panel_content(l, i), w;
    uint32_t cur = 0, proc, parent;
    while (viz_layout_panel_next(l, i, &cur, &proc, &w, &parent))
      if (w.x < c.x - 0.5f || w.y < c.y - 0.5f || w.x + w.w > c.x + c.w + 0.5f ||
          w.y + w.h > c.y + c.h + 0.5f)
        fail_msg("process %u at %.1f,%.1f %.1fx%.1f is outside its panel %.1f,%.1f %.1fx%.1f",
                 proc, w.x, w.y, w.w, w.h, c.x, c.y, c.w, c.h);
  }
}

static void test_wide_trees_are_never_cut_at_the_panel_edge(void **state) {
  (void)state;
  static const viz_box canvases[3] = {{0, 28, 640, 300}, {0, 30, 960, 480}, {0, 30, 1920, 930}};
  for (int k = 0; k < 3; k++) {
    viz_layout *l;
    assert_int_equal(viz_layout_new(&l), 0);
    /* Grown one process at a time, arranged after each, as a live run shows it: a pool of
     * workers under a supervisor (it wraps into rows), and a supervisor of nine sub-trees,
     * which cannot wrap and must scale down. Labels of 8 characters. */
    uint32_t p = 0;
    viz_layout_proc root = {p++, 0, VIZ_NONE, 0, true, 10};
    assert_int_equal(viz_layout_place(l, &root), 0);
    for (uint32_t i = 0; i < 40; i++) {
      viz_layout_proc w = {p++, 0, 0, i, false, 8};
      assert_int_equal(viz_layout_place(l, &w), 0);
      assert_int_equal(viz_layout_arrange(l, canvases[k]), 0);
      check_inside(l);
    }
    uint32_t top = p;
    viz_layout_proc sup = {p++, 1, VIZ_NONE, 0, true, 10};
    assert_int_equal(viz_layout_place(l, &sup), 0);
    for (uint32_t i = 0; i < 9; i++) {
      uint32_t mid = p;
      viz_layout_proc s = {p++, 1, top, i, true, 10};
      viz_layout_proc w = {p++, 1, mid, 0, false, 8};
      assert_int_equal(viz_layout_place(l, &s), 0);
      assert_int_equal(viz_layout_place(l, &w), 0);
      assert_int_equal(viz_layout_arrange(l, canvases[k]), 0);
      check_inside(l);
    }
    /* The pool wrapped: its workers are on more than one row. */
    assert_true(rect_of(l, 40).y > rect_of(l, 1).y);
    /* A few processes in a big panel are scaled up (boxes taller than at scale 1). */
    viz_layout *s;
    assert_int_equal(viz_layout_new(&s), 0);
    for (uint32_t i = 0; i < 3; i++) place(s, i, 0, VIZ_NONE, 0, false);
    assert_int_equal(viz_layout_arrange(s, canvases[k]), 0);
    check_inside(s);
    assert_true(rect_of(s, 0).h > VIZ_BOX_H * 1.2f);
    viz_layout_free(s);
    viz_layout_free(l);
  }
}

static void test_box_width_follows_the_longest_label(void **state) {
  (void)state;
  viz_layout *l;
  assert_int_equal(viz_layout_new(&l), 0);
  viz_layout_proc a = {0, 0, VIZ_NONE, 0, false, 6}, b = {1, 0, VIZ_NONE, 0, false, 24};
  assert_int_equal(viz_layout_place(l, &a), 0);
  assert_int_equal(viz_layout_arrange(l, canvas), 0);
  float narrow = rect_of(l, 0).w / viz_layout_panel_scale(l, 0);
  assert_true(narrow >= VIZ_BOX_W_MIN - 0.01f && narrow < VIZ_BOX_W);
  assert_int_equal(viz_layout_place(l, &b), 0);
  assert_int_equal(viz_layout_arrange(l, canvas), 0);
  float wide = rect_of(l, 1).w / viz_layout_panel_scale(l, 0);
  assert_true(wide > narrow && wide <= VIZ_BOX_W_MAX + 0.01f);
  assert_true(rect_of(l, 0).w == rect_of(l, 1).w); /* one width per panel */
  /* The long label registers a short name: the boxes narrow again. */
  viz_layout_set_label(l, 1, 5);
  assert_int_equal(viz_layout_arrange(l, canvas), 0);
  assert_true(rect_of(l, 1).w / viz_layout_panel_scale(l, 0) < wide);
  viz_layout_free(l);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tidy_tree_has_no_overlap_and_children_in_start_order),
      cmocka_unit_test(test_process_keeps_its_place_when_a_sibling_dies_and_another_starts),
      cmocka_unit_test(test_restarted_child_takes_its_predecessors_place),
      cmocka_unit_test(test_hit_returns_the_process_under_the_point),
      cmocka_unit_test(test_hundred_thousand_processes_aggregate_and_zoom_brings_boxes_back),
      cmocka_unit_test(test_panels_fill_the_canvas_without_overlap_in_machine_order),
      cmocka_unit_test(test_wide_trees_are_never_cut_at_the_panel_edge),
      cmocka_unit_test(test_box_width_follows_the_longest_label),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
