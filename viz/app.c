/*
 * The visualiser as a program (app.h): the `crashlab viz` command line, headless frames and
 * exports, and the window loop shared by replay and live runs.
 *
 * A replay loads the whole trace into the model first; a live run feeds the model from a pipe
 * through the same push parser (sim_trace_parser), reading only while the picture needs more
 * (the model's last record is not far enough past the time cursor), so a full pipe holds the
 * simulation back. Each frame: input, more records when live, the time cursor moves when
 * playing, the model seeks, draw.c makes the command list, render.c the pixels.
 *
 * Wall time is read here only to pace playback in a window; a --script run advances a fixed
 * 1/60 s of wall time per frame, so scripted frames (the tests) are the same on every machine.
 */
#define _POSIX_C_SOURCE 200809L
#include "app.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "draw.h"
#include "export_dot.h"
#include "export_perfetto.h"
#include "input.h"
#include "layout.h"
#include "model.h"
#include "render.h"
#include "status.h"

#define EXIT_USAGE 2
#define SIZE_DEFAULT_W 1280
#define SIZE_DEFAULT_H 800
/* A process with a record in the last RECENT_WALL_S of playback is drawn running. */
#define RECENT_WALL_S 0.2
/* At speed 1 a run plays in about this many wall seconds (never slower than real time). */
#define PLAY_SPAN_S 30.0
/* A live viewer reads this far past the cursor (in wall seconds of playback). */
#define LIVE_AHEAD_S 2.0
/* Wall time a live viewer spends reading the pipe in one frame at least (when there is more
 * to read; see live_feed). */
#define LIVE_BUDGET_S 0.012

void viz_usage(FILE *out) {
  fprintf(out,
          "usage: crashlab viz TRACE [options]\n"
          "\n"
          "Shows a recorded trace (crashlab run FILE.lua --trace TRACE) in a window, or, with\n"
          "--png, --perfetto or --dot, writes a frame or an export without a display.\n"
          "crashlab run FILE.lua --viz shows a run live in the same window.\n"
          "\n"
          "options:\n"
          "  --png FILE        draw one frame to FILE (PNG) with no display\n"
          "  --at TIME         the frame's time: a duration such as 1.5s or 250ms, or start,\n"
          "                    end, fail (default: the first failure, else the end)\n"
          "  --size WxH        the frame's size in pixels (default 1280x800)\n"
          "  --perfetto FILE   Chrome trace-event JSON for ui.perfetto.dev\n"
          "  --dot FILE        the supervision trees and links at --at, for Graphviz\n"
          "  --script FILE     drive the window from a file of input lines\n"
          "                    (docs/visualiser.md, \"Scripted input\")\n"
          "  --help            this text\n"
          "\n"
          "In the window, press ? for the keys. Exit status: 0, or 2 for bad input (one line\n"
          "on stderr; no output file is left half-written).\n");
}

/* ---- Small parsers ----------------------------------------------------------------------- */

static int parse_size(const char *text, int *w, int *h) {
  char *end;
  errno = 0;
  long a = strtol(text, &end, 10);
  if (end == text || (*end != 'x' && *end != 'X')) return -1;
  const char *second = end + 1;
  long b = strtol(second, &end, 10);
  if (errno || end == second || *end || a < 64 || b < 64 || a > VIZ_RENDER_SIDE_MAX ||
      b > VIZ_RENDER_SIDE_MAX)
    return -1;
  *w = (int)a;
  *h = (int)b;
  return 0;
}

/* --at: start | end | fail | a duration. *which: 0 a time, 1 start, 2 end, 3 fail. */
static int parse_at(const char *text, uint64_t *ns, int *which) {
  *which = 0;
  if (strcmp(text, "start") == 0) return *which = 1, 0;
  if (strcmp(text, "end") == 0) return *which = 2, 0;
  if (strcmp(text, "fail") == 0) return *which = 3, 0;
  return sim_parse_duration(text, ns);
}

/* ---- Loading ----------------------------------------------------------------------------- */

static int load(viz_model *m, const char *path) {
  char err[768];
  viz_model_init(m);
  int rc = viz_model_load(m, path, err, sizeof err);
  if (rc != 0) {
    fprintf(stderr, "crashlab: %s\n", err);
    viz_model_free(m);
    return -1;
  }
  return 0;
}

/* The first failure: a property failure, else a failing run_end; VIZ_NONE for none. */
static uint32_t failure_event(const viz_model *m) {
  uint32_t n;
  const uint32_t *props = viz_model_marks(m, VIZ_MARK_PROPERTY, &n);
  if (n) return props[0];
  const uint32_t *ends = viz_model_marks(m, VIZ_MARK_RUN_END, &n);
  for (uint32_t i = 0; i < n; i++) {
    const viz_event *e = viz_model_event(m, ends[i]);
    if (e && e->a != 0) return ends[i];
  }
  return VIZ_NONE;
}

