// SPDX-License-Identifier: GPL-2.0
/* What the agent decided and why, for offloadctl workloads and explain:
 * every candidate's measurements, the model's inputs and scores, and the
 * guard's reason. */
#include <jansson.h>
#include <math.h>

#include "agent/daemon.h"
#include "agent/serve/explain.h"
#include "lib/policy.h"

static json_t *num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *wl_features(const struct off_wl_raw *w)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
			 "cpu_cores", num(w->cpu_cores), "rq_p50_us", num(w->rq_p50_us),
			 "rq_p99_us", num(w->rq_p99_us), "local_util", num(w->host_util),
			 "local_rq_p99_us", num(w->host_rq_p99_us), "req_rate", num(w->req_rate),
			 "up_bytes", num(w->up_bytes), "down_bytes", num(w->down_bytes),
			 "cpu_ms", num(w->cpu_ms));
}

static json_t *scores(const struct off_daemon *d, const struct off_choice *ch)
{
	json_t *q = json_object();

	for (int t = 0; ch->scored && t < d->dec.ncand; t++)
		json_object_set_new(q, off_config_target_name(&d->cfg, t), num(ch->q[t]));
	return q;
}

json_t *off_explain_workloads(const struct off_daemon *d)
{
	json_t *list = json_array();

	for (int i = 0; i < d->cfg.nworkloads; i++) {
		const struct off_cfg_workload *w = &d->cfg.workloads[i];
		const struct off_choice *ch = &d->dec.ch[i];
		char policy[64];

		off_config_policy_name(&d->cfg, w, policy, sizeof(policy));
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:I, s:I, s:o, s:o, s:o, s:s}",
			"name", w->name, "cgroup", w->cgroup, "policy", policy,
			"target", off_config_target_name(&d->cfg, ch->target),
			"enforced", off_config_target_name(&d->cfg, d->current[i]), "pinned", d->pin[i] != 0,
			"changes", (json_int_t)ch->changes, "last_change_tick", (json_int_t)ch->since_tick,
			"reward", num(d->rec.wl[i].last_reward),
			"q", scores(d, ch), "features", wl_features(&ch->s.wl), "why", ch->why));
	}
	return json_pack("{s:b, s:b, s:o}", "ok", 1, "dry_run", d->cfg.dry_run, "workloads", list);
}

/* The model's input row, by feature name, as the model sees it; e gets the
 * candidate's estimate. */
static json_t *inputs(const struct off_daemon *d, int i, int t, struct off_est *e)
{
	int k = d->models.of_wl ? d->models.of_wl[i] : -1;
	struct off_est_env env;
	struct off_norm id;
	float row[OFF_FEATURES];
	json_t *o = json_object();

	off_norm_identity(&id);
	off_decide_env(&d->cfg, i, &d->dec.ch[i].s.wl, &env);
	off_features_row(&env, &d->dec.ch[i].s.wl, &d->dec.ch[i].s.cand[t],
			 k >= 0 ? &d->models.m[k].m.norm : &id, row, e);
	for (int f = 0; f < OFF_FEATURES; f++)
		json_object_set_new(o, off_feature_names[f], num(row[f]));
	return o;
}

static json_t *candidates(const struct off_daemon *d, int i, uint64_t now_ns)
{
	const struct off_choice *ch = &d->dec.ch[i];
	json_t *list = json_array();

	for (int t = 0; t < d->dec.ncand; t++) {
		const struct off_cand_raw *c = &ch->s.cand[t];
		struct off_est e;
		json_t *in = inputs(d, i, t, &e);
		json_t *o = json_pack("{s:s, s:s, s:b, s:b, s:o, s:o, s:o}",
			"target", off_config_target_name(&d->cfg, t), "kind", off_kind_names[c->kind],
			"eligible", (int)(ch->s.mask >> t & 1), "current", c->current,
			"score", ch->scored ? num(ch->q[t]) : json_null(),
			"estimate", ch->scored ? num(ch->est[t]) : json_null(),
			"correction", ch->scored ? num(ch->q[t] - ch->est[t]) : json_null());

		json_object_update_new(o, json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
			"rtt_us", num(c->rtt_us), "rtt_jitter_us", num(c->rtt_jitter_us),
			"bw_mbps", num(c->bw_mbps), "ghz", num(c->ghz), "cores", num(c->cores),
			"util", num(c->util), "wait_us", num(c->wait_us), "rq_p99_us", num(c->rq_p99_us),
			"cost_per_req", num(c->cost_per_req), "clients", num(c->clients),
			"herd_ms", num(e.herd_s * 1e3), "inputs", in));
		json_object_set_new(o, "refused_hold_s", num(ch->held_until_ns[t] > now_ns ?
						 (ch->held_until_ns[t] - now_ns) / 1e9 : 0));
		json_array_append_new(list, o);
	}
	return list;
}

json_t *off_explain_workload(const struct off_daemon *d, int i, uint64_t now_ns)
{
	const struct off_cfg_workload *w = &d->cfg.workloads[i];
	const struct off_choice *ch = &d->dec.ch[i];
	int k = d->models.of_wl ? d->models.of_wl[i] : -1;
	uint64_t dwell = (uint64_t)w->min_dwell_ms * 1000000, held = now_ns - ch->since_ns;
	char policy[64];

	off_config_policy_name(&d->cfg, w, policy, sizeof(policy));
	return json_pack("{s:b, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:f, s:f, s:I, s:o, s:o, s:o, s:o}",
		"ok", 1, "workload", w->name, "policy", policy,
		"score", w->policy == OFF_POLICY_DQN ? "estimated reward + the model's correction" :
			 w->policy == OFF_POLICY_GREEDY ? "estimated reward" : "none (static)",
		"target", off_config_target_name(&d->cfg, ch->target),
		"wanted", off_config_target_name(&d->cfg, ch->want),
		"why", ch->why, "model", k >= 0 ? json_string(d->models.m[k].path) : json_null(),
		"pinned", d->pin[i] ? off_config_target_name(&d->cfg, d->pin[i] - 1) : "",
		"hysteresis", w->hysteresis,
		"dwell_left_s", ch->since_ns && held < dwell ? (dwell - held) / 1e9 : 0.0,
		"changes", (json_int_t)ch->changes, "reward", num(d->rec.wl[i].last_reward),
		"features", wl_features(&ch->s.wl), "candidates", candidates(d, i, now_ns),
		"gate", w->policy == OFF_POLICY_DQN ? json_string(off_gate_names[ch->gate]) : json_null());
}
