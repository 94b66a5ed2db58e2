/*
 * png_check: a small command-line check of a PNG file for the visualiser's CLI and window tests
 * (tests/cmake/viz_window.cmake), which need to know more than that a file exists.
 *
 * Goal: a screenshot is a real picture of the window: a PNG that SDL2_image reads back, of the
 * expected size, whose given region is not one uniform colour (a blank or black window, or a
 * frame drawn before anything was laid out, would be uniform).
 *
 * Method: IMG_Load the file, compare its size, then scan the region's pixels (converted to
 * ARGB8888, so any PNG layout reads the same) for two that differ from the region's first.
 *
 *   png_check FILE WIDTH HEIGHT [X Y W H]
 *
 * The region defaults to the whole image. Exit status: 0 when every check holds; 1 with one
 * line on stderr saying which check failed; 2 for bad arguments or an unreadable file.
 */
#include <SDL.h>
#include <SDL_image.h>
#include <stdio.h>
#include <stdlib.h>

static int parse_int(const char *text, long *out) {
  char *end;
  long v = strtol(text, &end, 10);
  if (end == text || *end || v < 0 || v > 1 << 20) return -1;
  *out = v;
  return 0;
}

/* Counts the pixels of the region that differ from its first pixel. */
static long count_different(SDL_Surface *s, long x0, long y0, long w, long h) {
  const Uint32 *first = (const Uint32 *)((const Uint8 *)s->pixels + y0 * s->pitch) + x0;
  long n = 0;
  for (long y = y0; y < y0 + h; y++) {
    const Uint32 *row = (const Uint32 *)((const Uint8 *)s->pixels + y * s->pitch);
    for (long x = x0; x < x0 + w; x++)
      if (row[x] != *first) n++;
  }
  return n;
}

int main(int argc, char **argv) {
  long want[6] = {0};
  if (argc != 4 && argc != 8) {
    fprintf(stderr, "usage: png_check FILE WIDTH HEIGHT [X Y W H]\n");
    return 2;
  }
  for (int i = 2; i < argc; i++)
    if (parse_int(argv[i], &want[i - 2]) != 0) {
      fprintf(stderr, "png_check: '%s' is not a pixel count\n", argv[i]);
      return 2;
    }
  if (IMG_Init(IMG_INIT_PNG) == 0) {
    fprintf(stderr, "png_check: SDL2_image has no PNG support: %s\n", IMG_GetError());
    return 2;
  }
  int status = 2;
  SDL_Surface *loaded = IMG_Load(argv[1]);
  SDL_Surface *s = loaded ? SDL_ConvertSurfaceFormat(loaded, SDL_PIXELFORMAT_ARGB8888, 0) : NULL;
  if (!s) {
    fprintf(stderr, "png_check: %s: cannot read it as an image: %s\n", argv[1], IMG_GetError());
    goto done;
  }
  status = 1;
  if (s->w != want[0] || s->h != want[1]) {
    fprintf(stderr, "png_check: %s is %dx%d, expected %ldx%ld\n", argv[1], s->w, s->h, want[0],
            want[1]);
    goto done;
  }
  long x = 0, y = 0, w = s->w, h = s->h;
  if (argc == 8) x = want[2], y = want[3], w = want[4], h = want[5];
  if (w < 1 || h < 1 || x + w > s->w || y + h > s->h) {
    fprintf(stderr, "png_check: the region %ld,%ld %ldx%ld is not inside the %dx%d image\n", x,
            y, w, h, s->w, s->h);
    status = 2;
    goto done;
  }
  SDL_LockSurface(s);
  long differ = count_different(s, x, y, w, h);
  SDL_UnlockSurface(s);
  if (differ == 0) {
    fprintf(stderr, "png_check: %s: the region %ld,%ld %ldx%ld is one uniform colour\n", argv[1],
            x, y, w, h);
    goto done;
  }
  printf("png_check: %s is %ldx%ld; %ld pixels of the region %ld,%ld %ldx%ld differ from its "
         "first\n", argv[1], want[0], want[1], differ, x, y, w, h);
  status = 0;
done:
  SDL_FreeSurface(s);
  SDL_FreeSurface(loaded);
  IMG_Quit();
  SDL_Quit();
  return status;
}
