/*
 * Drawing (draw.h): the model at its cursor and the layout, as one frame of draw commands.
 *
 * Order (painter's): background regions, panels (fill, title strip, tree edges, boxes, counts
 * when aggregated), links and monitors, network cuts, messages, crash flashes, the legend, the
 * timeline, the inspector, then overlays (search box, tooltip, key help). The canvas and each
 * panel are clipped, so nothing drawn for a panel spills into the timeline or the inspector.
 *
 * Invariant checked by the tests: every text command is cut to the width it has (text_fit) and
 * lies on a filled rectangle drawn before it. States are told apart by shape as well as colour:
 * a supervisor's box has notched corners, a process trapping exits a double border, a paused or
 * slowed one is hatched with "||" or "~", a crash flashes a thick ring with its reason.
 *
 * Fades (dead processes, crash flashes, dropped messages) last VIZ fade windows of 1/40 of the
 * trace's span, so they read the same on a 10 ms run and on a 10 minute one. Cost: O(places
 * drawn + messages in flight + edges) per frame, plus the layout's update.
 */
#include "draw.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

const viz_color viz_background = {24, 26, 31, 255};

const viz_palette viz_colors = {
    .running = {46, 140, 70, 255},
    .waiting = {44, 86, 140, 255},
    .supervisor = {112, 78, 160, 255},
    .paused = {140, 110, 36, 255},
    .crash = {214, 48, 48, 255},
    .dead = {80, 82, 88, 255},
    .text = {228, 230, 235, 255},
    .text_dim = {150, 155, 166, 255},
    .panel = {36, 39, 46, 255},
    .panel_down = {52, 52, 54, 255},
    .message = {250, 222, 110, 255},
    .dropped = {255, 90, 90, 255},
    .cut = {235, 60, 60, 255},
    .flaky = {235, 160, 40, 255},
    .link = {150, 160, 176, 255},
    .monitor = {96, 176, 210, 255},
    .cursor = {255, 255, 255, 255},
    .fault = {235, 160, 40, 255},
    .property = {225, 80, 205, 255},
    .match = {255, 230, 0, 255},
    .code = {64, 196, 184, 255},
};

static const viz_color c_bar = {32, 35, 42, 255};
static const viz_color c_border = {72, 78, 90, 255};
static const viz_color c_dark = {16, 17, 20, 255};
static const viz_color c_banner = {110, 28, 36, 255};
static const viz_color c_banner_expected = {52, 62, 84, 255}; /* a failure the scenario wanted */

const viz_key_help viz_draw_keys[] = {
    {"space", "pause / play"},
    {".  ,", "step one event forward / back"},
    {"right  left", "seek forward / back"},
    {"+  -", "faster / slower"},
    {"]  [", "next / previous fault, crash or upgrade"},
    {"Home  End", "start / end (live: follow the run at full speed)"},
    {"l", "show links"},
    {"m", "show monitors"},
    {"/", "search by name or pid"},
    {"z  x", "zoom in / out"},
    {"arrows, drag", "pan"},
    {"0", "fit the view"},
    {"click", "select a process (inspector)"},
    {"?", "this help"},
    {"Esc", "close overlay / deselect"},
    {"q", "quit"},
    {NULL, NULL},
};

void viz_view_init(viz_view *v, float width_px, float height_px) {
  memset(v, 0, sizeof *v);
  v->width_px = width_px;
  v->height_px = height_px;
  v->metrics = &viz_metrics_default;
  v->xf = viz_xform_fit();
  v->flags = VIZ_VIEW_LINKS;
  v->selected = VIZ_NONE;
  v->hover = VIZ_NONE;
  v->speed = 1.0;
}

/* ---- Small helpers -------------------------------------------------------------------------- */

static viz_color fade(viz_color c, float k) {
  if (k < 0.0f) k = 0.0f;
  if (k > 1.0f) k = 1.0f;
  c.a = (uint8_t)((float)c.a * k);
  return c;
}

/* Draws s at x, y cut to max_w pixels (a cut string ends in '~'); nothing if not one character
 * fits. Returns the width drawn. */
static float text_fit(viz_cmds *c, const viz_metrics *mt, float x, float y, float max_w,
                      viz_font_size size, viz_color col, const char *s) {
  float adv = mt->advance[size];
  int fit = max_w > 0.0f ? (int)floorf(max_w / adv + 1e-3f) : 0;
  int n = (int)strlen(s);
  if (fit <= 0 || n == 0) return 0.0f;
  if (n <= fit) {
    viz_text(c, x, y, size, col, s, n);
    return viz_text_width(mt, size, n);
  }
  char buf[512];
  if (fit > (int)sizeof buf - 1) fit = (int)sizeof buf - 1;
  memcpy(buf, s, (size_t)fit);
  if (fit >= 3) buf[fit - 1] = '~';
  viz_text(c, x, y, size, col, buf, fit);
  return viz_text_width(mt, size, fit);
}

size_t viz_draw_cut_middle(const char *s, size_t fit, char *out, size_t cap) {
  size_t n = strlen(s);
  if (!cap) return 0;
  if (fit >= cap) fit = cap - 1;
  if (n <= fit) {
    memcpy(out, s, n + 1);
    return n;
  }
  if (fit < 3) { /* no room for both ends: the head alone */
    memcpy(out, s, fit);
    out[fit] = '\0';
    return fit;
  }
  /* The tail gets the larger share: "FILE:LINE" and "worker12" differ at their ends. */
  size_t tail = ((fit - 1) * 3 + 4) / 5, head = fit - 1 - tail;
  memcpy(out, s, head);
  out[head] = '~';
  memcpy(out + head + 1, s + n - tail, tail);
  out[fit] = '\0';
  return fit;
}

/* Draws s at x, y in max_w pixels, cut in the middle when it is longer; returns the width. */
static float text_mid(viz_cmds *c, const viz_metrics *mt, float x, float y, float max_w,
                      viz_font_size size, viz_color col, const char *s) {
  int fit = max_w > 0.0f ? (int)floorf(max_w / mt->advance[size] + 1e-3f) : 0;
  if (fit <= 0 || !s[0]) return 0.0f;
  char buf[256];
  size_t n = viz_draw_cut_middle(s, (size_t)fit, buf, sizeof buf);
  viz_text(c, x, y, size, col, buf, (int)n);
  return viz_text_width(mt, size, (int)n);
}

/* A line of text on its own filled background, cut to max_w; returns the box width. */
static float label_box(viz_cmds *c, const viz_metrics *mt, float x, float y, float max_w,
                       viz_font_size size, viz_color bg, viz_color fg, const char *s) {
  float adv = mt->advance[size], pad = 3.0f;
  int n = (int)strlen(s), fit = (int)floorf((max_w - 2 * pad) / adv + 1e-3f);
  if (fit <= 0 || n == 0) return 0.0f;
  float w = (float)(n < fit ? n : fit) * adv + 2 * pad;
  viz_fill(c, x, y, w, mt->line_height[size], bg);
  text_fit(c, mt, x + pad, y, w - 2 * pad, size, fg, s);
  return w;
}

static void pid_text(uint64_t bits, char *buf, size_t cap) {
  ac_pid p = {bits};
  snprintf(buf, cap, "<%u.%u.%u>", ac_pid_node(p), ac_pid_slot(p), ac_pid_gen(p));
}

static uint64_t span_t0(const viz_model *m) { return viz_model_first_ns(m); }
static uint64_t span_t1(const viz_model *m) {
  uint64_t t0 = viz_model_first_ns(m), t1 = viz_model_last_ns(m);
  return t1 > t0 ? t1 : t0 + 1;
}
/* The window over which marks fade: 1/40 of the trace's span. */
static uint64_t fade_ns(const viz_model *m) { return viz_model_fade_ns(m); }

static float cx_of(viz_box r) { return r.x + r.w / 2.0f; }
static float cy_of(viz_box r) { return r.y + r.h / 2.0f; }

static viz_box intersect(viz_box a, viz_box b) {
  float x0 = fmaxf(a.x, b.x), y0 = fmaxf(a.y, b.y);
  float x1 = fminf(a.x + a.w, b.x + b.w), y1 = fminf(a.y + a.h, b.y + b.h);
  return (viz_box){x0, y0, x1 > x0 ? x1 - x0 : 0.0f, y1 > y0 ? y1 - y0 : 0.0f};
}

/* ---- Regions, title ------------------------------------------------------------------------- */

static uint32_t failed_property(const viz_model *m) {
  uint32_t n;
  const uint32_t *marks = viz_model_marks(m, VIZ_MARK_PROPERTY, &n);
  return n ? marks[0] : VIZ_NONE;
}

void viz_draw_regions(const viz_model *m, const viz_view *v, viz_regions *out) {
  const viz_metrics *mt = v->metrics;
  float W = v->width_px, H = v->height_px, y = 0.0f;
  memset(out, 0, sizeof *out);
  viz_font_size ts = W >= 1000.0f ? VIZ_FONT_LARGE : VIZ_FONT_NORMAL;
  out->title = (viz_box){0, 0, W, mt->line_height[ts] + 8.0f};
  y = out->title.h;
  if (failed_property(m) != VIZ_NONE) {
    out->banner = (viz_box){0, y, W, mt->line_height[VIZ_FONT_NORMAL] + 6.0f};
    y += out->banner.h;
  }
  float tl_h = H >= 600.0f ? 72.0f : 54.0f;
  out->timeline = (viz_box){0, H - tl_h, W, tl_h};
  float bottom = out->timeline.y;
  if (!(v->flags & VIZ_VIEW_NO_LEGEND)) {
    float lh = mt->line_height[VIZ_FONT_SMALL] + 6.0f;
    out->legend = (viz_box){0, bottom - lh, W, lh};
    bottom -= lh;
  }
  float cw = W;
  if (v->selected != VIZ_NONE) {
    float iw = W * 0.3f;
    if (iw < 220.0f) iw = W < 500.0f ? W * 0.45f : 220.0f;
    if (iw > 360.0f) iw = 360.0f;
    out->inspector = (viz_box){W - iw, y, iw, bottom - y};
    cw = W - iw;
  }
  out->canvas = (viz_box){0, y, cw, bottom - y > 1.0f ? bottom - y : 1.0f};
}

/* A run that passed although a property failed: the scenario expected the failure. */
static bool expected_failure(const viz_model *m) {
  uint32_t n;
  const uint32_t *ends = viz_model_marks(m, VIZ_MARK_RUN_END, &n);
  return n && viz_model_event(m, ends[n - 1])->a == 0 && failed_property(m) != VIZ_NONE;
}

static const char *verdict(const viz_model *m, const viz_view *v) {
  uint32_t n;
  const uint32_t *ends = viz_model_marks(m, VIZ_MARK_RUN_END, &n);
  if (n) {
    const viz_event *e = viz_model_event(m, ends[n - 1]);
    if (e->a == 0 && expected_failure(m)) return "PASS (expected failure)";
    return e->a == 0 ? "PASS" : e->a == 1 ? "FAIL" : "ERROR";
  }
  if (failed_property(m) != VIZ_NONE) return "FAIL";
  return (v->flags & VIZ_VIEW_LIVE) ? "running" : "no verdict";
}

size_t viz_draw_title(const viz_model *m, const viz_view *v, char *buf, size_t cap) {
  char t[64];
  sim_format_duration(v->time_ns, t, sizeof t);
  int n = snprintf(buf, cap, "crashlab - %s - seed %llu - t=%s - %s",
                   v->scenario && v->scenario[0] ? v->scenario : "trace",
                   (unsigned long long)v->seed, t, verdict(m, v));
  return n < 0 ? 0 : (size_t)n;
}

