/*
 * Little-endian fixed-width fields, read and written at any alignment: the byte order of terms
 * and of the trace file on every host. memcpy of a native integer compiles to one load or store;
 * a big-endian host swaps the bytes first.
 */
#ifndef CRASHLAB_BYTES_H
#define CRASHLAB_BYTES_H

#include <stdint.h>
#include <string.h>

#if !defined(__BYTE_ORDER__)
#error "core/bytes.h needs __BYTE_ORDER__ (GCC or Clang) to know the host's byte order"
#elif __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define AC__LE16(v) __builtin_bswap16(v)
#define AC__LE32(v) __builtin_bswap32(v)
#define AC__LE64(v) __builtin_bswap64(v)
#else
#define AC__LE16(v) (v)
#define AC__LE32(v) (v)
#define AC__LE64(v) (v)
#endif

static inline uint16_t ac_le16_get(const uint8_t *p) {
  uint16_t v;
  memcpy(&v, p, sizeof v);
  return AC__LE16(v);
}
static inline uint32_t ac_le32_get(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, sizeof v);
  return AC__LE32(v);
}
static inline uint64_t ac_le64_get(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, sizeof v);
  return AC__LE64(v);
}
static inline void ac_le16_put(uint8_t *p, uint16_t v) {
  v = AC__LE16(v);
  memcpy(p, &v, sizeof v);
}
static inline void ac_le32_put(uint8_t *p, uint32_t v) {
  v = AC__LE32(v);
  memcpy(p, &v, sizeof v);
}
static inline void ac_le64_put(uint8_t *p, uint64_t v) {
  v = AC__LE64(v);
  memcpy(p, &v, sizeof v);
}

#endif
