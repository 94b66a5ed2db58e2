/*
 * The renderer (render.h): the one file of crashlab that calls SDL.
 *
 * A frame is rasterised here, by plain scanline code, into an ARGB8888 pixel buffer held by an
 * SDL_Surface; a window uploads that buffer to a streaming texture and presents it. Keeping
 * the rasteriser ours makes a headless --png frame identical to the window's, keeps the pixel
 * tests free of any display, and keeps the cost of a frame in our hands: fills are word
 * stores, blending is integer arithmetic on the pixels actually covered, and text is blended
 * from 8-bit coverage masks of the printable ASCII glyphs (rendered once with SDL_ttf when the
 * renderer opens), skipping the empty part of each glyph cell.
 *
 * Invariants: every write goes through a span already clipped to the clip rectangle, which is
 * itself inside the buffer, so no command can write outside it whatever its coordinates;
 * pixels are always opaque (alpha 255), the blend is "source over" on the colour channels.
 * Pixel centres sample shapes: a pixel (px, py) is covered when (px + 0.5, py + 0.5) is inside.
 *
 * Cost: a frame is O(pixels covered + commands + characters); nothing is allocated per frame
 * unless a window was resized.
 */
#define _POSIX_C_SOURCE 200809L
#include "render.h"

#include <SDL.h>
#include <SDL_image.h>
#include <SDL_ttf.h>
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "outfile.h"
#include "status.h"

#define GLYPH_FIRST 32 /* ' ' */
#define GLYPH_LAST 126 /* '~' */
#define GLYPH_COUNT (GLYPH_LAST - GLYPH_FIRST + 1)
#define FONT_DPI 96u   /* the point sizes of viz_metrics_default are at 96 dpi */
#define COORD_MAX 1.0e6f /* coordinates beyond this are bad input, not a frame */

/* The coverage masks of one font size: glyph g's mask is cell_w x cell_h bytes at
 * mask + g * cell_w * cell_h; a cell is one advance wide, so text never paints past its width. */
typedef struct glyph_set {
  int cell_w, cell_h;
  uint8_t *mask;
  int row_first[GLYPH_COUNT], row_last[GLYPH_COUNT]; /* rows holding ink (first > last: none) */
} glyph_set;

typedef struct clip_box {
  int x0, y0, x1, y1; /* half-open: x0 <= x < x1 */
} clip_box;

struct viz_render {
  SDL_Window *window;     /* NULL for a headless renderer */
  SDL_Renderer *renderer; /* window only */
  SDL_Texture *texture;   /* window only: the frame's pixels, streamed every present */
  SDL_Surface *surface;   /* the frame's pixels */
  uint32_t *pixels;       /* surface->pixels */
  int width_px, height_px;
  int pitch_px;           /* pixels per row of the buffer */
  bool video_init;        /* we initialised SDL's video subsystem (window) */
  bool ttf_init;          /* we called TTF_Init */
  viz_metrics metrics;
  glyph_set glyphs[VIZ_FONT_SIZES];
  clip_box clip;
};

static void set_err(char *err, size_t errcap, const char *fmt, ...) {
  if (!err || errcap == 0) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errcap, fmt, ap);
  va_end(ap);
}

/* ---- Opening and closing --------------------------------------------------------------------- */

static const char *font_path(void) {
  const char *env = getenv("CRASHLAB_FONT");
  return env && *env ? env : VIZ_FONT_PATH_DEFAULT;
}