static void draw_title(viz_cmds *c, const viz_model *m, const viz_view *v, const viz_regions *g) {
  const viz_metrics *mt = v->metrics;
  viz_font_size ts = v->width_px >= 1000.0f ? VIZ_FONT_LARGE : VIZ_FONT_NORMAL;
  viz_fill(c, g->title.x, g->title.y, g->title.w, g->title.h, c_bar);
  char line[512], t[64], speed[48];
  sim_format_duration(v->time_ns, t, sizeof t);
  snprintf(speed, sizeof speed, "%s%gx", (v->flags & VIZ_VIEW_PAUSED) ? "paused " : "", v->speed);
  const char *vd = verdict(m, v);
  snprintf(line, sizeof line, "%s  seed %llu  t=%s", v->scenario && v->scenario[0] ? v->scenario : "trace",
           (unsigned long long)v->seed, t);
  /* The verdict and the speed on the right, the rest cut to the room left. */
  float vw = viz_text_width(mt, ts, (int)strlen(vd)) + 16.0f;
  float sw = viz_text_width(mt, VIZ_FONT_SMALL, (int)strlen(speed)) + 12.0f;
  float right = g->title.w - 8.0f;
  viz_color vc = strncmp(vd, "PASS", 4) == 0 ? viz_colors.running
                 : strcmp(vd, "running") == 0 || strcmp(vd, "no verdict") == 0 ? c_border
                                                                               : viz_colors.crash;
  if (vw + sw + 40.0f < g->title.w) {
    viz_fill(c, right - vw, g->title.y + 3.0f, vw, g->title.h - 6.0f, vc);
    text_fit(c, mt, right - vw + 8.0f, g->title.y + 4.0f, vw - 16.0f, ts, viz_colors.text, vd);
    right -= vw + 8.0f;
    text_fit(c, mt, right - sw + 6.0f, g->title.y + (g->title.h - mt->line_height[0]) / 2.0f,
             sw - 12.0f, VIZ_FONT_SMALL, viz_colors.text_dim, speed);
    right -= sw;
  }
  text_fit(c, mt, 8.0f, g->title.y + 4.0f, right - 16.0f, ts, viz_colors.text, line);
}

static void draw_banner(viz_cmds *c, const viz_model *m, const viz_view *v, const viz_regions *g) {
  uint32_t ev = failed_property(m);
  if (ev == VIZ_NONE || g->banner.w <= 0.0f) return;
  char name[128], msg[256], line[480];
  viz_model_property_text(m, ev, name, sizeof name, msg, sizeof msg);
  const viz_event *e = viz_model_event(m, ev);
  char t[64];
  sim_format_duration(e->time_ns, t, sizeof t);
  bool expected = expected_failure(m);
  /* The runner's messages name the property already ("property 'NAME' (at_end) is false"):
   * then the message says it, once; another message follows the name. */
  char quoted[140];
  snprintf(quoted, sizeof quoted, "property '%s'", name);
  if (strncmp(msg, quoted, strlen(quoted)) == 0)
    snprintf(line, sizeof line, "%sfailed at %.40s: %.300s", expected ? "expected: " : "", t, msg);
  else
    snprintf(line, sizeof line, "%sfailed at %.40s: property '%.100s': %.250s",
             expected ? "expected: " : "", t, name, msg);
  viz_fill(c, g->banner.x, g->banner.y, g->banner.w, g->banner.h,
           expected ? c_banner_expected : c_banner);
  text_fit(c, v->metrics, 8.0f, g->banner.y + 3.0f, g->banner.w - 16.0f, VIZ_FONT_NORMAL,
           viz_colors.text, line);
}

/* ---- Panels and boxes ------------------------------------------------------------------------ */

typedef struct frame {
  viz_cmds *c;
  const viz_model *m;
  viz_layout *l;
  const viz_view *v;
  const viz_metrics *mt;
  viz_regions g;
  uint64_t t_ns, fade_ns;
  uint32_t nprocs;
  uint32_t *matches; /* sorted process indices matching the search */
  uint32_t nmatches;
  uint8_t *linked_up; /* [nprocs]: 1 when a process is linked to its parent in the tree */
} frame;

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

static bool is_match(const frame *f, uint32_t proc) {
  return f->nmatches &&
         bsearch(&proc, f->matches, f->nmatches, sizeof *f->matches, cmp_u32) != NULL;
}

/* The latest node on a machine at the cursor, or NULL. */
static const viz_node *machine_node(const viz_model *m, uint32_t machine) {
  const viz_node *best = NULL;
  for (uint32_t i = 0, n = viz_model_node_count(m); i < n; i++) {
    const viz_node *nd = viz_model_node(m, i);
    if (nd && nd->machine == machine && (!best || nd->index > best->index)) best = nd;
  }
  return best;
}

/* Diagonal hatching inside a box (paused, slowed), clipped to the box within the panel clip. */
static void hatch(frame *f, viz_box b, viz_box clip, viz_color col) {
  viz_box r = intersect(b, clip);
  if (r.w <= 0.0f || r.h <= 0.0f) return;
  viz_clip(f->c, r.x, r.y, r.w, r.h);
  for (float x = b.x - b.h; x < b.x + b.w; x += 6.0f)
    viz_line(f->c, x, b.y + b.h, x + b.h, b.y, 1, 0, col);
  viz_clip(f->c, clip.x, clip.y, clip.w, clip.h);
}

static void draw_box(frame *f, uint32_t proc, viz_box b, viz_box clip, viz_color panel_bg) {
  const viz_model *m = f->m;
  const viz_proc *p = viz_model_proc(m, proc);
  uint32_t flags = viz_model_proc_flags(m, proc);
  uint64_t dead_ns = 0;
  bool dead = viz_model_proc_dead(m, proc, &dead_ns);
  float k = 1.0f;
  viz_color fill = viz_colors.waiting;
  if (dead) {
    uint64_t age = f->t_ns > dead_ns ? f->t_ns - dead_ns : 0;
    k = 1.0f - (float)age / (float)f->fade_ns;
    if (k <= 0.05f) return; /* faded out: its place stays empty */
    bool crashed = p->exit_abnormal && p->exit_event != VIZ_NONE && !(flags & VIZ_PROC_NODE_DOWN);
    fill = crashed ? viz_colors.crash : viz_colors.dead;
  } else if (p->is_supervisor) {
    fill = viz_colors.supervisor;
  } else if (flags & VIZ_PROC_PAUSED) {
    fill = viz_colors.paused;
  } else if (flags & VIZ_PROC_RUNNING) {
    fill = viz_colors.running;
  }
  viz_fill(f->c, b.x, b.y, b.w, b.h, fade(fill, k));
  float notch = fminf(5.0f, fminf(b.w, b.h) / 4.0f);
  if (p->is_supervisor && notch >= 1.0f) { /* notched corners: a supervisor's shape */
    viz_fill(f->c, b.x, b.y, notch, notch, panel_bg);
    viz_fill(f->c, b.x + b.w - notch, b.y, notch, notch, panel_bg);
    viz_fill(f->c, b.x, b.y + b.h - notch, notch, notch, panel_bg);
    viz_fill(f->c, b.x + b.w - notch, b.y + b.h - notch, notch, notch, panel_bg);
  }
  if (!dead && (flags & VIZ_PROC_RUNNING) && p->is_supervisor)
    viz_rect(f->c, b.x, b.y, b.w, b.h, 2, viz_colors.running); /* a running supervisor */
  if (!dead && (flags & VIZ_PROC_TRAP)) { /* trapping exits: a double border, the second one
                                              outside the box so that it never crosses the label */
    viz_rect(f->c, b.x, b.y, b.w, b.h, 1, viz_colors.text);
    if (b.w > 8.0f && b.h > 8.0f) viz_rect(f->c, b.x - 3, b.y - 3, b.w + 6, b.h + 6, 1, viz_colors.text);
  }
  const char *icon = NULL;
  if (!dead && (flags & (VIZ_PROC_PAUSED | VIZ_PROC_SLOWED))) {
    hatch(f, b, clip, (viz_color){255, 255, 255, 70});
    icon = (flags & VIZ_PROC_PAUSED) ? "||" : "~";
  } else if (!dead && (flags & VIZ_PROC_SUSPENDED)) {
    icon = "zz"; /* suspended for an upgrade: it only queues messages */
  }
  if (is_match(f, proc)) viz_rect(f->c, b.x - 5, b.y - 5, b.w + 10, b.h + 10, 2, viz_colors.match);
  if (proc == f->v->selected) viz_rect(f->c, b.x - 7, b.y - 7, b.w + 14, b.h + 14, 2, viz_colors.cursor);
  /* Inside: the restart badge and the icon on the right, the label in what is left. */
  const viz_metrics *mt = f->mt;
  float lh = mt->line_height[VIZ_FONT_SMALL];
  if (b.h < lh) return;
  float ty = b.y + (b.h - lh) / 2.0f, right = b.x + b.w - 3.0f;
  viz_restart_info ri;
  if (!dead && p->child_slot != VIZ_NONE && viz_model_restart_info(m, proc, &ri) == 0 && ri.restarts) {
    char badge[16];
    snprintf(badge, sizeof badge, "%u", ri.restarts > 99 ? 99u : ri.restarts);
    float bw = viz_text_width(mt, VIZ_FONT_SMALL, (int)strlen(badge)) + 4.0f;
    if (bw + 8.0f < b.w) {
      viz_fill(f->c, right - bw, ty, bw, lh, viz_colors.fault);
      text_fit(f->c, mt, right - bw + 2.0f, ty, bw - 4.0f, VIZ_FONT_SMALL, c_dark, badge);
      right -= bw + 2.0f;
    }
  }
  /* The module version it runs, on the code colour: "v2". */
  char code[VIZ_NAME_MAX + 16];
  const viz_proc_state *ps = viz_model_proc_state(m, proc);
  if (!dead && viz_model_proc_code(m, proc, code, sizeof code) && ps) {
    char badge[16];
    snprintf(badge, sizeof badge, "v%u", ps->version);
    float bw = viz_text_width(mt, VIZ_FONT_SMALL, (int)strlen(badge)) + 4.0f;
    if (bw + 8.0f < right - b.x) {
      viz_fill(f->c, right - bw, ty, bw, lh, viz_colors.code);
      text_fit(f->c, mt, right - bw + 2.0f, ty, bw - 4.0f, VIZ_FONT_SMALL, c_dark, badge);
      right -= bw + 2.0f;
    }
  }
  if (icon) {
    float iw = viz_text_width(mt, VIZ_FONT_SMALL, (int)strlen(icon));
    if (iw + 8.0f < right - b.x) {
      text_fit(f->c, mt, right - iw, ty, iw, VIZ_FONT_SMALL, fade(viz_colors.text, k), icon);
      right -= iw + 2.0f;
    }
  }
  char label[VIZ_NAME_MAX + 8];
  size_t n = viz_model_proc_display(m, proc, label, sizeof label);
  /* The normal font when the box is tall enough and the whole label fits in it; else the
   * small one, cut in the middle so that both ends (a FILE:LINE's line, a worker's number)
   * survive. */
  viz_font_size ls = VIZ_FONT_SMALL;
  float room = right - b.x - 3.0f;
  if (b.h >= mt->line_height[VIZ_FONT_NORMAL] + 4.0f &&
      viz_text_width(mt, VIZ_FONT_NORMAL, (int)n) <= room)
    ls = VIZ_FONT_NORMAL;
  text_mid(f->c, mt, b.x + 3.0f, b.y + (b.h - mt->line_height[ls]) / 2.0f, room, ls,
           fade(viz_colors.text, k), label);
}