/* Moves the cursor as --at says; -1 after a message when the time is past the end. */
static int seek_at(viz_model *m, int which, uint64_t at_ns, const char *at_text) {
  uint32_t fail = failure_event(m);
  if (which == 0) {
    if (at_ns > viz_model_last_ns(m)) {
      char end[32];
      sim_format_duration(viz_model_last_ns(m), end, sizeof end);
      fprintf(stderr, "crashlab: --at %s is past the end of the trace (it ends at %s)\n",
              at_text, end);
      return -1;
    }
    return viz_model_seek_time(m, at_ns) == 0 ? 0 : -1;
  }
  if (which == 1) return viz_model_seek(m, 0) == 0 ? 0 : -1;
  if (which == 3 && fail == VIZ_NONE) {
    fprintf(stderr, "crashlab: --at fail: the run did not fail\n");
    return -1;
  }
  if (which == 3 || (which == -1 && fail != VIZ_NONE)) return viz_model_seek(m, fail + 1);
  return viz_model_seek(m, viz_model_count(m));
}

/* ---- The window -------------------------------------------------------------------------- */

typedef struct app {
  viz_model m;
  viz_layout *layout;
  viz_render *r;
  viz_cmds cmds;
  viz_view view;
  /* Live input. */
  int fd;                  /* the pipe, or -1 (replay, or the stream ended) */
  sim_trace_parser parser;
  bool stream_ok;          /* the stream ended with a verified trailer */
  char stream_error[512];
  /* Playback. */
  bool playing;
  bool follow;             /* live: the cursor stays at the newest record */
  bool cursor_by_event;    /* the cursor was set by an event step: do not re-seek by time */
  double rate;             /* virtual ns per wall second at speed 1 */
  double last_wall_s;
  double draw_cost_s;      /* wall time the last frame took to draw and render */
  /* The mouse. */
  bool drag_timeline, drag_canvas, moved;
  float press_x, press_y, last_x, last_y;
  /* A --script. */
  FILE *script;
  const char *script_path;
  unsigned script_line;
  int wait_frames;
  bool wait_end;           /* a wait-end line waits for the live stream to end */
  int status;              /* exit status */
  int ready_fd;            /* live: told (one byte) when the window is open, or -1 */
  bool quit;
  char title[320];
} app;

static double wall_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void set_rate(app *a) {
  double span = (double)(viz_model_last_ns(&a->m) - viz_model_first_ns(&a->m));
  a->rate = span / PLAY_SPAN_S;
  if (a->rate < 1e9) a->rate = 1e9; /* never slower than real time */
}

static void seek_index(app *a, uint32_t pos) {
  viz_model_seek(&a->m, pos);
  a->view.time_ns = viz_model_time(&a->m);
  a->cursor_by_event = true;
  a->follow = false;
}

static void seek_time(app *a, uint64_t t_ns) {
  uint64_t last = viz_model_last_ns(&a->m);
  a->view.time_ns = t_ns > last ? last : t_ns;
  a->cursor_by_event = false;
  a->follow = false;
}

static void pause_at(app *a) {
  a->playing = false;
  a->view.flags |= VIZ_VIEW_PAUSED;
}

/* The next (dir > 0) or previous mark among faults, crashes, property failures and upgrades. */
static void jump_mark(app *a, int dir) {
  static const viz_mark_kind kinds[] = {VIZ_MARK_FAULT, VIZ_MARK_CRASH, VIZ_MARK_PROPERTY,
                                        VIZ_MARK_CODE};
  uint32_t best = VIZ_NONE;
  for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
    uint32_t e = dir > 0 ? viz_model_mark_next(&a->m, kinds[k]) : viz_model_mark_prev(&a->m, kinds[k]);
    if (e == VIZ_NONE) continue;
    if (best == VIZ_NONE || (dir > 0 ? e < best : e > best)) best = e;
  }
  if (best != VIZ_NONE) {
    seek_index(a, best + 1);
    pause_at(a);
  }
}

