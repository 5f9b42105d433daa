// SPDX-License-Identifier: GPL-2.0
/* Candidates are local and every peer, always in target order, so a score
 * index is a target index; the mask says which may be chosen. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agent/tick/decide.h"
#include "lib/clock.h"
#include "lib/policy.h"

const char *const off_reason_names[OFF_WHY_KINDS] = { "policy", "pin", "static", "unhealthy" };

int off_decider_init(struct off_decider *d, int nwl, int ncand)
{
	size_t rows = (size_t)(nwl ? nwl : 1) * ncand;

	memset(d, 0, sizeof(*d));
	d->nwl = nwl;
	d->ncand = d->cap = ncand;
	d->ch = calloc(nwl ? nwl : 1, sizeof(*d->ch));
	d->rows = malloc(rows * OFF_FEATURES * sizeof(float));
	d->q = malloc(rows * sizeof(float));
	d->scratch = malloc(OFF_MLP_ROWS * 2 * OFF_MLP_MAX_DIM * sizeof(float));
	if (!d->ch || !d->rows || !d->q || !d->scratch) {
		off_decider_free(d);
		return -ENOMEM;
	}
	return 0;
}

void off_decider_free(struct off_decider *d)
{
	free(d->ch);
	free(d->rows);
	free(d->q);
	free(d->scratch);
	memset(d, 0, sizeof(*d));
}

/* Which configured services each peer says it serves; a peer that is not
 * probed is taken at its configuration's word. */
static void peer_services(struct off_decider *d, const struct off_config *c, const struct off_peers *ps)
{
	memset(d->serves, 0, sizeof(d->serves));
	for (int p = 0; p < ps->n; p++) {
		const struct off_peer *pr = &ps->p[p];

		for (int s = 0; s < c->nservices; s++) {
			int yes = !pr->cfg->status_port;

			for (int k = 0; !yes && k < pr->st.nservices; k++)
				yes = !strcmp(pr->st.services[k], c->services[s].name);
			if (yes)
				d->serves[p][s / 64] |= 1ULL << (s % 64);
		}
	}
}

static int serves_all(const struct off_decider *d, int p, const struct off_cfg_workload *w)
{
	for (int k = 0; k < OFF_CFG_MAX_SERVICES / 64; k++)
		if (w->services[k] & ~d->serves[p][k])
			return 0;
	return 1;
}

/* What the workload itself puts on a target, as a share of its cores: the
 * requests it sent there over the tick at its CPU per request, scaled to
 * the target's speed. A candidate is judged on others' load, or the load a
 * workload causes would chase it away from where it runs best. */
static double own_util(const struct off_wl_meas *w, double dt_s, int t, double ghz_ratio,
		       double cores)
{
	if (dt_s <= 0 || cores <= 0)
		return 0;
	return w->t[t].opened / dt_s * w->raw.cpu_ms / 1000 * ghz_ratio / cores;
}

static double net_of(double util, double own)
{
	return util > own ? util - own : 0;
}

/* Here, others' share is what CFS would leave a new request: with n other
 * tasks runnable per CPU it gets 1/(1 + n), the share processor sharing
 * gives when others hold n/(1 + n). Utilisation cannot say this: four CPU
 * hogs and one both read 100%. */
static void local_candidate(const struct off_config *c, const struct off_measure *m,
			    const struct off_wl_meas *w, struct off_cand_raw *k)
{
	double ncpus = m->scope.ncpus ? m->scope.ncpus : 1;
	double others = net_of(m->local_runnable, w->runnable / ncpus);

	*k = (struct off_cand_raw){
		.kind = OFF_KIND_LOCAL, .rtt_us = w->t[0].srtt_us, .ghz = c->cpu_ghz,
		.cores = m->scope.capacity, .rq_p99_us = m->local_rq_p99_us,
		.util = others / (1 + others),
	};
}

static void peer_candidate(const struct off_config *c, const struct off_measure *m,
			   const struct off_wl_meas *w, const struct off_peer *pr, int t,
			   struct off_cand_raw *k)
{
	const struct off_cfg_peer *pc = pr->cfg;
	double ghz = pc->cpu_ghz ? pc->cpu_ghz : c->cpu_ghz;
	double cores = pc->capacity_cores ? pc->capacity_cores : pr->st.capacity_cores;

