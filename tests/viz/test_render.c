/*
 * Tests of viz/render: command lists turned into pixels.
 *
 * Goal: each kind of draw command paints the pixels its contract names and no others (a fill
 * inside its rectangle, a line between its ends, a disc inside its radius, text inside its
 * measured width), the clip cuts everything, translucent colours blend, bad commands are
 * skipped, and the PNG writer leaves either a whole image or nothing. The failures a user can
 * meet (no font, no display, an unwritable path) give one clear message.
 *
 * Method: a headless renderer (software pixel buffer, no display needed) draws small command
 * lists on a known background; the test reads pixels back with viz_render_read_pixel. Shapes
 * are placed on whole pixels so the expected pixels are exact. The PNG is loaded back with
 * SDL_image and compared pixel for pixel at a few places.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <SDL.h>
#include <SDL_image.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "render.h"
#include "status.h"

#define W 200
#define H 120

static const viz_color BG = {20, 30, 40, 255};
static const viz_color RED = {220, 10, 10, 255};
static const viz_color WHITE = {255, 255, 255, 255};

typedef struct fixture {
  viz_render *r;
  viz_cmds c;
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  char err[512];
  if (!f) return -1;
  if (viz_render_open_surface(&f->r, W, H, err, sizeof err) != 0) {
    fprintf(stderr, "viz_render_open_surface: %s\n", err);
    free(f);
    return -1;
  }
  viz_cmds_init(&f->c);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  viz_cmds_free(&f->c);
  viz_render_close(f->r);
  free(f);
  return 0;
}

static bool same(viz_color a, viz_color b) { return a.r == b.r && a.g == b.g && a.b == b.b; }

static void assert_pixel(const viz_render *r, int x, int y, viz_color want) {
  viz_color got = viz_render_read_pixel(r, x, y);
  if (!same(got, want))
    fail_msg("pixel %d,%d is %d,%d,%d, expected %d,%d,%d", x, y, got.r, got.g, got.b, want.r,
             want.g, want.b);
}

static void frame(fixture *f) { assert_int_equal(viz_render_frame(f->r, &f->c, BG), 0); }

static void test_fill_paints_inside_and_leaves_the_background_outside(void **state) {
  fixture *f = *state;
  viz_fill(&f->c, 10, 20, 30, 40, RED);
  frame(f);
  assert_pixel(f->r, 10, 20, RED); /* the first pixel of the rectangle */
  assert_pixel(f->r, 39, 59, RED); /* the last */
  assert_pixel(f->r, 25, 40, RED);
  assert_pixel(f->r, 9, 20, BG);   /* just outside, on every side */
  assert_pixel(f->r, 40, 20, BG);
  assert_pixel(f->r, 10, 19, BG);
  assert_pixel(f->r, 10, 60, BG);
  assert_pixel(f->r, 150, 100, BG);
}

static void test_fill_off_the_frame_is_cut_at_its_edges(void **state) {
  fixture *f = *state;
  viz_fill(&f->c, -50, -50, 60, 60, RED);
  viz_fill(&f->c, W - 5, H - 5, 100, 100, WHITE);
  frame(f);
  assert_pixel(f->r, 0, 0, RED);
  assert_pixel(f->r, 9, 9, RED);
  assert_pixel(f->r, 10, 10, BG);
  assert_pixel(f->r, W - 1, H - 1, WHITE);
  assert_pixel(f->r, W - 6, H - 1, BG);
}

static void test_line_paints_the_pixels_between_its_ends(void **state) {
  fixture *f = *state;
  viz_line(&f->c, 10, 10, 110, 10, 1, 0, RED);  /* horizontal, 1 px */
  viz_line(&f->c, 20, 30, 80, 90, 3, 0, WHITE); /* diagonal, 3 px */
  frame(f);
  for (int x = 10; x <= 110; x++) assert_pixel(f->r, x, 10, RED);
  assert_pixel(f->r, 10, 9, BG);
  assert_pixel(f->r, 10, 11, BG);
  assert_pixel(f->r, 112, 10, BG);
  for (int i = 1; i < 60; i++) assert_pixel(f->r, 20 + i, 30 + i, WHITE);
  assert_pixel(f->r, 50, 70, BG); /* well off the diagonal */
  assert_pixel(f->r, 90, 100, BG); /* past its end */
}