/* Counts instead of boxes: the node's processes, then its supervisors' subtrees. */
/* Text on a patch of the panel's colour, so traffic edges drawn under it never cross it. */
static void backed_text(frame *f, float x, float y, float max_w, viz_font_size size,
                        viz_color color, const char *s) {
  float tw = viz_text_width(f->mt, size, (int)strlen(s));
  viz_fill(f->c, x - 2.0f, y, fminf(tw, max_w) + 4.0f, f->mt->line_height[size], viz_colors.panel);
  text_fit(f->c, f->mt, x, y, max_w, size, color, s);
}

static void draw_counts(frame *f, uint32_t pi, viz_box body, const uint32_t *sizes,
                        const uint32_t *per_node, uint32_t nnodes) {
  const viz_metrics *mt = f->mt;
  uint32_t machine = viz_layout_panel_machine(f->l, pi), alive = 0;
  for (uint32_t i = 0; i < nnodes; i++) {
    const viz_node *nd = viz_model_node(f->m, i);
    if (nd && nd->machine == machine) alive += per_node[i];
  }
  char line[160];
  float x = body.x + 6.0f, y = body.y + 4.0f, w = body.w - 12.0f;
  viz_font_size big = body.h > 80.0f && body.w > 220.0f ? VIZ_FONT_LARGE : VIZ_FONT_NORMAL;
  snprintf(line, sizeof line, "%u processes", alive);
  if (y + mt->line_height[big] <= body.y + body.h)
    backed_text(f, x, y, w, big, viz_colors.text, line);
  y += mt->line_height[big] + 2.0f;
  /* How they are: one bar split by state, in the states' colours, with the counts under it,
   * so a storm of crashes or a pause shows without the boxes. */
  uint32_t n_run = 0, n_wait = 0, n_paused = 0, n_crash = 0;
  uint64_t window = f->fade_ns;
  for (uint32_t i = 0; i < f->nprocs; i++) {
    const viz_proc *p = viz_model_proc(f->m, i);
    const viz_node *pn = p ? viz_model_node(f->m, p->node) : NULL;
    if (!pn || pn->machine != machine) continue;
    uint32_t fl = viz_model_proc_flags(f->m, i);
    uint64_t died;
    if (fl & VIZ_PROC_ALIVE) {
      if (fl & (VIZ_PROC_PAUSED | VIZ_PROC_SLOWED)) n_paused++;
      else if (fl & VIZ_PROC_RUNNING) n_run++;
      else n_wait++;
    } else if (p->exit_abnormal && viz_model_proc_dead(f->m, i, &died) &&
               died + window >= viz_model_time(f->m)) {
      n_crash++;
    }
  }
  uint32_t total = n_run + n_wait + n_paused + n_crash;
  float bar_h = 8.0f;
  if (total && y + bar_h + mt->line_height[VIZ_FONT_SMALL] <= body.y + body.h) {
    const uint32_t counts[4] = {n_run, n_wait, n_paused, n_crash};
    const viz_color colors[4] = {viz_colors.running, viz_colors.waiting, viz_colors.paused,
                                 viz_colors.crash};
    float bx = x;
    for (int k = 0; k < 4; k++) {
      float bw = w * (float)counts[k] / (float)total;
      if (counts[k] && bw < 2.0f) bw = 2.0f; /* a few among thousands still show */
      if (bx + bw > x + w) bw = x + w - bx;
      if (bw > 0.0f) viz_fill(f->c, bx, y, bw, bar_h, colors[k]);
      bx += bw;
    }
    y += bar_h + 2.0f;
    snprintf(line, sizeof line, "%u running  %u waiting  %u paused or slowed  %u crashed lately",
             n_run, n_wait, n_paused, n_crash);
    backed_text(f, x, y, w, VIZ_FONT_SMALL, viz_colors.text_dim, line);
    y += mt->line_height[VIZ_FONT_SMALL] + 4.0f;
  }
  for (uint32_t i = 0; sizes && i < f->nprocs; i++) {
    if (y + mt->line_height[VIZ_FONT_SMALL] > body.y + body.h) break;
    const viz_proc *p = viz_model_proc(f->m, i);
    const viz_node *nd = viz_model_node(f->m, p->node);
    if (!p->is_supervisor || !sizes[i] || !nd || nd->machine != machine) continue;
    char name[VIZ_NAME_MAX + 8];
    viz_model_proc_display(f->m, i, name, sizeof name);
    snprintf(line, sizeof line, "%s: %u", name, sizes[i] - 1);
    backed_text(f, x + 8.0f, y, w - 8.0f, VIZ_FONT_SMALL, viz_colors.text_dim, line);
    y += mt->line_height[VIZ_FONT_SMALL];
  }
}

/* An aggregated panel's counts, drawn over the traffic edges so the edges never hide them. */
static void draw_panel_counts(frame *f, uint32_t pi, const uint32_t *sizes,
                              const uint32_t *per_node, uint32_t nnodes) {
  if (!viz_layout_panel_aggregated(f->l, pi, &f->v->xf)) return;
  viz_box r = viz_xform_rect(&f->v->xf, viz_layout_panel_rect(f->l, pi));
  viz_box clip = intersect(r, f->g.canvas);
  if (clip.w <= 0.0f || clip.h <= 0.0f) return;
  viz_box body = viz_xform_rect(&f->v->xf, viz_layout_panel_content(f->l, pi));
  viz_clip(f->c, clip.x, clip.y, clip.w, clip.h);
  draw_counts(f, pi, body, sizes, per_node, nnodes);
  viz_clip(f->c, f->g.canvas.x, f->g.canvas.y, f->g.canvas.w, f->g.canvas.h);
}

static void draw_panel(frame *f, uint32_t pi) {
  const viz_metrics *mt = f->mt;
  viz_box r = viz_xform_rect(&f->v->xf, viz_layout_panel_rect(f->l, pi));
  viz_box clip = intersect(r, f->g.canvas);
  if (clip.w <= 0.0f || clip.h <= 0.0f) return;
  uint32_t machine = viz_layout_panel_machine(f->l, pi);
  const viz_node *nd = machine_node(f->m, machine);
  bool up = nd && viz_model_node_up(f->m, nd->index);
  viz_color bg = up ? viz_colors.panel : viz_colors.panel_down;
  viz_clip(f->c, clip.x, clip.y, clip.w, clip.h);
  viz_fill(f->c, r.x, r.y, r.w, r.h, bg);
  viz_rect(f->c, r.x, r.y, r.w, r.h, 1, c_border);
  /* The title strip: name, then "crashed" or the incarnation. */
  float head_h = VIZ_PANEL_HEAD_H * f->v->xf.zoom;
  viz_font_size hs = head_h >= mt->line_height[VIZ_FONT_NORMAL] ? VIZ_FONT_NORMAL : VIZ_FONT_SMALL;
  if (head_h >= mt->line_height[hs]) {
    char head[160];
    const char *state = !nd ? "" : !up ? "  crashed" : "";
    char inc[32] = "";
    if (nd && nd->incarnation > 0 && up) snprintf(inc, sizeof inc, "  incarnation %u", nd->incarnation + 1);
    snprintf(head, sizeof head, "%s%s%s", nd ? nd->name : "?", state, inc);
    viz_fill(f->c, r.x + 1, r.y + 1, r.w - 2, head_h - 1, up ? c_bar : viz_colors.panel_down);
    text_fit(f->c, mt, r.x + 6.0f, r.y + (head_h - mt->line_height[hs]) / 2.0f, r.w - 12.0f, hs,
             up ? viz_colors.text : viz_colors.text_dim, head);
  }
  if (viz_layout_panel_aggregated(f->l, pi, &f->v->xf)) {
    viz_unclip(f->c); /* its counts come after the traffic edges (draw_panel_counts) */
    return;
  }
  /* Tree edges under the boxes, then the boxes. An edge is an elbow (down from the parent,
   * along a bus half-way, down to the child), solid when the two are linked (a supervisor and
   * its child always are: the link is drawn as this edge, not again), dashed when not. Rows
   * of a wrapped pool below the first have no edge of their own: they hang under the first. */
  uint32_t cur = 0, proc, parent;
  viz_box w;
  float row_gap = (VIZ_GAP_Y + VIZ_BOX_H / 2.0f) * viz_layout_panel_scale(f->l, pi) * f->v->xf.zoom;
  while (viz_layout_panel_next(f->l, pi, &cur, &proc, &w, &parent)) {
    if (parent == VIZ_NONE || proc >= f->nprocs || parent >= f->nprocs) continue;
    viz_box a, b = viz_xform_rect(&f->v->xf, w);
    if (!viz_layout_proc_rect(f->l, parent, &a)) continue;
    a = viz_xform_rect(&f->v->xf, a);
    float top = a.y + a.h;
    if (b.y - top > row_gap || b.y < top) continue;
    if (fmaxf(cx_of(a), cx_of(b)) < clip.x || fminf(cx_of(a), cx_of(b)) > clip.x + clip.w) continue;
    bool linked = f->linked_up && f->linked_up[proc];
    viz_color col = linked ? fade(viz_colors.link, 0.75f) : c_border;
    float bus = top + (b.y - top) / 2.0f;
    viz_line(f->c, cx_of(a), top, cx_of(a), bus, 1, 0, col);
    viz_line(f->c, cx_of(a), bus, cx_of(b), bus, 1, !linked, col);
    viz_line(f->c, cx_of(b), bus, cx_of(b), b.y, 1, !linked, col);
  }
  cur = 0;
  while (viz_layout_panel_next(f->l, pi, &cur, &proc, &w, &parent)) {
    if (proc >= f->nprocs) continue; /* not spawned yet at the cursor */
    viz_box b = viz_xform_rect(&f->v->xf, w);
    if (b.x > clip.x + clip.w || b.y > clip.y + clip.h || b.x + b.w < clip.x || b.y + b.h < clip.y)
      continue;
    draw_box(f, proc, b, clip, bg);
  }
  viz_unclip(f->c);
}

/* ---- Lines between boxes and panels ---------------------------------------------------------- */

/* A process's box on screen, when it is drawn as a box (its panel not aggregated). */
static bool screen_box(const frame *f, uint32_t proc, viz_box *out) {
  if (proc == VIZ_NONE || proc >= f->nprocs) return false;
  int pi = viz_layout_proc_panel(f->l, proc);
  if (pi < 0 || viz_layout_panel_aggregated(f->l, (uint32_t)pi, &f->v->xf)) return false;
  viz_box w;
  if (!viz_layout_proc_rect(f->l, proc, &w)) return false;
  *out = viz_xform_rect(&f->v->xf, w);
  return true;
}

static bool panel_centre(const frame *f, uint32_t machine, float *x, float *y) {
  int pi = viz_layout_panel_of_machine(f->l, machine);
  if (pi < 0) return false;
  viz_box r = viz_xform_rect(&f->v->xf, viz_layout_panel_rect(f->l, (uint32_t)pi));
  *x = cx_of(r);
  *y = cy_of(r);
  return true;
}

/* A curve from x0, y0 to x1, y1 bowed by `bow` pixels to its left (a quadratic Bezier in a
 * few segments). */