	/* Passive RTT of the workload's own connections when it has some;
	 * the probes' connect time otherwise. */
	*k = (struct off_cand_raw){
		.kind = pc->kind, .rtt_us = w->t[t].srtt_us ? w->t[t].srtt_us : pr->rtt_us,
		.rtt_jitter_us = pr->rtt_jitter_us, .ghz = ghz, .cores = cores,
		.bw_mbps = w->t[t].bw_mbps ? w->t[t].bw_mbps : off_config_peer_bw(pc),
		.util = net_of(pr->st.load >= 0 ? pr->st.load : pr->st.cpu_util,
			       own_util(w, m->dt_s, t, c->cpu_ghz / ghz, cores)),
		.rq_p99_us = pr->st.rq_p99_us, .cost_per_req = pc->cost_per_req,
		.clients = off_peer_others(&pr->st),
	};
}

/* Whether peer target t is held for failing at least as many of the
 * workload's connects over the last tick as it took: a peer that dies
 * mid-tick is left at the next one. The hold restarts while it fails;
 * one set to 0 leaves the peer to the probes alone. */
static int refused(struct off_decider *d, const struct off_config *c, struct off_choice *ch,
		   const struct off_tgt_tick *t, int k, uint64_t now)
{
	if (!c->refusal_hold_ms)
		return 0;
	if (t->failed > 0 && t->failed >= t->opened) {
		d->refusal_holds += ch->held_until_ns[k] <= now;
		ch->held_until_ns[k] = now + c->refusal_hold_ms * 1000000ull;
	}
	return ch->held_until_ns[k] > now;
}

static void candidates(struct off_decider *d, const struct off_config *c,
		       const struct off_measure *m, const struct off_peers *ps, int i,
		       struct off_choice *ch, uint64_t now)
{
	const struct off_wl_meas *w = &m->wl[i];
	struct off_exp_state *s = &ch->s;

	s->wl = w->raw;
	s->ncand = d->ncand;
	s->mask = 1;
	local_candidate(c, m, w, &s->cand[0]);
	for (int p = 0; p < ps->n; p++) {
		peer_candidate(c, m, w, &ps->p[p], p + 1, &s->cand[p + 1]);
		if (ps->p[p].up && serves_all(d, p, &c->workloads[i]) &&
		    !refused(d, c, ch, &w->t[p + 1], p + 1, now))
			s->mask |= 1u << (p + 1);
	}
	for (int t = 0; t < d->ncand; t++)
		s->cand[t].current = t == (int)ch->target;
}

/* Workload i's estimate environment. A move's setup is paid once, by the
 * requests a decision covers (it holds at least min_dwell), not by each:
 * the simulator, deciding per task, charges it to the one task. */
void off_decide_env(const struct off_config *c, int i, const struct off_wl_raw *w,
		    struct off_est_env *env)
{
	double covered = w->req_rate * c->workloads[i].min_dwell_ms / 1000;

	off_config_est_env(c, env);
	env->switch_rtts /= covered > 1 ? covered : 1;
}

/* The estimates of workloads without a model; infer() makes those of the
 * rest with their rows. Then, per model, one batched forward of the
 * corrections and each workload's gate. */
static void estimate(struct off_decider *d, const struct off_config *c, const struct off_models *ms)
{
	struct off_est_env env;

	for (int i = 0; i < c->nworkloads; i++) {
		struct off_choice *ch = &d->ch[i];

		if (ms->of_wl && ms->of_wl[i] >= 0)
			continue;
		off_decide_env(c, i, &ch->s.wl, &env);
		for (int t = 0; t < d->ncand; t++) {
			struct off_est e;

			off_estimate(&env, &ch->s.wl, &ch->s.cand[t], &e);
			ch->est[t] = (float)e.reward;
		}
	}
}

