/*
 * Renderer benchmark: the cost of turning one busy frame's draw commands into pixels, alone
 * (no model, no layout), headless at 1280x800 as `crashlab viz --png` and a window with
 * SDL_RENDER_DRIVER=software draw it.
 *
 * The synthetic frame is what issue 12's speed target describes: 2,000 process boxes with a
 * fill, an outline and a label, 500 messages in flight (a small disc each, on a line from
 * sender to receiver, a fifth of them dashed), inside four node panels with titles and clips,
 * and a timeline along the bottom. The command list is built once; the loop renders it FRAMES
 * times and prints frames per second of render time:
 *   viz_render_fps=<number> target=60
 * Usage: bench_viz_render [FRAMES]   (default 200)
 */
#include "bench_common.h"

#include <stdlib.h>

#include "cmd.h"
#include "render.h"

#define WIDTH_PX 1280
#define HEIGHT_PX 800

static void build_frame(viz_cmds *c, const viz_metrics *m) {
  const viz_color panel = {32, 36, 44, 255}, box = {60, 110, 170, 255}, edge = {200, 210, 230, 255},
                  text = {235, 235, 235, 255}, msg = {250, 200, 60, 255}, line = {250, 200, 60, 140};
  uint32_t seed = 12345;
  for (int p = 0; p < 4; p++) {
    float px = 10.0f + (float)p * 317.0f, py = 10.0f;
    viz_fill(c, px, py, 307, 700, panel);
    viz_rect(c, px, py, 307, 700, 1, edge);
    viz_text(c, px + 6, py + 4, VIZ_FONT_LARGE, text, "node@host", -1);
    viz_clip(c, px, py + 30, 307, 670);
    for (int i = 0; i < 500; i++) { /* 500 boxes per panel, 5 columns of 100 rows, scrolled */
      float bx = px + 4.0f + (float)(i % 5) * 60.0f, by = py + 32.0f + (float)(i / 5) * 13.0f;
      char label[16];
      snprintf(label, sizeof label, "worker%d", i);
      viz_fill(c, bx, by, 56, 12, box);
      viz_rect(c, bx, by, 56, 12, 1, edge);
      viz_text(c, bx + 2, by - 1, VIZ_FONT_SMALL, text, label, 6 + (i % 3));
    }
    viz_unclip(c);
  }
  for (int i = 0; i < 500; i++) {
    seed = seed * 1103515245u + 12345u;
    float x0 = (float)(seed >> 8 & 1023) + 20.0f, y0 = (float)(seed >> 18 & 511) + 40.0f;
    seed = seed * 1103515245u + 12345u;
    float x1 = (float)(seed >> 8 & 1023) + 20.0f, y1 = (float)(seed >> 18 & 511) + 40.0f;
    viz_line(c, x0, y0, x1, y1, 1, i % 5 == 0, line);
    viz_circle(c, (x0 + x1) * 0.5f, (y0 + y1) * 0.5f, 4, 0, msg);
  }
  viz_fill(c, 0, 730, WIDTH_PX, 70, panel);
  for (int i = 0; i < 300; i++) viz_fill(c, 10.0f + (float)i * 4.0f, 790.0f - (float)(i * 7 % 40), 3, (float)(i * 7 % 40), box);
  viz_text(c, 10, 735, VIZ_FONT_NORMAL, text, "t=1.25s  seed=42  2000 processes, 500 messages in flight", -1);
  (void)m;
}

int main(int argc, char **argv) {
  int frames = argc > 1 ? atoi(argv[1]) : 200;
  if (frames < 1) {
    fprintf(stderr, "usage: bench_viz_render [FRAMES]\n");
    return 2;
  }
  setenv("SDL_RENDER_DRIVER", "software", 1);
  viz_render *r;
  char err[512];
  if (viz_render_open_surface(&r, WIDTH_PX, HEIGHT_PX, err, sizeof err) != 0) {
    fprintf(stderr, "bench_viz_render: %s\n", err);
    return 1;
  }
  viz_cmds c;
  viz_cmds_init(&c);
  build_frame(&c, viz_render_metrics(r));
  if (c.err) {
    fprintf(stderr, "bench_viz_render: out of memory building the frame\n");
    return 1;
  }
  viz_color bg = {18, 20, 24, 255};
  viz_render_frame(r, &c, bg); /* warm the caches */
  double t0 = bench_seconds();
  for (int i = 0; i < frames; i++) viz_render_frame(r, &c, bg);
  double seconds = bench_seconds() - t0;
  printf("# viz_render frames=%d commands=%u text_bytes=%u size=%dx%d ms_per_frame=%.3f\n", frames,
         c.count, c.text_len, WIDTH_PX, HEIGHT_PX, seconds * 1000.0 / frames);
  printf("viz_render_fps=%.1f target=60\n", frames / seconds);
  if (argc > 2) {
    if (viz_render_save_png(r, argv[2], err, sizeof err) != 0) fprintf(stderr, "bench_viz_render: %s\n", err);
  }
  viz_cmds_free(&c);
  viz_render_close(r);
  return 0;
}
