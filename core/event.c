/*
 * Names of event kinds, from the table in event.h.
 */
#include "event.h"

#include <stddef.h>

const char *ac_event_name(uint16_t kind) {
  switch (kind) {
#define AC__EV_CASE(name, value, text) \
  case value: return text;
    AC_EVENT_TABLE(AC__EV_CASE)
#undef AC__EV_CASE
    default: return NULL;
  }
}
