/*
 * Drawing: the model at its cursor, the layout and the view state in; one frame's command list
 * (cmd.h) out. No SDL here: the renderer turns the list into pixels, and the tests read it.
 *
 * The frame, top to bottom: the title bar (scenario, seed, virtual time, verdict, speed), the
 * failed property's banner (when the run failed), the canvas with a panel per machine, the
 * legend, the timeline; the inspector on the right when a process is selected; overlays (search
 * box, hover tooltip, key help) on top. Every text command is cut to the width of the box it
 * sits in (measured with the monospaced metrics), and lies on a filled rectangle drawn before
 * it, at 640x400 as at 1920x1080.
 *
 * How the window uses it (viz/app.c), per frame:
 *     viz_model_seek_time(m, view.time_ns);              // or viz_model_seek for steps
 *     viz_draw_frame(&cmds, m, layout, &view);           // updates the layout too
 *     viz_render_frame(r, &cmds, viz_background);
 *     viz_draw_title(m, &view, title, sizeof title);     // viz_render_set_title when changed
 * and on input:
 *     mouse move  view.hover = viz_draw_hit_proc(m, layout, &view, x, y); mouse_x/y = x, y
 *     click       on the timeline (viz_draw_hit_timeline): seek to the time it returns (also
 *                 while dragging); else view.selected = viz_draw_hit_proc(...) (VIZ_NONE
 *                 deselects)
 *     drag        viz_xform_pan(&view.xf, dx, dy);  wheel / z / x: viz_xform_zoom_at
 *     0           view.xf = viz_xform_fit();  l / m / ?: toggle VIZ_VIEW_LINKS / MONITORS /
 *                 HELP;  / opens VIZ_VIEW_SEARCH and edits view.search; Esc closes the help,
 *                 then the search, then the selection.
 * The key list of the help overlay is viz_draw_keys (the window should handle exactly these).
 */
#ifndef CRASHLAB_VIZ_DRAW_H
#define CRASHLAB_VIZ_DRAW_H

#include <stddef.h>
#include <stdint.h>

#include "cmd.h"
#include "layout.h"
#include "model.h"

/* View flags (viz_view.flags). */
enum {
  VIZ_VIEW_LINKS = 1u << 0,    /* draw links as lines (key l) */
  VIZ_VIEW_MONITORS = 1u << 1, /* draw monitors as dashed arrows (key m) */
  VIZ_VIEW_HELP = 1u << 2,     /* the key-help overlay (key ?) */
  VIZ_VIEW_SEARCH = 1u << 3,   /* the search box is open and takes keys (key /) */
  VIZ_VIEW_PAUSED = 1u << 4,   /* playback is paused (shown in the title) */
  VIZ_VIEW_LIVE = 1u << 5,     /* a live run: the verdict is not known until its run_end */
  VIZ_VIEW_NO_LEGEND = 1u << 6, /* hide the legend strip */
};

/* Everything the window decides and the drawing reads. The window owns it; drawing never
 * changes it. */
typedef struct viz_view {
  float width_px, height_px;   /* the frame's size */
  const viz_metrics *metrics;  /* the renderer's (viz_render_metrics), or viz_metrics_default */
  uint64_t time_ns;            /* the time cursor (the model must be seeked there) */
  viz_xform xf;                /* zoom and pan of the canvas */
  uint32_t flags;              /* VIZ_VIEW_* */
  uint32_t selected;           /* process index shown in the inspector, or VIZ_NONE */
  uint32_t hover;              /* process index under the mouse, or VIZ_NONE */
  float mouse_x, mouse_y;      /* where the hover tooltip goes */
  double speed;                /* playback speed factor (shown in the title) */
  char search[64];             /* the search query ("" = none) */
  const char *scenario;        /* scenario name (trace header), may be NULL */
  uint64_t seed;               /* the run's seed (trace header) */
} viz_view;

/* A view of a width x height frame: fitted, links shown, nothing selected, speed 1. */
void viz_view_init(viz_view *v, float width_px, float height_px);

/* The frame's regions for a view (in frame pixels). Empty rectangles (w = 0) are not drawn:
 * the banner when the run did not fail, the inspector when nothing is selected. */
typedef struct viz_regions {
  viz_box title, banner, canvas, legend, timeline, inspector;
} viz_regions;
void viz_draw_regions(const viz_model *m, const viz_view *v, viz_regions *out);

/* The background colour of a frame (for viz_render_frame). */
extern const viz_color viz_background;

/* The palette, for tests and the documentation's legend. */
typedef struct viz_palette {
  viz_color running, waiting, supervisor, paused, crash, dead, text, text_dim, panel,
      panel_down, message, dropped, cut, flaky, link, monitor, cursor, fault, property, match,
      code;
} viz_palette;
extern const viz_palette viz_colors;

/*
 * Draws the whole frame into out (cleared first): brings the layout up to date with the model
 * (viz_layout_update for the canvas of viz_draw_regions), then emits the commands. The model's
 * cursor must be at view->time_ns (the window seeks it). Returns 0, or AC_ENOMEM (the frame is
 * incomplete: out->err or the layout could not grow).
 */
int viz_draw_frame(viz_cmds *out, const viz_model *m, viz_layout *l, const viz_view *v);

/* The window title: "crashlab - SCENARIO - seed N - t=TIME - VERDICT". snprintf semantics. */
size_t viz_draw_title(const viz_model *m, const viz_view *v, char *buf, size_t cap);

/* The process under frame point x, y (not over the timeline, the inspector or an overlay),
 * or VIZ_NONE. */
uint32_t viz_draw_hit_proc(const viz_model *m, const viz_layout *l, const viz_view *v, float x,
                           float y);

/* When x, y is on the timeline: true, with *time_ns the time under x (clamped to the trace's
 * span), for a click or a drag to seek to. */
bool viz_draw_hit_timeline(const viz_model *m, const viz_view *v, float x, float y,
                           uint64_t *time_ns);
/* The x of time t on the timeline (the cursor is drawn there). */
float viz_draw_timeline_x(const viz_model *m, const viz_view *v, uint64_t t_ns);

/* A label cut to `fit` characters in the middle, with '~' where the cut is, so both ends
 * survive: "changing_topology.lua:12" in 13 is "chan~y.lua:12" (the tail keeps the larger
 * share). A label that fits is copied whole; fit < 3 keeps the head. out gets at most
 * cap - 1 characters and a NUL; returns the length written. */
size_t viz_draw_cut_middle(const char *s, size_t fit, char *out, size_t cap);

/* The keys, as the help overlay lists them: {key, what it does}, ending with {NULL, NULL}. */
typedef struct viz_key_help {
  const char *key, *what;
} viz_key_help;
extern const viz_key_help viz_draw_keys[];

#endif