static void on_text(app *a, const char *text) {
  viz_view *v = &a->view;
  if (v->flags & VIZ_VIEW_SEARCH) {
    size_t n = strlen(v->search);
    for (const char *c = text; *c && n + 1 < sizeof v->search; c++) v->search[n++] = *c;
    v->search[n] = 0;
    return;
  }
  for (const char *c = text; *c; c++) {
    uint64_t span = viz_model_last_ns(&a->m) - viz_model_first_ns(&a->m);
    switch (*c) {
      case ' ':
        a->playing = !a->playing;
        if (a->playing) {
          v->flags &= ~(uint32_t)VIZ_VIEW_PAUSED;
          if (!a->follow && viz_model_pos(&a->m) >= viz_model_count(&a->m) && a->fd < 0)
            seek_index(a, 0); /* play again from the start */
        } else {
          v->flags |= VIZ_VIEW_PAUSED;
          a->follow = false; /* a live run then waits for the viewer (a full pipe) */
        }
        break;
      case '.':
        pause_at(a);
        seek_index(a, viz_model_pos(&a->m) + 1);
        break;
      case ',':
        pause_at(a);
        if (viz_model_pos(&a->m) > 0) seek_index(a, viz_model_pos(&a->m) - 1);
        break;
      case '+':
      case '=':
        if (v->speed < 65536) v->speed *= 2;
        break;
      case '-':
        if (v->speed > 1.0 / 1024) v->speed /= 2;
        break;
      case ']': jump_mark(a, 1); break;
      case '[': jump_mark(a, -1); break;
      case 'l': v->flags ^= VIZ_VIEW_LINKS; break;
      case 'm': v->flags ^= VIZ_VIEW_MONITORS; break;
      case '?': v->flags ^= VIZ_VIEW_HELP; break;
      case '/':
        v->flags |= VIZ_VIEW_SEARCH;
        v->search[0] = 0;
        break;
      case 'z': viz_xform_zoom_at(&v->xf, v->width_px / 2, v->height_px / 2, 1.25f); break;
      case 'x': viz_xform_zoom_at(&v->xf, v->width_px / 2, v->height_px / 2, 0.8f); break;
      case '0': v->xf = viz_xform_fit(); break;
      case 'q': a->quit = true; break;
      case '>': seek_time(a, v->time_ns + span / 50); break;
      case '<': seek_time(a, v->time_ns > span / 50 ? v->time_ns - span / 50 : 0); break;
      default: break;
    }
  }
}

static void on_key(app *a, viz_key key) {
  viz_view *v = &a->view;
  uint64_t span = viz_model_last_ns(&a->m) - viz_model_first_ns(&a->m);
  uint64_t step = span / 50 ? span / 50 : 1;
  if (v->flags & VIZ_VIEW_SEARCH) {
    size_t n = strlen(v->search);
    if (key == VIZ_KEY_BACKSPACE && n) v->search[n - 1] = 0;
    if (key == VIZ_KEY_ESCAPE) { /* cancels: the box and its highlights go */
      v->flags &= ~(uint32_t)VIZ_VIEW_SEARCH;
      v->search[0] = 0;
    }
    if (key == VIZ_KEY_RETURN) {
      uint32_t hit;
      if (v->search[0] && viz_model_search(&a->m, v->search, &hit, 1) > 0) v->selected = hit;
      v->flags &= ~(uint32_t)VIZ_VIEW_SEARCH;
    }
    return;
  }
  switch (key) {
    case VIZ_KEY_RIGHT: seek_time(a, v->time_ns + step); break;
    case VIZ_KEY_LEFT: seek_time(a, v->time_ns > step ? v->time_ns - step : 0); break;
    case VIZ_KEY_UP: viz_xform_pan(&v->xf, 0, 40); break;
    case VIZ_KEY_DOWN: viz_xform_pan(&v->xf, 0, -40); break;
    case VIZ_KEY_HOME: seek_index(a, 0); break;
    case VIZ_KEY_END:
      if (a->fd >= 0) {
        /* Live: follow the newest record, as fast as the run goes. */
        a->follow = a->playing = true;
        v->flags &= ~(uint32_t)VIZ_VIEW_PAUSED;
      } else {
        seek_index(a, viz_model_count(&a->m));
      }
      break;
    case VIZ_KEY_ESCAPE: /* the help, then the search's highlights, then the selection */
      if (v->flags & VIZ_VIEW_HELP) v->flags &= ~(uint32_t)VIZ_VIEW_HELP;
      else if (v->search[0]) v->search[0] = 0;
      else v->selected = VIZ_NONE;
      break;
    default: break;
  }
}