static void test_dashed_line_has_dashes_and_gaps(void **state) {
  fixture *f = *state;
  viz_line(&f->c, 0, 50, 100, 50, 1, 1, RED);
  frame(f);
  int on = 0, off = 0;
  for (int x = 0; x < 100; x++) same(viz_render_read_pixel(f->r, x, 50), RED) ? on++ : off++;
  assert_true(on >= 50 && on <= 70); /* 6 on, 4 off */
  assert_true(off >= 30);
  assert_pixel(f->r, 0, 50, RED);
  assert_pixel(f->r, 8, 50, BG);
}

static void test_rect_outline_is_hollow_and_width_thick(void **state) {
  fixture *f = *state;
  viz_rect(&f->c, 10, 10, 50, 40, 2, WHITE);
  frame(f);
  assert_pixel(f->r, 10, 10, WHITE);
  assert_pixel(f->r, 11, 30, WHITE);
  assert_pixel(f->r, 12, 30, BG); /* inside the 2-pixel border */
  assert_pixel(f->r, 59, 49, WHITE);
  assert_pixel(f->r, 35, 30, BG);
  assert_pixel(f->r, 60, 30, BG);
}

static void test_clip_cuts_a_fill_and_unclip_ends_it(void **state) {
  fixture *f = *state;
  viz_clip(&f->c, 20, 20, 10, 10);
  viz_fill(&f->c, 0, 0, 100, 100, RED);
  viz_text(&f->c, 0, 0, VIZ_FONT_LARGE, WHITE, "MMMMMMMMMM", -1);
  viz_unclip(&f->c);
  viz_fill(&f->c, 150, 100, 10, 10, WHITE);
  frame(f);
  assert_pixel(f->r, 20, 20, RED);
  assert_pixel(f->r, 29, 29, RED);
  assert_pixel(f->r, 19, 25, BG);
  assert_pixel(f->r, 30, 25, BG);
  assert_pixel(f->r, 25, 30, BG);
  assert_pixel(f->r, 5, 5, BG); /* the text was clipped away too */
  assert_pixel(f->r, 155, 105, WHITE);
}

static void test_disc_fills_its_radius_and_a_ring_is_hollow(void **state) {
  fixture *f = *state;
  viz_circle(&f->c, 50, 50, 10, 0, RED);
  viz_circle(&f->c, 150, 50, 20, 3, WHITE);
  frame(f);
  assert_pixel(f->r, 50, 50, RED);
  assert_pixel(f->r, 41, 50, RED);
  assert_pixel(f->r, 58, 50, RED);
  assert_pixel(f->r, 50, 41, RED);
  assert_pixel(f->r, 50, 61, BG);
  assert_pixel(f->r, 39, 50, BG);
  assert_pixel(f->r, 58, 58, BG); /* a corner of the bounding box, outside the disc */
  assert_pixel(f->r, 150, 50, BG); /* the ring's centre */
  assert_pixel(f->r, 131, 50, WHITE);
  assert_pixel(f->r, 150, 68, WHITE);
  assert_pixel(f->r, 140, 50, BG);
  assert_pixel(f->r, 129, 50, BG);
}

/* Columns x0 <= x < x1 of rows y0 <= y < y1 that are not background. */
static int ink(const viz_render *r, int x0, int x1, int y0, int y1) {
  int n = 0;
  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++) n += !same(viz_render_read_pixel(r, x, y), BG);
  return n;
}

static void test_text_inks_within_its_measured_width_only(void **state) {
  fixture *f = *state;
  const viz_metrics *m = viz_render_metrics(f->r);
  for (int s = 0; s < VIZ_FONT_SIZES; s++) {
    viz_cmds_clear(&f->c);
    viz_text(&f->c, 10, 10, (viz_font_size)s, WHITE, "W@M_|", -1);
    frame(f);
    int width = (int)viz_text_width(m, (viz_font_size)s, 5), height = (int)m->line_height[s];
    assert_true(ink(f->r, 10, 10 + width, 10, 10 + height) > 20);
    assert_int_equal(ink(f->r, 10 + width, W, 0, H), 0);
    assert_int_equal(ink(f->r, 0, 10, 0, H), 0);
    assert_int_equal(ink(f->r, 0, W, 10 + height, H), 0);
    /* Every character gets ink in its own cell. */
    for (int i = 0; i < 4; i++)
      assert_true(ink(f->r, 10 + i * (int)m->advance[s], 10 + (i + 1) * (int)m->advance[s], 10, 10 + height) > 0);
  }
}

