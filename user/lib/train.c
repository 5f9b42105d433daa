// SPDX-License-Identifier: GPL-2.0
/* The training loop: a decision per task, explored around the model's own
 * pick; each decision's reward minus its estimate is a sample for the
 * correction. Ranges are widened by every row the model saw. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/eval.h"
#include "lib/gen.h"
#include "lib/policy.h"
#include "lib/train.h"

#define NORM_ROWS	200000
#define TRAIN_EVERY	4
#define VAL_EPISODES	3

void off_train_scenario(const struct off_train_opts *o, uint64_t k, struct off_scenario *out)
{
	uint64_t n = o->nsc + o->ngen, i = n ? k % n : 0;

	if (i < (uint64_t)o->nsc) {
		*out = o->sc[i];
		return;
	}
	i -= o->nsc;
	off_scenario_generate(out, OFF_SEEDS_TRAIN + i, i % 2 ? OFF_GEN_EFFECTS : 0);
}

void off_train_range(struct off_model *m, const float *row)
{
	for (int f = 0; f < OFF_FEATURES; f++) {
		if (row[f] < m->lo[f])
			m->lo[f] = row[f];
		if (row[f] > m->hi[f])
			m->hi[f] = row[f];
	}
}

/* Mean and scale from random decisions over every training scenario. */
static int fit_norm(struct off_norm *norm, const struct off_train_opts *o)
{
	float *x = malloc((size_t)NORM_ROWS * OFF_FEATURES * sizeof(float));
	uint64_t n = o->nsc + o->ngen;
	static struct off_scenario sc;
	static struct off_sim s;
	struct off_rng rng;
	size_t rows = 0;

	if (!x)
		return -ENOMEM;
	off_rng_seed(&rng, o->seed ^ 0x6e6f726dULL);
	for (uint64_t k = 0; k < n && rows < NORM_ROWS; k++) {
		int per = 0, t;

		off_train_scenario(o, k, &sc);
		off_sim_reset(&s, &sc, o->seed + 7919 * k);
		while (off_sim_next_epoch(&s) >= 0 && per < NORM_ROWS / (int)n + 1) {
			for (int i = 0; i < s.ntasks && rows < NORM_ROWS; i++, per++) {
				struct off_cand_raw c[OFF_MAX_CANDS];
				struct off_wl_raw w;
				struct off_est e;
				uint32_t mask;

				off_sim_observe(&s, i, &w, c, &mask);
				t = off_rng_below(&rng, s.ntargets);
				off_features_transform(&s.env, &w, &c[t], x + rows++ * OFF_FEATURES, &e);
				off_sim_assign(&s, i, off_policy_sim_choose(OFF_POL_RANDOM, 0, NULL, &s, i, &rng),
					       NULL);
			}
		}
	}
	off_norm_fit(norm, x, rows);
	free(x);
	return 0;
}

struct trainer {
	const struct off_train_opts *o;
	struct off_model *m;
	struct off_resid r;
	struct off_rng rng;
	uint64_t steps;
};

static int explore(struct trainer *t, const float *q, int n, uint32_t mask)
{
	if (off_rng_unit(&t->rng) < t->o->epsilon) {
		int up = __builtin_popcount(mask), k = up ? (int)off_rng_below(&t->rng, up) : 0;

		for (int i = 0; i < n; i++)
			if ((mask & (1u << i)) && k-- == 0)
				return i;
	}
	return off_policy_best(q, n, mask);
}

static void decide_one(struct trainer *t, struct off_sim *s, int i)
{
	float rows[OFF_MAX_CANDS * OFF_FEATURES], est[OFF_MAX_CANDS], corr[OFF_MAX_CANDS];
	float q[OFF_MAX_CANDS], y, scale;
	struct off_cand_raw c[OFF_MAX_CANDS];
	struct off_outcome out;
	struct off_wl_raw w;
	uint32_t mask;
	int a, n = s->ntargets;

	off_sim_observe(s, i, &w, c, &mask);
	off_policy_rows(&s->env, &t->m->norm, &w, c, n, rows, est);
	off_mlp_forward(&t->r.net, rows, n, corr, t->r.scratch);
	scale = off_policy_scale(est[off_policy_best(est, n, mask)]);
	for (int k = 0; k < n; k++) {
		q[k] = est[k] + scale * corr[k];
		off_train_range(t->m, rows + (size_t)k * OFF_FEATURES);
	}
	a = explore(t, q, n, mask);
	out = off_sim_assign(s, i, a, NULL);
	y = (off_sim_reward(s, &out) - est[a]) / scale;	/* relative to the state's scale */
	off_resid_add(&t->r, rows + (size_t)a * OFF_FEATURES, y);
	if (++t->steps % TRAIN_EVERY == 0)
		off_resid_update(&t->r);
}

static void run_episode(struct trainer *t, const struct off_scenario *sc, uint64_t seed)
{
	static struct off_sim s;

	off_sim_reset(&s, sc, seed);
	while (t->steps < t->o->steps && off_sim_next_epoch(&s) >= 0)
		for (int i = 0; i < s.ntasks && t->steps < t->o->steps; i++)
			decide_one(t, &s, i);
}

/* Margins tried on validation, smallest first. The correction earns its
 * place only with a margin that gains reward on average and never costs
 * more than 0.5% against the estimate on any validation scenario; the
 * largest mean gain among those wins. */
static const double margins[] = { 0.0, 0.01, 0.03, 0.1, 0.3 };