/* Renders the printable ASCII glyphs of one open font into coverage masks, one advance wide. */
static int glyphs_build(glyph_set *g, TTF_Font *font, int advance, int height) {
  g->cell_w = advance;
  g->cell_h = height;
  g->mask = calloc((size_t)GLYPH_COUNT * (size_t)advance * (size_t)height, 1);
  if (!g->mask) return AC_ENOMEM;
  SDL_Color white = {255, 255, 255, 255};
  for (int i = 0; i < GLYPH_COUNT; i++) {
    uint8_t *cell = g->mask + (size_t)i * (size_t)advance * (size_t)height;
    g->row_first[i] = height;
    g->row_last[i] = -1;
    if (i + GLYPH_FIRST == ' ') continue;
    SDL_Surface *s = TTF_RenderGlyph32_Blended(font, (Uint32)(i + GLYPH_FIRST), white);
    if (!s) return AC_EIO;
    SDL_Surface *argb = SDL_ConvertSurfaceFormat(s, SDL_PIXELFORMAT_ARGB8888, 0);
    SDL_FreeSurface(s);
    if (!argb) return AC_ENOMEM;
    SDL_LockSurface(argb);
    int w = argb->w < advance ? argb->w : advance, h = argb->h < height ? argb->h : height;
    for (int y = 0; y < h; y++) {
      const uint32_t *row = (const uint32_t *)((const uint8_t *)argb->pixels + (size_t)y * (size_t)argb->pitch);
      for (int x = 0; x < w; x++) {
        uint8_t a = (uint8_t)(row[x] >> 24);
        cell[y * advance + x] = a;
        if (a) {
          if (y < g->row_first[i]) g->row_first[i] = y;
          g->row_last[i] = y;
        }
      }
    }
    SDL_UnlockSurface(argb);
    SDL_FreeSurface(argb);
  }
  return 0;
}

/* Opens the face at the three sizes, measures it and builds the glyph cache. */
static int fonts_load(viz_render *r, char *err, size_t errcap) {
  const char *path = font_path();
  if (TTF_Init() != 0) {
    set_err(err, errcap, "cannot start the font library: %s", TTF_GetError());
    return AC_EIO;
  }
  r->ttf_init = true;
  for (int s = 0; s < VIZ_FONT_SIZES; s++) {
    int point = (int)viz_metrics_default.point[s];
    TTF_Font *font = TTF_OpenFontDPI(path, point, FONT_DPI, FONT_DPI);
    if (!font) {
      set_err(err, errcap, "cannot load the font %s: %s (install fonts-dejavu-core, or set "
              "CRASHLAB_FONT to a monospaced .ttf file)", path, TTF_GetError());
      return AC_EIO;
    }
    int advance = 0;
    if (TTF_GlyphMetrics32(font, 'M', NULL, NULL, NULL, NULL, &advance) != 0 || advance < 1 ||
        !TTF_FontFaceIsFixedWidth(font)) {
      TTF_CloseFont(font);
      set_err(err, errcap, "the font %s is not a monospaced face (CRASHLAB_FONT must name one)", path);
      return AC_EIO;
    }
    int height = TTF_FontHeight(font), skip = TTF_FontLineSkip(font);
    r->metrics.advance[s] = (float)advance;
    r->metrics.line_height[s] = (float)(skip > height ? skip : height);
    r->metrics.point[s] = (float)point;
    int rc = glyphs_build(&r->glyphs[s], font, advance, height);
    TTF_CloseFont(font);
    if (rc != 0) {
      set_err(err, errcap, "cannot render the glyphs of %s: %s", path,
              rc == AC_ENOMEM ? "out of memory" : TTF_GetError());
      return rc;
    }
  }
  return 0;
}

/* (Re)allocates the pixel buffer at w x h. On failure the old buffer stays. */
static int buffer_resize(viz_render *r, int w, int h) {
  SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
  if (!s) return AC_ENOMEM;
  SDL_Texture *t = NULL;
  if (r->renderer) {
    t = SDL_CreateTexture(r->renderer, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_STREAMING, w, h);
    if (!t) {
      SDL_FreeSurface(s);
      return AC_ENOMEM;
    }
    if (r->texture) SDL_DestroyTexture(r->texture);
    r->texture = t;
  }
  if (r->surface) SDL_FreeSurface(r->surface);
  r->surface = s;
  r->pixels = s->pixels;
  r->pitch_px = s->pitch / 4;
  r->width_px = w;
  r->height_px = h;
  /* A new buffer shows black until the first frame, never uninitialised memory. */
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) r->pixels[(size_t)y * (size_t)r->pitch_px + (size_t)x] = 0xFF000000u;
  return 0;
}