static void on_input(app *a, const viz_input *in) {
  viz_view *v = &a->view;
  uint64_t t;
  switch (in->kind) {
    case VIZ_IN_QUIT: a->quit = true; break;
    case VIZ_IN_TEXT: on_text(a, in->text); break;
    case VIZ_IN_KEY: on_key(a, in->key); break;
    case VIZ_IN_MOUSE_DOWN:
      a->press_x = a->last_x = in->x;
      a->press_y = a->last_y = in->y;
      a->moved = false;
      if (viz_draw_hit_timeline(&a->m, v, in->x, in->y, &t)) {
        a->drag_timeline = true;
        seek_time(a, t);
      } else {
        a->drag_canvas = true;
      }
      break;
    case VIZ_IN_MOUSE_MOVE:
      v->mouse_x = in->x;
      v->mouse_y = in->y;
      v->hover = viz_draw_hit_proc(&a->m, a->layout, v, in->x, in->y);
      if (a->drag_timeline) {
        /* A drag that started on the timeline follows the mouse's x wherever its y goes. */
        viz_regions reg;
        viz_draw_regions(&a->m, v, &reg);
        if (viz_draw_hit_timeline(&a->m, v, in->x, reg.timeline.y + reg.timeline.h / 2, &t))
          seek_time(a, t);
      }
      if (a->drag_canvas) {
        if (in->x != a->press_x || in->y != a->press_y) a->moved = true;
        viz_xform_pan(&v->xf, in->x - a->last_x, in->y - a->last_y);
      }
      a->last_x = in->x;
      a->last_y = in->y;
      break;
    case VIZ_IN_MOUSE_UP:
      if (a->drag_canvas && !a->moved) v->selected = viz_draw_hit_proc(&a->m, a->layout, v, in->x, in->y);
      a->drag_canvas = a->drag_timeline = false;
      break;
    case VIZ_IN_WHEEL:
      viz_xform_zoom_at(&v->xf, in->x, in->y, in->wheel > 0 ? 1.25f : 0.8f);
      break;
  }
}

/* ---- Scripts ----------------------------------------------------------------------------- */
/*
 * A script is a file of lines, run one frame apart unless a line says otherwise. The first
 * line runs after the first frame is drawn (so the view has the window's real size), and each
 * line's input is handled before the next frame, so a screenshot shows every line before it.
 *   key NAME            a key: left right up down escape return backspace home end
 *   text STRING         typed text: everything after "text " (one space), at most 31 bytes;
 *                       "text ." steps one event, "text  " (two spaces) types a space
 *   click X Y           a left click (down and up) at frame pixel X, Y
 *   move X Y            the mouse moves to X, Y
 *   seek TIME           a click on the timeline where TIME is (a duration)
 *   wheel N X Y         the wheel turns N notches at X, Y
 *   frames N            let N frames pass
 *   wait-end            let frames pass until a live run's trace has ended (at once in a
 *                       replay), so a test waits for the run, never for wall time
 *   screenshot FILE     save the current frame as a PNG
 *   expect-title TEXT   fail (exit 1) unless the window title contains TEXT
 *   quit                close the window
 * Blank lines and lines starting with # are skipped. A bad line is an error naming FILE:LINE.
 */

static int script_fail(app *a, const char *what) {
  fprintf(stderr, "crashlab: %s:%u: %s\n", a->script_path, a->script_line, what);
  a->status = EXIT_USAGE;
  a->quit = true;
  return -1;
}

static int push(app *a, viz_input in) {
  if (viz_input_push(&in) != 0) return script_fail(a, "cannot queue the input event");
  return 0;
}

