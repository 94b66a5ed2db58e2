/*
 * Seeded pseudo-random streams: xoshiro256** (Blackman and Vigna), seeded with splitmix64.
 *
 * A run draws every random choice from one seed, split into independent named streams
 * ("sched", "net", "fault", one per process, ...): stream k's state is splitmix64 applied to
 * (seed XOR FNV-1a-64(k's name)), so adding draws to one stream never shifts another. The
 * generators are specified exactly here and in docs/architecture.md, so a seed means the same
 * run on every machine.
 */
#ifndef CRASHLAB_SIM_RNG_H
#define CRASHLAB_SIM_RNG_H

#include <stdint.h>

typedef struct sim_rng {
  uint64_t s[4];
} sim_rng;

/* FNV-1a, 64 bits, of a NUL-terminated name: the stream identifier. */
uint64_t sim_stream_id(const char *name);
/* Seeds r for stream `stream_id` of run `seed`. */
void sim_rng_seed(sim_rng *r, uint64_t seed, uint64_t stream_id);
/* Next 64 random bits. */
uint64_t sim_rng_next(sim_rng *r);
/* Uniform in [0, n) without modulo bias (Lemire's method); n must be > 0. */
uint64_t sim_rng_below(sim_rng *r, uint64_t n);
/* Uniform in [0, 1) with 53 bits. */
double sim_rng_unit(sim_rng *r);

#endif