static void gate(struct off_decider *d, const struct off_model *mod, int i, const float *rows,
		 const float *corr)
{
	struct off_choice *ch = &d->ch[i];

	memcpy(ch->corr, corr, d->ncand * sizeof(float));
	off_policy_gate(mod, rows, ch->est, corr, d->ncand, ch->s.mask, ch->q, &ch->gate,
			&ch->gate_feature);
	if (ch->gate == OFF_GATE_RANGE || ch->gate == OFF_GATE_NO_GAIN)
		memcpy(ch->q, ch->est, d->ncand * sizeof(float));
	d->gates[ch->gate]++;
}

static void infer(struct off_decider *d, const struct off_config *c, const struct off_models *ms)
{
	struct off_est_env env;

	for (int k = 0; k < ms->n; k++) {
		const struct off_model *mod = &ms->m[k].m;
		size_t stride = (size_t)d->ncand * OFF_FEATURES;
		int n = 0, first = -1;

		for (int i = 0; i < c->nworkloads; i++) {
			if (ms->of_wl[i] != k)
				continue;
			if (first < 0)
				first = i;
			off_decide_env(c, i, &d->ch[i].s.wl, &env);
			off_policy_rows(&env, &mod->norm, &d->ch[i].s.wl, d->ch[i].s.cand, d->ncand,
					d->rows + n * stride, d->ch[i].est);
			n++;
		}
		if (!n)
			continue;
		off_mlp_infer(&mod->mlp, d->rows, n * d->ncand, d->q, d->scratch);
		n = 0;
		for (int i = first; i < c->nworkloads; i++) {
			if (ms->of_wl[i] != k)
				continue;
			gate(d, mod, i, d->rows + n * stride, d->q + (size_t)n * d->ncand);
			n++;
		}
	}
}

/* "Q -0.412 = estimate -0.398 + correction -0.014 (agrees)" */
static void explain_score(struct off_choice *ch, const struct off_config *c,
			  const struct off_cfg_workload *w, uint32_t t)
{
	const char *name = off_config_target_name(c, t);

	if (w->policy == OFF_POLICY_GREEDY) {
		snprintf(ch->why, sizeof(ch->why), "%s scores best (estimated reward %.3f)", name, ch->q[t]);
		return;
	}
	snprintf(ch->why, sizeof(ch->why), "%s scores best (Q %.3f = estimate %.3f %+.3f; correction %s%s%s)",
		 name, ch->q[t], ch->est[t], ch->q[t] - ch->est[t], off_gate_names[ch->gate],
		 ch->gate == OFF_GATE_RANGE ? ": " : "",
		 ch->gate == OFF_GATE_RANGE ? off_feature_names[ch->gate_feature] : "");
}

/* What the policy (or a pin) asks for, with its reason in ch->why. */
static uint32_t wanted(struct off_choice *ch, const struct off_config *c,
		       const struct off_cfg_workload *w, uint32_t pin, int ncand)
{
	uint32_t t;

	ch->scored = w->policy != OFF_POLICY_STATIC;
	if (w->policy == OFF_POLICY_GREEDY)
		memcpy(ch->q, ch->est, ncand * sizeof(float));
	ch->reason = pin ? OFF_WHY_PIN : w->policy == OFF_POLICY_STATIC ? OFF_WHY_STATIC : OFF_WHY_POLICY;
	if (pin) {
		snprintf(ch->why, sizeof(ch->why), "pinned by offloadctl");
		return pin - 1;
	}
	if (w->policy == OFF_POLICY_STATIC) {
		snprintf(ch->why, sizeof(ch->why), "static policy");
		return w->target;
	}
	t = off_policy_best(ch->q, ncand, ch->s.mask);
	explain_score(ch, c, w, t);
	return t;
}

static void why_ineligible(struct off_choice *ch, const struct off_config *c, uint32_t t,
			   uint64_t now)
{
	const char *name = off_config_target_name(c, t);

	if (ch->held_until_ns[t] > now)
		snprintf(ch->why, sizeof(ch->why), "%s failed half or more of the connects of a "
			 "tick: left for %.1f s more", name, (ch->held_until_ns[t] - now) / 1e9);
	else
		snprintf(ch->why, sizeof(ch->why), "%s is down or does not serve it", name);
}

/* Keeps the current target unless it is unhealthy, or the challenger has
 * waited out the dwell time and wins by the hysteresis margin. */
