/*
 * Pixels of whole frames: what a person sees, not only what the command list says.
 *
 * Goal: on a headless frame of a known trace (tests/viz/fixture.h), drawn by the real drawing
 * code and rasterised by the real renderer, a crashed process's box has the crash colour just
 * after its crash and not before; the cut between two partitioned panels is drawn in the cut
 * colour, and not before the cut; a message half-way through its latency is drawn between its
 * sender and its receiver, and not before it is sent.
 * Method: the frame is drawn with the renderer's own metrics and rendered on a 1280x800
 * surface; places come from the layout (the same places the drawing used), and pixels are read
 * back with viz_render_read_pixel. A region "shows" a colour when enough of its pixels have it
 * (for a box, which fades, enough read as its colour's hue), so a label's glyphs over a box
 * do not decide the outcome.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "draw.h"
#include "render.h"

#include "fixture.h"

#define W 1280
#define H 800

typedef struct frame {
  viz_render *r;
  viz_layout *layout;
  viz_cmds cmds;
  viz_view view;
} frame;

static void frame_at(frame *f, uint64_t t_ns) {
  char err[256];
  assert_int_equal(viz_render_open_surface(&f->r, W, H, err, sizeof err), 0);
  assert_int_equal(viz_layout_new(&f->layout), 0);
  viz_cmds_init(&f->cmds);
  viz_view_init(&f->view, W, H);
  f->view.metrics = viz_render_metrics(f->r);
  f->view.time_ns = t_ns;
  f->view.flags |= VIZ_VIEW_PAUSED;
  assert_int_equal(viz_model_seek_time(&model, t_ns), 0);
  assert_int_equal(viz_draw_frame(&f->cmds, &model, f->layout, &f->view), 0);
  assert_int_equal(viz_render_frame(f->r, &f->cmds, viz_background), 0);
}

static void frame_free(frame *f) {
  viz_cmds_free(&f->cmds);
  viz_layout_free(f->layout);
  viz_render_close(f->r);
}

static bool near_rgb(viz_color a, viz_color b, int tol) {
  return abs(a.r - b.r) <= tol && abs(a.g - b.g) <= tol && abs(a.b - b.b) <= tol;
}

/* True when pixel p reads as the crash colour: red well above green and blue, as the crash
 * colour is (214, 48, 48) and stays while a crashed box fades towards the background; no other
 * state colour (running, waiting, supervisor, paused amber, dead grey) and no panel is. */
static bool reads_as_crash(viz_color p) {
  int other = p.g > p.b ? p.g : p.b;
  return p.r - other >= 50 && p.r >= 2 * other;
}

/* Pixels of the rectangle x, y, w, h that read as the crash colour. */
static int count_crash(const frame *f, float x, float y, float w, float h) {
  int n = 0;
  for (int py = (int)ceilf(y); py < (int)(y + h); py++)
    for (int px = (int)ceilf(x); px < (int)(x + w); px++)
      if (reads_as_crash(viz_render_read_pixel(f->r, px, py))) n++;
  return n;
}

/* Pixels of colour c among those of the rectangle x, y, w, h (frame pixels). */
static int count_colour(const frame *f, float x, float y, float w, float h, viz_color c) {
  int n = 0;
  for (int py = (int)ceilf(y); py < (int)(y + h); py++)
    for (int px = (int)ceilf(x); px < (int)(x + w); px++)
      if (near_rgb(viz_render_read_pixel(f->r, px, py), c, 8)) n++;
  return n;
}

static viz_box screen_box(const frame *f, uint32_t proc) {
  viz_box b;
  assert_true(viz_layout_proc_rect(f->layout, proc, &b));
  return viz_xform_rect(&f->view.xf, b);
}

static void test_crashed_box_shows_the_crash_colour_just_after_and_not_before(void **state) {
  (void)state;
  uint32_t worker = viz_model_find_pid(&model, pid(0, 2));
  frame before, after;
  frame_at(&before, 49 * MS);
  frame_at(&after, 51 * MS);
  viz_box b0 = screen_box(&before, worker), b1 = screen_box(&after, worker);
  int area = (int)(b1.w * b1.h);
  assert_true(area > 100);
  /* Most of the box reads as the crash colour after the crash (the label covers a little of
   * it), none of it before. */
  assert_true(count_crash(&after, b1.x, b1.y, b1.w, b1.h) > area / 2);
  assert_int_equal(count_crash(&before, b0.x, b0.y, b0.w, b0.h), 0);
  frame_free(&before);
  frame_free(&after);
}

static void test_cut_between_partitioned_panels_shows_in_the_cut_colour(void **state) {
  (void)state;
  frame before, after;
  frame_at(&before, 30 * MS);
  frame_at(&after, 70 * MS);
  /* The strip between the two panels' facing edges, across their common height. */
  viz_box a = viz_xform_rect(&after.view.xf, viz_layout_panel_rect(after.layout, 0));
  viz_box b = viz_xform_rect(&after.view.xf, viz_layout_panel_rect(after.layout, 1));
  float x0 = fminf(a.x + a.w, b.x + b.w) - 40, x1 = fmaxf(a.x, b.x) + 40;
  float y0 = fmaxf(a.y, b.y), y1 = fminf(a.y + a.h, b.y + b.h);
  assert_true(x1 > x0 && y1 > y0);
  assert_true(count_colour(&after, x0, y0, x1 - x0, y1 - y0, viz_colors.cut) > 10);
  assert_int_equal(count_colour(&before, x0, y0, x1 - x0, y1 - y0, viz_colors.cut), 0);
  frame_free(&before);
  frame_free(&after);
}

static void test_message_half_way_shows_between_sender_and_receiver(void **state) {
  (void)state;
  uint32_t sender = viz_model_find_pid(&model, pid(0, 2));
  uint32_t receiver = viz_model_find_pid(&model, pid(1, 1));
  frame before, half;
  frame_at(&before, 10 * MS);
  frame_at(&half, 30 * MS);
  viz_box s = screen_box(&half, sender), r = screen_box(&half, receiver);
  float mx = (s.x + s.w / 2 + r.x + r.w / 2) / 2, my = (s.y + s.h / 2 + r.y + r.h / 2) / 2;
  /* The message's disc is centred half-way (within a pixel): look in a 9x9 square there. */
  assert_true(count_colour(&half, mx - 4, my - 4, 9, 9, viz_colors.message) >= 9);
  assert_int_equal(count_colour(&before, mx - 4, my - 4, 9, 9, viz_colors.message), 0);
  frame_free(&before);
  frame_free(&half);
}

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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_crashed_box_shows_the_crash_colour_just_after_and_not_before),
      cmocka_unit_test(test_cut_between_partitioned_panels_shows_in_the_cut_colour),
      cmocka_unit_test(test_message_half_way_shows_between_sender_and_receiver),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