static void curve(viz_cmds *c, float x0, float y0, float x1, float y1, float bow, int dashed,
                  viz_color col) {
  float dx = x1 - x0, dy = y1 - y0, len = sqrtf(dx * dx + dy * dy);
  if (len < 1.0f) return;
  float qx = (x0 + x1) / 2.0f + dy / len * bow, qy = (y0 + y1) / 2.0f - dx / len * bow;
  enum { SEGMENTS = 8 };
  float px = x0, py = y0;
  for (int i = 1; i <= SEGMENTS; i++) {
    float t = (float)i / SEGMENTS, u = 1.0f - t;
    float x = u * u * x0 + 2 * u * t * qx + t * t * x1, y = u * u * y0 + 2 * u * t * qy + t * t * y1;
    viz_line(c, px, py, x, y, 1, dashed, col);
    px = x;
    py = y;
  }
}

/* True when a link joins a process and its parent in the layout's tree (drawn as the edge). */
static bool tree_link(const frame *f, const viz_edge *e, uint32_t *child) {
  if (viz_layout_proc_parent(f->l, e->from) == e->to) return *child = e->from, true;
  if (viz_layout_proc_parent(f->l, e->to) == e->from) return *child = e->to, true;
  return false;
}

/* Links that are not tree edges, and monitors: curves between the boxes' edges (top to top
 * for boxes side by side, bottom to top otherwise), so they leave the labels readable. */
static void draw_edges(frame *f) {
  uint32_t n;
  const viz_edge *e = viz_model_edges(f->m, &n);
  viz_box cv = f->g.canvas;
  for (uint32_t i = 0; i < n; i++) {
    bool link = e[i].kind == VIZ_EDGE_LINK;
    if (!(f->v->flags & (link ? VIZ_VIEW_LINKS : VIZ_VIEW_MONITORS))) continue;
    uint32_t child;
    if (link && tree_link(f, &e[i], &child)) continue;
    viz_box a, b;
    if (!screen_box(f, e[i].from, &a) || !screen_box(f, e[i].to, &b)) continue;
    if (fmaxf(a.x + a.w, b.x + b.w) < cv.x || fminf(a.x, b.x) > cv.x + cv.w ||
        fmaxf(a.y + a.h, b.y + b.h) < cv.y || fminf(a.y, b.y) > cv.y + cv.h)
      continue;
    float x0 = cx_of(a), x1 = cx_of(b), y0, y1, bow;
    if (fabsf(a.y - b.y) < a.h) { /* side by side: over the top */
      y0 = a.y;
      y1 = b.y;
      bow = fminf(fabsf(x1 - x0) * 0.25f, 60.0f) * (x1 > x0 ? 1.0f : -1.0f);
    } else {
      const viz_box *up = a.y < b.y ? &a : &b, *down = a.y < b.y ? &b : &a;
      y0 = up == &a ? a.y + a.h : a.y;
      y1 = down == &b ? b.y : b.y + b.h;
      bow = fminf(fabsf(y1 - y0) * 0.2f, 40.0f);
    }
    viz_color col = link ? fade(viz_colors.link, 0.8f) : viz_colors.monitor;
    curve(f->c, x0, y0, x1, y1, bow, !link, col);
    if (!link) viz_circle(f->c, x1, y1, 3.0f, 0, viz_colors.monitor); /* the watched end */
  }
}

/* The network's marks between two panels (draw_network). */
#define NET_STUB_MAX 96.0f   /* the longest reach of a line into a panel, px */
#define NET_STUB_MIN 10.0f   /* the shortest, when a box sits near the edge */
#define NET_BAND 16.0f       /* half the width of the band the mark takes across its line */
#define NET_BOX_CLEAR 9.0f   /* room kept to a box (its trap border and outlines included) */

/* A process box of panel pi, on screen, that overlaps r, or false. */
static bool box_in(const frame *f, uint32_t pi, viz_box r) {
  uint32_t cur = 0, proc, parent;
  viz_box w;
  while (viz_layout_panel_next(f->l, pi, &cur, &proc, &w, &parent)) {
    if (proc >= f->nprocs) continue;
    viz_box b = viz_xform_rect(&f->v->xf, w);
    if (b.x < r.x + r.w && r.x < b.x + b.w && b.y < r.y + r.h && r.y < b.y + b.h) return true;
  }
  return false;
}

/* How far a line to another panel reaches into panel pi (on screen r) through its edge `side`
 * (0 left, 1 right, 2 top, 3 bottom) at `at` (the line's y for a left or right edge, else its
 * x): a quarter of the panel's depth that way, at most NET_STUB_MAX, and short of every process
 * box in the line's band, so that the mark never crosses a box. */
static float stub_len(const frame *f, uint32_t pi, viz_box r, int side, float at) {
  bool across_x = side < 2;
  float len = fminf(NET_STUB_MAX, 0.25f * (across_x ? r.w : r.h));
  uint32_t cur = 0, proc, parent;
  viz_box w;
  while (viz_layout_panel_next(f->l, pi, &cur, &proc, &w, &parent)) {
    if (proc >= f->nprocs) continue;
    viz_box b = viz_xform_rect(&f->v->xf, w);
    bool in_band = across_x ? b.y < at + NET_BAND && at - NET_BAND < b.y + b.h
                            : b.x < at + NET_BAND && at - NET_BAND < b.x + b.w;
    if (!in_band) continue;
    float room = side == 0 ? b.x - r.x : side == 1 ? r.x + r.w - (b.x + b.w)
               : side == 2 ? b.y - r.y : r.y + r.h - (b.y + b.h);
    len = fminf(len, room - NET_BOX_CLEAR);
  }
  return fmaxf(len, NET_STUB_MIN);
}

/* Where a line between two panels runs: from inside the edge of a that faces b to inside the
 * edge of b that faces a (stub_len into each), at the middle of what the two edges share (else
 * at each panel's middle); (*mx, *my) is on the border, or the gutter, between them. It crosses
 * the border and not the process boxes of either panel. False when a machine has no panel. */
static bool facing_points(const frame *f, uint32_t ma, uint32_t mb, float *x0, float *y0, float *x1,
                          float *y1, float *mx, float *my) {
  int pa = viz_layout_panel_of_machine(f->l, ma), pb = viz_layout_panel_of_machine(f->l, mb);
  if (pa < 0 || pb < 0) return false;
  viz_box a = viz_xform_rect(&f->v->xf, viz_layout_panel_rect(f->l, (uint32_t)pa));
  viz_box b = viz_xform_rect(&f->v->xf, viz_layout_panel_rect(f->l, (uint32_t)pb));
  const float in = 2.0f * NET_STUB_MIN; /* an edge shared over less than this is not shared */
  float gap_x = fmaxf(b.x - (a.x + a.w), a.x - (b.x + b.w));
  float gap_y = fmaxf(b.y - (a.y + a.h), a.y - (b.y + b.h));
  if (gap_x >= gap_y) { /* side by side: left and right edges */
    float top = fmaxf(a.y, b.y), bottom = fminf(a.y + a.h, b.y + b.h);
    bool shared = bottom - top > 2.0f * in;
    *y0 = shared ? (top + bottom) / 2.0f : cy_of(a);
    *y1 = shared ? *y0 : cy_of(b);
    bool b_right = cx_of(b) >= cx_of(a);
    float ea = b_right ? a.x + a.w : a.x, eb = b_right ? b.x : b.x + b.w;
    float la = stub_len(f, (uint32_t)pa, a, b_right ? 1 : 0, *y0);
    float lb = stub_len(f, (uint32_t)pb, b, b_right ? 0 : 1, *y1);
    *x0 = b_right ? ea - la : ea + la;
    *x1 = b_right ? eb + lb : eb - lb;
    *mx = (ea + eb) / 2.0f;
    *my = (*y0 + *y1) / 2.0f;
  } else { /* one above the other: top and bottom edges */
    float left = fmaxf(a.x, b.x), right = fminf(a.x + a.w, b.x + b.w);
    bool shared = right - left > 2.0f * in;
    *x0 = shared ? (left + right) / 2.0f : cx_of(a);
    *x1 = shared ? *x0 : cx_of(b);
    bool b_below = cy_of(b) >= cy_of(a);
    float ea = b_below ? a.y + a.h : a.y, eb = b_below ? b.y : b.y + b.h;
    float la = stub_len(f, (uint32_t)pa, a, b_below ? 3 : 2, *x0);
    float lb = stub_len(f, (uint32_t)pb, b, b_below ? 2 : 3, *x1);
    *y0 = b_below ? ea - la : ea + la;
    *y1 = b_below ? eb + lb : eb - lb;
    *mx = (*x0 + *x1) / 2.0f;
    *my = (ea + eb) / 2.0f;
  }
  return true;
}

/* "cut" or "flaky" on a dark patch beside the mark at (mx, my) on a line running along (ux,
 * uy): to one side of it, else the other, wherever it covers no process box of the two panels;
 * not at all when both would. */
static void net_label(frame *f, uint32_t ma, uint32_t mb, float mx, float my, float ux, float uy,
                      const char *text, viz_color col) {
  const viz_metrics *mt = f->mt;
  float w = viz_text_width(mt, VIZ_FONT_SMALL, (int)strlen(text)) + 6.0f;
  float h = mt->line_height[VIZ_FONT_SMALL];
  int pa = viz_layout_panel_of_machine(f->l, ma), pb = viz_layout_panel_of_machine(f->l, mb);
  for (int s = 1; s >= -1; s -= 2) {
    /* Centred on the mark's axis, past the band, on side s of the line. */
    float px = -uy, py = ux, d = NET_BAND + (fabsf(px) * w + fabsf(py) * h) / 2.0f + 2.0f;
    float cx = mx + px * d * (float)s, cy = my + py * d * (float)s;
    viz_box r = {cx - w / 2.0f, cy - h / 2.0f, w, h};
    if ((pa >= 0 && box_in(f, (uint32_t)pa, r)) || (pb >= 0 && box_in(f, (uint32_t)pb, r)))
      continue;
    label_box(f->c, mt, r.x, r.y, w, VIZ_FONT_SMALL, c_dark, col, text);
    return;
  }
}

/* A dashed line between two panels for each down (or flaky) direction, each offset to its own
 * side, reaching well into both panels (stopping short of their boxes), with a dot near the
 * receiving end; a cut has a solid bar across it on the border; and each pair of machines gets
 * one label, "cut" or "flaky", beside the mark. */
static void draw_network(frame *f) {
  for (int flaky = 0; flaky <= 1; flaky++) {
    viz_netpair pairs[64];
    uint32_t n = viz_model_net_pairs(f->m, flaky, pairs, 64);
    if (n > 64) n = 64;
    viz_color col = flaky ? viz_colors.flaky : viz_colors.cut;
    for (uint32_t i = 0; i < n; i++) {
      float x0, y0, x1, y1, mx, my;
      uint32_t ma = pairs[i].from_machine, mb = pairs[i].to_machine;
      if (ma == VIZ_NONE || mb == VIZ_NONE || !facing_points(f, ma, mb, &x0, &y0, &x1, &y1, &mx, &my))
        continue;
      float dx = x1 - x0, dy = y1 - y0, len = sqrtf(dx * dx + dy * dy);
      if (len < 1.0f) continue;
      float ux = dx / len, uy = dy / len;
      float ox = -uy * 5.0f, oy = ux * 5.0f; /* each direction on its own side */
      viz_line(f->c, x0 + ox, y0 + oy, x1 + ox, y1 + oy, 3, 1, col);
      if (!flaky) /* the cut: a bar across the line, on the border */
        viz_line(f->c, mx - uy * 12.0f, my + ux * 12.0f, mx + uy * 12.0f, my - ux * 12.0f, 4, 0,
                 col);
      /* A dot near the receiving end says the direction. */
      viz_circle(f->c, x0 + dx * 0.85f + ox, y0 + dy * 0.85f + oy, 4.0f, 0, col);
      bool reverse_first = false; /* one label per pair of machines */
      for (uint32_t j = 0; j < i; j++)
        if (pairs[j].from_machine == mb && pairs[j].to_machine == ma) reverse_first = true;
      if (!reverse_first) net_label(f, ma, mb, mx, my, ux, uy, flaky ? "flaky" : "cut", col);
    }
  }
}

