/*
 * The renderer: turns a frame's draw commands (cmd.h) into pixels. It is the only code in
 * crashlab that calls SDL.
 *
 * Every frame is rasterised by crashlab's own scanline code into a 32-bit ARGB pixel buffer
 * (an SDL_Surface), the same way for a window and for a headless frame (--png). A window then
 * shows that buffer through a streaming texture of an SDL_Renderer (hardware, or the software
 * renderer when SDL_RENDER_DRIVER=software). So a --png frame has exactly the pixels a window
 * shows, the pixel tests need no display, and the cost of a frame does not depend on which
 * SDL render driver the machine happens to have.
 *
 * Text is DejaVu Sans Mono (or the file named by CRASHLAB_FONT) at the three sizes of
 * viz_metrics_default, from an ASCII glyph cache built when the renderer opens; bytes outside
 * printable ASCII are drawn as '?', one character cell per byte, so a string of n bytes is
 * exactly viz_text_width(metrics, size, n) pixels wide.
 *
 * Not thread-safe: one thread owns a renderer (SDL's video calls belong to the main thread).
 */
#ifndef CRASHLAB_VIZ_RENDER_H
#define CRASHLAB_VIZ_RENDER_H

#include <stddef.h>

#include "cmd.h"

typedef struct viz_render viz_render;

/* The font used when CRASHLAB_FONT is not set. */
#define VIZ_FONT_PATH_DEFAULT "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
/* Largest frame side in pixels (a bound on the pixel buffer: 16384 x 16384 x 4 bytes). */
#define VIZ_RENDER_SIDE_MAX 16384

/*
 * Opens a resizable window of width_px x height_px titled `title`, with its renderer and font.
 * On success *out owns everything (free it with viz_render_close). On failure returns AC_EIO
 * (no display, no renderer, no font) or AC_ENOMEM or AC_EINVAL (a side < 1 or over
 * VIZ_RENDER_SIDE_MAX), writes one line naming the cause into err (e.g. "cannot open a window:
 * ... (is DISPLAY set? use --png for headless frames)"), sets *out = NULL and leaves nothing
 * open. SDL's offscreen and dummy drivers, where SDL ends up without a display, show nothing:
 * they count as no display (AC_EIO) unless SDL_VIDEODRIVER names them. What the libraries
 * under SDL print to stderr while it looks for a display is dropped when the window cannot
 * open (the error line says why), so a failure prints nothing of its own.
 */
int viz_render_open_window(viz_render **out, const char *title, int width_px, int height_px,
                           char *err, size_t errcap);

/*
 * Opens a headless renderer that draws into a width_px x height_px pixel buffer: no display
 * and no SDL video subsystem are needed. Same results and failure contract as
 * viz_render_open_window (the errors are the font's and the sizes').
 */
int viz_render_open_surface(viz_render **out, int width_px, int height_px, char *err,
                            size_t errcap);

/* The real metrics of the loaded font (advances and line heights in pixels, integers). Valid
 * as long as the renderer. Layout and drawing should use these rather than the defaults. */
const viz_metrics *viz_render_metrics(const viz_render *r);

/* The frame's size in pixels: for a window, its current drawable size (it changes when the
 * user resizes it; the next viz_render_frame follows). */
void viz_render_size(const viz_render *r, int *width_px, int *height_px);

/*
 * Draws a whole frame: clears to `background` (opaque), then the commands in order, each
 * inside the clip in force (a frame starts unclipped). Commands with bad values (NaN or huge
 * coordinates, an unknown kind, text out of the list's bounds) are skipped, never trusted.
 * The frame is not shown until viz_render_present. Returns 0, or AC_ENOMEM if a resized
 * window's buffer could not be allocated (the previous frame stays).
 */
int viz_render_frame(viz_render *r, const viz_cmds *cmds, viz_color background);

/* Shows the last frame drawn in the window (does nothing for a headless renderer). */
void viz_render_present(viz_render *r);

/*
 * Writes the last frame drawn as a PNG file through sim_outfile (sim/outfile.h: a partial file
 * renamed into place, or written straight into a FIFO or device), so `path` is either the
 * whole image or untouched. On failure returns AC_EIO (or AC_ENOMEM)
 * with one line in err naming the path and the reason, and leaves no partial file behind.
 */
int viz_render_save_png(viz_render *r, const char *path, char *err, size_t errcap);

/* The colour of the pixel at x, y of the last frame drawn (alpha 255), or {0, 0, 0, 0} when
 * x, y is outside the frame. For tests and screenshot checks. */
viz_color viz_render_read_pixel(const viz_render *r, int x, int y);

/* Sets the window's title (does nothing for a headless renderer). */
void viz_render_set_title(viz_render *r, const char *title);

/* Closes the window (if any), frees the font, the glyph cache and the buffer. NULL is fine. */
void viz_render_close(viz_render *r);

#endif
