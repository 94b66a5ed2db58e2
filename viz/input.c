/*
 * SDL events to crashlab's input values and back (input.h). Only the events the window uses
 * are translated; the others are skipped. Text comes from SDL_TEXTINPUT (so '?' and '+' work
 * on any keyboard layout), keys without text from SDL_KEYDOWN.
 */
#include "input.h"

#include <SDL.h>
#include <string.h>

#include "status.h"

static viz_key key_of(SDL_Keycode k) {
  switch (k) {
    case SDLK_LEFT: return VIZ_KEY_LEFT;
    case SDLK_RIGHT: return VIZ_KEY_RIGHT;
    case SDLK_UP: return VIZ_KEY_UP;
    case SDLK_DOWN: return VIZ_KEY_DOWN;
    case SDLK_ESCAPE: return VIZ_KEY_ESCAPE;
    case SDLK_RETURN:
    case SDLK_KP_ENTER: return VIZ_KEY_RETURN;
    case SDLK_BACKSPACE: return VIZ_KEY_BACKSPACE;
    case SDLK_HOME: return VIZ_KEY_HOME;
    case SDLK_END: return VIZ_KEY_END;
    default: return VIZ_KEY_OTHER;
  }
}

static SDL_Keycode sdl_key_of(viz_key k) {
  switch (k) {
    case VIZ_KEY_LEFT: return SDLK_LEFT;
    case VIZ_KEY_RIGHT: return SDLK_RIGHT;
    case VIZ_KEY_UP: return SDLK_UP;
    case VIZ_KEY_DOWN: return SDLK_DOWN;
    case VIZ_KEY_ESCAPE: return SDLK_ESCAPE;
    case VIZ_KEY_RETURN: return SDLK_RETURN;
    case VIZ_KEY_BACKSPACE: return SDLK_BACKSPACE;
    case VIZ_KEY_HOME: return SDLK_HOME;
    case VIZ_KEY_END: return SDLK_END;
    default: return SDLK_UNKNOWN;
  }
}

static unsigned mask_of(Uint32 state) {
  return (state & SDL_BUTTON_LMASK ? 1u : 0u) | (state & SDL_BUTTON_MMASK ? 2u : 0u) |
         (state & SDL_BUTTON_RMASK ? 4u : 0u);
}

bool viz_input_poll(viz_input *out) {
  SDL_Event e;
  while (SDL_PollEvent(&e)) {
    memset(out, 0, sizeof *out);
    switch (e.type) {
      case SDL_QUIT: out->kind = VIZ_IN_QUIT; return true;
      case SDL_KEYDOWN:
        out->key = key_of(e.key.keysym.sym);
        if (out->key == VIZ_KEY_OTHER) break; /* printable keys arrive as text */
        out->kind = VIZ_IN_KEY;
        return true;
      case SDL_TEXTINPUT: {
        size_t n = 0;
        for (const char *s = e.text.text; *s && n + 1 < sizeof out->text; s++) {
          unsigned char c = (unsigned char)*s;
          if ((c & 0xC0) == 0x80) continue; /* a UTF-8 continuation byte: one '?' per char */
          out->text[n++] = c >= 32 && c < 127 ? (char)c : '?';
        }
        out->kind = VIZ_IN_TEXT;
        return true;
      }
      case SDL_MOUSEBUTTONDOWN:
      case SDL_MOUSEBUTTONUP:
        out->kind = e.type == SDL_MOUSEBUTTONDOWN ? VIZ_IN_MOUSE_DOWN : VIZ_IN_MOUSE_UP;
        out->x = (float)e.button.x;
        out->y = (float)e.button.y;
        out->button = e.button.button;
        return true;
      case SDL_MOUSEMOTION:
        out->kind = VIZ_IN_MOUSE_MOVE;
        out->x = (float)e.motion.x;
        out->y = (float)e.motion.y;
        out->button_mask = mask_of(e.motion.state);
        return true;
      case SDL_MOUSEWHEEL: {
        int x = 0, y = 0;
        SDL_GetMouseState(&x, &y);
        out->kind = VIZ_IN_WHEEL;
        out->x = (float)x;
        out->y = (float)y;
        out->wheel = e.wheel.preciseY != 0.0f ? e.wheel.preciseY : (float)e.wheel.y;
        return true;
      }
      default: break;
    }
  }
  return false;
}

int viz_input_push(const viz_input *in) {
  SDL_Event e;
  memset(&e, 0, sizeof e);
  switch (in->kind) {
    case VIZ_IN_QUIT: e.type = SDL_QUIT; break;
    case VIZ_IN_KEY:
      e.type = SDL_KEYDOWN;
      e.key.state = SDL_PRESSED;
      e.key.keysym.sym = sdl_key_of(in->key);
      break;
    case VIZ_IN_TEXT:
      e.type = SDL_TEXTINPUT;
      SDL_strlcpy(e.text.text, in->text, sizeof e.text.text);
      break;
    case VIZ_IN_MOUSE_DOWN:
    case VIZ_IN_MOUSE_UP:
      e.type = in->kind == VIZ_IN_MOUSE_DOWN ? SDL_MOUSEBUTTONDOWN : SDL_MOUSEBUTTONUP;
      e.button.button = (Uint8)(in->button ? in->button : 1);
      e.button.state = in->kind == VIZ_IN_MOUSE_DOWN ? SDL_PRESSED : SDL_RELEASED;
      e.button.x = (Sint32)in->x;
      e.button.y = (Sint32)in->y;
      break;
    case VIZ_IN_MOUSE_MOVE:
      e.type = SDL_MOUSEMOTION;
      e.motion.x = (Sint32)in->x;
      e.motion.y = (Sint32)in->y;
      e.motion.state = (in->button_mask & 1u ? SDL_BUTTON_LMASK : 0u) |
                       (in->button_mask & 2u ? SDL_BUTTON_MMASK : 0u) |
                       (in->button_mask & 4u ? SDL_BUTTON_RMASK : 0u);
      break;
    case VIZ_IN_WHEEL:
      e.type = SDL_MOUSEWHEEL;
      e.wheel.y = (Sint32)in->wheel;
      e.wheel.preciseY = in->wheel;
      SDL_WarpMouseInWindow(NULL, (int)in->x, (int)in->y);
      break;
    default: return AC_EINVAL;
  }
  return SDL_PushEvent(&e) == 1 ? 0 : AC_EIO;
}