static void arrow(viz_cmds *c, float x0, float y0, float x1, float y1, int width, viz_color col);

/* Messages between aggregated panels: one edge per pair of machines, as thick as the log of
 * the sends in the last fade window, with the count. */
static void draw_traffic(frame *f, uint32_t nnodes) {
  if (nnodes == 0 || nnodes > 256) return;
  uint32_t *mx = calloc((size_t)nnodes * nnodes, sizeof *mx);
  if (!mx) {
    f->c->err = AC_ENOMEM;
    return;
  }
  viz_model_node_traffic(f->m, f->fade_ns, mx, nnodes);
  for (uint32_t a = 0; a < nnodes; a++)
    for (uint32_t b = 0; b < nnodes; b++) {
      uint32_t k = mx[a * nnodes + b];
      const viz_node *na = viz_model_node(f->m, a), *nb = viz_model_node(f->m, b);
      if (!k || a == b || !na || !nb || na->machine == nb->machine) continue;
      int pa = viz_layout_panel_of_machine(f->l, na->machine);
      int pb = viz_layout_panel_of_machine(f->l, nb->machine);
      if (pa < 0 || pb < 0) continue;
      if (!viz_layout_panel_aggregated(f->l, (uint32_t)pa, &f->v->xf) &&
          !viz_layout_panel_aggregated(f->l, (uint32_t)pb, &f->v->xf))
        continue;
      float x0, y0, x1, y1;
      panel_centre(f, na->machine, &x0, &y0);
      panel_centre(f, nb->machine, &x1, &y1);
      /* Below the panels' centres, each direction on its own side of the pair's axis,
       * with a head near the receiver and the count 60% of the way. */
      viz_box ra = viz_xform_rect(&f->v->xf, viz_layout_panel_rect(f->l, (uint32_t)pa));
      viz_box rb = viz_xform_rect(&f->v->xf, viz_layout_panel_rect(f->l, (uint32_t)pb));
      y0 += ra.h / 6.0f;
      y1 += rb.h / 6.0f;
      float dx = x1 - x0, dy = y1 - y0, len = sqrtf(dx * dx + dy * dy);
      if (len < 1.0f) continue;
      float ox = -dy / len * 5.0f, oy = dx / len * 5.0f;
      int width = 1 + (int)(log2f((float)k) / 2.0f);
      viz_color col = fade(viz_colors.message, 0.6f);
      viz_line(f->c, x0 + ox, y0 + oy, x1 + ox, y1 + oy, width > 6 ? 6 : width, 0, col);
      arrow(f->c, x0 + ox + dx * 0.7f, y0 + oy + dy * 0.7f, x0 + ox + dx * 0.8f,
            y0 + oy + dy * 0.8f, 2, col);
      char count[24];
      snprintf(count, sizeof count, "%u", k);
      float tw = viz_text_width(f->mt, VIZ_FONT_SMALL, (int)strlen(count)) + 6.0f;
      label_box(f->c, f->mt, x0 + ox * 3.0f + dx * 0.6f - tw / 2.0f,
                y0 + oy * 3.0f + dy * 0.6f - f->mt->line_height[VIZ_FONT_SMALL] / 2.0f, 120.0f,
                VIZ_FONT_SMALL, c_dark, viz_colors.message, count);
    }
  free(mx);
}

static void draw_x(viz_cmds *c, float x, float y, float r, viz_color col) {
  viz_line(c, x - r, y - r, x + r, y + r, 2, 0, col);
  viz_line(c, x - r, y + r, x + r, y - r, 2, 0, col);
}

/* The registered processes at the cursor (node and name), found once per frame when a named
 * send needs its receiver. */
typedef struct reg_name {
  uint32_t proc, node;
  char name[VIZ_NAME_MAX];
} reg_name;

typedef struct names {
  reg_name *v;
  uint32_t n;
  bool built;
} names;

static void names_build(const frame *f, names *nm) {
  nm->built = true;
  uint32_t cap = 0;
  for (uint32_t i = 0; i < f->nprocs; i++) {
    const viz_proc_state *ps = viz_model_proc_state(f->m, i);
    if (!ps || ps->reg_event == VIZ_NONE) continue;
    if (nm->n == cap) {
      cap = cap ? cap * 2 : 16;
      reg_name *v = realloc(nm->v, cap * sizeof *v);
      if (!v) return; /* the names found so far still resolve */
      nm->v = v;
    }
    reg_name *r = &nm->v[nm->n];
    r->proc = i;
    r->node = viz_model_proc(f->m, i)->node;
    if (viz_model_proc_name(f->m, i, r->name, sizeof r->name)) nm->n++;
  }
}

/* The receiver of a send to {Name, Node} that the trace did not resolve: the process
 * registered as Name on that node at the cursor, or VIZ_NONE. */
static uint32_t named_receiver(const frame *f, names *nm, const viz_flight *fl) {
  ac_term t, x;
  const char *atom;
  size_t len;
  if (fl->send_event == VIZ_NONE || fl->to_node == VIZ_NONE ||
      viz_model_payload(f->m, fl->send_event, &t) != 0 || ac_term_elem(t, 0, &x) != 0 ||
      ac_term_get_atom(x, &atom, &len) != 0)
    return VIZ_NONE;
  if (!nm->built) names_build(f, nm);
  for (uint32_t i = 0; i < nm->n; i++)
    if (nm->v[i].node == fl->to_node && strlen(nm->v[i].name) == len &&
        memcmp(nm->v[i].name, atom, len) == 0)
      return nm->v[i].proc;
  return VIZ_NONE;
}

/* Where a message is drawn: from the sender's box to the receiver's box (a named receiver
 * found by its name), or to its node's panel when the receiver has no box. *a, *b get the
 * boxes (b is the receiver panel's centre as an empty box when there is none). */
static bool flight_ends(const frame *f, names *nm, const viz_flight *fl, viz_box *a, viz_box *b) {
  if (!screen_box(f, viz_model_find_pid(f->m, fl->from), a)) return false;
  uint32_t to = fl->to ? viz_model_find_pid(f->m, fl->to)
                       : fl->named ? named_receiver(f, nm, fl) : VIZ_NONE;
  if (screen_box(f, to, b)) return true;
  const viz_node *nd = fl->to_node != VIZ_NONE ? viz_model_node(f->m, fl->to_node) : NULL;
  float x, y;
  if (!nd || !panel_centre(f, nd->machine, &x, &y)) return false;
  *b = (viz_box){x, y, 0.0f, 0.0f};
  return true;
}

/* The point where the segment from r's centre towards tx, ty leaves r. */
static void border_point(viz_box r, float tx, float ty, float *x, float *y) {
  float cx = cx_of(r), cy = cy_of(r), dx = tx - cx, dy = ty - cy;
  float k = 1.0f;
  if (fabsf(dx) * r.h > fabsf(dy) * r.w) {
    if (fabsf(dx) > 0.0f) k = (r.w / 2.0f) / fabsf(dx);
  } else if (fabsf(dy) > 0.0f) {
    k = (r.h / 2.0f) / fabsf(dy);
  }
  if (k > 1.0f) k = 1.0f;
  *x = cx + dx * k;
  *y = cy + dy * k;
}

/* A short arrow from x0, y0 to x1, y1 (a line and a head at x1, y1). */
static void arrow(viz_cmds *c, float x0, float y0, float x1, float y1, int width, viz_color col) {
  float dx = x1 - x0, dy = y1 - y0, len = sqrtf(dx * dx + dy * dy);
  if (len < 2.0f) return;
  viz_line(c, x0, y0, x1, y1, width, 0, col);
  float ux = dx / len, uy = dy / len, h = fminf(7.0f, len / 2.0f);
  viz_line(c, x1, y1, x1 - ux * h - uy * h * 0.5f, y1 - uy * h + ux * h * 0.5f, width, 0, col);
  viz_line(c, x1, y1, x1 - ux * h + uy * h * 0.5f, y1 - uy * h - ux * h * 0.5f, width, 0, col);
}

/* How long a delivered message's trail shows: 0.15 s of playback at the view's speed (a run
 * plays in about 30 s, never slower than real time: viz/app.c's pace). */
static uint64_t trail_ns(const viz_model *m, const viz_view *v) {
  double rate = (double)(span_t1(m) - span_t0(m)) / 30.0;
  if (rate < 1e9) rate = 1e9;
  double t = 0.15 * rate * (v->speed > 0.0 ? v->speed : 1.0);
  return t < 1.0 ? 1 : (uint64_t)t;
}

/*
 * Messages: in flight, a disc moving from the sender's box centre to the receiver's along its
 * latency, with a short tail behind it; just delivered (local sends arrive at once), a fading
 * arrow from box border to box border, so who talks to whom shows even on one node; dropped,
 * a red X on the path where it was lost (half-way when the arrival time is unknown) with a
 * dashed line from the sender; duplicated, two discs; sent to a dead process, a grey X at the
 * receiver.
 */
/* Trails drawn at most (the newest): more is a tangle, not a picture of who talks to whom. */
#define TRAILS_MAX 16u