/* Runs script lines until one that lets frames pass. */
static void script_step(app *a) {
  if (!a->script || a->quit) return;
  if (a->wait_frames > 0) {
    a->wait_frames--;
    return;
  }
  if (a->wait_end && a->fd >= 0) return;
  a->wait_end = false;
  char line[1024];
  while (fgets(line, sizeof line, a->script)) {
    a->script_line++;
    size_t n = strcspn(line, "\r\n");
    line[n] = 0;
    char *s = line;
    while (*s == ' ' || *s == '\t') s++;
    if (!*s || *s == '#') continue;
    char word[32] = "";
    int used = 0;
    if (sscanf(s, "%31s %n", word, &used) < 1) continue;
    char *rest = s + used;
    if (strcmp(word, "text") == 0) {
      /* Typed text keeps its blanks: only the one space after the word separates. */
      rest = s + strlen(word);
      if (*rest == ' ' || *rest == '\t') rest++;
    } else {
      size_t len = strlen(rest);
      while (len && (rest[len - 1] == ' ' || rest[len - 1] == '\t')) rest[--len] = 0;
    }
    float x, y, w;
    viz_input in = {0};
    if (strcmp(word, "key") == 0) {
      static const struct { const char *name; viz_key key; } keys[] = {
          {"left", VIZ_KEY_LEFT},     {"right", VIZ_KEY_RIGHT},   {"up", VIZ_KEY_UP},
          {"down", VIZ_KEY_DOWN},     {"escape", VIZ_KEY_ESCAPE}, {"return", VIZ_KEY_RETURN},
          {"backspace", VIZ_KEY_BACKSPACE}, {"home", VIZ_KEY_HOME}, {"end", VIZ_KEY_END}};
      in.kind = VIZ_IN_KEY;
      for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        if (strcmp(rest, keys[k].name) == 0) in.key = keys[k].key;
      if (!in.key) {
        script_fail(a, "unknown key (left right up down escape return backspace home end)");
        return;
      }
      if (push(a, in)) return;
      return;
    } else if (strcmp(word, "text") == 0) {
      in.kind = VIZ_IN_TEXT;
      if (!*rest || strlen(rest) >= sizeof in.text) {
        script_fail(a, "text needs 1 to 31 bytes of text (split longer text over lines)");
        return;
      }
      snprintf(in.text, sizeof in.text, "%s", rest);
      if (push(a, in)) return;
      return;
    } else if (strcmp(word, "click") == 0 && sscanf(rest, "%f %f", &x, &y) == 2) {
      in = (viz_input){.kind = VIZ_IN_MOUSE_DOWN, .x = x, .y = y, .button = 1};
      if (push(a, in)) return;
      in.kind = VIZ_IN_MOUSE_UP;
      if (push(a, in)) return;
      return;
    } else if (strcmp(word, "move") == 0 && sscanf(rest, "%f %f", &x, &y) == 2) {
      in = (viz_input){.kind = VIZ_IN_MOUSE_MOVE, .x = x, .y = y};
      if (push(a, in)) return;
      return;
    } else if (strcmp(word, "wheel") == 0 && sscanf(rest, "%f %f %f", &w, &x, &y) == 3) {
      in = (viz_input){.kind = VIZ_IN_WHEEL, .x = x, .y = y, .wheel = w};
      if (push(a, in)) return;
      return;
    } else if (strcmp(word, "seek") == 0) {
      uint64_t t;
      if (sim_parse_duration(rest, &t) != 0) {
        script_fail(a, "seek needs a duration such as 1.5s");
        return;
      }
      viz_regions reg;
      viz_draw_regions(&a->m, &a->view, &reg);
      float tx = viz_draw_timeline_x(&a->m, &a->view, t);
      float ty = reg.timeline.y + reg.timeline.h / 2;
      in = (viz_input){.kind = VIZ_IN_MOUSE_DOWN, .x = tx, .y = ty, .button = 1};
      if (push(a, in)) return;
      in.kind = VIZ_IN_MOUSE_UP;
      if (push(a, in)) return;
      return;
    } else if (strcmp(word, "frames") == 0) {
      long k = strtol(rest, NULL, 10);
      if (k < 1 || k > 100000) {
        script_fail(a, "frames needs a count from 1 to 100000");
        return;
      }
      a->wait_frames = (int)k - 1;
      return;
    } else if (strcmp(word, "wait-end") == 0 && !*rest) {
      a->wait_end = true;
      if (a->fd >= 0) return;
      a->wait_end = false;
      continue;
    } else if (strcmp(word, "screenshot") == 0 && *rest) {
      char err[512];
      if (viz_render_save_png(a->r, rest, err, sizeof err) != 0) {
        fprintf(stderr, "crashlab: %s\n", err);
        a->status = EXIT_USAGE;
        a->quit = true;
        return;
      }
      continue;
    } else if (strcmp(word, "expect-title") == 0) {
      if (!strstr(a->title, rest)) {
        fprintf(stderr, "crashlab: %s:%u: the title is '%s', without '%s'\n", a->script_path,
                a->script_line, a->title, rest);
        a->status = 1;
        a->quit = true;
        return;
      }
      continue;
    } else if (strcmp(word, "quit") == 0) {
      in.kind = VIZ_IN_QUIT;
      push(a, in);
      return;
    } else {
      script_fail(a, "unknown script line (key, text, click, move, seek, wheel, frames, "
                     "wait-end, screenshot, expect-title, quit)");
      return;
    }
  }
  /* The script is over: the window closes. */
  a->quit = true;
}

/* ---- Live input -------------------------------------------------------------------------- */

/* Live: more records are wanted while following the newest, or while the newest record is
 * less than LIVE_AHEAD_S of playback past the cursor. */
static bool live_wants_more(const app *a) {
  if (a->follow || viz_model_count(&a->m) == 0) return true;
  double ahead_ns = LIVE_AHEAD_S * a->rate * a->view.speed;
  return (double)viz_model_last_ns(&a->m) < (double)a->view.time_ns + ahead_ns;
}

/* The stream is over (the simulation closed its end) or broken: the pipe is closed. */
static void live_close(app *a, bool eof) {
  if (eof && sim_trace_parser_finish(&a->parser) == 0) {
    a->stream_ok = true;
  } else if (!a->stream_error[0]) {
    snprintf(a->stream_error, sizeof a->stream_error, "%s", a->parser.error);
  }
  close(a->fd);
  a->fd = -1;
}