static double pick_margin(struct off_model *m, const struct off_train_opts *o, FILE *progress)
{
	int nm = sizeof(margins) / sizeof(*margins), pick = -1;
	static struct off_scenario sc;
	double best = 0;

	for (int k = 0; k < nm; k++) {
		double gain = 0, worst = 0;

		m->gate = (struct off_gate_cfg){ .margin_rel = margins[k] };
		for (uint32_t v = 0; v < o->nval; v++) {
			struct off_eval em, eg;
			double d;

			off_scenario_generate(&sc, OFF_SEEDS_VALIDATE + v, v % 2 ? OFF_GEN_EFFECTS : 0);
			if (off_eval_run(&sc, m, OFF_POL_MODEL, 0, VAL_EPISODES, o->seed, 0, &em) ||
			    off_eval_run(&sc, m, OFF_POL_ESTIMATE, 0, VAL_EPISODES, o->seed, 0, &eg))
				goto closed;
			d = (em.reward_mean - eg.reward_mean) / fabs(eg.reward_mean);
			gain += d / o->nval;
			worst = fmin(worst, d);
		}
		if (progress)
			fprintf(progress, "offload-train: margin %.2f: mean gain over the estimate "
				"%+.2f%%, worst %+.2f%%\n", margins[k], 100 * gain, 100 * worst);
		if (worst > -0.005 && gain > best) {
			best = gain;
			pick = k;
		}
	}
	if (pick >= 0) {
		m->gate = (struct off_gate_cfg){ .margin_rel = margins[pick] };
		return best;
	}
closed:
	/* Not earned (or not measurable): ship no correction at all, so the
	 * model decides as the estimate does and a fit starts from nothing but
	 * its own experience (hidden layers fresh too: weight decay can leave
	 * them dead). */
	m->gate = (struct off_gate_cfg){ .margin_rel = OFF_GATE_CLOSED };
	off_resid_fresh(&m->mlp, o->seed);
	if (progress)
		fprintf(progress, "offload-train: no margin gains reward on validation without costing "
			"it somewhere: gate closed, correction zeroed\n");
	return 0;
}

static void name_it(struct off_model *m, const struct off_train_opts *o)
{
	size_t len;

	for (int i = 0; i < o->nsc; i++) {
		len = strlen(m->meta.scenario);
		snprintf(m->meta.scenario + len, sizeof(m->meta.scenario) - len, "%s%s", i ? "," : "",
			 o->sc[i].name);
	}
	len = strlen(m->meta.scenario);
	if (o->ngen)
		snprintf(m->meta.scenario + len, sizeof(m->meta.scenario) - len, "%s%u generated",
			 o->nsc ? "+" : "", o->ngen);
}

/* One training run from o->seed; *gain is its validation gain (0: closed). */
static int train_one(struct off_model *out, const struct off_train_opts *o, FILE *progress,
		     double *gain)
{
	static struct off_scenario sc;
	struct off_model m = {};
	struct trainer t = { .o = o, .m = &m };
	struct off_rng init;
	int ret;

	if (!o->nsc && !o->ngen)
		return -EINVAL;
	ret = fit_norm(&m.norm, o);
	if (ret)
		return ret;
	for (int f = 0; f < OFF_FEATURES; f++) {
		m.lo[f] = INFINITY;
		m.hi[f] = -INFINITY;
	}
	off_rng_seed(&init, o->seed);
	off_rng_seed(&t.rng, o->seed + 1);
	ret = off_mlp_init(&m.mlp, OFF_FEATURES, OFF_MLP_H1, OFF_MLP_H2);
	if (ret)
		return ret;
	off_mlp_randomize(&m.mlp, &init);
	off_resid_zero_output(&m.mlp);
	ret = off_resid_init(&t.r, &o->fit, &m.mlp, o->seed + 2);
	if (ret)
		goto out;
	for (uint64_t k = 0; t.steps < o->steps; k++) {
		uint64_t before = t.steps;

		off_train_scenario(o, k, &sc);
		run_episode(&t, &sc, o->seed * 1000003 + k);
		if (progress && before / 100000 != t.steps / 100000)
			fprintf(progress, "offload-train: %llu/%llu steps\n",
				(unsigned long long)t.steps, (unsigned long long)o->steps);
	}
	off_mlp_copy(&m.mlp, &t.r.net);
	m.meta.seed = o->seed;
	m.meta.steps = t.steps;
	name_it(&m, o);
	*gain = pick_margin(&m, o, progress);
	off_resid_free(&t.r);
	*out = m;
	return 0;
out:
	off_mlp_free(&m.mlp);
	return ret;
}

/* A network's worth depends on its start: each seed trains afresh on the
 * same scenarios, and the one that gains most on validation ships. With no
 * gain anywhere, the first (closed) one does: the choice stays a function of
 * the options. */
int off_train_sim(struct off_model *out, const struct off_train_opts *o, FILE *progress)
{
	struct off_train_opts one = *o;
	double best = -1, gain;
	struct off_model m;
	int ret;

	for (uint32_t i = 0; i < (o->nseeds ? o->nseeds : 1); i++) {
		one.seed = o->seed + i;
		if (progress && o->nseeds > 1)
			fprintf(progress, "offload-train: training seed %llu (%u of %u)\n",
				(unsigned long long)one.seed, i + 1, o->nseeds);
		ret = train_one(&m, &one, progress, &gain);
		if (ret) {
			if (best >= 0)
				off_model_free(out);
			return ret;
		}
		if (gain > best) {
			if (best >= 0)
				off_model_free(out);
			*out = m;
			best = gain;
		} else {
			off_model_free(&m);
		}
	}
	return 0;
}
