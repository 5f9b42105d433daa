// SPDX-License-Identifier: GPL-2.0
/* A decision's feature rows, all its candidates at once: the feature table
 * per candidate with the logs they share taken once (off_lg_memo), and the
 * normalisation four features at a time. Bit for bit off_features_row's. */
#include <string.h>

#include "lib/policy.h"

typedef float v4 __attribute__((vector_size(4 * sizeof(float))));

/* off_norm_apply's arithmetic, four lanes at a time, with the reciprocals
 * of the scales taken once per decision: a vector rounds each lane as the
 * scalar code does. */
static void reciprocals(const struct off_norm *n, float *inv)
{
	for (int i = 0; i < OFF_FEATURES; i++)
		inv[i] = 1.0f / n->scale[i];
}

static void normalise(const struct off_norm *n, const float *inv, float *row)
{
	int i = 0;

	for (; i + 4 <= OFF_FEATURES; i += 4) {
		v4 x, m, r;

		memcpy(&x, row + i, sizeof(x));
		memcpy(&m, n->mean + i, sizeof(m));
		memcpy(&r, inv + i, sizeof(r));
		x = (x - m) * r;
		memcpy(row + i, &x, sizeof(x));
	}
	for (; i < OFF_FEATURES; i++)
		row[i] = (row[i] - n->mean[i]) * inv[i];
}

void off_policy_rows(const struct off_est_env *env, const struct off_norm *norm,
		     const struct off_wl_raw *w, const struct off_cand_raw *c, int n,
		     float *rows, float *est)
{
	struct off_lg_memo memo[OFF_FEATURES];
	float inv[OFF_FEATURES];

	off_lg_memo_reset(memo);
	reciprocals(norm, inv);
	for (int i = 0; i < n; i++) {
		float *row = rows + (size_t)i * OFF_FEATURES;
		struct off_est e;

		off_features_transform_memo(env, w, &c[i], row, &e, memo);
		normalise(norm, inv, row);
		est[i] = (float)e.reward;
	}
}