static void test_font_metrics_match_the_defaults_layout_uses(void **state) {
  fixture *f = *state;
  const viz_metrics *m = viz_render_metrics(f->r);
  for (int s = 0; s < VIZ_FONT_SIZES; s++) {
    assert_true(m->advance[s] == viz_metrics_default.advance[s]);
    assert_true(m->line_height[s] >= viz_metrics_default.advance[s]);
    assert_true(m->point[s] == viz_metrics_default.point[s]);
  }
}

static void test_non_ascii_bytes_draw_as_question_marks(void **state) {
  fixture *f = *state;
  viz_text(&f->c, 10, 10, VIZ_FONT_NORMAL, WHITE, "a\xc3\xa9\x01", -1);
  frame(f);
  viz_render *alone;
  char err[256];
  assert_int_equal(viz_render_open_surface(&alone, W, H, err, sizeof err), 0);
  viz_cmds c;
  viz_cmds_init(&c);
  viz_text(&c, 10, 10, VIZ_FONT_NORMAL, WHITE, "a???", -1);
  assert_int_equal(viz_render_frame(alone, &c, BG), 0);
  for (int y = 0; y < 40; y++)
    for (int x = 0; x < 80; x++)
      assert_true(same(viz_render_read_pixel(f->r, x, y), viz_render_read_pixel(alone, x, y)));
  viz_cmds_free(&c);
  viz_render_close(alone);
}

static void test_translucent_fill_blends_with_what_is_below(void **state) {
  fixture *f = *state;
  viz_fill(&f->c, 0, 0, 100, 100, WHITE);
  viz_fill(&f->c, 10, 10, 20, 20, (viz_color){0, 0, 0, 128});
  viz_circle(&f->c, 70, 70, 10, 0, (viz_color){255, 0, 0, 64});
  frame(f);
  viz_color c = viz_render_read_pixel(f->r, 15, 15);
  assert_true(c.r >= 126 && c.r <= 128 && c.g == c.r && c.b == c.r);
  c = viz_render_read_pixel(f->r, 70, 70);
  assert_int_equal(c.r, 255);
  assert_true(c.g >= 190 && c.g <= 192);
  assert_pixel(f->r, 5, 5, WHITE);
  assert_true(viz_render_read_pixel(f->r, 15, 15).a == 255); /* frames stay opaque */
}

static void test_bad_commands_are_skipped(void **state) {
  fixture *f = *state;
  viz_fill(&f->c, NAN, 0, 10, 10, RED);
  viz_fill(&f->c, 0, 0, 1e30f, 1e30f, RED);
  viz_line(&f->c, 0, 0, INFINITY, 5, 3, 0, RED);
  viz_circle(&f->c, 10, 10, -4, 0, RED);
  viz_text(&f->c, 0, 0, VIZ_FONT_SMALL, RED, "x", 1);
  f->c.cmd[f->c.count - 1].text_offset = 1000; /* out of the text's bounds */
  viz_text(&f->c, 0, 20, VIZ_FONT_SMALL, RED, "x", 1);
  f->c.cmd[f->c.count - 1].size = 9; /* no such font size */
  viz_fill(&f->c, 0, 0, 10, 10, RED);
  f->c.cmd[f->c.count - 1].kind = 77; /* no such command */
  frame(f);
  assert_int_equal(ink(f->r, 0, W, 0, H), 0);
  assert_pixel(f->r, -1, 0, (viz_color){0, 0, 0, 0});
  assert_int_equal(viz_render_read_pixel(f->r, W, 0).a, 0);
}

/* ---- PNG ------------------------------------------------------------------------------------- */

static void temp_dir(char *dir, size_t cap) {
  const char *tmp = getenv("TMPDIR");
  if (!tmp || !*tmp || strlen(tmp) > 200) tmp = "/tmp";
  snprintf(dir, cap, "%s/crashlab-test-render-XXXXXX", tmp);
  assert_non_null(mkdtemp(dir));
}