/*
 * Reads from the pipe and appends the records, for at most LIVE_BUDGET_S of wall time in one
 * frame, while live_wants_more. Waiting for the simulation's next bytes counts against the
 * budget, so a frame is never held up longer than that, and a viewer that keeps up reads a
 * fast run at the speed of its parser rather than one pipe buffer per frame.
 */
static void live_feed(app *a) {
  static uint8_t buf[1 << 16];
  /* At least twice what drawing a frame costs, so a viewer that follows a fast run spends
   * two thirds of its time reading it, whatever the size of the picture. */
  double budget_s = 2 * a->draw_cost_s;
  if (budget_s < LIVE_BUDGET_S) budget_s = LIVE_BUDGET_S;
  if (budget_s > 0.1) budget_s = 0.1;
  double end = wall_s() + budget_s;
  while (a->fd >= 0 && live_wants_more(a)) {
    double left_s = end - wall_s();
    if (left_s <= 0) break;
    struct pollfd p = {a->fd, POLLIN, 0};
    int ready = poll(&p, 1, (int)(left_s * 1000) + 1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break;
    ssize_t got = read(a->fd, buf, sizeof buf);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (got <= 0) {
      live_close(a, got == 0);
      break;
    }
    sim_record rec;
    int rc = sim_trace_parser_feed(&a->parser, buf, (size_t)got);
    while (rc == 0 && (rc = sim_trace_parser_next(&a->parser, &rec)) == 1) {
      viz_model_append(&a->m, &rec);
      rc = 0;
    }
    if (rc < 0 || a->m.err) {
      if (a->m.err) snprintf(a->stream_error, sizeof a->stream_error, "out of memory");
      live_close(a, false);
      break;
    }
    if (a->parser.have_header && !a->m.scenario[0]) {
      viz_model_set_header(&a->m, a->parser.name, a->parser.seed);
      a->view.seed = a->parser.seed;
    }
  }
}

/* ---- The loop ---------------------------------------------------------------------------- */

static void frame(app *a) {
  viz_view *v = &a->view;
  int w, h;
  viz_render_size(a->r, &w, &h);
  v->width_px = (float)w;
  v->height_px = (float)h;
  double now = wall_s();
  double dt = a->script ? 1.0 / 60 : now - a->last_wall_s;
  if (dt > 0.1) dt = 0.1;
  a->last_wall_s = now;
  if (a->fd >= 0 || a->script == NULL) live_feed(a);
  uint64_t last = viz_model_last_ns(&a->m);
  if (a->playing) {
    uint64_t t = v->time_ns + (uint64_t)(dt * a->rate * v->speed);
    if (a->follow) t = last;
    if (t >= last) {
      t = last;
      if (a->fd < 0) pause_at(a); /* a replay stops at its end; a live run waits for more */
    }
    v->time_ns = t;
    a->cursor_by_event = false;
  }
  if (a->follow) {
    viz_model_seek(&a->m, viz_model_count(&a->m));
    v->time_ns = viz_model_time(&a->m);
  } else if (!a->cursor_by_event) {
    viz_model_seek_time(&a->m, v->time_ns);
  }
  /* While playing, who acted in the last fifth of a second of playback stays green
   * (viz_model_set_recent); paused, the frame is the exact state at the cursor. */
  viz_model_set_recent(&a->m, a->playing ? (uint64_t)(RECENT_WALL_S * a->rate * v->speed) : 0);
  double draw_start = wall_s();
  viz_draw_frame(&a->cmds, &a->m, a->layout, v);
  viz_render_frame(a->r, &a->cmds, viz_background);
  viz_render_present(a->r);
  a->draw_cost_s = wall_s() - draw_start;
  char title[sizeof a->title];
  viz_draw_title(&a->m, v, title, sizeof title);
  if (strcmp(title, a->title) != 0) {
    memcpy(a->title, title, sizeof title);
    viz_render_set_title(a->r, a->title);
  }
}

static int window_loop(app *a, int width_px, int height_px) {
  char err[512];
  if (viz_render_open_window(&a->r, "crashlab", width_px, height_px, err, sizeof err) != 0) {
    fprintf(stderr, "crashlab: %s\n", err);
    return EXIT_USAGE;
  }
  if (viz_layout_new(&a->layout) != 0) {
    fprintf(stderr, "crashlab: out of memory\n");
    viz_render_close(a->r);
    return EXIT_USAGE;
  }
  if (a->ready_fd > 0) {
    ssize_t put = write(a->ready_fd, "1", 1);
    (void)put; /* a run that is gone already ends the stream; the loop sees that */
    close(a->ready_fd);
    a->ready_fd = -1;
  }
  viz_cmds_init(&a->cmds);
  a->view.metrics = viz_render_metrics(a->r);
  a->last_wall_s = wall_s();
  while (!a->quit) {
    viz_input in;
    while (viz_input_poll(&in)) on_input(a, &in);
    if (a->quit) break;
    frame(a);
    /* After the frame: the script's first line sees a view sized by the window, and a
     * screenshot saves a frame that shows every earlier line's input. */
    script_step(a);
    if (!a->script) {
      /* About 60 frames a second; the render driver may already wait for the display. */
      double spent = wall_s() - a->last_wall_s;
      if (spent < 1.0 / 60) {
        struct timespec ts = {0, (long)((1.0 / 60 - spent) * 1e9)};
        nanosleep(&ts, NULL);
      }
    }
  }
  viz_cmds_free(&a->cmds);
  viz_layout_free(a->layout);
  viz_render_close(a->r);
  return a->status;
}

static int open_script(app *a, const char *path) {
  if (!path) return 0;
  a->script = fopen(path, "r");
  if (!a->script) {
    fprintf(stderr, "crashlab: %s: cannot open the script: %s\n", path, strerror(errno));
    return -1;
  }
  a->script_path = path;
  return 0;
}

static void app_init(app *a, int width_px, int height_px) {
  memset(a, 0, sizeof *a);
  viz_model_init(&a->m);
  viz_view_init(&a->view, (float)width_px, (float)height_px);
  a->view.scenario = a->m.scenario; /* filled when the header is read */
  a->fd = -1;
  a->ready_fd = -1;
}

/* ---- Entry points ------------------------------------------------------------------------ */

typedef struct viz_args {
  const char *trace, *png, *perfetto, *dot, *script, *at_text;
  uint64_t at_ns;
  int at_which; /* -1: not given */
  int width_px, height_px;
} viz_args;

static int parse_args(int argc, char **argv, viz_args *o) {
  memset(o, 0, sizeof *o);
  o->at_which = -1;
  o->width_px = SIZE_DEFAULT_W;
  o->height_px = SIZE_DEFAULT_H;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    const char *val = i + 1 < argc ? argv[i + 1] : NULL;
    const char **slot = strcmp(arg, "--png") == 0        ? &o->png
                        : strcmp(arg, "--perfetto") == 0 ? &o->perfetto
                        : strcmp(arg, "--dot") == 0      ? &o->dot
                        : strcmp(arg, "--script") == 0   ? &o->script
                                                         : NULL;
    if (slot) {
      if (!val) {
        fprintf(stderr, "crashlab: %s needs a file name\n", arg);
        return -1;
      }
      *slot = val;
      i++;
    } else if (strcmp(arg, "--at") == 0) {
      if (!val || parse_at(val, &o->at_ns, &o->at_which) != 0) {
        fprintf(stderr, "crashlab: --at needs a time such as 1.5s or 250ms, or start, end, "
                        "fail; got '%s'\n", val ? val : "");
        return -1;
      }
      o->at_text = val;
      i++;
    } else if (strcmp(arg, "--size") == 0) {
      if (!val || parse_size(val, &o->width_px, &o->height_px) != 0) {
        fprintf(stderr, "crashlab: --size needs WIDTHxHEIGHT from 64x64 to %dx%d, got '%s'\n",
                VIZ_RENDER_SIDE_MAX, VIZ_RENDER_SIDE_MAX, val ? val : "");
        return -1;
      }
      i++;
    } else if (arg[0] == '-') {
      fprintf(stderr, "crashlab: unknown option '%s' (crashlab viz --help)\n", arg);
      return -1;
    } else if (!o->trace) {
      o->trace = arg;
    } else {
      fprintf(stderr, "crashlab: unexpected argument '%s' (crashlab viz --help)\n", arg);
      return -1;
    }
  }
  if (!o->trace) {
    fprintf(stderr, "crashlab: viz needs a trace file (crashlab viz TRACE; record one with "
                    "crashlab run FILE.lua --trace TRACE)\n");
    return -1;
  }
  return 0;
}

