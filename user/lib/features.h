/* SPDX-License-Identifier: GPL-2.0 */
/* The state: raw measurements in base units, the one feature table every
 * part derives from (simulator, trainer, agent, explain, log, model schema),
 * and the row builder that turns a state into a model's input. */
#ifndef OFFLOAD_LIB_FEATURES_H
#define OFFLOAD_LIB_FEATURES_H

#include <stddef.h>

enum off_target_kind {
	OFF_KIND_LOCAL,
	OFF_KIND_EDGE,
	OFF_KIND_CLOUD,
	OFF_KINDS,
};

/* One workload over one tick (the agent) or one task (the simulator). */
struct off_wl_raw {
	double cpu_cores;	/* CPU the workload used, in cores */
	double rq_p50_us;	/* its run-queue latency */
	double rq_p99_us;
	double host_util;	/* this host's CPU utilisation, 0..1 */
	double host_rq_p99_us;
	double req_rate;	/* requests (connections) per second */
	double up_bytes;	/* per request, sent */
	double down_bytes;	/* per request, received */
	double cpu_ms;		/* per request, in ms of this host's CPU */
};

/* One candidate target, as measured or as its peer reports. */
struct off_cand_raw {
	enum off_target_kind kind;
	int current;		/* the workload's target now */
	double rtt_us;
	double rtt_jitter_us;
	double bw_mbps;		/* to it; 0 for local */
	double ghz;		/* per-core speed */
	double cores;		/* 0: elastic (no queueing) */
	double util;		/* others' share of its CPU, 0..1, net of ours */
	double wait_us;		/* queued work ahead of a new request */
	double rq_p99_us;	/* as reported; shown, not scored */
	double cost_per_req;
	double clients;		/* other agents that may send it work now */
};

/* The seed's reward: -(w_lat*lat/lat_ref + w_energy*E/E_ref + w_cost*cost/cost_ref). */
struct off_reward_cfg {
	double w_lat, w_energy, w_cost;
	double lat_ref_s, energy_ref_j, cost_ref;
};

#define OFF_REWARD_DEFAULT { .w_lat = 0.5, .w_energy = 0.3, .w_cost = 0.2, \
			     .lat_ref_s = 0.1, .energy_ref_j = 0.5, .cost_ref = 0.001 }

double off_reward(const struct off_reward_cfg *c, double lat_s, double energy_j, double cost);

/* What the estimate needs beyond the state: the reward's weights, the
 * energy model and the cost of moving. Energy is cpu_watts for the local CPU
 * time a request takes at full speed, and tx_watts for the time its bytes
 * are on the link plus nj_per_byte for each byte (a LAN host's NIC, where
 * per-byte is the norm). A new target costs switch_rtts round trips of
 * connection setup (TCP 1, TLS 1.3 2). herd is the share of the other
 * agents sharing a peer of fixed cores whose requests are taken to arrive
 * with each of this one's and run ahead of it: agents of one fleet see the
 * same peers and decide alike, so they move together (0.5: the middle of
 * the herd; 0: this agent moves alone). */
#define OFF_HERD_DEFAULT	0.5
struct off_est_env {
	struct off_reward_cfg reward;
	double local_ghz;
	double cpu_watts, tx_watts, nj_per_byte;
	double switch_rtts;
	double herd;
	/* 1 where the state is measured as the agent measures it (a tick
	 * late, in log2 buckets, sizes as running means): always, on a host;
	 * 0 only in a simulator that shows the exact state. The correction is
	 * learnt for each regime apart. */
	int measured;
};

/* One-step outcome of sending a request to a candidate. */
struct off_est {
	double lat_s, energy_j, cost, reward;
	double herd_s;		/* of lat_s, the fleet's requests run first */
};

/* A request's energy: its CPU time here, or its bytes on the link. The
 * estimate predicts it, the agent's reward measures it, with this one
 * function. */
double off_energy_j(const struct off_est_env *env, int local, double cpu_ms, double bytes,
		    double tx_s);

/* The queueing model: the bytes cross the link (size / bandwidth) while any
 * queued work drains, the request runs at the candidate's per-core speed
 * left by others' load, and it pays the round trip, and the setup of a new
 * connection when the candidate is not where the workload is now. The simulator's ground
 * truth is the same function on the true state; the agent's, on measurements. */
void off_estimate(const struct off_est_env *env, const struct off_wl_raw *w,
		  const struct off_cand_raw *c, struct off_est *e);

/* "local", "edge", "cloud": as configs, logs and metrics spell them. */
extern const char *const off_kind_names[OFF_KINDS];

/*
 * The feature table: one line per model input. X(name, unit, value, doc),
 * where value is computed from w (workload), c (candidate), env and e (the
 * candidate's estimate). Adding a feature is one line here and a retrain:
 * the model file records the names, and a model of another table is refused.
 * Heavy-tailed quantities are log1p-scaled so one normalisation fits a
 * Raspberry Pi and a cloud region alike.
 */