static void test_save_png_writes_an_image_that_loads_back_equal(void **state) {
  fixture *f = *state;
  viz_fill(&f->c, 10, 10, 20, 20, RED);
  viz_text(&f->c, 40, 40, VIZ_FONT_LARGE, WHITE, "ok", -1);
  frame(f);
  char dir[256], path[300], partial[320], err[512];
  temp_dir(dir, sizeof dir);
  snprintf(path, sizeof path, "%s/frame.png", dir);
  snprintf(partial, sizeof partial, "%s.partial", path);
  assert_int_equal(viz_render_save_png(f->r, path, err, sizeof err), 0);
  assert_int_not_equal(access(partial, F_OK), 0);
  SDL_Surface *loaded = IMG_Load(path);
  assert_non_null(loaded);
  SDL_Surface *argb = SDL_ConvertSurfaceFormat(loaded, SDL_PIXELFORMAT_ARGB8888, 0);
  assert_non_null(argb);
  assert_int_equal(argb->w, W);
  assert_int_equal(argb->h, H);
  int points[][2] = {{15, 15}, {5, 5}, {45, 50}, {W - 1, H - 1}, {41, 45}};
  for (size_t i = 0; i < sizeof points / sizeof points[0]; i++) {
    int x = points[i][0], y = points[i][1];
    uint32_t p = ((const uint32_t *)((const uint8_t *)argb->pixels + (size_t)y * (size_t)argb->pitch))[x];
    viz_color got = {(uint8_t)(p >> 16), (uint8_t)(p >> 8), (uint8_t)p, (uint8_t)(p >> 24)};
    assert_true(same(got, viz_render_read_pixel(f->r, x, y)));
    assert_int_equal(got.a, 255);
  }
  SDL_FreeSurface(argb);
  SDL_FreeSurface(loaded);
  remove(path);
  rmdir(dir);
}

static void test_save_png_to_an_unwritable_path_fails_and_leaves_nothing(void **state) {
  fixture *f = *state;
  frame(f);
  char dir[256], path[300], partial[320], err[512] = "";
  temp_dir(dir, sizeof dir);
  snprintf(path, sizeof path, "%s/no-such-dir/frame.png", dir);
  snprintf(partial, sizeof partial, "%s.partial", path);
  assert_int_equal(viz_render_save_png(f->r, path, err, sizeof err), AC_EIO);
  assert_non_null(strstr(err, path));
  assert_non_null(strstr(err, "No such file or directory"));
  assert_int_not_equal(access(path, F_OK), 0);
  assert_int_not_equal(access(partial, F_OK), 0);
  /* A directory where the file should be: the rename fails, and the partial file goes. */
  snprintf(path, sizeof path, "%s/taken.png", dir);
  snprintf(partial, sizeof partial, "%s.partial", path);
  assert_int_equal(mkdir(path, 0700), 0);
  assert_int_equal(viz_render_save_png(f->r, path, err, sizeof err), AC_EIO);
  assert_non_null(strstr(err, path));
  assert_int_not_equal(access(partial, F_OK), 0);
  rmdir(path);
  rmdir(dir);
}

/* ---- Opening failures ------------------------------------------------------------------------ */

static void test_missing_font_fails_naming_its_path(void **state) {
  (void)state;
  viz_render *r = (viz_render *)&r;
  char err[512] = "";
  setenv("CRASHLAB_FONT", "/nonexistent/crashlab/NoSuchFont.ttf", 1);
  int rc = viz_render_open_surface(&r, 10, 10, err, sizeof err);
  unsetenv("CRASHLAB_FONT");
  assert_int_equal(rc, AC_EIO);
  assert_null(r);
  assert_non_null(strstr(err, "/nonexistent/crashlab/NoSuchFont.ttf"));
  assert_non_null(strstr(err, "CRASHLAB_FONT"));
}

static void test_bad_sizes_are_refused(void **state) {
  (void)state;
  viz_render *r;
  char err[256] = "";
  assert_int_equal(viz_render_open_surface(&r, 0, 10, err, sizeof err), AC_EINVAL);
  assert_null(r);
  assert_non_null(strstr(err, "0x10"));
  assert_int_equal(viz_render_open_surface(&r, 10, VIZ_RENDER_SIDE_MAX + 1, err, sizeof err), AC_EINVAL);
}