static bool side_ok(int w, int h) {
  return w >= 1 && h >= 1 && w <= VIZ_RENDER_SIDE_MAX && h <= VIZ_RENDER_SIDE_MAX;
}

static int open_common(viz_render **out, viz_render **r, int w, int h, char *err, size_t errcap) {
  *out = NULL;
  if (!side_ok(w, h)) {
    set_err(err, errcap, "bad frame size %dx%d: each side must be 1..%d pixels", w, h, VIZ_RENDER_SIDE_MAX);
    return AC_EINVAL;
  }
  *r = calloc(1, sizeof **r);
  if (!*r) {
    set_err(err, errcap, "cannot open the renderer: out of memory");
    return AC_ENOMEM;
  }
  return 0;
}

int viz_render_open_surface(viz_render **out, int width_px, int height_px, char *err, size_t errcap) {
  viz_render *r;
  int rc = open_common(out, &r, width_px, height_px, err, errcap);
  if (rc != 0) return rc;
  rc = fonts_load(r, err, errcap);
  if (rc == 0 && (rc = buffer_resize(r, width_px, height_px)) != 0)
    set_err(err, errcap, "cannot allocate a %dx%d frame: out of memory", width_px, height_px);
  if (rc != 0) {
    viz_render_close(r);
    return rc;
  }
  *out = r;
  return 0;
}

#define NO_WINDOW_HINT "(is DISPLAY set? use --png for headless frames)"

/* True when SDL_VIDEODRIVER names `driver` (it may be a comma-separated list; SDL compares
 * names without case). */
static bool driver_requested(const char *driver) {
  const char *want = getenv("SDL_VIDEODRIVER");
  size_t n = strlen(driver);
  for (const char *p = want; p && *p;) {
    const char *comma = strchr(p, ',');
    size_t len = comma ? (size_t)(comma - p) : strlen(p);
    if (len == n && SDL_strncasecmp(p, driver, n) == 0) return true;
    p = comma ? comma + 1 : NULL;
  }
  return false;
}

/*
 * SDL's video init, with what the libraries under it print to stderr while SDL probes its
 * drivers held back: without a display, libwayland prints "error: XDG_RUNTIME_DIR is invalid
 * or not set" from the Wayland probe, a line that says nothing of the real cause. The held
 * text is passed on to stderr when a window can open (it may matter then) and dropped when
 * not (the one error line says why). Then a driver that shows nothing, SDL's "offscreen" or
 * "dummy" (its last resort without a display), is refused unless SDL_VIDEODRIVER asked for
 * it: a window on it would be invisible and a viewer without a script would never end.
 * Returns 0, or AC_EIO with err set.
 */
static int video_init(viz_render *r, char *err, size_t errcap) {
  fflush(stderr);
  FILE *held = tmpfile();
  int saved = held ? dup(STDERR_FILENO) : -1;
  if (saved >= 0 && dup2(fileno(held), STDERR_FILENO) < 0) {
    close(saved);
    saved = -1;
  }
  int rc = SDL_InitSubSystem(SDL_INIT_VIDEO);
  if (saved >= 0) {
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
  }
  if (rc != 0) {
    set_err(err, errcap, "cannot open a window: %s " NO_WINDOW_HINT, SDL_GetError());
  } else {
    r->video_init = true;
    const char *driver = SDL_GetCurrentVideoDriver();
    if (driver && (strcmp(driver, "offscreen") == 0 || strcmp(driver, "dummy") == 0) &&
        !driver_requested(driver)) {
      set_err(err, errcap, "cannot open a window: no display, only SDL's %s driver " NO_WINDOW_HINT,
              driver);
      rc = AC_EIO;
    }
  }
  if (held && rc == 0) {
    /* A window can open: what was printed on the way goes where it was meant to. */
    char buf[512];
    size_t got;
    rewind(held);
    while ((got = fread(buf, 1, sizeof buf, held)) > 0) fwrite(buf, 1, got, stderr);
  }
  if (held) fclose(held);
  return rc == 0 ? 0 : AC_EIO;
}

