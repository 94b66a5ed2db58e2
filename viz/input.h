/*
 * The window's input, in crashlab's own terms: keys, typed text, the mouse and quitting.
 *
 * viz/input.c is, with viz/render.c, the only code that calls SDL. It translates SDL's events
 * into viz_input values for the window loop (viz/app.c), and back: a --script file drives the
 * window by pushing viz_input values into SDL's own event queue, so scripted input travels the
 * same path as a person's.
 */
#ifndef CRASHLAB_VIZ_INPUT_H
#define CRASHLAB_VIZ_INPUT_H

#include <stdbool.h>

typedef enum viz_input_kind {
  VIZ_IN_QUIT = 1,    /* the window was closed */
  VIZ_IN_KEY,         /* a non-text key went down: key */
  VIZ_IN_TEXT,        /* text was typed (printable ASCII only; other bytes become '?'): text */
  VIZ_IN_MOUSE_DOWN,  /* a button went down at x, y: button (1 left, 2 middle, 3 right) */
  VIZ_IN_MOUSE_UP,    /* a button went up at x, y */
  VIZ_IN_MOUSE_MOVE,  /* the mouse moved to x, y (buttons held: button_mask) */
  VIZ_IN_WHEEL,       /* the wheel turned by wheel (positive: away from the user) at x, y */
} viz_input_kind;

typedef enum viz_key {
  VIZ_KEY_OTHER = 0,
  VIZ_KEY_LEFT,
  VIZ_KEY_RIGHT,
  VIZ_KEY_UP,
  VIZ_KEY_DOWN,
  VIZ_KEY_ESCAPE,
  VIZ_KEY_RETURN,
  VIZ_KEY_BACKSPACE,
  VIZ_KEY_HOME,
  VIZ_KEY_END,
} viz_key;

typedef struct viz_input {
  viz_input_kind kind;
  viz_key key;
  char text[32];        /* NUL-terminated */
  float x, y;           /* frame pixels */
  float wheel;
  int button;
  unsigned button_mask; /* bit 0 left, bit 1 middle, bit 2 right */
} viz_input;

/* Takes the next input event, if any: true with *out filled. Needs an open window. */
bool viz_input_poll(viz_input *out);
/* Puts an input event at the end of SDL's queue (as if a person had made it). 0, or AC_EIO. */
int viz_input_push(const viz_input *in);

#endif