static int headless_png(viz_model *m, const viz_args *o) {
  char err[768];
  viz_render *r = NULL;
  viz_layout *layout = NULL;
  viz_cmds cmds;
  viz_cmds_init(&cmds);
  int status = EXIT_USAGE;
  if (viz_render_open_surface(&r, o->width_px, o->height_px, err, sizeof err) != 0) {
    fprintf(stderr, "crashlab: %s\n", err);
    goto done;
  }
  if (viz_layout_new(&layout) != 0) goto oom;
  viz_view view;
  viz_view_init(&view, (float)o->width_px, (float)o->height_px);
  view.metrics = viz_render_metrics(r);
  view.time_ns = viz_model_time(m);
  view.flags |= VIZ_VIEW_PAUSED;
  view.scenario = m->scenario;
  view.seed = m->seed;
  if (viz_draw_frame(&cmds, m, layout, &view) != 0) goto oom;
  if (viz_render_frame(r, &cmds, viz_background) != 0) goto oom;
  if (viz_render_save_png(r, o->png, err, sizeof err) != 0) {
    fprintf(stderr, "crashlab: %s\n", err);
    goto done;
  }
  status = 0;
  goto done;
oom:
  fprintf(stderr, "crashlab: out of memory while drawing the frame\n");
done:
  viz_cmds_free(&cmds);
  viz_layout_free(layout);
  viz_render_close(r);
  return status;
}

