// SPDX-License-Identifier: GPL-2.0
/* The feature table's names and transforms, the shared estimate, and the
 * normalisation fitted at training time. */
#include <math.h>
#include <string.h>

#include "lib/features.h"

const char *const off_kind_names[OFF_KINDS] = { "local", "edge", "cloud" };

#define INFO(name, unit, value, doc) { #name, unit, doc },
const struct off_feature_info off_features[OFF_FEATURES] = { OFF_FEATURE_TABLE(INFO) };
#undef INFO
#define NAME(name, unit, value, doc) #name,
const char *const off_feature_names[OFF_FEATURES] = { OFF_FEATURE_TABLE(NAME) };
#undef NAME

static inline float lg_memo(struct off_lg_memo *m, double v)
{
	/* log(1 + v), not log1p(v): glibc's log takes half the time. As
	 * floats they are equal from v = 1e-4 up, and below it differ by
	 * under 1e-10, nothing against a feature's scale. */
	if (m->v != v) {	/* NaN never matches: computed each time */
		m->v = v;
		m->y = (float)log(1.0 + (v > 0 ? v : 0));
	}
	return m->y;
}

double off_reward(const struct off_reward_cfg *c, double lat_s, double energy_j, double cost)
{
	return -(c->w_lat * lat_s / c->lat_ref_s + c->w_energy * energy_j / c->energy_ref_j +
		 c->w_cost * cost / c->cost_ref);
}

double off_energy_j(const struct off_est_env *env, int local, double cpu_ms, double bytes,
		    double tx_s)
{
	if (local)
		return env->cpu_watts * cpu_ms * 1e-3;
	return env->tx_watts * tx_s + env->nj_per_byte * bytes * 1e-9;
}

void off_estimate(const struct off_est_env *env, const struct off_wl_raw *w,
		  const struct off_cand_raw *c, struct off_est *e)
{
	double busy = c->util < 0.98 ? (c->util > 0 ? c->util : 0) : 0.98;
	double ghz = c->ghz > 0 ? c->ghz : env->local_ghz;
	double exec = w->cpu_ms * 1e-3 * env->local_ghz / (ghz * (1 - busy));
	double bytes = w->up_bytes + w->down_bytes, tx = 0, half = c->rtt_us * 5e-7, setup = 0;
	double herd = 0;

	if (c->kind != OFF_KIND_LOCAL && c->bw_mbps > 0)
		tx = bytes * 8 / (c->bw_mbps * 1e6);
	if (c->kind != OFF_KIND_LOCAL && !c->current)
		setup = env->switch_rtts * c->rtt_us * 1e-6;
	/* The fleet's requests like this one, spread over the cores; an
	 * elastic peer (cores 0) and this host's own CPUs queue none. */
	if (c->kind != OFF_KIND_LOCAL && c->cores > 0)
		herd = env->herd * c->clients / c->cores * exec;
	/* Setup and the bytes' trip overlap queued work draining: whichever
	 * is longer. The herd's requests arrive with this one, so they run
	 * after both. */
	e->lat_s = fmax(setup + tx + half, c->wait_us * 1e-6) + herd + exec + half;
	e->herd_s = herd;
	e->energy_j = off_energy_j(env, c->kind == OFF_KIND_LOCAL, w->cpu_ms, bytes, tx);
	e->cost = c->cost_per_req;
	e->reward = off_reward(&env->reward, e->lat_s, e->energy_j, e->cost);
}

void off_features_transform_memo(const struct off_est_env *env, const struct off_wl_raw *w,
				 const struct off_cand_raw *c, float *x, struct off_est *e,
				 struct off_lg_memo *memo)
{
	int i = 0;

	off_estimate(env, w, c, e);
#define lg(v) lg_memo(&memo[i], (v))
#define PUT(name, unit, value, doc) x[i] = (float)(value); i++;
	OFF_FEATURE_TABLE(PUT)
#undef PUT
#undef lg
}

void off_features_transform(const struct off_est_env *env, const struct off_wl_raw *w,
			    const struct off_cand_raw *c, float *x, struct off_est *e)
{
	struct off_lg_memo memo[OFF_FEATURES];

	off_lg_memo_reset(memo);
	off_features_transform_memo(env, w, c, x, e, memo);
}

void off_features_row(const struct off_est_env *env, const struct off_wl_raw *w,
		      const struct off_cand_raw *c, const struct off_norm *n, float *row,
		      struct off_est *e)
{
	off_features_transform(env, w, c, row, e);
	off_norm_apply(n, row);
}

void off_lg_memo_reset(struct off_lg_memo *memo)
{
	for (int f = 0; f < OFF_FEATURES; f++)
		memo[f].v = NAN;
}

/* Times the scale's reciprocal, not over the scale: a decision of many
 * candidates divides once per feature (rows.c), not once per cell. */
void off_norm_apply(const struct off_norm *n, float *row)
{
	for (int i = 0; i < OFF_FEATURES; i++)
		row[i] = (row[i] - n->mean[i]) * (1.0f / n->scale[i]);
}

void off_norm_fit(struct off_norm *norm, const float *x, size_t n)
{
	for (int i = 0; i < OFF_FEATURES; i++) {
		double sum = 0, sq = 0;

		for (size_t r = 0; r < n; r++)
			sum += x[r * OFF_FEATURES + i];
		norm->mean[i] = n ? sum / n : 0;
		for (size_t r = 0; r < n; r++) {
			double d = x[r * OFF_FEATURES + i] - norm->mean[i];

			sq += d * d;
		}
		/* A constant feature keeps scale 1 rather than dividing by ~0. */
		norm->scale[i] = n && sq / n > 1e-8 ? sqrt(sq / n) : 1;
	}
}

void off_norm_identity(struct off_norm *norm)
{
	for (int i = 0; i < OFF_FEATURES; i++) {
		norm->mean[i] = 0;
		norm->scale[i] = 1;
	}
}