static void draw_messages(frame *f) {
  uint32_t cap = 2048;
  viz_flight *fl = malloc(cap * sizeof *fl);
  if (!fl) {
    f->c->err = AC_ENOMEM;
    return;
  }
  uint64_t trail = trail_ns(f->m, f->v);
  uint32_t n = viz_model_flights(f->m, trail > f->fade_ns ? trail : f->fade_ns, fl, cap);
  if (n > cap) n = cap;
  names nm = {0};
  uint32_t trails = 0;
  for (int pass = 0; pass < 2; pass++) /* trails first, under the discs and marks */
    for (uint32_t j = 0; j < n; j++) {
      uint32_t i = pass == 0 ? n - 1 - j : j; /* trails newest first: the newest few show */
      bool delivered = fl[i].state == VIZ_FLIGHT_DELIVERED;
      if (delivered != (pass == 0)) continue;
      if (delivered && trails >= TRAILS_MAX) continue;
      viz_box a, b;
      if (!flight_ends(f, &nm, &fl[i], &a, &b)) continue;
      float x0 = cx_of(a), y0 = cy_of(a), x1 = cx_of(b), y1 = cy_of(b);
      uint64_t end = fl[i].end_ns;
      float age = end != VIZ_TIME_UNKNOWN && f->t_ns > end ? (float)(f->t_ns - end) : 0.0f;
      if (delivered) {
        float k = 1.0f - age / (float)trail;
        /* A trail needs its receiver's box: one to a process that has gone would point at
         * an empty panel. */
        if (k <= 0.05f || b.w <= 0.0f || (a.x == b.x && a.y == b.y)) continue;
        /* One trail per sender and receiver: the newest (finished messages come oldest
         * first, so a later one of the same pair wins). */
        bool later = false;
        for (uint32_t q = i + 1; q < n && !later; q++)
          later = fl[q].state == VIZ_FLIGHT_DELIVERED && fl[q].from == fl[i].from &&
                  fl[q].to == fl[i].to;
        if (later) continue;
        trails++;
        viz_color col = fade(viz_colors.message, 0.9f * k);
        if (fabsf(a.y - b.y) < a.h && b.w > 0.0f) { /* side by side: an arc over the top */
          float bow = fminf(fabsf(x1 - x0) * 0.3f, 50.0f) * (x1 > x0 ? 1.0f : -1.0f);
          curve(f->c, x0, a.y, x1 - (x1 > x0 ? 4.0f : -4.0f), b.y - 4.0f, bow, 0, col);
          arrow(f->c, x1 - (x1 > x0 ? 9.0f : -9.0f), b.y - 9.0f, x1, b.y, 1, col);
        } else {
          float sx, sy, rx, ry;
          border_point(a, x1, y1, &sx, &sy);
          border_point(b, x0, y0, &rx, &ry);
          arrow(f->c, sx, sy, rx, ry, 1, col);
        }
        continue;
      }
      float fk = 1.0f - age / (float)f->fade_ns;
      if (fl[i].state != VIZ_FLIGHT_IN_FLIGHT && fk <= 0.05f) continue;
      bool known = fl[i].arrive_ns != VIZ_TIME_UNKNOWN && fl[i].arrive_ns > fl[i].send_ns;
      uint64_t at = fl[i].state == VIZ_FLIGHT_IN_FLIGHT || end == VIZ_TIME_UNKNOWN ? f->t_ns : end;
      float k = known ? (float)((double)(at > fl[i].send_ns ? at - fl[i].send_ns : 0) /
                                (double)(fl[i].arrive_ns - fl[i].send_ns))
                      : 0.15f; /* arrival unknown (live): near the sender */
      if (k > 1.0f) k = 1.0f;
      float x = x0 + (x1 - x0) * k, y = y0 + (y1 - y0) * k;
      switch (fl[i].state) {
      case VIZ_FLIGHT_IN_FLIGHT: { /* a tail of at most 16 pixels says where it comes from */
        float len = sqrtf((x1 - x0) * (x1 - x0) + (y1 - y0) * (y1 - y0));
        float kt = len > 1.0f ? k - fminf(16.0f / len, k) : k;
        float r = n > 100 ? 3.0f : 4.0f;
        viz_line(f->c, x0 + (x1 - x0) * kt, y0 + (y1 - y0) * kt, x, y, 2, 0,
                 fade(viz_colors.message, 0.45f));
        viz_circle(f->c, x, y, r, 0, viz_colors.message);
        viz_circle(f->c, x, y, r, 1, c_dark);
        break;
      }
      case VIZ_FLIGHT_DUPLICATED: /* two discs side by side */
        viz_circle(f->c, x - 3.0f, y, 3.5f, 0, fade(viz_colors.message, fk));
        viz_circle(f->c, x + 3.0f, y, 3.5f, 0, fade(viz_colors.message, fk));
        break;
      case VIZ_FLIGHT_DROPPED: {
        if (!known) { /* lost on the way: half-way along its path */
          x = (x0 + x1) / 2.0f;
          y = (y0 + y1) / 2.0f;
        }
        float sx, sy;
        border_point(a, x, y, &sx, &sy);
        viz_line(f->c, sx, sy, x, y, 1, 1, fade(viz_colors.dropped, 0.7f * fk));
        draw_x(f->c, x, y, 5.0f, fade(viz_colors.dropped, fk));
        break;
      }
      case VIZ_FLIGHT_DEAD:
        draw_x(f->c, x1, y1, 4.0f, fade(viz_colors.text_dim, fk));
        break;
      default:
        break;
      }
    }
  free(nm.v);
  free(fl);
}

/* A crash flashes: a thick ring round the box and its exit reason, fading over one window. */
static void draw_crashes(frame *f) {
  uint32_t ev[256];
  uint32_t n = viz_model_recent_crashes(f->m, f->fade_ns, ev, 256);
  if (n > 256) n = 256;
  for (uint32_t i = 0; i < n; i++) {
    const viz_event *e = viz_model_event(f->m, ev[i]);
    uint32_t proc = viz_model_find_pid(f->m, e->a);
    viz_box b;
    if (!screen_box(f, proc, &b)) continue;
    float k = 1.0f - (float)(f->t_ns - e->time_ns) / (float)f->fade_ns;
    viz_rect(f->c, b.x - 4, b.y - 4, b.w + 8, b.h + 8, 3, fade(viz_colors.crash, k));
    char reason[96];
    viz_model_proc_reason(f->m, proc, reason, sizeof reason);
    if (reason[0] && k > 0.2f)
      label_box(f->c, f->mt, b.x, b.y + b.h + 5.0f, fmaxf(b.w, 160.0f), VIZ_FONT_SMALL,
                fade(viz_colors.crash, k), fade(viz_colors.text, k), reason);
  }
}

/* ---- Legend, timeline ------------------------------------------------------------------------ */

static void draw_legend(frame *f) {
  viz_box g = f->g.legend;
  if (g.w <= 0.0f) return;
  viz_fill(f->c, g.x, g.y, g.w, g.h, c_bar);
  static const struct { const char *text; int shape; } items[] = {
      {"running", 0}, {"waiting", 1}, {"supervisor", 2}, {"trapping", 3}, {"paused", 4},
      {"crashed", 5}, {"dead", 6}, {"message", 7}, {"dropped", 8}, {"cut", 9}, {"flaky", 10},
      {"version", 11},
  };
  const viz_metrics *mt = f->mt;
  float x = g.x + 8.0f, lh = mt->line_height[VIZ_FONT_SMALL], y = g.y + (g.h - lh) / 2.0f;
  uint32_t ncode;
  viz_model_marks(f->m, VIZ_MARK_CODE, &ncode);
  size_t nitems = sizeof items / sizeof items[0] - (ncode ? 0 : 1); /* "version": only with some */
  /* In a window too narrow for them all, the last entries give way to "version", which
   * explains the badges of a trace with upgrades. */
  float end = g.x + g.w - 4.0f;
  float keep = ncode ? 16.0f + viz_text_width(mt, VIZ_FONT_SMALL, 7) + 14.0f : 0.0f;
  for (size_t i = 0; i < nitems; i++) {
    float tw = viz_text_width(mt, VIZ_FONT_SMALL, (int)strlen(items[i].text));
    bool before_code = ncode && i + 1 < nitems;
    if (before_code && x + 16.0f + tw + keep > end) {
      i = nitems - 2; /* on to "version" */
      continue;
    }
    if (x + 16.0f + tw > end) break;
    float sy = y + lh / 2.0f;
    switch (items[i].shape) {
    case 0: viz_fill(f->c, x, sy - 5, 12, 10, viz_colors.running); break;
    case 1: viz_fill(f->c, x, sy - 5, 12, 10, viz_colors.waiting); break;
    case 2: viz_fill(f->c, x, sy - 5, 12, 10, viz_colors.supervisor);
            viz_fill(f->c, x, sy - 5, 3, 3, c_bar); viz_fill(f->c, x + 9, sy - 5, 3, 3, c_bar);
            viz_fill(f->c, x, sy + 2, 3, 3, c_bar); viz_fill(f->c, x + 9, sy + 2, 3, 3, c_bar);
            break;
    case 3: viz_fill(f->c, x, sy - 5, 12, 10, viz_colors.waiting);
            viz_rect(f->c, x, sy - 5, 12, 10, 1, viz_colors.text);
            viz_rect(f->c, x + 3, sy - 2, 6, 4, 1, viz_colors.text); break;
    case 4: viz_fill(f->c, x, sy - 5, 12, 10, viz_colors.paused);
            viz_line(f->c, x + 2, sy + 5, x + 10, sy - 5, 1, 0, viz_colors.text); break;
    case 5: viz_fill(f->c, x, sy - 5, 12, 10, viz_colors.crash); break;
    case 6: viz_fill(f->c, x, sy - 5, 12, 10, fade(viz_colors.dead, 0.6f)); break;
    case 7: viz_circle(f->c, x + 6, sy, 4, 0, viz_colors.message); break;
    case 8: draw_x(f->c, x + 6, sy, 4, viz_colors.dropped); break;
    case 9: viz_line(f->c, x, sy, x + 12, sy, 2, 1, viz_colors.cut); break;
    case 10: viz_line(f->c, x, sy, x + 12, sy, 2, 1, viz_colors.flaky); break;
    default: viz_fill(f->c, x + 2, sy - 4, 9, 8, viz_colors.code); break;
    }
    viz_text(f->c, x + 16.0f, y, VIZ_FONT_SMALL, viz_colors.text_dim, items[i].text, -1);
    x += 16.0f + tw + 14.0f;
  }
}

/* The timeline's strip for the histogram and the marks (inside the timeline region). */
static viz_box timeline_track(const viz_view *v, const viz_regions *g) {
  float lh = v->metrics->line_height[VIZ_FONT_SMALL];
  return (viz_box){g->timeline.x + 10.0f, g->timeline.y + 6.0f, g->timeline.w - 20.0f,
                    g->timeline.h - lh - 10.0f};
}

float viz_draw_timeline_x(const viz_model *m, const viz_view *v, uint64_t t_ns) {
  viz_regions g;
  viz_draw_regions(m, v, &g);
  viz_box tr = timeline_track(v, &g);
  uint64_t t0 = span_t0(m), t1 = span_t1(m);
  if (t_ns < t0) t_ns = t0;
  if (t_ns > t1) t_ns = t1;
  return tr.x + (float)((double)(t_ns - t0) / (double)(t1 - t0)) * tr.w;
}

bool viz_draw_hit_timeline(const viz_model *m, const viz_view *v, float x, float y,
                           uint64_t *time_ns) {
  viz_regions g;
  viz_draw_regions(m, v, &g);
  if (!viz_box_contains(g.timeline, x, y)) return false;
  viz_box tr = timeline_track(v, &g);
  double k = (x - tr.x) / tr.w;
  if (k < 0.0) k = 0.0;
  if (k > 1.0) k = 1.0;
  uint64_t t0 = span_t0(m), t1 = span_t1(m);
  *time_ns = t0 + (uint64_t)(k * (double)(t1 - t0) + 0.5);
  return true;
}

/* A duration for the timeline: "0s" for zero (not "0ns"), else sim_format_duration's. */
static void time_text(uint64_t ns, char *buf, size_t cap) {
  if (ns == 0)
    snprintf(buf, cap, "0s");
  else
    sim_format_duration(ns, buf, cap);
}

/* The labels of the timeline, placed only where they do not overlap one placed before. */
typedef struct spans {
  float x0[32], x1[32];
  int n;
} spans;

static bool spans_take(spans *sp, float x0, float x1) {
  for (int i = 0; i < sp->n; i++)
    if (x0 < sp->x1[i] + 8.0f && sp->x0[i] < x1 + 8.0f) return false;
  if (sp->n < 32) {
    sp->x0[sp->n] = x0;
    sp->x1[sp->n++] = x1;
  }
  return true;
}

/*
 * The timeline: the event density as bars; above them two lanes of marks, faults (amber ticks)
 * and crashes (red dots), and a third for upgrades (squares) when the trace has any, each
 * aggregated per 3-pixel column (a column with more marks draws a
 * taller tick or a larger dot, so hundreds stay readable); property failures as a magenta line
 * across the whole track with a diamond on top; the cursor; time labels at the start, the end,
 * the cursor and round ticks between.
 */