int viz_render_open_window(viz_render **out, const char *title, int width_px, int height_px,
                           char *err, size_t errcap) {
  viz_render *r;
  int rc = open_common(out, &r, width_px, height_px, err, errcap);
  if (rc != 0) return rc;
  /* SDL reads SDL_RENDER_DRIVER itself; setting the hint from it as well makes the choice
   * explicit, so "software" is honoured even if something set the hint earlier. */
  const char *driver = getenv("SDL_RENDER_DRIVER");
  if (driver && *driver) SDL_SetHintWithPriority(SDL_HINT_RENDER_DRIVER, driver, SDL_HINT_OVERRIDE);
  if (video_init(r, err, errcap) != 0) {
    viz_render_close(r);
    return AC_EIO;
  }
  r->window = SDL_CreateWindow(title ? title : "crashlab", SDL_WINDOWPOS_UNDEFINED,
                               SDL_WINDOWPOS_UNDEFINED, width_px, height_px,
                               SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI);
  if (!r->window || !(r->renderer = SDL_CreateRenderer(r->window, -1, 0))) {
    set_err(err, errcap, "cannot open a window: %s " NO_WINDOW_HINT, SDL_GetError());
    viz_render_close(r);
    return AC_EIO;
  }
  int w = width_px, h = height_px;
  if (SDL_GetRendererOutputSize(r->renderer, &w, &h) != 0 || !side_ok(w, h)) {
    w = width_px;
    h = height_px;
  }
  rc = fonts_load(r, err, errcap);
  if (rc == 0 && (rc = buffer_resize(r, w, h)) != 0)
    set_err(err, errcap, "cannot allocate a %dx%d frame: %s", w, h, SDL_GetError());
  if (rc != 0) {
    viz_render_close(r);
    return rc;
  }
  *out = r;
  return 0;
}

void viz_render_close(viz_render *r) {
  if (!r) return;
  for (int s = 0; s < VIZ_FONT_SIZES; s++) free(r->glyphs[s].mask);
  if (r->surface) SDL_FreeSurface(r->surface);
  if (r->texture) SDL_DestroyTexture(r->texture);
  if (r->renderer) SDL_DestroyRenderer(r->renderer);
  if (r->window) SDL_DestroyWindow(r->window);
  if (r->video_init) SDL_QuitSubSystem(SDL_INIT_VIDEO);
  if (r->ttf_init) TTF_Quit();
  free(r);
}

const viz_metrics *viz_render_metrics(const viz_render *r) { return &r->metrics; }

void viz_render_size(const viz_render *r, int *width_px, int *height_px) {
  int w = r->width_px, h = r->height_px;
  if (r->renderer) {
    int ww, wh;
    if (SDL_GetRendererOutputSize(r->renderer, &ww, &wh) == 0 && side_ok(ww, wh)) {
      w = ww;
      h = wh;
    }
  }
  if (width_px) *width_px = w;
  if (height_px) *height_px = h;
}

void viz_render_set_title(viz_render *r, const char *title) {
  if (r->window && title) SDL_SetWindowTitle(r->window, title);
}

/* ---- Pixels ---------------------------------------------------------------------------------- */

static inline uint32_t pack(viz_color c) {
  return 0xFF000000u | (uint32_t)c.r << 16 | (uint32_t)c.g << 8 | (uint32_t)c.b;
}

