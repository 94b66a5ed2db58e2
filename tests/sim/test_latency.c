/*
 * Latency distributions: each kind, sampled 200,000 times from a fixed seed, has the mean,
 * spread and bounds its definition gives (within tolerances far wider than the sampling error
 * at this size, so the test is deterministic and still fails on a wrong formula); the same
 * seed gives the same samples; bad parameters are refused.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "latency.h"
#include "status.h"

#define N 200000

typedef struct stats {
  double mean, sd, frac_below;
  uint64_t min, max;
} stats;

/* Mean, standard deviation, min, max, and the fraction of samples below `below`. */
static stats sample(const sim_dist *d, uint64_t seed, double below) {
  sim_rng r;
  sim_rng_seed(&r, seed, sim_stream_id("network"));
  double sum = 0, sq = 0;
  uint64_t n_below = 0;
  stats s = {0, 0, 0, UINT64_MAX, 0};
  for (int i = 0; i < N; i++) {
    uint64_t v = sim_dist_sample(d, &r);
    sum += (double)v;
    sq += (double)v * (double)v;
    n_below += (double)v < below;
    if (v < s.min) s.min = v;
    if (v > s.max) s.max = v;
  }
  s.mean = sum / N;
  s.sd = sqrt(sq / N - s.mean * s.mean);
  s.frac_below = (double)n_below / N;
  return s;
}

static void near(double got, double want, double rel) {
  if (fabs(got - want) > rel * want) {
    fprintf(stderr, "got %f, want %f (within %.1f%%)\n", got, want, rel * 100);
    fail();
  }
}

static void test_constant_and_uniform(void **state) {
  (void)state;
  sim_dist c = {SIM_DIST_CONSTANT, 5000000, 0, 0, 0};
  stats s = sample(&c, 1, 0);
  assert_int_equal(s.min, 5000000);
  assert_int_equal(s.max, 5000000);
  sim_dist u = {SIM_DIST_UNIFORM, 1000, 3000, 0, 0};
  s = sample(&u, 2, 1500);
  assert_true(s.min >= 1000 && s.max <= 3000);
  assert_int_equal(s.min, 1000); /* both ends are reached at this size */
  assert_int_equal(s.max, 3000);
  near(s.mean, 2000, 0.01);
  near(s.frac_below, 0.25, 0.03);
}

static void test_normal(void **state) {
  (void)state;
  sim_dist d = {SIM_DIST_NORMAL, 10000000, 1000000, 0, 0}; /* 10 ms +- 1 ms */
  stats s = sample(&d, 3, 9000000);
  near(s.mean, 10000000, 0.005);
  near(s.sd, 1000000, 0.02);
  near(s.frac_below, 0.1587, 0.03); /* P(Z < -1) */
  /* Truncated at 0: a wide spread never gives a negative (wrapped) delay. */
  sim_dist wide = {SIM_DIST_NORMAL, 1000, 5000, 0, 0};
  s = sample(&wide, 4, 1);
  assert_true(s.max < 100000);
  near(s.frac_below, 0.42, 0.05); /* P(Z < -0.2): those are 0 */
}

static void test_exponential(void **state) {
  (void)state;
  sim_dist d = {SIM_DIST_EXPONENTIAL, 2000000, 0, 0, 0}; /* mean 2 ms */
  stats s = sample(&d, 5, 2000000);
  near(s.mean, 2000000, 0.01);
  near(s.sd, 2000000, 0.02);           /* sd = mean */
  near(s.frac_below, 1 - exp(-1), 0.01); /* P(X < mean) */
}

static void test_pareto_tail_and_cap(void **state) {
  (void)state;
  sim_dist d = {SIM_DIST_PARETO, 1000000, 0, 3.0, 0}; /* scale 1 ms, shape 3 */
  stats s = sample(&d, 6, 2000000);
  assert_true(s.min >= 1000000);
  near(s.mean, 1500000, 0.02);        /* scale * a / (a - 1) */
  near(s.frac_below, 1 - 0.125, 0.01); /* P(X < 2 scale) = 1 - 2^-3 */
  assert_true(s.max > 20000000);      /* a long tail: some samples are 20x the minimum */
  sim_dist capped = {SIM_DIST_PARETO, 1000000, 0, 0.8, 50000000}; /* infinite mean: capped */
  s = sample(&capped, 7, 0);
  assert_int_equal(s.max, 50000000);
  assert_true(s.min >= 1000000);
}

static void test_same_seed_same_samples(void **state) {
  (void)state;
  sim_dist kinds[] = {{SIM_DIST_UNIFORM, 0, 1000, 0, 0},
                      {SIM_DIST_NORMAL, 1000, 100, 0, 0},
                      {SIM_DIST_EXPONENTIAL, 1000, 0, 0, 0},
                      {SIM_DIST_PARETO, 1000, 0, 1.5, 0}};
  for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
    sim_rng a, b, c;
    sim_rng_seed(&a, 42, 7);
    sim_rng_seed(&b, 42, 7);
    sim_rng_seed(&c, 43, 7);
    int differ = 0;
    for (int i = 0; i < 1000; i++) {
      uint64_t x = sim_dist_sample(&kinds[k], &a), y = sim_dist_sample(&kinds[k], &b);
      assert_int_equal(x, y);
      differ += sim_dist_sample(&kinds[k], &c) != x;
    }
    assert_true(differ > 500); /* another seed, other samples */
  }
}

static void test_bad_parameters(void **state) {
  (void)state;
  sim_dist bad[] = {{(sim_dist_kind)9, 0, 0, 0, 0},
                    {SIM_DIST_UNIFORM, 10, 5, 0, 0},
                    {SIM_DIST_PARETO, 0, 0, 2.0, 0},
                    {SIM_DIST_PARETO, 10, 0, 0.0, 0},
                    {SIM_DIST_PARETO, 10, 0, INFINITY, 0},
                    {SIM_DIST_CONSTANT, SIM_DIST_MAX_NS + 1, 0, 0, 0}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_int_equal(sim_dist_check(&bad[i]), AC_EINVAL);
  assert_int_equal(sim_dist_check(NULL), AC_EINVAL);
  sim_dist ok = {SIM_DIST_EXPONENTIAL, 1000, 0, 0, 0};
  assert_int_equal(sim_dist_check(&ok), AC_OK);
  assert_string_equal(sim_dist_name(SIM_DIST_PARETO), "pareto");
  assert_null(sim_dist_name((sim_dist_kind)9));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_constant_and_uniform), cmocka_unit_test(test_normal),
      cmocka_unit_test(test_exponential),          cmocka_unit_test(test_pareto_tail_and_cap),
      cmocka_unit_test(test_same_seed_same_samples), cmocka_unit_test(test_bad_parameters),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