static uint32_t guard(struct off_choice *ch, const struct off_config *c,
		      const struct off_cfg_workload *w, uint32_t want, int pinned, uint64_t now)
{
	uint32_t cur = ch->target;
	uint64_t dwell = (uint64_t)w->min_dwell_ms * 1000000;

	if (!(ch->s.mask >> want & 1)) {
		why_ineligible(ch, c, want, now);
		want = OFF_TARGET_LOCAL;
		ch->reason = OFF_WHY_UNHEALTHY;
	}
	if (!(ch->s.mask >> cur & 1)) {
		ch->reason = OFF_WHY_UNHEALTHY;
		if (want != cur && ch->held_until_ns[cur] > now)
			why_ineligible(ch, c, cur, now);
	}
	if (want == cur || !(ch->s.mask >> cur & 1) || pinned || !ch->scored)
		return want;
	if (ch->since_ns && now - ch->since_ns < dwell) {
		snprintf(ch->why, sizeof(ch->why), "kept %s: %s is better but the dwell time has %.1f s left",
			 off_config_target_name(c, cur), off_config_target_name(c, want),
			 (dwell - (now - ch->since_ns)) / 1e9);
		return cur;
	}
	if (ch->q[want] - ch->q[cur] < w->hysteresis) {
		snprintf(ch->why, sizeof(ch->why), "kept %s: %s is better by %.3f, within the hysteresis of %.3f",
			 off_config_target_name(c, cur), off_config_target_name(c, want),
			 ch->q[want] - ch->q[cur], w->hysteresis);
		return cur;
	}
	return want;
}

/* Finite but extreme weights overflow to Inf or NaN, and NaN compares false
 * both ways: best() fell back to local and the hysteresis never held. Such
 * scores are no scores: counted, and the workload keeps its target. */
static int nonfinite_scores(struct off_choice *ch, const struct off_config *c, int ncand)
{
	int n = 0;

	for (int t = 0; t < ncand; t++)
		n += (ch->s.mask >> t & 1) && !isfinite(ch->q[t]);
	if (n) {
		ch->scored = 0;
		ch->want = ch->target;
		snprintf(ch->why, sizeof(ch->why), "kept %s: %d scores are not finite (the model's weights overflow)",
			 off_config_target_name(c, ch->target), n);
	}
	return n;
}

int off_decide(struct off_decider *d, const struct off_config *c, const struct off_measure *m,
	       const struct off_peers *ps, const struct off_models *models, const uint32_t *pin,
	       uint64_t now_ns)
{
	int changes = 0;

	uint64_t t0;

	if (ps->n + 1 <= d->cap)
		d->ncand = ps->n + 1;
	peer_services(d, c, ps);
	for (int i = 0; i < c->nworkloads; i++) {
		memset(d->ch[i].q, 0, sizeof(d->ch[i].q));
		memset(d->ch[i].corr, 0, sizeof(d->ch[i].corr));
		candidates(d, c, m, ps, i, &d->ch[i], now_ns);
	}
	t0 = off_mono_ns();
	estimate(d, c, models);
	infer(d, c, models);
	d->infer_ns = off_mono_ns() - t0;
	for (int i = 0; i < c->nworkloads; i++) {
		struct off_choice *ch = &d->ch[i];
		const struct off_cfg_workload *w = &c->workloads[i];
		uint32_t t;

		ch->want = wanted(ch, c, w, pin[i], d->ncand);
		if (ch->scored && !pin[i])
			d->nonfinite += nonfinite_scores(ch, c, d->ncand);
		t = guard(ch, c, w, ch->want, pin[i] != 0, now_ns);
		if (ch->scored && !pin[i] && m->dt_s <= 0 && (ch->s.mask >> ch->target & 1)) {
			snprintf(ch->why, sizeof(ch->why), "waiting for a tick of measurements");
			t = ch->target;
		}

		ch->changed = t != ch->target;
		if (!ch->changed)
			continue;
		ch->target = t;
		ch->since_ns = now_ns;
		ch->changes++;
		ch->changes_by[ch->reason]++;
		changes++;
	}
	return changes;
}