/* dst over by src (0x00RRGGBB) at alpha a (1..255): two channels per multiply. */
static inline uint32_t blend(uint32_t dst, uint32_t src, uint32_t a) {
  uint32_t na = 255u - a;
  uint32_t rb = ((src & 0xFF00FFu) * a + (dst & 0xFF00FFu) * na + 0x800080u);
  uint32_t g = ((src & 0x00FF00u) * a + (dst & 0x00FF00u) * na + 0x008000u);
  /* x / 255 as (x + (x >> 8)) >> 8, exact for x < 65536 * 255 per channel. */
  rb = ((rb + ((rb >> 8) & 0xFF00FFu)) >> 8) & 0xFF00FFu;
  g = ((g + ((g >> 8) & 0x00FF00u)) >> 8) & 0x00FF00u;
  return 0xFF000000u | rb | g;
}

/* Paints pixels x0 <= x < x1 of row y, already clipped by the caller. */
static void span(viz_render *r, int y, int x0, int x1, viz_color c) {
  uint32_t *p = r->pixels + (size_t)y * (size_t)r->pitch_px;
  uint32_t src = pack(c);
  if (c.a == 255) {
    for (int x = x0; x < x1; x++) p[x] = src;
  } else {
    for (int x = x0; x < x1; x++) p[x] = blend(p[x], src & 0xFFFFFFu, c.a);
  }
}

/* Clips a span to the clip box and paints it. */
static void span_clipped(viz_render *r, int y, int x0, int x1, viz_color c) {
  if (y < r->clip.y0 || y >= r->clip.y1) return;
  if (x0 < r->clip.x0) x0 = r->clip.x0;
  if (x1 > r->clip.x1) x1 = r->clip.x1;
  if (x0 < x1) span(r, y, x0, x1, c);
}

/* Rounds a coordinate to the pixel edge nearest to it. */
static inline int edge(float v) { return (int)floorf(v + 0.5f); }

static void fill_box(viz_render *r, int x0, int y0, int x1, int y1, viz_color c) {
  if (x0 < r->clip.x0) x0 = r->clip.x0;
  if (y0 < r->clip.y0) y0 = r->clip.y0;
  if (x1 > r->clip.x1) x1 = r->clip.x1;
  if (y1 > r->clip.y1) y1 = r->clip.y1;
  for (int y = y0; y < y1 && x0 < x1; y++) span(r, y, x0, x1, c);
}

static void draw_fill(viz_render *r, const viz_cmd *cmd) {
  fill_box(r, edge(cmd->x), edge(cmd->y), edge(cmd->x + cmd->w), edge(cmd->y + cmd->h), cmd->color);
}

/* An outline `width` pixels thick inside the rectangle, as four boxes that do not overlap (so
 * a translucent outline blends once per pixel). */
static void draw_rect(viz_render *r, const viz_cmd *cmd) {
  int x0 = edge(cmd->x), y0 = edge(cmd->y), x1 = edge(cmd->x + cmd->w), y1 = edge(cmd->y + cmd->h);
  int t = cmd->width ? cmd->width : 1;
  if (x1 - x0 <= 2 * t || y1 - y0 <= 2 * t) {
    fill_box(r, x0, y0, x1, y1, cmd->color);
    return;
  }
  fill_box(r, x0, y0, x1, y0 + t, cmd->color);
  fill_box(r, x0, y1 - t, x1, y1, cmd->color);
  fill_box(r, x0, y0 + t, x0 + t, y1 - t, cmd->color);
  fill_box(r, x1 - t, y0 + t, x1, y1 - t, cmd->color);
}

/* Fills the convex quadrilateral q (4 points in order) by its rows: a pixel is inside when its
 * centre is (left edges inclusive, right edges exclusive). */
