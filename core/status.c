/*
 * Status codes: the text behind the AC_STATUS_TABLE of status.h.
 *
 * Both lookups are generated from the one X-macro table, so adding a code there is enough for it
 * to get a name and a description here. Unknown codes get a fixed placeholder instead of NULL, so
 * a caller can always print the result. Cost: one switch, no state, safe from any thread.
 */
#include "status.h"

const char *ac_strerror(int code) {
  switch (code) {
  case AC_OK:
    return "success";
#define AC__STATUS_TEXT(name, value, text) \
  case name:                               \
    return text;
    AC_STATUS_TABLE(AC__STATUS_TEXT)
#undef AC__STATUS_TEXT
  default:
    return "unknown error";
  }
}

const char *ac_errname(int code) {
  switch (code) {
  case AC_OK:
    return "AC_OK";
#define AC__STATUS_NAME(name, value, text) \
  case name:                               \
    return #name;
    AC_STATUS_TABLE(AC__STATUS_NAME)
#undef AC__STATUS_NAME
  default:
    return "AC_E?";
  }
}
