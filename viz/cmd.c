/*
 * The draw command list (cmd.h): two growing arrays, one of fixed-size commands and one of the
 * text they show. A frame reuses the memory of the previous one (viz_cmds_clear), so a steady
 * view allocates nothing per frame. An allocation failure is sticky: the frame is incomplete,
 * err says so, and nothing after it is appended.
 */
#include "cmd.h"

#include <stdlib.h>
#include <string.h>

#include "status.h"

/* DejaVu Sans Mono's advance is 1233/2048 of an em; at 96 dpi a point is 4/3 px. */
const viz_metrics viz_metrics_default = {
    .advance = {8.0f, 10.0f, 13.0f},
    .line_height = {15.0f, 18.0f, 24.0f},
    .point = {10.0f, 12.0f, 16.0f},
};

void viz_cmds_init(viz_cmds *c) { memset(c, 0, sizeof *c); }

void viz_cmds_clear(viz_cmds *c) {
  c->count = 0;
  c->text_len = 0;
  c->err = 0;
}

void viz_cmds_free(viz_cmds *c) {
  free(c->cmd);
  free(c->text);
  memset(c, 0, sizeof *c);
}

static viz_cmd *push(viz_cmds *c, uint8_t kind, viz_color color) {
  if (c->err) return NULL;
  if (c->count == c->cap) {
    uint32_t cap = c->cap ? c->cap * 2 : 1024;
    viz_cmd *grown = realloc(c->cmd, (size_t)cap * sizeof *grown);
    if (!grown) {
      c->err = AC_ENOMEM;
      return NULL;
    }
    c->cmd = grown;
    c->cap = cap;
  }
  viz_cmd *cmd = &c->cmd[c->count++];
  memset(cmd, 0, sizeof *cmd);
  cmd->kind = kind;
  cmd->color = color;
  return cmd;
}

static uint8_t clamp_width(int width) { return (uint8_t)(width < 0 ? 0 : width > 255 ? 255 : width); }

void viz_fill(viz_cmds *c, float x, float y, float w, float h, viz_color color) {
  viz_cmd *cmd = push(c, VIZ_CMD_FILL, color);
  if (cmd) *cmd = (viz_cmd){.kind = VIZ_CMD_FILL, .color = color, .x = x, .y = y, .w = w, .h = h};
}

void viz_rect(viz_cmds *c, float x, float y, float w, float h, int width, viz_color color) {
  viz_cmd *cmd = push(c, VIZ_CMD_RECT, color);
  if (cmd)
    *cmd = (viz_cmd){.kind = VIZ_CMD_RECT, .width = clamp_width(width), .color = color,
                     .x = x, .y = y, .w = w, .h = h};
}

void viz_line(viz_cmds *c, float x0, float y0, float x1, float y1, int width, int dashed,
              viz_color color) {
  viz_cmd *cmd = push(c, VIZ_CMD_LINE, color);
  if (cmd)
    *cmd = (viz_cmd){.kind = VIZ_CMD_LINE, .width = clamp_width(width), .dashed = dashed != 0,
                     .color = color, .x = x0, .y = y0, .w = x1 - x0, .h = y1 - y0};
}

void viz_circle(viz_cmds *c, float cx, float cy, float r, int width, viz_color color) {
  viz_cmd *cmd = push(c, VIZ_CMD_CIRCLE, color);
  if (cmd)
    *cmd = (viz_cmd){.kind = VIZ_CMD_CIRCLE, .width = clamp_width(width), .color = color,
                     .x = cx, .y = cy, .w = r, .h = r};
}

void viz_text(viz_cmds *c, float x, float y, viz_font_size size, viz_color color, const char *s,
              int len) {
  size_t n = len < 0 ? strlen(s) : (size_t)len;
  if (n == 0 || c->err) return;
  if (n > UINT32_MAX / 2 - c->text_len) {
    c->err = AC_ENOMEM;
    return;
  }
  if (c->text_len + n > c->text_cap) {
    uint32_t cap = c->text_cap ? c->text_cap : 16384;
    while (cap < c->text_len + n) cap *= 2;
    char *grown = realloc(c->text, cap);
    if (!grown) {
      c->err = AC_ENOMEM;
      return;
    }
    c->text = grown;
    c->text_cap = cap;
  }
  viz_cmd *cmd = push(c, VIZ_CMD_TEXT, color);
  if (!cmd) return;
  *cmd = (viz_cmd){.kind = VIZ_CMD_TEXT, .size = (uint8_t)size, .color = color, .x = x, .y = y,
                   .text_offset = c->text_len, .text_len = (uint32_t)n};
  memcpy(c->text + c->text_len, s, n);
  c->text_len += (uint32_t)n;
}

void viz_clip(viz_cmds *c, float x, float y, float w, float h) {
  viz_cmd *cmd = push(c, VIZ_CMD_CLIP, (viz_color){0, 0, 0, 0});
  if (cmd) *cmd = (viz_cmd){.kind = VIZ_CMD_CLIP, .x = x, .y = y, .w = w, .h = h};
}

void viz_unclip(viz_cmds *c) { viz_clip(c, 0, 0, 0, 0); }

float viz_text_width(const viz_metrics *m, viz_font_size size, int n) {
  return n > 0 ? m->advance[size] * (float)n : 0.0f;
}