static void fill_quad(viz_render *r, const float q[4][2], viz_color c) {
  float ymin = q[0][1], ymax = q[0][1];
  for (int i = 1; i < 4; i++) {
    if (q[i][1] < ymin) ymin = q[i][1];
    if (q[i][1] > ymax) ymax = q[i][1];
  }
  int row0 = (int)floorf(ymin - 0.5f) + 1, row1 = (int)ceilf(ymax - 0.5f);
  if (row0 < r->clip.y0) row0 = r->clip.y0;
  if (row1 > r->clip.y1) row1 = r->clip.y1;
  for (int y = row0; y < row1; y++) {
    float cy = (float)y + 0.5f, xl = INFINITY, xr = -INFINITY;
    for (int i = 0; i < 4; i++) {
      const float *a = q[i], *b = q[(i + 1) & 3];
      if ((cy < a[1]) == (cy < b[1])) continue; /* the row does not cross this edge */
      float x = a[0] + (cy - a[1]) * (b[0] - a[0]) / (b[1] - a[1]);
      if (x < xl) xl = x;
      if (x > xr) xr = x;
    }
    if (xl > xr) continue;
    span_clipped(r, y, (int)ceilf(xl - 0.5f), (int)ceilf(xr - 0.5f), c);
  }
}

/* A segment width pixels thick as a quad; a one-pixel segment steps along its longer axis so it
 * has no gaps and no doubled pixels (it matters when it is translucent). */
static void segment(viz_render *r, float x0, float y0, float x1, float y1, int width, viz_color c) {
  float dx = x1 - x0, dy = y1 - y0, len = sqrtf(dx * dx + dy * dy);
  if (width <= 1) {
    /* Whole pixels along the longer axis (no float drift there), the other axis interpolated. */
    bool along_x = fabsf(dx) >= fabsf(dy);
    int a0 = (int)floorf(along_x ? x0 : y0), a1 = (int)floorf(along_x ? x1 : y1);
    int steps = abs(a1 - a0), dir = a1 >= a0 ? 1 : -1;
    for (int i = 0; i <= steps; i++) {
      float minor = steps ? (along_x ? y0 + dy * (float)i / (float)steps : x0 + dx * (float)i / (float)steps)
                          : (along_x ? y0 : x0);
      int a = a0 + i * dir, b = (int)floorf(minor);
      int px = along_x ? a : b, py = along_x ? b : a;
      if (px >= r->clip.x0 && px < r->clip.x1 && py >= r->clip.y0 && py < r->clip.y1)
        span(r, py, px, px + 1, c);
    }
    return;
  }
  if (len < 1e-3f) {
    dx = 1.0f;
    dy = 0.0f;
    len = 1.0f;
  }
  float h = (float)width * 0.5f, nx = -dy / len * h, ny = dx / len * h;
  float q[4][2] = {{x0 + nx, y0 + ny}, {x1 + nx, y1 + ny}, {x1 - nx, y1 - ny}, {x0 - nx, y0 - ny}};
  fill_quad(r, q, c);
}

static void draw_line(viz_render *r, const viz_cmd *cmd) {
  float x0 = cmd->x, y0 = cmd->y, dx = cmd->w, dy = cmd->h;
  int width = cmd->width ? cmd->width : 1;
  if (!cmd->dashed) {
    segment(r, x0, y0, x0 + dx, y0 + dy, width, cmd->color);
    return;
  }
  /* Dashes scale with the thickness so a thick dashed line still reads as dashed. */
  float len = sqrtf(dx * dx + dy * dy), on = 6.0f * (float)width, period = 10.0f * (float)width;
  if (len < 1e-3f) return;
  for (float s = 0.0f; s < len; s += period) {
    float e = fminf(s + on, len);
    segment(r, x0 + dx * s / len, y0 + dy * s / len, x0 + dx * e / len, y0 + dy * e / len, width,
            cmd->color);
  }
}

/* The pixels x0 <= x < x1 of row centre cy that lie inside a circle: false if none. */
static bool circle_row(float cx, float radius, float dy, int *x0, int *x1) {
  float d2 = radius * radius - dy * dy;
  if (d2 < 0.0f) return false;
  float hw = sqrtf(d2);
  *x0 = (int)ceilf(cx - hw - 0.5f);
  *x1 = (int)floorf(cx + hw - 0.5f) + 1;
  return *x0 < *x1;
}

/* A disc, or a ring `width` thick inside the radius: per row, the outer span minus the inner
 * one, so every pixel is painted once. */
