/*
 * Shared bits of the C benchmarks: wall-clock timing (benchmarks measure the simulator from
 * outside, so they may read a real clock; core/ and sim/ never do) and peak RSS.
 */
#ifndef CRASHLAB_BENCH_COMMON_H
#define CRASHLAB_BENCH_COMMON_H

#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static inline double bench_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A field of /proc/self/status in bytes (VmHWM: peak RSS, VmRSS: current), 0 if unknown. */
static inline uint64_t bench_status_bytes(const char *field) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  uint64_t kb = 0;
  size_t len = strlen(field);
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, field, len) == 0 && line[len] == ':') {
      unsigned long long v;
      if (sscanf(line + len + 1, "%llu", &v) == 1) kb = v;
      break;
    }
  }
  fclose(f);
  return kb * 1024;
}

#endif