static void test_window_without_a_display_fails_with_a_hint(void **state) {
  (void)state;
  viz_render *r = (viz_render *)&r;
  char err[512] = "";
  /* Only the X11 driver, and no display to reach: the situation of a CI machine or ssh. */
  setenv("SDL_VIDEODRIVER", "x11", 1);
  unsetenv("DISPLAY");
  int rc = viz_render_open_window(&r, "test", 100, 100, err, sizeof err);
  assert_int_equal(rc, AC_EIO);
  assert_null(r);
  assert_non_null(strstr(err, "cannot open a window"));
  assert_non_null(strstr(err, "--png"));
}

/* Without DISPLAY, WAYLAND_DISPLAY and SDL_VIDEODRIVER, SDL falls back to its offscreen
 * driver: a window there is invisible, so it counts as no display. */
static void test_window_on_sdls_offscreen_fallback_is_refused(void **state) {
  (void)state;
  viz_render *r = (viz_render *)&r;
  char err[512] = "";
  unsetenv("SDL_VIDEODRIVER");
  unsetenv("DISPLAY");
  unsetenv("WAYLAND_DISPLAY");
  int rc = viz_render_open_window(&r, "test", 100, 100, err, sizeof err);
  assert_int_equal(rc, AC_EIO);
  assert_null(r);
  assert_non_null(strstr(err, "cannot open a window"));
  assert_non_null(strstr(err, "is DISPLAY set? use --png"));
}

/* Asked for by name, a driver that shows nothing is the user's choice and a window opens on
 * it: SDL's dummy driver here, refused like offscreen when SDL falls back to it (offscreen
 * itself loads an EGL library that leaks at exit under LeakSanitizer). */
static void test_window_on_a_headless_driver_asked_for_opens(void **state) {
  (void)state;
  viz_render *r = NULL;
  char err[512] = "";
  setenv("SDL_VIDEODRIVER", "dummy", 1);
  unsetenv("DISPLAY");
  unsetenv("WAYLAND_DISPLAY");
  int rc = viz_render_open_window(&r, "test", 100, 100, err, sizeof err);
  unsetenv("SDL_VIDEODRIVER");
  assert_int_equal(rc, 0);
  assert_non_null(r);
  viz_render_close(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_fill_paints_inside_and_leaves_the_background_outside, setup, teardown),
      cmocka_unit_test_setup_teardown(test_fill_off_the_frame_is_cut_at_its_edges, setup, teardown),
      cmocka_unit_test_setup_teardown(test_line_paints_the_pixels_between_its_ends, setup, teardown),
      cmocka_unit_test_setup_teardown(test_dashed_line_has_dashes_and_gaps, setup, teardown),
      cmocka_unit_test_setup_teardown(test_rect_outline_is_hollow_and_width_thick, setup, teardown),
      cmocka_unit_test_setup_teardown(test_clip_cuts_a_fill_and_unclip_ends_it, setup, teardown),
      cmocka_unit_test_setup_teardown(test_disc_fills_its_radius_and_a_ring_is_hollow, setup, teardown),
      cmocka_unit_test_setup_teardown(test_text_inks_within_its_measured_width_only, setup, teardown),
      cmocka_unit_test_setup_teardown(test_font_metrics_match_the_defaults_layout_uses, setup, teardown),
      cmocka_unit_test_setup_teardown(test_non_ascii_bytes_draw_as_question_marks, setup, teardown),
      cmocka_unit_test_setup_teardown(test_translucent_fill_blends_with_what_is_below, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_commands_are_skipped, setup, teardown),
      cmocka_unit_test_setup_teardown(test_save_png_writes_an_image_that_loads_back_equal, setup, teardown),
      cmocka_unit_test_setup_teardown(test_save_png_to_an_unwritable_path_fails_and_leaves_nothing, setup, teardown),
      cmocka_unit_test(test_missing_font_fails_naming_its_path),
      cmocka_unit_test(test_bad_sizes_are_refused),
      cmocka_unit_test(test_window_without_a_display_fails_with_a_hint),
      cmocka_unit_test(test_window_on_sdls_offscreen_fallback_is_refused),
      cmocka_unit_test(test_window_on_a_headless_driver_asked_for_opens),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
