// SPDX-License-Identifier: GPL-2.0
/* A decision's feature rows, all its candidates at once: the feature table
 * per candidate, with the logs every candidate shares (the workload's, the
 * host's, the weights') taken once, and the normalisation four features at
 * a time. Bit for bit off_features_row's. */
#include <math.h>
#include <string.h>

#include "lib/policy.h"

/* A log1p remembered for one feature. */
struct lg_memo {
	double v;
	float y;
};

static inline float lg_memo(struct lg_memo *m, double v)
{
	if (m->v != v) {	/* NaN never matches: computed each time */
		m->v = v;
		m->y = (float)log1p(v > 0 ? v : 0);
	}
	return m->y;
}

/* off_features_transform's table with its lg() remembered per feature, bit
 * for bit the same (test_policy checks it against off_features_row). */
static void transform(const struct off_est_env *env, const struct off_wl_raw *w,
		      const struct off_cand_raw *c, float *x, struct off_est *e,
		      struct lg_memo *memo)
{
	int i = 0;

	off_estimate(env, w, c, e);
#define lg(v) lg_memo(&memo[i], (v))
#define PUT(name, unit, value, doc) x[i] = (float)(value); i++;
	OFF_FEATURE_TABLE(PUT)
#undef PUT
#undef lg
}

typedef float v4 __attribute__((vector_size(4 * sizeof(float))));

/* off_norm_apply's arithmetic, four lanes at a time: a division rounds the
 * same in a vector, and one divps costs what one divss does. */
static void normalise(const struct off_norm *n, float *row)
{
	int i = 0;

	for (; i + 4 <= OFF_FEATURES; i += 4) {
		v4 x, m, s;

		memcpy(&x, row + i, sizeof(x));
		memcpy(&m, n->mean + i, sizeof(m));
		memcpy(&s, n->scale + i, sizeof(s));
		x = (x - m) / s;
		memcpy(row + i, &x, sizeof(x));
	}
	for (; i < OFF_FEATURES; i++)
		row[i] = (row[i] - n->mean[i]) / n->scale[i];
}

void off_policy_rows(const struct off_est_env *env, const struct off_norm *norm,
		     const struct off_wl_raw *w, const struct off_cand_raw *c, int n,
		     float *rows, float *est)
{
	struct lg_memo memo[OFF_FEATURES];

	for (int f = 0; f < OFF_FEATURES; f++)
		memo[f].v = NAN;
	for (int i = 0; i < n; i++) {
		float *row = rows + (size_t)i * OFF_FEATURES;
		struct off_est e;

		transform(env, w, &c[i], row, &e, memo);
		normalise(norm, row);
		est[i] = (float)e.reward;
	}
}