static void draw_circle(viz_render *r, const viz_cmd *cmd) {
  float cx = cmd->x, cy = cmd->y, radius = cmd->w, inner = radius - (float)cmd->width;
  if (radius <= 0.0f) return;
  int row0 = (int)floorf(cy - radius), row1 = (int)ceilf(cy + radius) + 1;
  if (row0 < r->clip.y0) row0 = r->clip.y0;
  if (row1 > r->clip.y1) row1 = r->clip.y1;
  for (int y = row0; y < row1; y++) {
    float dy = (float)y + 0.5f - cy;
    int ox0, ox1, ix0, ix1;
    if (!circle_row(cx, radius, dy, &ox0, &ox1)) continue;
    if (cmd->width == 0 || inner <= 0.0f || !circle_row(cx, inner, dy, &ix0, &ix1)) {
      span_clipped(r, y, ox0, ox1, cmd->color);
    } else {
      span_clipped(r, y, ox0, ix0, cmd->color);
      span_clipped(r, y, ix1, ox1, cmd->color);
    }
  }
}

/* Blends one glyph's mask with its top-left cell corner at gx, gy. */
static void draw_glyph(viz_render *r, const glyph_set *g, int index, int gx, int gy, viz_color c) {
  int y0 = gy + g->row_first[index], y1 = gy + g->row_last[index] + 1;
  int x0 = gx, x1 = gx + g->cell_w;
  if (y0 < r->clip.y0) y0 = r->clip.y0;
  if (y1 > r->clip.y1) y1 = r->clip.y1;
  if (x0 < r->clip.x0) x0 = r->clip.x0;
  if (x1 > r->clip.x1) x1 = r->clip.x1;
  const uint8_t *cell = g->mask + (size_t)index * (size_t)g->cell_w * (size_t)g->cell_h;
  uint32_t src = pack(c) & 0xFFFFFFu;
  for (int y = y0; y < y1; y++) {
    const uint8_t *m = cell + (size_t)(y - gy) * (size_t)g->cell_w - gx;
    uint32_t *p = r->pixels + (size_t)y * (size_t)r->pitch_px;
    for (int x = x0; x < x1; x++) {
      uint32_t cov = m[x];
      if (cov == 0) continue;
      uint32_t a = c.a == 255 ? cov : (cov * c.a + 127u) / 255u;
      if (a) p[x] = a == 255 ? (0xFF000000u | src) : blend(p[x], src, a);
    }
  }
}

static void draw_text(viz_render *r, const viz_cmds *cmds, const viz_cmd *cmd) {
  if (cmd->size >= VIZ_FONT_SIZES) return;
  if (cmd->text_offset > cmds->text_len || cmd->text_len > cmds->text_len - cmd->text_offset) return;
  const glyph_set *g = &r->glyphs[cmd->size];
  const char *s = cmds->text + cmd->text_offset;
  int x = edge(cmd->x), y = edge(cmd->y);
  if (y >= r->clip.y1 || y + g->cell_h <= r->clip.y0) return;
  for (uint32_t i = 0; i < cmd->text_len; i++, x += g->cell_w) {
    if (x >= r->clip.x1) break;
    if (x + g->cell_w <= r->clip.x0) continue;
    unsigned char ch = (unsigned char)s[i];
    if (ch < GLYPH_FIRST || ch > GLYPH_LAST) ch = '?';
    if (ch != ' ') draw_glyph(r, g, ch - GLYPH_FIRST, x, y, cmd->color);
  }
}

static void set_clip(viz_render *r, const viz_cmd *cmd) {
  r->clip = (clip_box){0, 0, r->width_px, r->height_px};
  if (cmd->w == 0.0f && cmd->h == 0.0f) return;
  int x0 = edge(cmd->x), y0 = edge(cmd->y), x1 = edge(cmd->x + cmd->w), y1 = edge(cmd->y + cmd->h);
  if (x0 > r->clip.x0) r->clip.x0 = x0;
  if (y0 > r->clip.y0) r->clip.y0 = y0;
  if (x1 < r->clip.x1) r->clip.x1 = x1;
  if (y1 < r->clip.y1) r->clip.y1 = y1;
  /* An empty clip draws nothing; keep it well-formed (x0 <= x1) for the loops. */
  if (r->clip.x1 < r->clip.x0) r->clip.x1 = r->clip.x0;
  if (r->clip.y1 < r->clip.y0) r->clip.y1 = r->clip.y0;
}

