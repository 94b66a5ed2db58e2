/* Latency distributions of the network model (see latency.h). */
#include "latency.h"

#include <math.h>

#include "status.h"

static const char *const names[] = {"constant", "uniform", "normal", "exponential", "pareto"};

const char *sim_dist_name(sim_dist_kind kind) {
  return (unsigned)kind < sizeof names / sizeof names[0] ? names[kind] : 0;
}

int sim_dist_check(const sim_dist *d) {
  if (!d || !sim_dist_name(d->kind)) return AC_EINVAL;
  if (d->a_ns > SIM_DIST_MAX_NS || d->b_ns > SIM_DIST_MAX_NS || d->cap_ns > SIM_DIST_MAX_NS)
    return AC_EINVAL;
  if (d->kind == SIM_DIST_UNIFORM && d->b_ns < d->a_ns) return AC_EINVAL;
  if (d->kind == SIM_DIST_PARETO && (d->a_ns == 0 || !(d->shape > 0) || !isfinite(d->shape)))
    return AC_EINVAL;
  return AC_OK;
}

/* A uniform double in (0, 1]: never 0, so log() is finite. */
static double open_unit(sim_rng *r) { return 1.0 - sim_rng_unit(r); }

static uint64_t to_ns(double v, uint64_t cap) {
  double max = (double)(cap ? cap : SIM_DIST_MAX_NS);
  if (!(v > 0)) return 0; /* also NaN */
  if (v >= max) return (uint64_t)max;
  return (uint64_t)llround(v);
}

uint64_t sim_dist_sample(const sim_dist *d, sim_rng *r) {
  uint64_t v;
  switch (d->kind) {
    case SIM_DIST_CONSTANT: v = d->a_ns; break;
    case SIM_DIST_UNIFORM:
      v = d->b_ns == d->a_ns ? d->a_ns : d->a_ns + sim_rng_below(r, d->b_ns - d->a_ns + 1);
      break;
    case SIM_DIST_NORMAL: {
      /* Box-Muller: both uniforms are always drawn, so the stream advances the same way. */
      double u1 = open_unit(r), u2 = sim_rng_unit(r);
      double z = sqrt(-2.0 * log(u1)) * cos(2.0 * 3.14159265358979323846 * u2);
      return to_ns((double)d->a_ns + z * (double)d->b_ns, d->cap_ns);
    }
    case SIM_DIST_EXPONENTIAL: return to_ns(-log(open_unit(r)) * (double)d->a_ns, d->cap_ns);
    case SIM_DIST_PARETO:
      return to_ns((double)d->a_ns / pow(open_unit(r), 1.0 / d->shape), d->cap_ns);
    default: return 0;
  }
  if (d->cap_ns && v > d->cap_ns) v = d->cap_ns;
  return v;
}
