/*
 * Frame benchmark of the visualiser, end to end (issue 12, section 5: at least 60 frames per
 * second at 1280x800 with 2,000 processes and 500 messages in flight, software renderer).
 *
 * It loads a recorded trace (tests/bench/run viz records tests/bench/viz_crowd.lua: 4 nodes x
 * 500 supervised workers, about 500 messages in flight), then plays it as the window does: for
 * each of FRAMES frames the time cursor advances by one 60th of a second of playback, the
 * model seeks there (state update), draw.c updates the layout and makes the command list, and
 * render.c rasterises it into a 1280x800 buffer (the pixels a window with
 * SDL_RENDER_DRIVER=software shows, without the copy to the screen). It prints
 *   viz_frame_fps=<frames per second> target=60 seek_ms=<per frame> draw_ms=... render_ms=...
 * with a '#' line saying what the frames held (processes, boxes drawn, messages in flight,
 * commands). ZOOM (default 1, the fitted view) zooms about the canvas centre.
 * Usage: bench_viz_frame TRACE [FRAMES] [ZOOM] [LAST.png]
 */
#include "bench_common.h"

#include <stdlib.h>

#include "draw.h"
#include "layout.h"
#include "model.h"
#include "render.h"

#define WIDTH_PX 1280
#define HEIGHT_PX 800

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench_viz_frame TRACE [FRAMES] [ZOOM] [LAST.png]\n");
    return 2;
  }
  int frames = argc > 2 ? atoi(argv[2]) : 300;
  float zoom = argc > 3 ? (float)atof(argv[3]) : 1.0f;
  if (frames < 1 || !(zoom > 0.0f)) {
    fprintf(stderr, "bench_viz_frame: FRAMES must be >= 1 and ZOOM > 0\n");
    return 2;
  }
  setenv("SDL_RENDER_DRIVER", "software", 1);
  char err[768];
  viz_model m;
  viz_model_init(&m);
  double t_load = bench_seconds();
  if (viz_model_load(&m, argv[1], err, sizeof err) != 0) {
    fprintf(stderr, "bench_viz_frame: %s\n", err);
    return 1;
  }
  t_load = bench_seconds() - t_load;
  viz_render *r;
  if (viz_render_open_surface(&r, WIDTH_PX, HEIGHT_PX, err, sizeof err) != 0) {
    fprintf(stderr, "bench_viz_frame: %s\n", err);
    return 1;
  }
  viz_layout *layout;
  if (viz_layout_new(&layout) != 0) return 1;
  viz_cmds cmds;
  viz_cmds_init(&cmds);
  viz_view view;
  viz_view_init(&view, WIDTH_PX, HEIGHT_PX);
  view.metrics = viz_render_metrics(r);
  view.scenario = m.scenario;
  view.seed = m.seed;
  viz_xform_zoom_at(&view.xf, WIDTH_PX / 2.0f, HEIGHT_PX / 2.0f, zoom);
  /* Playback as viz/app.c paces it: the run in about 30 s, never slower than real time, from
   * a quarter of the trace on (the crowd is there by then). */
  uint64_t t0 = viz_model_first_ns(&m), t1 = viz_model_last_ns(&m), span = t1 - t0;
  double rate = (double)span / 30.0;
  if (rate < 1e9) rate = 1e9;
  uint64_t step = (uint64_t)(rate / 60.0);
  uint64_t t = t0 + span / 4;
  double seek_s = 0, draw_s = 0, render_s = 0;
  uint64_t flying = 0, commands = 0, boxes = 0, procs = 0;
  for (int i = -1; i < frames; i++) { /* frame -1 warms the caches and lays out */
    if (t > t1) t = t0 + span / 4;
    double a = bench_seconds();
    if (viz_model_seek_time(&m, t) != 0) return 1;
    view.time_ns = t;
    double b = bench_seconds();
    if (viz_draw_frame(&cmds, &m, layout, &view) != 0) {
      fprintf(stderr, "bench_viz_frame: out of memory drawing a frame\n");
      return 1;
    }
    double c = bench_seconds();
    viz_render_frame(r, &cmds, viz_background);
    double d = bench_seconds();
    if (i >= 0) {
      seek_s += b - a;
      draw_s += c - b;
      render_s += d - c;
      flying += viz_model_flying_count(&m);
      commands += cmds.count;
      procs += viz_model_proc_count(&m);
      for (uint32_t p = 0; p < viz_layout_panel_count(layout); p++)
        if (!viz_layout_panel_aggregated(layout, p, &view.xf)) boxes += viz_layout_panel_places(layout, p);
    }
    t += step;
  }
  double total = seek_s + draw_s + render_s;
  printf("# viz_frame trace=%s load_ms=%.0f frames=%d size=%dx%d zoom=%g processes=%.0f "
         "boxes_drawn=%.0f in_flight=%.0f commands=%.0f (averages per frame)\n",
         argv[1], t_load * 1000.0, frames, WIDTH_PX, HEIGHT_PX, zoom, (double)procs / frames,
         (double)boxes / frames, (double)flying / frames, (double)commands / frames);
  printf("viz_frame_fps=%.1f target=60 seek_ms=%.3f draw_ms=%.3f render_ms=%.3f\n",
         frames / total, seek_s * 1000.0 / frames, draw_s * 1000.0 / frames,
         render_s * 1000.0 / frames);
  int status = 0;
  if (argc > 4 && viz_render_save_png(r, argv[4], err, sizeof err) != 0) {
    fprintf(stderr, "bench_viz_frame: %s\n", err);
    status = 1;
  }
  viz_cmds_free(&cmds);
  viz_layout_free(layout);
  viz_render_close(r);
  viz_model_free(&m);
  return status;
}
