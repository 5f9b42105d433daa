// SPDX-License-Identifier: GPL-2.0
/* Batch means: a series' dependence lives within a batch, so batch means
 * far enough apart are nearly independent and their spread measures the
 * mean's uncertainty, where the spread of the ticks would understate it. */
#include <math.h>

#include "lib/batchmeans.h"

void off_batch_means(const double *sum, const double *n, size_t ticks, struct off_mean_ci *ci)
{
	double bsum[OFF_BM_BATCHES] = {}, bn[OFF_BM_BATCHES] = {}, total = 0, all = 0, sq = 0;
	size_t m = 0, j = 0;
	int k;

	for (size_t t = 0; t < ticks; t++)
		m += n[t] > 0;
	k = m < OFF_BM_BATCHES ? (int)m : OFF_BM_BATCHES;
	for (size_t t = 0; t < ticks; t++) {
		if (!(n[t] > 0))
			continue;
		/* Tick j of m goes to batch j * k / m: sizes differ by one at most. */
		bsum[j * k / m] += sum[t];
		bn[j * k / m] += n[t];
		all += sum[t];
		total += n[t];
		j++;
	}
	ci->batches = k;
	ci->mean = total > 0 ? all / total : NAN;
	ci->dof = k - 1;
	for (int b = 0; b < k; b++) {
		double w = bn[b] / total, d = bsum[b] / bn[b] - ci->mean;

		sq += w * w * d * d;
	}
	/* With equal batches this is the batch means' variance over k. */
	ci->se = k > 1 ? sqrt(sq * k / (k - 1)) : NAN;
}

double off_t975(double dof)
{
	static const double t[] = {
		NAN, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
		2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
		2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
	};
	const double z = 1.959964, z3 = z * z * z, z5 = z3 * z * z;
	double v = floor(dof);

	if (!(v >= 1))
		return NAN;
	if (v < sizeof(t) / sizeof(t[0]))
		return t[(int)v];
	/* Past the table, the Cornish-Fisher expansion: within 1e-3. */
	return z + (z3 + z) / (4 * v) + (5 * z5 + 16 * z3 + 3 * z) / (96 * v * v);
}

void off_diff_ci(const struct off_mean_ci *a, const struct off_mean_ci *b, double *diff,
		 double *half)
{
	double va = a->se * a->se, vb = b->se * b->se, dof;

	*diff = b->mean - a->mean;
	/* Two exact means (every batch the same) have no spread to weigh:
	 * their batches' degrees of freedom together. */
	dof = va + vb > 0 ? (va + vb) * (va + vb) / (va * va / a->dof + vb * vb / b->dof) :
			    a->dof + b->dof;
	*half = off_t975(dof) * sqrt(va + vb);
}
