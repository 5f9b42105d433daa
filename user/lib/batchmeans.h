/* SPDX-License-Identifier: GPL-2.0 */
/* A 95% confidence interval for the mean of a per-tick series whose ticks
 * are not independent (a load or a link state lasts), by batch means. */
#ifndef OFFLOAD_LIB_BATCHMEANS_H
#define OFFLOAD_LIB_BATCHMEANS_H

#include <stddef.h>

/* Ten batches at most: with more, each is short and a batch's mean keeps
 * its neighbour's autocorrelation; with fewer, Student t widens the
 * interval. A window of under ten ticks gets a batch per tick. */
#define OFF_BM_BATCHES	10

struct off_mean_ci {
	double mean;	/* of every sample: the sums over the counts */
	double se;	/* its standard error; NAN with under two batches */
	double dof;	/* of se: batches - 1 */
	int batches;
};

/* Ticks with a sample (n[t] > 0), in order, are split into up to
 * OFF_BM_BATCHES contiguous batches of as equal a number of ticks as can
 * be; sum[t] and n[t] are tick t's sum of samples and their count. The
 * variance of the mean is that of the batch means, each weighted by its
 * share of the samples (a ratio estimator: the mean reported is the
 * samples' mean, however they spread over the ticks). */
void off_batch_means(const double *sum, const double *n, size_t ticks, struct off_mean_ci *ci);
/* Student t's 0.975 quantile for dof degrees of freedom, rounded down
 * (the wider interval); NAN under 1. */
double off_t975(double dof);
/* b - a, and the half-width of its 95% CI: Welch, the two standard errors
 * combined with Welch-Satterthwaite's degrees of freedom. NAN where either
 * has no standard error. */
void off_diff_ci(const struct off_mean_ci *a, const struct off_mean_ci *b, double *diff,
		 double *half);

#endif
