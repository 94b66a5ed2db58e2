/*
 * The visualiser's draw commands: what a frame is made of, and the only thing the renderer
 * (viz/render.c, the one file that calls SDL) reads.
 *
 * viz/draw.c turns the model and the layout into a command list; the renderer turns the list
 * into pixels on a window or on a software surface (--png). Because a frame is plain data, the
 * drawing logic is tested by reading the list (tests/viz/), with no SDL and no display.
 *
 * Text is set in one monospaced face (DejaVu Sans Mono) at three sizes, so the width of a
 * string is its length in characters times the size's advance: layout and drawing measure text
 * without asking the renderer, and a frame's commands are the same on every machine. The
 * renderer fills in the real advances of the loaded font (viz_metrics); tests use the defaults.
 *
 * Coordinates are pixels of the frame, floats, origin top-left. Commands are drawn in order
 * (painter's algorithm) inside the current clip rectangle.
 */
#ifndef CRASHLAB_VIZ_CMD_H
#define CRASHLAB_VIZ_CMD_H

#include <stdint.h>

typedef struct viz_color {
  uint8_t r, g, b, a; /* a = 255 is opaque */
} viz_color;

typedef enum viz_cmd_kind {
  VIZ_CMD_FILL = 1, /* a filled rectangle x, y, w, h */
  VIZ_CMD_RECT,     /* a rectangle's outline x, y, w, h, `width` pixels thick */
  VIZ_CMD_LINE,     /* a line from x, y to x + w, y + h, `width` pixels thick */
  VIZ_CMD_CIRCLE,   /* a disc (filled) or ring at centre x, y with radius w */
  VIZ_CMD_TEXT,     /* text with its top-left corner at x, y, at font size `size` */
  VIZ_CMD_CLIP,     /* from here on, draw only inside x, y, w, h (w = h = 0: no clip) */
} viz_cmd_kind;

typedef enum viz_font_size {
  VIZ_FONT_SMALL = 0,  /* labels inside boxes, the timeline's ticks */
  VIZ_FONT_NORMAL = 1, /* panels, the inspector */
  VIZ_FONT_LARGE = 2,  /* titles, the failed property */
  VIZ_FONT_SIZES = 3,
} viz_font_size;

typedef struct viz_cmd {
  uint8_t kind;        /* viz_cmd_kind */
  uint8_t size;        /* TEXT: viz_font_size */
  uint8_t width;       /* RECT, LINE, CIRCLE (ring): thickness in pixels; CIRCLE 0: filled */
  uint8_t dashed;      /* LINE: drawn as dashes */
  viz_color color;
  float x, y, w, h;
  uint32_t text_offset; /* TEXT: the string is text[text_offset .. text_offset + text_len) */
  uint32_t text_len;
} viz_cmd;

/* A frame's command list. Grows as needed; a failed allocation sets err (the frame is then
 * incomplete, and the caller reports it) and later calls do nothing. */
typedef struct viz_cmds {
  viz_cmd *cmd;
  uint32_t count, cap;
  char *text;          /* the strings of all TEXT commands, not NUL-terminated */
  uint32_t text_len, text_cap;
  int err;             /* 0, or AC_ENOMEM after a failed allocation (sticky) */
} viz_cmds;

/* Pixel metrics of the monospaced face at each size. */
typedef struct viz_metrics {
  float advance[VIZ_FONT_SIZES];     /* width of one character */
  float line_height[VIZ_FONT_SIZES]; /* height of a line of text */
  float point[VIZ_FONT_SIZES];       /* the point size the renderer opens the face at */
} viz_metrics;

/* The metrics of DejaVu Sans Mono at 10, 12 and 16 points (what the renderer loads). */
extern const viz_metrics viz_metrics_default;

void viz_cmds_init(viz_cmds *c);
/* Empties the list for the next frame, keeping its memory. */
void viz_cmds_clear(viz_cmds *c);
void viz_cmds_free(viz_cmds *c);

void viz_fill(viz_cmds *c, float x, float y, float w, float h, viz_color color);
void viz_rect(viz_cmds *c, float x, float y, float w, float h, int width, viz_color color);
void viz_line(viz_cmds *c, float x0, float y0, float x1, float y1, int width, int dashed,
              viz_color color);
/* A disc (width 0) or a ring `width` pixels thick. */
void viz_circle(viz_cmds *c, float cx, float cy, float r, int width, viz_color color);
/* Draws at most len bytes of s (len < 0: up to its NUL). */
void viz_text(viz_cmds *c, float x, float y, viz_font_size size, viz_color color, const char *s,
              int len);
void viz_clip(viz_cmds *c, float x, float y, float w, float h);
void viz_unclip(viz_cmds *c);

/* Width in pixels of n characters at a size. */
float viz_text_width(const viz_metrics *m, viz_font_size size, int n);

#endif
