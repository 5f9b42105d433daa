// SPDX-License-Identifier: GPL-2.0
/* Policies over the simulator; the model's scoring is the agent's too. */
#include <math.h>

#include "lib/policy.h"

const char *const off_policy_names[OFF_POL_KINDS] = {
	"model", "all-local", "all-nearest-edge", "all-cloud", "random", "greedy",
};

void off_policy_rows(const struct off_norm *norm, const struct off_wl_raw *w,
		     const struct off_cand_raw *c, int n, float *rows)
{
	for (int i = 0; i < n; i++)
		off_features_row(w, &c[i], norm, rows + (size_t)i * OFF_FEATURES);
}

int off_policy_argmax(const struct off_mlp *m, const float *rows, int n, uint32_t mask,
		      float *q, float *scratch)
{
	int best = -1;

	off_mlp_forward(m, rows, n, q, scratch);
	for (int i = 0; i < n; i++)
		if ((mask & (1u << i)) && (best < 0 || q[i] > q[best]))
			best = i;
	return best < 0 ? 0 : best;
}

static int pick_random(uint32_t mask, int n, struct off_rng *rng)
{
	int up = __builtin_popcount(mask), k = up ? (int)off_rng_below(rng, up) : 0;

	for (int i = 0; i < n; i++)
		if ((mask & (1u << i)) && k-- == 0)
			return i;
	return 0;
}

static int pick_greedy(const struct off_sim *s, int i, uint32_t mask)
{
	double best_lat = INFINITY;
	int best = 0;

	for (int t = 0; t < s->ntargets; t++) {
		double lat;

		if (!(mask & (1u << t)))
			continue;
		lat = off_sim_estimate(s, i, t).lat_s;
		if (lat < best_lat) {
			best_lat = lat;
			best = t;
		}
	}
	return best;
}

static int pick_cloud(const struct off_sim *s, uint32_t mask)
{
	for (int t = 1; t < s->ntargets; t++)
		if ((mask & (1u << t)) && s->sc->peers[t - 1].kind == OFF_KIND_CLOUD)
			return t;
	return 0;
}

int off_policy_sim_choose(enum off_policy_kind kind, const struct off_model *m,
			  struct off_sim *s, int i, struct off_rng *rng)
{
	float rows[OFF_MAX_CANDS * OFF_FEATURES], q[OFF_MAX_CANDS];
	float scratch[OFF_MLP_MAX_DIM * 2];
	struct off_cand_raw c[OFF_MAX_CANDS];
	struct off_wl_raw w;
	uint32_t mask;

	off_sim_observe(s, i, &w, c, &mask);
	switch (kind) {
	case OFF_POL_MODEL:
		off_policy_rows(&m->norm, &w, c, s->ntargets, rows);
		return off_policy_argmax(&m->mlp, rows, s->ntargets, mask, q, scratch);
	case OFF_POL_LOCAL:
		return 0;
	case OFF_POL_EDGE:
		return off_sim_nearest_edge(s);
	case OFF_POL_CLOUD:
		return pick_cloud(s, mask);
	case OFF_POL_RANDOM:
		return pick_random(mask, s->ntargets, rng);
	case OFF_POL_GREEDY:
	default:
		return pick_greedy(s, i, mask);
	}
}
