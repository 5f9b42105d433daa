/* SPDX-License-Identifier: GPL-2.0 */
/* The state vector: raw measurements in base units, and the one builder that
 * turns them into a model's input row, for the simulator and the agent alike. */
#ifndef OFFLOAD_LIB_FEATURES_H
#define OFFLOAD_LIB_FEATURES_H

#include <stddef.h>

enum off_target_kind {
	OFF_KIND_LOCAL,
	OFF_KIND_EDGE,
	OFF_KIND_CLOUD,
	OFF_KINDS,
};

/* One workload over one tick. */
struct off_wl_raw {
	double cpu_cores;	/* CPU the workload used, in cores */
	double rq_p50_us;	/* its run-queue latency */
	double rq_p99_us;
	double host_util;	/* host CPU utilisation, 0..1 */
	double host_rq_p99_us;
	double req_rate;	/* requests (connections) per second */
	double bytes_per_req;	/* the task's data size */
	double cpu_ms_per_req;	/* the task's compute, in ms of local CPU */
};

/* One candidate target, as measured or as its peer reports. */
struct off_cand_raw {
	enum off_target_kind kind;
	double rtt_us;
	double rtt_jitter_us;
	double util;		/* 0..1 */
	double rq_p99_us;
	double capacity_cores;	/* in cores of this host's speed */
	double cost_per_req;
};

/* "local", "edge", "cloud": as configs, logs and metrics spell them. */
extern const char *const off_kind_names[OFF_KINDS];

#define OFF_WL_FEATURES		8
#define OFF_CAND_FEATURES	(OFF_KINDS + 6)
#define OFF_FEATURES		(OFF_WL_FEATURES + OFF_CAND_FEATURES)
#define OFF_FEATURE_NAME_LEN	32

extern const char *const off_feature_names[OFF_FEATURES];

/* Normalisation: row[i] = (transformed[i] - mean[i]) / scale[i]. */
struct off_norm {
	float mean[OFF_FEATURES];
	float scale[OFF_FEATURES];
};

/* Transformed, not yet normalised, features (heavy-tailed values log-scaled). */
void off_features_transform(const struct off_wl_raw *w, const struct off_cand_raw *c, float *x);
/* The model's input row. Allocation-free. */
void off_features_row(const struct off_wl_raw *w, const struct off_cand_raw *c,
		      const struct off_norm *n, float *row);
/* Fits mean and scale to n transformed rows. */
void off_norm_fit(struct off_norm *norm, const float *x, size_t n);
void off_norm_identity(struct off_norm *norm);

/* The seed's reward: -(w_lat*lat/lat_ref + w_energy*E/E_ref + w_cost*cost/cost_ref). */
struct off_reward_cfg {
	double w_lat, w_energy, w_cost;
	double lat_ref_s, energy_ref_j, cost_ref;
};

#define OFF_REWARD_DEFAULT { .w_lat = 0.5, .w_energy = 0.3, .w_cost = 0.2, \
			     .lat_ref_s = 0.1, .energy_ref_j = 0.5, .cost_ref = 0.001 }

double off_reward(const struct off_reward_cfg *c, double lat_s, double energy_j, double cost);

#endif
