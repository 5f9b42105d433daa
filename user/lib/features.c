// SPDX-License-Identifier: GPL-2.0
/* Feature transforms: log1p on durations, sizes and rates, whose range spans
 * orders of magnitude, so a fixed normalisation fits edge hosts and clouds. */
#include <math.h>
#include <string.h>

#include "lib/features.h"

const char *const off_kind_names[OFF_KINDS] = { "local", "edge", "cloud" };

const char *const off_feature_names[OFF_FEATURES] = {
	"wl_cpu_cores", "wl_rq_p50_log_ms", "wl_rq_p99_log_ms", "host_util",
	"host_rq_p99_log_ms", "wl_req_rate_log", "wl_req_kib_log", "wl_req_cpu_ms_log",
	"cand_is_local", "cand_is_edge", "cand_is_cloud", "cand_rtt_log_ms",
	"cand_jitter_log_ms", "cand_util", "cand_rq_p99_log_ms", "cand_capacity_log",
	"cand_cost_log",
};

static float lg(double v)
{
	return (float)log1p(v > 0 ? v : 0);
}

void off_features_transform(const struct off_wl_raw *w, const struct off_cand_raw *c, float *x)
{
	x[0] = (float)w->cpu_cores;
	x[1] = lg(w->rq_p50_us / 1000);
	x[2] = lg(w->rq_p99_us / 1000);
	x[3] = (float)w->host_util;
	x[4] = lg(w->host_rq_p99_us / 1000);
	x[5] = lg(w->req_rate);
	x[6] = lg(w->bytes_per_req / 1024);
	x[7] = lg(w->cpu_ms_per_req);
	x[8] = c->kind == OFF_KIND_LOCAL;
	x[9] = c->kind == OFF_KIND_EDGE;
	x[10] = c->kind == OFF_KIND_CLOUD;
	x[11] = lg(c->rtt_us / 1000);
	x[12] = lg(c->rtt_jitter_us / 1000);
	x[13] = (float)c->util;
	x[14] = lg(c->rq_p99_us / 1000);
	x[15] = lg(c->capacity_cores);
	x[16] = lg(c->cost_per_req * 1e4);
}

void off_features_row(const struct off_wl_raw *w, const struct off_cand_raw *c,
		      const struct off_norm *n, float *row)
{
	off_features_transform(w, c, row);
	for (int i = 0; i < OFF_FEATURES; i++)
		row[i] = (row[i] - n->mean[i]) / n->scale[i];
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

double off_reward(const struct off_reward_cfg *c, double lat_s, double energy_j, double cost)
{
	return -(c->w_lat * lat_s / c->lat_ref_s + c->w_energy * energy_j / c->energy_ref_j +
		 c->w_cost * cost / c->cost_ref);
}
