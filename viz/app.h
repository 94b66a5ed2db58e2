/*
 * The visualiser as a program: `crashlab viz TRACE ...` (a recorded trace: a window, a headless
 * frame, or an export) and the viewer side of `crashlab run FILE.lua --viz` (a live run whose
 * trace arrives on a pipe). Both feed the same model through the same trace parser, and the
 * same window loop draws them: live view and replay are one code path.
 */
#ifndef CRASHLAB_VIZ_APP_H
#define CRASHLAB_VIZ_APP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Prints the usage of `crashlab viz` to out. */
void viz_usage(FILE *out);

/*
 * `crashlab viz TRACE [--png FILE] [--at TIME] [--size WxH] [--perfetto FILE] [--dot FILE]
 * [--script FILE]`, with argv[0] = "viz". Returns the exit status: 0, or 2 after one line on
 * stderr ("crashlab: ...") for bad input (a corrupt, truncated or older trace, --at past the
 * end, an unwritable output, no display). Never leaves a half-written output file.
 */
int viz_main(int argc, char **argv);

/* What the live viewer is told about the run it shows. */
typedef struct viz_live_opts {
  const char *script; /* a --script file driving the window (tests), or NULL */
  int width_px, height_px;
  int ready_fd;       /* > 0: gets one byte once the window is open; closed either way, so the
                       * run can wait for it and not start when there is no window */
} viz_live_opts;

/*
 * The viewer of a live run: reads the trace stream from fd (the write end belongs to the
 * process running the simulation) and shows it as it arrives. It reads only as far ahead of
 * the picture as it needs, so a full pipe holds the simulation back: the run advances as the
 * viewer asks (pause, step, speed). When the window closes before the run ends, fd is closed
 * (the simulation then stops on its next write). Returns 0, or 2 after one line on stderr
 * (no display, a broken stream).
 */
int viz_live(int fd, const viz_live_opts *opts);

#endif