#define OFF_FEATURE_TABLE(X)									\
	X(wl_cpu_cores,      "cores",    w->cpu_cores,                "CPU the workload used")	\
	X(wl_rq_p99_log_ms,  "log1p ms", lg(w->rq_p99_us * 1e-3),    "its run-queue p99")	\
	X(host_util,         "0..1",     w->host_util,                "this host's CPU utilisation") \
	X(wl_req_rate_log,   "log1p /s", lg(w->req_rate),             "requests per second")	\
	X(wl_up_kib_log,     "log1p KiB", lg(w->up_bytes / 1024),     "bytes sent per request")	\
	X(wl_down_kib_log,   "log1p KiB", lg(w->down_bytes / 1024),   "bytes received per request") \
	X(wl_cpu_ms_log,     "log1p ms", lg(w->cpu_ms),               "local CPU per request")	\
	X(cand_is_local,     "0/1",      c->kind == OFF_KIND_LOCAL,   "candidate is this host")	\
	X(cand_is_edge,      "0/1",      c->kind == OFF_KIND_EDGE,    "candidate is an edge peer") \
	X(cand_is_cloud,     "0/1",      c->kind == OFF_KIND_CLOUD,   "candidate is a cloud")	\
	X(cand_is_current,   "0/1",      c->current,                  "the workload is there now") \
	X(cand_rtt_log_ms,   "log1p ms", lg(c->rtt_us * 1e-3),        "round trip to it")	\
	X(cand_jitter_log_ms, "log1p ms", lg(c->rtt_jitter_us * 1e-3), "RTT jitter")		\
	X(cand_bw_log_mbps,  "log1p Mbit/s", lg(c->bw_mbps),          "bandwidth to it")	\
	X(cand_speed,        "ratio",    c->ghz / env->local_ghz,     "per-core speed, this host = 1") \
	X(cand_cores_log,    "log1p",    lg(c->cores ? c->cores : 64), "cores (elastic: 64)")	\
	X(cand_util,         "0..1",     c->util,                     "others' load on it")	\
	X(cand_wait_log_ms,  "log1p ms", lg(c->wait_us * 1e-3),       "work queued ahead")	\
	X(cand_cost_log,     "log1p 1e-4", lg(c->cost_per_req * 1e4), "price per request")	\
	X(cand_clients_log,  "log1p",    lg(c->clients),              "other agents sharing it") \
	X(env_measured,      "0/1",      env->measured,               "state measured as the agent does") \
	X(w_lat_log,         "log1p /s", lg(env->reward.w_lat / env->reward.lat_ref_s), "latency weight over its ref") \
	X(w_energy_log,      "log1p /J", lg(env->reward.w_energy / env->reward.energy_ref_j), "energy weight over its ref") \
	X(w_cost_log,        "log1p",    lg(env->reward.w_cost / env->reward.cost_ref * 1e-3), "cost weight over its ref") \
	X(est_lat_log_ms,    "log1p ms", lg(e->lat_s * 1000),         "the estimate's latency")	\
	X(est_reward_log,    "-log1p -r", -lg(-e->reward),            "the estimate's reward")

#define OFF_FEATURE_COUNT_(name, unit, value, doc) +1
#define OFF_FEATURES		(0 OFF_FEATURE_TABLE(OFF_FEATURE_COUNT_))
#define OFF_FEATURE_NAME_LEN	32

struct off_feature_info {
	const char *name, *unit, *doc;
};

extern const struct off_feature_info off_features[OFF_FEATURES];
extern const char *const off_feature_names[OFF_FEATURES];

/* Normalisation: row[i] = (transformed[i] - mean[i]) / scale[i]. */
struct off_norm {
	float mean[OFF_FEATURES];
	float scale[OFF_FEATURES];
};

/* A feature's last log1p, so a decision's candidates take the logs they
 * share (the workload's, the host's, the weights') once. */
struct off_lg_memo {
	double v;
	float y;
};

/* Forgets every remembered log (memo: OFF_FEATURES entries), before a
 * decision's first candidate. */
void off_lg_memo_reset(struct off_lg_memo *memo);
/* Transformed, not yet normalised, features; e gets the estimate. */
void off_features_transform_memo(const struct off_est_env *env, const struct off_wl_raw *w,
				 const struct off_cand_raw *c, float *x, struct off_est *e,
				 struct off_lg_memo *memo);
void off_features_transform(const struct off_est_env *env, const struct off_wl_raw *w,
			    const struct off_cand_raw *c, float *x, struct off_est *e);
/* The model's input row. Allocation-free. */
void off_features_row(const struct off_est_env *env, const struct off_wl_raw *w,
		      const struct off_cand_raw *c, const struct off_norm *n, float *row,
		      struct off_est *e);
/* Normalises one transformed row in place. */
void off_norm_apply(const struct off_norm *n, float *row);
/* Fits mean and scale to n transformed rows. */
void off_norm_fit(struct off_norm *norm, const float *x, size_t n);
void off_norm_identity(struct off_norm *norm);

#endif