static bool coord_ok(float v) { return v >= -COORD_MAX && v <= COORD_MAX; } /* false for NaN */

int viz_render_frame(viz_render *r, const viz_cmds *cmds, viz_color background) {
  int rc = 0;
  if (r->window) {
    int w, h;
    viz_render_size(r, &w, &h);
    if ((w != r->width_px || h != r->height_px) && buffer_resize(r, w, h) != 0) rc = AC_ENOMEM;
  }
  r->clip = (clip_box){0, 0, r->width_px, r->height_px};
  background.a = 255;
  fill_box(r, 0, 0, r->width_px, r->height_px, background);
  for (uint32_t i = 0; cmds && i < cmds->count; i++) {
    const viz_cmd *cmd = &cmds->cmd[i];
    if (!coord_ok(cmd->x) || !coord_ok(cmd->y) || !coord_ok(cmd->w) || !coord_ok(cmd->h)) continue;
    if (cmd->color.a == 0 && cmd->kind != VIZ_CMD_CLIP) continue;
    switch (cmd->kind) {
    case VIZ_CMD_FILL: draw_fill(r, cmd); break;
    case VIZ_CMD_RECT: draw_rect(r, cmd); break;
    case VIZ_CMD_LINE: draw_line(r, cmd); break;
    case VIZ_CMD_CIRCLE: draw_circle(r, cmd); break;
    case VIZ_CMD_TEXT: draw_text(r, cmds, cmd); break;
    case VIZ_CMD_CLIP: set_clip(r, cmd); break;
    default: break;
    }
  }
  return rc;
}

void viz_render_present(viz_render *r) {
  if (!r->renderer) return;
  SDL_UpdateTexture(r->texture, NULL, r->pixels, r->surface->pitch);
  SDL_RenderClear(r->renderer);
  SDL_RenderCopy(r->renderer, r->texture, NULL, NULL);
  SDL_RenderPresent(r->renderer);
}

viz_color viz_render_read_pixel(const viz_render *r, int x, int y) {
  if (x < 0 || y < 0 || x >= r->width_px || y >= r->height_px) return (viz_color){0, 0, 0, 0};
  uint32_t p = r->pixels[(size_t)y * (size_t)r->pitch_px + (size_t)x];
  return (viz_color){(uint8_t)(p >> 16), (uint8_t)(p >> 8), (uint8_t)p, 255};
}

/* ---- PNG ------------------------------------------------------------------------------------- */

int viz_render_save_png(viz_render *r, const char *path, char *err, size_t errcap) {
  sim_outfile out;
  int rc = sim_outfile_open(&out, path);
  if (rc != 0) {
    set_err(err, errcap, "cannot write %s: %s", path, strerror(errno));
    return rc;
  }
  rc = AC_EIO;
  FILE *f = out.file;
  SDL_RWops *rw = SDL_RWFromFP(f, SDL_FALSE);
  if (!rw) {
    set_err(err, errcap, "cannot write %s: %s", path, SDL_GetError());
    goto fail_write;
  }
  int saved = IMG_SavePNG_RW(r->surface, rw, 1);
  if (saved != 0) {
    set_err(err, errcap, "cannot write %s: %s", path, IMG_GetError());
    goto fail_write;
  }
  if (sim_outfile_close(&out, true) != 0) {
    set_err(err, errcap, "cannot write %s: %s", path, strerror(errno));
    return AC_EIO;
  }
  return 0;

fail_write:
  sim_outfile_close(&out, false);
  return rc;
}
