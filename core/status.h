/*
 * crashlab status codes.
 *
 * Every public C call of core/ and sim/ returns an int: 0 on success or one of the negative
 * AC_E* codes below. The codes come from one X-macro table, which also gives ac_strerror()
 * and ac_errname() their text, so a code and its description can never drift apart.
 */
#ifndef CRASHLAB_STATUS_H
#define CRASHLAB_STATUS_H

#define AC_STATUS_TABLE(X)                                                                 \
  X(AC_EINVAL, -1, "invalid argument")                                                    \
  X(AC_ENOMEM, -2, "out of memory")                                                       \
  X(AC_ENOPROC, -3, "no such process (dead or never existed)")                            \
  X(AC_ENONAME, -4, "name is not registered")                                             \
  X(AC_ENAMETAKEN, -5, "name is already registered to another process")                   \
  X(AC_EHASNAME, -6, "process already has a registered name")                            \
  X(AC_ETOOBIG, -7, "term or message exceeds the size limit")                             \
  X(AC_ETOODEEP, -8, "term nests deeper than the depth limit")                            \
  X(AC_EBADTERM, -9, "malformed term encoding")                                           \
  X(AC_ELIMIT, -10, "a configured limit was reached")                                     \
  X(AC_EBADNAME, -11, "invalid name (empty, too long or 'undefined')")                   \
  X(AC_ENOTFOUND, -12, "not found")                                                        \
  X(AC_EIO, -13, "input/output error")                                                    \
  X(AC_EBADTRACE, -14, "malformed or truncated trace file")                               \
  X(AC_ESTATE, -15, "call not allowed in the current state")                              \
  X(AC_EDUPKEY, -16, "duplicate key in map")                                              \
  X(AC_ENOTLOCAL, -17, "pid does not belong to this node")                                \
  X(AC_ENOCONN, -18, "no connection to that node")                                        \
  X(AC_ENOTPURGED, -19, "the module's old version must be purged first")

enum {
  AC_OK = 0,
#define AC__STATUS_ENUM(name, value, text) name = value,
  AC_STATUS_TABLE(AC__STATUS_ENUM)
#undef AC__STATUS_ENUM
};

/* Returns a static, human-readable description of `code` (never NULL, also for unknown codes). */
const char *ac_strerror(int code);

/* Returns the symbolic name of `code`, e.g. "AC_ENOPROC" (never NULL). */
const char *ac_errname(int code);

#endif
