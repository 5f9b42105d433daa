// SPDX-License-Identifier: GPL-2.0
/* The gate and the policies over the simulator; the model's scoring is the
 * agent's too. */
#include <math.h>

#include "lib/policy.h"

const char *const off_policy_names[OFF_POL_KINDS] = {
	"model", "greedy", "all-local", "all-nearest-edge", "all-cloud", "random", "min-latency",
};

const char *const off_gate_names[OFF_GATE_KINDS] = {
	"agrees", "corrected", "outside training range", "no confident gain",
};

int off_policy_best(const float *score, int n, uint32_t mask)
{
	int best = -1;

	for (int i = 0; i < n; i++)
		if ((mask & (1u << i)) && (best < 0 || score[i] > score[best]))
			best = i;
	return best < 0 ? 0 : best;
}

/* A little beyond what training saw still counts as seen: a model is not
 * thrown out by the last digit of a feature. */
static int out_of_range(const struct off_model *m, const float *row)
{
	for (int f = 0; f < OFF_FEATURES; f++) {
		float slack = 0.05f * (m->hi[f] - m->lo[f]) + 1e-3f;

		if (!(row[f] >= m->lo[f] - slack && row[f] <= m->hi[f] + slack))
			return f;
	}
	return -1;
}

int off_policy_gate(const struct off_model *m, const float *rows, const float *est,
		    const float *corr, int n, uint32_t mask, float *q, enum off_gate *gate,
		    int *feature)
{
	int e = off_policy_best(est, n, mask), c;
	float s = off_policy_scale(est[e]);

	for (int i = 0; i < n; i++)
		q[i] = est[i] + s * corr[i];
	c = off_policy_best(q, n, mask);
	*feature = -1;
	if (c == e) {
		*gate = OFF_GATE_AGREE;
		return e;
	}
	if ((*feature = out_of_range(m, rows + (size_t)c * OFF_FEATURES)) >= 0 ||
	    (*feature = out_of_range(m, rows + (size_t)e * OFF_FEATURES)) >= 0) {
		*gate = OFF_GATE_RANGE;
		return e;
	}
	if (q[c] - q[e] < m->gate.margin_abs + m->gate.margin_rel * s) {
		*gate = OFF_GATE_NO_GAIN;
		return e;
	}
	*gate = OFF_GATE_CORRECTED;
	return c;
}

static int pick_random(uint32_t mask, int n, struct off_rng *rng)
{
	int up = __builtin_popcount(mask), k = up ? (int)off_rng_below(rng, up) : 0;

	for (int i = 0; i < n; i++)
		if ((mask & (1u << i)) && k-- == 0)
			return i;
	return 0;
}

static int pick_cloud(const struct off_sim *s, uint32_t mask)
{
	for (int t = 1; t < s->ntargets; t++)
		if ((mask & (1u << t)) && s->sc->peers[t - 1].kind == OFF_KIND_CLOUD)
			return t;
	return 0;
}

static int pick_model(const struct off_model *m, const struct off_sim *s, const float *rows,
		      const float *est, uint32_t mask)
{
	float corr[OFF_MAX_CANDS], q[OFF_MAX_CANDS], scratch[2 * OFF_MLP_MAX_DIM];
	enum off_gate gate;
	int feature;

	off_mlp_forward(&m->mlp, rows, s->ntargets, corr, scratch);
	return off_policy_gate(m, rows, est, corr, s->ntargets, mask, q, &gate, &feature);
}

int off_policy_sim_choose(enum off_policy_kind kind, int fixed, const struct off_model *m,
			  struct off_sim *s, int i, struct off_rng *rng)
{
	float rows[OFF_MAX_CANDS * OFF_FEATURES], est[OFF_MAX_CANDS];
	struct off_cand_raw c[OFF_MAX_CANDS];
	struct off_wl_raw w;
	uint32_t mask;

	off_sim_observe(s, i, &w, c, &mask);
	switch (kind) {
	case OFF_POL_MODEL:
		off_policy_rows(&s->env, &m->norm, &w, c, s->ntargets, rows, est);
		return pick_model(m, s, rows, est, mask);
	case OFF_POL_ESTIMATE:
	case OFF_POL_MIN_LATENCY:
		for (int t = 0; t < s->ntargets; t++) {
			struct off_est e;

			off_estimate(&s->env, &w, &c[t], &e);
			est[t] = kind == OFF_POL_ESTIMATE ? (float)e.reward : -(float)e.lat_s;
		}
		return off_policy_best(est, s->ntargets, mask);
	case OFF_POL_LOCAL:
		return 0;
	case OFF_POL_EDGE:
		return off_sim_nearest_edge(s);
	case OFF_POL_CLOUD:
		return pick_cloud(s, mask);
	case OFF_POL_RANDOM:
		return pick_random(mask, s->ntargets, rng);
	case OFF_POL_FIXED:
	default:
		return fixed < s->ntargets && (mask >> fixed & 1) ? fixed : 0;
	}
}
