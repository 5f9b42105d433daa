// SPDX-License-Identifier: GPL-2.0
/* offloadctl ab's confidence intervals: batch means against hand-computed
 * values, Student t, Welch's difference, and on autocorrelated series an
 * interval wider than the naive one that still covers the true mean. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/batchmeans.h"
#include "lib/rng.h"

#define TICKS	2000

/* 100 ticks of one sample, tick t worth t / 10 rounded down: batch b's
 * mean is b, the mean 4.5, and the batch means' variance 82.5 / 9. Ticks
 * with no sample change nothing; counts weigh a tick's sum. */
static void hand_computed(void **state)
{
	double sum[200], n[200];
	struct off_mean_ci ci;

	(void)state;
	for (int t = 0; t < 100; t++) {
		sum[t] = t / 10;
		n[t] = 1;
	}
	off_batch_means(sum, n, 100, &ci);
	assert_int_equal(ci.batches, 10);
	assert_float_equal(ci.mean, 4.5, 1e-12);
	assert_float_equal(ci.se, sqrt(82.5 / 9 / 10), 1e-12);
	assert_float_equal(ci.dof, 9, 0);
	for (int t = 0; t < 200; t++) {
		sum[t] = t % 2 ? 0 : t / 20 * 3.0;	/* three samples of t / 20 */
		n[t] = t % 2 ? 0 : 3;
	}
	off_batch_means(sum, n, 200, &ci);
	assert_int_equal(ci.batches, 10);
	assert_float_equal(ci.mean, 4.5, 1e-12);
	assert_float_equal(ci.se, sqrt(82.5 / 9 / 10), 1e-12);
	/* Five ticks: a batch each. One: no interval. None: no mean. */
	off_batch_means(sum, n, 10, &ci);
	assert_int_equal(ci.batches, 5);
	assert_float_equal(ci.mean, 0, 0);
	assert_float_equal(ci.se, 0, 0);
	off_batch_means(sum, n, 1, &ci);
	assert_true(isnan(ci.se));
	off_batch_means(sum, n, 0, &ci);
	assert_true(isnan(ci.mean) && isnan(ci.se));
}

static void student_t(void **state)
{
	(void)state;
	assert_float_equal(off_t975(1), 12.706, 0);
	assert_float_equal(off_t975(9), 2.262, 0);
	assert_float_equal(off_t975(9.7), 2.262, 0);	/* rounded down */
	assert_float_equal(off_t975(30), 2.042, 0);
	assert_float_equal(off_t975(40), 2.021, 1e-3);
	assert_float_equal(off_t975(120), 1.980, 1e-3);
	assert_float_equal(off_t975(1e6), 1.960, 1e-3);
	assert_true(isnan(off_t975(0.5)) && isnan(off_t975(NAN)));
}

/* Variances 0.09 and 0.16 on 9 dof each: Welch-Satterthwaite's 16.7 dof,
 * t 2.120 at 16, half-width 2.120 * 0.5. */
static void welch_difference(void **state)
{
	struct off_mean_ci a = { .mean = 1, .se = 0.3, .dof = 9, .batches = 10 };
	struct off_mean_ci b = { .mean = 1.5, .se = 0.4, .dof = 9, .batches = 10 };
	double diff, half;

	(void)state;
	off_diff_ci(&a, &b, &diff, &half);
	assert_float_equal(diff, 0.5, 1e-12);
	assert_float_equal(half, 2.120 * 0.5, 1e-12);
	b.se = NAN;
	off_diff_ci(&a, &b, &diff, &half);
	assert_true(isnan(half));
}

/* x[t] = phi x[t-1] + N(0, 1): mean 0, and phi 0.9 makes the mean's
 * variance (1 + phi) / (1 - phi) = 19 times what independence says. */
static void ar1(struct off_rng *r, double phi, double *sum, double *n)
{
	double x = off_rng_normal(r) / sqrt(1 - phi * phi);

	for (int t = 0; t < TICKS; t++) {
		x = phi * x + off_rng_normal(r);
		sum[t] = x;
		n[t] = 1;
	}
}

/* What the agent did before: every sample independent, 1.96 standard
 * errors of the samples' standard deviation. */
static double naive_half(const double *x, int len)
{
	double s = 0, sq = 0;

	for (int t = 0; t < len; t++) {
		s += x[t];
		sq += x[t] * x[t];
	}
	return 1.96 * sqrt((sq - s * s / len) / (len - 1) / len);
}

static double bm_half(const double *sum, const double *n, struct off_mean_ci *ci)
{
	off_batch_means(sum, n, TICKS, ci);
	return off_t975(ci->dof) * ci->se;
}

/* 400 autocorrelated series: the batch-means interval is the wider every
 * time and covers the true mean about as often as it says; the naive one
 * covers it about a third of the time. Independent ticks: about equal. */
static void autocorrelated(void **state)
{
	static double sum[TICKS], n[TICKS];
	int runs = 400, bm_covers = 0, naive_covers = 0;
	struct off_mean_ci ci;
	struct off_rng r;

	(void)state;
	off_rng_seed(&r, 14);
	for (int k = 0; k < runs; k++) {
		double bm, naive;

		ar1(&r, 0.9, sum, n);
		bm = bm_half(sum, n, &ci);
		naive = naive_half(sum, TICKS);
		if (!(bm > 1.5 * naive))
			fail_msg("run %d: batch means %g, naive %g", k, bm, naive);
		bm_covers += fabs(ci.mean) < bm;
		naive_covers += fabs(ci.mean) < naive;
	}
	if (bm_covers < 0.9 * runs || naive_covers > 0.6 * runs)
		fail_msg("coverage: batch means %d, naive %d of %d", bm_covers, naive_covers, runs);
	ar1(&r, 0, sum, n);
	assert_true(bm_half(sum, n, &ci) / naive_half(sum, TICKS) > 0.5);
	assert_true(bm_half(sum, n, &ci) / naive_half(sum, TICKS) < 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hand_computed),
		cmocka_unit_test(student_t),
		cmocka_unit_test(welch_difference),
		cmocka_unit_test(autocorrelated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