static void draw_timeline(frame *f) {
  const viz_model *m = f->m;
  const viz_metrics *mt = f->mt;
  viz_box g = f->g.timeline, tr = timeline_track(f->v, &f->g);
  viz_fill(f->c, g.x, g.y, g.w, g.h, c_bar);
  viz_fill(f->c, tr.x, tr.y, tr.w, tr.h, c_dark);
  uint64_t t0 = span_t0(m), t1 = span_t1(m);
  uint32_t ncode;
  viz_model_marks(m, VIZ_MARK_CODE, &ncode);
  int lanes = ncode ? 3 : 2; /* the upgrades' lane only when the trace has upgrades */
  const float lane_h = 7.0f, hist_y = tr.y + (float)lanes * lane_h + 4.0f;
  /* Event density: one bar per 3 pixels, heights relative to the busiest bucket. */
  uint32_t buckets = tr.w > 3.0f ? (uint32_t)(tr.w / 3.0f) : 1;
  if (buckets > 2048) buckets = 2048;
  uint32_t counts[2048], top = 1;
  viz_model_density(m, t0, t1 + 1, counts, buckets);
  for (uint32_t k = 0; k < buckets; k++) top = counts[k] > top ? counts[k] : top;
  float hist_h = tr.y + tr.h - hist_y;
  for (uint32_t k = 0; k < buckets; k++) {
    if (!counts[k] || hist_h < 2.0f) continue;
    float h = hist_h * sqrtf((float)counts[k] / (float)top);
    if (h < 1.0f) h = 1.0f;
    viz_fill(f->c, tr.x + (float)k * tr.w / (float)buckets, tr.y + tr.h - h, tr.w / (float)buckets,
             h, (viz_color){70, 90, 120, 255});
  }
  /* Round time ticks: about one per 110 pixels, at 1, 2 or 5 times a power of ten. */
  double span = (double)(t1 - t0), want = span * 110.0 / (double)(tr.w > 1.0f ? tr.w : 1.0f);
  double step = 1.0;
  while (step * 10.0 <= want) step *= 10.0;
  step = want <= step ? step : want <= 2 * step ? 2 * step : want <= 5 * step ? 5 * step : 10 * step;
  uint64_t st = step < 1.0 ? 1 : (uint64_t)step;
  for (uint64_t t = (t0 / st + 1) * st; t < t1; t += st) {
    float x = viz_draw_timeline_x(m, f->v, t);
    viz_fill(f->c, x, tr.y + tr.h - 4.0f, 1.0f, 4.0f, c_border);
  }
  /* Marks, aggregated per 3-pixel column: faults, crashes, then upgrades (a code-coloured
   * square, red when a code_change in its column failed; a column with a failed code_change
   * and other upgrades, such as the load it tried, stacks a code-coloured square on a red one,
   * so neither hides the other). */
  static const viz_mark_kind lane_kinds[3] = {VIZ_MARK_FAULT, VIZ_MARK_CRASH, VIZ_MARK_CODE};
  uint32_t cols = buckets, agg[2048];
  uint8_t failed[2048], other[2048];
  for (int k = 0; k < lanes; k++) {
    uint32_t n;
    const uint32_t *ev = viz_model_marks(m, lane_kinds[k], &n);
    memset(agg, 0, cols * sizeof *agg);
    memset(failed, 0, cols);
    memset(other, 0, cols);
    for (uint32_t i = 0; i < n; i++) {
      const viz_event *e = viz_model_event(m, ev[i]);
      double r = (double)(e->time_ns - t0) / span;
      uint32_t c = r <= 0.0 ? 0 : r >= 1.0 ? cols - 1 : (uint32_t)(r * cols);
      if (c >= cols) c = cols - 1;
      agg[c]++;
      if (k == 2 && e->flags == VIZ_CODE_CHANGE_FAILED) failed[c] = 1;
      else other[c] = 1;
    }
    for (uint32_t c = 0; c < cols; c++) {
      if (!agg[c]) continue;
      float x = tr.x + ((float)c + 0.5f) * tr.w / (float)cols;
      float more = agg[c] >= 8 ? 1.0f : agg[c] >= 3 ? 0.75f : agg[c] == 2 ? 0.6f : 0.45f;
      if (k == 0) {
        float h = lane_h * more + 1.0f;
        viz_fill(f->c, x - 1.0f, tr.y + 1.0f + lane_h - h + 1.0f, 2.0f, h, viz_colors.fault);
      } else if (k == 1) {
        viz_circle(f->c, x, tr.y + lane_h * 1.5f + 2.0f, 1.5f + 2.0f * more, 0, viz_colors.crash);
      } else if (failed[c] && other[c]) { /* stacked: the upgrades above, the failure below */
        float y = tr.y + lane_h * 2.5f + 3.0f;
        viz_fill(f->c, x - 2.0f, y - 5.0f, 4.0f, 4.0f, viz_colors.code);
        viz_fill(f->c, x - 2.0f, y, 4.0f, 4.0f, viz_colors.crash);
      } else {
        float r = 1.5f + 1.5f * more, y = tr.y + lane_h * 2.5f + 3.0f;
        viz_fill(f->c, x - r, y - r, 2.0f * r, 2.0f * r, failed[c] ? viz_colors.crash : viz_colors.code);
      }
    }
  }
  uint32_t np;
  const uint32_t *props = viz_model_marks(m, VIZ_MARK_PROPERTY, &np);
  float last_px = -10.0f;
  for (uint32_t i = 0; i < np; i++) {
    float x = viz_draw_timeline_x(m, f->v, viz_model_event(m, props[i])->time_ns);
    if (x - last_px < 3.0f) continue;
    last_px = x;
    if (x > tr.x + tr.w - 2.0f) x = tr.x + tr.w - 2.0f; /* at the very end: keep it visible */
    viz_fill(f->c, x - 1.0f, tr.y, 3.0f, tr.h, viz_colors.property);
    viz_fill(f->c, x - 4.0f, tr.y, 9.0f, 5.0f, viz_colors.property);
  }
  /* The cursor, and the time labels: the cursor's first, then the ends, then the ticks. */
  float cx = viz_draw_timeline_x(m, f->v, f->t_ns);
  viz_fill(f->c, cx - 1.0f, tr.y - 3.0f, 2.0f, tr.h + 6.0f, viz_colors.cursor);
  char text[48];
  float ly = tr.y + tr.h + 3.0f;
  spans sp = {.n = 0};
  time_text(f->t_ns, text, sizeof text);
  float w = viz_text_width(mt, VIZ_FONT_SMALL, (int)strlen(text));
  float x = fminf(fmaxf(cx - w / 2.0f, tr.x), tr.x + tr.w - w);
  spans_take(&sp, x, x + w);
  text_fit(f->c, mt, x, ly, tr.w, VIZ_FONT_SMALL, viz_colors.cursor, text);
  for (int end = 0; end < 2; end++) {
    time_text(end ? t1 : t0, text, sizeof text);
    w = viz_text_width(mt, VIZ_FONT_SMALL, (int)strlen(text));
    x = end ? tr.x + tr.w - w : tr.x;
    if (spans_take(&sp, x, x + w)) text_fit(f->c, mt, x, ly, w, VIZ_FONT_SMALL, viz_colors.text_dim, text);
  }
  for (uint64_t t = (t0 / st + 1) * st; t < t1; t += st) {
    time_text(t, text, sizeof text);
    w = viz_text_width(mt, VIZ_FONT_SMALL, (int)strlen(text));
    x = viz_draw_timeline_x(m, f->v, t) - w / 2.0f;
    if (x >= tr.x && x + w <= tr.x + tr.w && spans_take(&sp, x, x + w))
      text_fit(f->c, mt, x, ly, w, VIZ_FONT_SMALL, viz_colors.text_dim, text);
  }
}

/* ---- Inspector, overlays --------------------------------------------------------------------- */

typedef struct lines {
  frame *f;
  float x, y, w, bottom;
} lines;

static void put(lines *ln, viz_font_size size, viz_color col, const char *s) {
  float lh = ln->f->mt->line_height[size];
  if (ln->y + lh > ln->bottom) return;
  text_fit(ln->f->c, ln->f->mt, ln->x, ln->y, ln->w, size, col, s);
  ln->y += lh;
}

static void put_msgs(lines *ln, uint32_t proc, bool out) {
  viz_msg msgs[4];
  uint32_t n = viz_model_proc_msgs(ln->f->m, proc, out, msgs, 4);
  put(ln, VIZ_FONT_SMALL, viz_colors.text_dim, out ? "last messages out" : "last messages in");
  if (!n) put(ln, VIZ_FONT_SMALL, viz_colors.text, "  none");
  for (uint32_t i = 0; i < n; i++) {
    char peer[32], t[48], body[96], line[200];
    pid_text(msgs[i].peer, peer, sizeof peer);
    sim_format_duration(msgs[i].time_ns, t, sizeof t);
    viz_model_print_payload(ln->f->m, msgs[i].event, body, sizeof body);
    snprintf(line, sizeof line, "  %s %s %s: %s", t, out ? "to" : "from", msgs[i].peer ? peer : "name", body);
    put(ln, VIZ_FONT_SMALL, viz_colors.text, line);
  }
}