int viz_main(int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      viz_usage(stdout);
      return 0;
    }
  viz_args o;
  if (parse_args(argc, argv, &o) != 0) return EXIT_USAGE;
  char err[768];
  if (o.perfetto && viz_export_perfetto(o.trace, o.perfetto, err, sizeof err) != 0) {
    fprintf(stderr, "crashlab: %s\n", err);
    return EXIT_USAGE;
  }
  if (o.perfetto && !o.png && !o.dot) return 0;
  app *a = malloc(sizeof *a);
  if (!a) {
    fprintf(stderr, "crashlab: out of memory\n");
    return EXIT_USAGE;
  }
  app_init(a, o.width_px, o.height_px);
  int status = EXIT_USAGE;
  if (load(&a->m, o.trace) != 0) goto done;
  if (viz_model_count(&a->m) == 0) {
    fprintf(stderr, "crashlab: %s: the trace has no records\n", o.trace);
    goto done;
  }
  if (o.png || o.dot) {
    if (seek_at(&a->m, o.at_which, o.at_ns, o.at_text) != 0) goto done;
    if (o.dot && viz_export_dot(&a->m, o.dot, err, sizeof err) != 0) {
      fprintf(stderr, "crashlab: %s\n", err);
      goto done;
    }
    status = o.png ? headless_png(&a->m, &o) : 0;
    goto done;
  }
  if (open_script(a, o.script) != 0) goto done;
  a->view.seed = a->m.seed;
  set_rate(a);
  if (o.at_which >= 0) {
    if (seek_at(&a->m, o.at_which, o.at_ns, o.at_text) != 0) goto done;
    a->view.time_ns = viz_model_time(&a->m);
    a->cursor_by_event = true;
    pause_at(a);
  } else if (failure_event(&a->m) != VIZ_NONE) {
    /* A failing run opens at its failure, paused, with the failed property shown. */
    seek_index(a, failure_event(&a->m) + 1);
    pause_at(a);
  } else {
    seek_index(a, 0);
    a->playing = true;
  }
  status = window_loop(a, o.width_px, o.height_px);
done:
  if (a->script) fclose(a->script);
  viz_model_free(&a->m);
  free(a);
  return status;
}

int viz_live(int fd, const viz_live_opts *opts) {
  app *a = malloc(sizeof *a);
  if (!a) {
    fprintf(stderr, "crashlab: out of memory\n");
    close(fd);
    return EXIT_USAGE;
  }
  int w = opts && opts->width_px ? opts->width_px : SIZE_DEFAULT_W;
  int h = opts && opts->height_px ? opts->height_px : SIZE_DEFAULT_H;
  app_init(a, w, h);
  a->fd = fd;
  a->ready_fd = opts ? opts->ready_fd : -1;
  sim_trace_parser_init(&a->parser);
  a->view.flags |= VIZ_VIEW_LIVE;
  /* A live run plays in real time (+ and - change the speed; End follows the newest record
   * as fast as the run goes), reading only two seconds of playback ahead. */
  a->playing = true;
  a->follow = false;
  a->rate = 1e9;
  int status = EXIT_USAGE;
  if (open_script(a, opts ? opts->script : NULL) == 0) status = window_loop(a, w, h);
  if (a->fd >= 0) close(a->fd); /* the simulation stops at its next write */
  if (a->ready_fd > 0) close(a->ready_fd); /* no window: the run does not start */
  if (a->stream_error[0] && status == 0) {
    fprintf(stderr, "crashlab: the live trace stream broke: %s\n", a->stream_error);
    status = EXIT_USAGE;
  }
  if (a->script) fclose(a->script);
  sim_trace_parser_free(&a->parser);
  viz_model_free(&a->m);
  free(a);
  return status;
}
