/*
 * Latency distributions for the network model: a sample is a duration in integer
 * nanoseconds drawn from a named rng stream, so every seed gives its own reproducible delays.
 *
 *   constant     a                                   (every sample is a)
 *   uniform      a .. b, both included
 *   normal       mean a, standard deviation b, truncated below at 0 (Box-Muller)
 *   exponential  mean a (memoryless: Poisson arrivals)
 *   pareto       scale a (the minimum), shape `shape` > 0: the long tail; with shape <= 1
 *                the mean is infinite, so set cap_ns
 * The prefix is sim_dist_ (a distribution of latency): sim/latency.h is named for what it
 * models, so that it is not mistaken for core/dist.c, Erlang's distribution between nodes.
 * Every kind is clamped to cap_ns when cap_ns is not 0, and to SIM_DIST_MAX_NS anyway.
 * The math (log, sqrt, cos, pow) is the C library's: samples are the same for a seed on one
 * platform and build, which is what a replay needs.
 */
#ifndef CRASHLAB_SIM_LATENCY_H
#define CRASHLAB_SIM_LATENCY_H

#include <stdint.h>

#include "rng.h"

#define SIM_DIST_MAX_NS (UINT64_C(1) << 62) /* about 146 years: far beyond any run */

typedef enum sim_dist_kind {
  SIM_DIST_CONSTANT,
  SIM_DIST_UNIFORM,
  SIM_DIST_NORMAL,
  SIM_DIST_EXPONENTIAL,
  SIM_DIST_PARETO,
} sim_dist_kind;

typedef struct sim_dist {
  sim_dist_kind kind;
  uint64_t a_ns;   /* constant value, uniform low, normal mean, exponential mean, pareto scale */
  uint64_t b_ns;   /* uniform high, normal standard deviation */
  double shape;    /* pareto shape (alpha) */
  uint64_t cap_ns; /* clamp; 0: none */
} sim_dist;

/* AC_OK, or AC_EINVAL for an unknown kind or bad parameters (uniform b < a, a pareto scale
 * of 0 or shape <= 0 or not finite, anything above SIM_DIST_MAX_NS). */
int sim_dist_check(const sim_dist *d);
/* One sample; d must pass sim_dist_check. */
uint64_t sim_dist_sample(const sim_dist *d, sim_rng *r);
/* The name of a kind ("pareto"), or NULL. */
const char *sim_dist_name(sim_dist_kind kind);

#endif