static void draw_inspector(frame *f) {
  viz_box g = f->g.inspector;
  uint32_t proc = f->v->selected;
  if (g.w <= 0.0f) return;
  viz_fill(f->c, g.x, g.y, g.w, g.h, c_bar);
  viz_fill(f->c, g.x, g.y, 1.0f, g.h, c_border);
  lines ln = {f, g.x + 10.0f, g.y + 6.0f, g.w - 20.0f, g.y + g.h - 4.0f};
  const viz_model *m = f->m;
  const viz_proc *p = viz_model_proc(m, proc);
  if (!p || proc >= f->nprocs) {
    put(&ln, VIZ_FONT_NORMAL, viz_colors.text_dim, "not spawned yet");
    return;
  }
  char line[256], buf[128], pid[32];
  pid_text(p->pid, pid, sizeof pid);
  viz_model_proc_display(m, proc, buf, sizeof buf);
  snprintf(line, sizeof line, "%s %s", pid, buf);
  put(&ln, VIZ_FONT_NORMAL, viz_colors.text, line);
  viz_model_proc_name(m, proc, buf, sizeof buf);
  snprintf(line, sizeof line, "name: %s", buf[0] ? buf : "-");
  put(&ln, VIZ_FONT_SMALL, viz_colors.text, line);
  snprintf(line, sizeof line, "label: %s  (%s)", p->label, p->behaviour);
  put(&ln, VIZ_FONT_SMALL, viz_colors.text, line);
  const viz_node *nd = viz_model_node(m, p->node);
  snprintf(line, sizeof line, "node: %s", nd ? nd->name : "?");
  put(&ln, VIZ_FONT_SMALL, viz_colors.text, line);
  const viz_proc_state *ps = viz_model_proc_state(m, proc);
  if (viz_model_proc_code(m, proc, buf, sizeof buf)) {
    snprintf(line, sizeof line, "code: %s%s", buf,
             p->version && ps && ps->version != p->version ? " (upgraded)" : "");
    put(&ln, VIZ_FONT_SMALL, viz_colors.code, line);
  }
  if (ps && ps->code_event != VIZ_NONE) { /* its last code_change, without its own pid */
    char what[160], t[48];
    const viz_event *ce = viz_model_event(m, ps->code_event);
    ac_term pay = {NULL};
    bool has = viz_model_payload(m, ps->code_event, &pay) == 0;
    viz_code_text(ce->flags, 0, pay, has, what, sizeof what);
    sim_format_duration(ce->time_ns, t, sizeof t);
    snprintf(line, sizeof line, "%s: %s", t, what);
    put(&ln, VIZ_FONT_SMALL,
        ce->flags == VIZ_CODE_CHANGE_FAILED ? viz_colors.crash : viz_colors.code, line);
  }
  uint32_t fl = viz_model_proc_flags(m, proc);
  snprintf(line, sizeof line, "state: %s%s%s%s%s%s",
           !(fl & VIZ_PROC_ALIVE) ? "dead" : (fl & VIZ_PROC_RUNNING) ? "running" :
           (fl & VIZ_PROC_PAUSED) ? "paused" : "waiting in receive",
           (fl & VIZ_PROC_TRAP) ? ", trapping exits" : "", (fl & VIZ_PROC_SLOWED) ? ", slowed" : "",
           (fl & VIZ_PROC_SUSPENDED) ? ", suspended" : "",
           p->is_supervisor ? ", supervisor" : "", (fl & VIZ_PROC_NODE_DOWN) ? ", node down" : "");
  put(&ln, VIZ_FONT_SMALL, viz_colors.text, line);
  snprintf(line, sizeof line, "mailbox: %u", ps ? ps->mailbox : 0);
  put(&ln, VIZ_FONT_SMALL, viz_colors.text, line);
  /* Links and monitors, as pid lists cut to the width. */
  uint32_t ne;
  const viz_edge *e = viz_model_edges(m, &ne);
  for (int kind = VIZ_EDGE_LINK; kind <= VIZ_EDGE_MONITOR; kind++) {
    size_t len = (size_t)snprintf(line, sizeof line, "%s:", kind == VIZ_EDGE_LINK ? "links" : "monitors");
    uint32_t count = 0;
    for (uint32_t i = 0; i < ne && len < sizeof line - 32; i++) {
      if (e[i].kind != (uint32_t)kind || (e[i].from != proc && e[i].to != proc)) continue;
      const viz_proc *o = viz_model_proc(m, e[i].from == proc ? e[i].to : e[i].from);
      if (!o) continue;
      pid_text(o->pid, pid, sizeof pid);
      len += (size_t)snprintf(line + len, sizeof line - len, " %s%s",
                              kind == VIZ_EDGE_MONITOR && e[i].to == proc ? "by " : "", pid);
      count++;
    }
    if (!count) snprintf(line + len, sizeof line - len, " none");
    put(&ln, VIZ_FONT_SMALL, viz_colors.text, line);
  }
  viz_model_proc_reason(m, proc, buf, sizeof buf);
  if (buf[0]) {
    snprintf(line, sizeof line, "exit: %s", buf);
    put(&ln, VIZ_FONT_SMALL, viz_colors.crash, line);
  }
  viz_restart_info ri;
  if (viz_model_restart_info(m, proc, &ri) == 0) {
    char period[48] = "?";
    if (ri.period_ns) sim_format_duration(ri.period_ns, period, sizeof period);
    if (ri.intensity >= 0)
      snprintf(line, sizeof line, "restarts: %u of %lld in %s (%s %s)", ri.in_period,
               (long long)ri.intensity, period, ri.strategy, ri.child_id);
    else
      snprintf(line, sizeof line, "restarts: %u (child %s)", ri.restarts, ri.child_id);
    put(&ln, VIZ_FONT_SMALL, viz_colors.fault, line);
  }
  ln.y += 4.0f;
  put_msgs(&ln, proc, false);
  put_msgs(&ln, proc, true);
}

static void draw_search(frame *f, uint32_t total) {
  if (!(f->v->flags & VIZ_VIEW_SEARCH) && !f->v->search[0]) return;
  const viz_metrics *mt = f->mt;
  char line[128];
  snprintf(line, sizeof line, "/%s  %u match%s", f->v->search, total, total == 1 ? "" : "es");
  float w = fminf(f->g.canvas.w - 16.0f, viz_text_width(mt, VIZ_FONT_NORMAL, 40) + 12.0f);
  float h = mt->line_height[VIZ_FONT_NORMAL] + 6.0f;
  float x = f->g.canvas.x + f->g.canvas.w - w - 8.0f, y = f->g.canvas.y + 6.0f;
  if (w < 40.0f) return;
  viz_fill(f->c, x, y, w, h, c_dark);
  viz_rect(f->c, x, y, w, h, 1, viz_colors.match);
  text_fit(f->c, mt, x + 6.0f, y + 3.0f, w - 12.0f, VIZ_FONT_NORMAL, viz_colors.text, line);
}

static void draw_tooltip(frame *f) {
  uint32_t proc = f->v->hover;
  const viz_proc *p = proc < f->nprocs ? viz_model_proc(f->m, proc) : NULL;
  if (!p) return;
  char pid[32], name[VIZ_NAME_MAX + 8], code[VIZ_NAME_MAX + 16], line[160];
  pid_text(p->pid, pid, sizeof pid);
  viz_model_proc_display(f->m, proc, name, sizeof name);
  viz_model_proc_code(f->m, proc, code, sizeof code);
  snprintf(line, sizeof line, "%s %s%s%s", pid, name, code[0] ? "  " : "", code);
  float w = viz_text_width(f->mt, VIZ_FONT_SMALL, (int)strlen(line)) + 6.0f;
  float x = f->v->mouse_x + 12.0f, y = f->v->mouse_y + 14.0f;
  if (x + w > f->v->width_px) x = f->v->width_px - w;
  if (x < 0.0f) x = 0.0f;
  if (y + 16.0f > f->v->height_px) y = f->v->mouse_y - 20.0f;
  label_box(f->c, f->mt, x, y, f->v->width_px - x, VIZ_FONT_SMALL, c_dark, viz_colors.text, line);
}

static void draw_help(frame *f) {
  if (!(f->v->flags & VIZ_VIEW_HELP)) return;
  const viz_metrics *mt = f->mt;
  viz_font_size s = f->v->height_px >= 520.0f ? VIZ_FONT_NORMAL : VIZ_FONT_SMALL;
  size_t n = 0, key_w = 0, what_w = 0;
  for (; viz_draw_keys[n].key; n++) {
    key_w = strlen(viz_draw_keys[n].key) > key_w ? strlen(viz_draw_keys[n].key) : key_w;
    what_w = strlen(viz_draw_keys[n].what) > what_w ? strlen(viz_draw_keys[n].what) : what_w;
  }
  float lh = mt->line_height[s], kw = viz_text_width(mt, s, (int)key_w + 2);
  float w = fminf(kw + viz_text_width(mt, s, (int)what_w) + 24.0f, f->v->width_px - 16.0f);
  float h = fminf(lh * (float)(n + 1) + 16.0f, f->v->height_px - 16.0f);
  float x = (f->v->width_px - w) / 2.0f, y = (f->v->height_px - h) / 2.0f;
  viz_fill(f->c, x, y, w, h, (viz_color){20, 22, 27, 245});
  viz_rect(f->c, x, y, w, h, 1, viz_colors.text_dim);
  lines ln = {f, x + 12.0f, y + 8.0f, w - 24.0f, y + h - 8.0f};
  put(&ln, s, viz_colors.text, "keys");
  for (size_t i = 0; i < n && ln.y + lh <= ln.bottom; i++) {
    text_fit(f->c, mt, ln.x, ln.y, fminf(kw, ln.w), s, viz_colors.match, viz_draw_keys[i].key);
    text_fit(f->c, mt, ln.x + kw, ln.y, ln.w - kw, s, viz_colors.text, viz_draw_keys[i].what);
    ln.y += lh;
  }
}

/* ---- The frame ------------------------------------------------------------------------------- */

int viz_draw_frame(viz_cmds *out, const viz_model *m, viz_layout *l, const viz_view *v) {
  frame f = {.c = out, .m = m, .l = l, .v = v, .mt = v->metrics ? v->metrics : &viz_metrics_default};
  viz_view vv;
  if (!v->metrics) { /* tolerate a view without metrics: use the defaults */
    vv = *v;
    vv.metrics = f.mt;
    f.v = v = &vv;
  }
  viz_cmds_clear(out);
  viz_draw_regions(m, v, &f.g);
  int err = viz_layout_update(l, m, f.g.canvas);
  if (err) return err;
  f.t_ns = viz_model_time(m);
  f.fade_ns = fade_ns(m);
  f.nprocs = viz_model_proc_count(m);
  uint32_t matches[256], total = 0;
  if (v->search[0]) {
    total = viz_model_search(m, v->search, matches, 256);
    f.nmatches = total < 256 ? total : 256;
    qsort(matches, f.nmatches, sizeof *matches, cmp_u32);
    f.matches = matches;
  }
  draw_title(out, m, v, &f.g);
  draw_banner(out, m, v, &f.g);
  viz_box cv = f.g.canvas;
  viz_fill(out, cv.x, cv.y, cv.w, cv.h, viz_background);
  /* Aggregates, only when some panel needs them. */
  uint32_t np = viz_layout_panel_count(l), nnodes = viz_model_node_count(m);
  bool any_agg = false;
  for (uint32_t i = 0; i < np; i++) any_agg |= viz_layout_panel_aggregated(l, i, &v->xf);
  uint32_t *sizes = NULL, *per_node = NULL;
  if (any_agg) {
    sizes = malloc(((size_t)f.nprocs + 1) * sizeof *sizes);
    per_node = malloc(((size_t)nnodes + 1) * sizeof *per_node);
    if (!sizes || !per_node) {
      free(sizes);
      free(per_node);
      return AC_ENOMEM;
    }
    viz_model_subtree_sizes(m, sizes, f.nprocs);
    viz_model_count_per_node(m, per_node, nnodes);
  }
  /* Which tree edges are links (drawn solid, and not again as links). */
  uint8_t *linked_up = calloc((size_t)f.nprocs + 1, 1);
  if (!linked_up) {
    free(sizes);
    free(per_node);
    return AC_ENOMEM;
  }
  uint32_t ne;
  const viz_edge *edges = viz_model_edges(m, &ne);
  for (uint32_t i = 0; i < ne; i++) {
    uint32_t child;
    if (edges[i].kind == VIZ_EDGE_LINK && tree_link(&f, &edges[i], &child) && child < f.nprocs)
      linked_up[child] = 1;
  }
  f.linked_up = linked_up;
  for (uint32_t i = 0; i < np; i++) draw_panel(&f, i);
  viz_clip(out, cv.x, cv.y, cv.w, cv.h);
  draw_edges(&f);
  draw_network(&f);
  if (any_agg) {
    draw_traffic(&f, nnodes);
    for (uint32_t i = 0; i < np; i++) draw_panel_counts(&f, i, sizes, per_node, nnodes);
  }
  free(sizes);
  free(per_node);
  draw_messages(&f);
  draw_crashes(&f);
  draw_search(&f, total);
  viz_unclip(out);
  draw_legend(&f);
  draw_timeline(&f);
  draw_inspector(&f);
  draw_tooltip(&f);
  draw_help(&f);
  free(linked_up);
  return out->err;
}

uint32_t viz_draw_hit_proc(const viz_model *m, const viz_layout *l, const viz_view *v, float x,
                           float y) {
  viz_regions g;
  viz_draw_regions(m, v, &g);
  if (!viz_box_contains(g.canvas, x, y) || (v->flags & VIZ_VIEW_HELP)) return VIZ_NONE;
  uint32_t proc = viz_layout_hit(l, &v->xf, x, y);
  return proc < viz_model_proc_count(m) ? proc : VIZ_NONE;
}
