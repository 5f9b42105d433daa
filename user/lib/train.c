// SPDX-License-Identifier: GPL-2.0
/* The training loop: one decision per task, the next task's state as s'. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/train.h"

#define NORM_TASKS 4000

static void fit_norm(struct off_norm *norm, const struct off_train_opts *o)
{
	float *x = malloc((size_t)NORM_TASKS * OFF_MAX_CANDS * OFF_FEATURES * sizeof(float));
	struct off_rng rng;
	size_t rows = 0;

	off_rng_seed(&rng, o->seed ^ 0x6e6f726dULL);
	if (!x) {
		off_norm_identity(norm);
		return;
	}
	for (int k = 0; rows < (size_t)NORM_TASKS * 2 && k < 64; k++) {
		static struct off_sim s;
		int n;

		off_sim_reset(&s, &o->sc[k % o->nsc], o->seed + 7919 * k);
		while ((n = off_sim_next_epoch(&s)) >= 0 && rows < (size_t)NORM_TASKS * 2) {
			for (int i = 0; i < n; i++) {
				struct off_cand_raw c[OFF_MAX_CANDS];
				struct off_wl_raw w;
				uint32_t mask;

				off_sim_observe(&s, i, &w, c, &mask);
				for (int t = 0; t < s.ntargets && rows < (size_t)NORM_TASKS * OFF_MAX_CANDS; t++)
					off_features_transform(&w, &c[t], x + rows++ * OFF_FEATURES);
				off_sim_assign(&s, i, off_policy_sim_choose(OFF_POL_RANDOM, NULL, &s, i, &rng), NULL);
			}
		}
	}
	off_norm_fit(norm, x, rows);
	free(x);
}

struct episode {
	struct off_sim sim;
	struct off_transition pending;
	int have_pending;
};

static void observe_rows(const struct off_sim *s, int i, const struct off_norm *norm,
			 float rows[][OFF_FEATURES], uint32_t *mask)
{
	struct off_cand_raw c[OFF_MAX_CANDS];
	struct off_wl_raw w;

	off_sim_observe(s, i, &w, c, mask);
	off_policy_rows(norm, &w, c, s->ntargets, &rows[0][0]);
}

static void run_episode(struct off_dqn *d, struct episode *e, const struct off_norm *norm,
			uint64_t budget)
{
	struct off_transition *p = &e->pending;
	int n;

	while (d->steps < budget && (n = off_sim_next_epoch(&e->sim)) >= 0) {
		for (int i = 0; i < n && d->steps < budget; i++) {
			float rows[OFF_MAX_CANDS][OFF_FEATURES];
			struct off_outcome o;
			uint32_t mask;
			int a;

			observe_rows(&e->sim, i, norm, rows, &mask);
			if (e->have_pending) {
				memcpy(p->s_next, rows, sizeof(rows));
				p->n_next = e->sim.ntargets;
				p->mask_next = mask;
				off_dqn_observe(d, p);
			}
			a = off_dqn_act(d, &rows[0][0], e->sim.ntargets, mask);
			o = off_sim_assign(&e->sim, i, a, NULL);
			memcpy(p->s, rows, sizeof(rows));
			p->n = e->sim.ntargets;
			p->action = a;
			p->reward = off_sim_reward(&e->sim, &o);
			p->done = 0;
			e->have_pending = 1;
		}
	}
	if (e->have_pending) {
		p->done = 1;
		p->n_next = 0;
		off_dqn_observe(d, p);
		e->have_pending = 0;
	}
}

int off_train_sim(struct off_model *out, const struct off_train_opts *o, FILE *progress)
{
	struct off_model m = {};
	struct episode *e = calloc(1, sizeof(*e));
	struct off_dqn d;
	struct off_rng rng;
	int ret, k = 0;

	if (!e)
		return -ENOMEM;
	fit_norm(&m.norm, o);
	off_rng_seed(&rng, o->seed);
	ret = off_mlp_init(&m.mlp, OFF_FEATURES, OFF_MLP_H1, OFF_MLP_H2);
	if (ret)
		goto out;
	off_mlp_randomize(&m.mlp, &rng);
	ret = off_dqn_init(&d, &o->dqn, &m.mlp, o->seed + 1);
	if (ret)
		goto out;
	while (d.steps < o->steps) {
		uint64_t before = d.steps;

		off_sim_reset(&e->sim, &o->sc[k % o->nsc], o->seed * 1000003 + k);
		run_episode(&d, e, &m.norm, o->steps);
		if (progress && before / 20000 != d.steps / 20000)
			fprintf(progress, "offload-train: %llu/%llu steps, epsilon %.3f\n",
				(unsigned long long)d.steps, (unsigned long long)o->steps,
				off_dqn_epsilon(&d));
		k++;
	}
	off_mlp_copy(&m.mlp, &d.online);
	m.meta.seed = o->seed;
	m.meta.steps = d.steps;
	m.meta.reward = o->sc[0].reward;
	for (int i = 0; i < o->nsc; i++) {
		size_t len = strlen(m.meta.scenario);

		snprintf(m.meta.scenario + len, sizeof(m.meta.scenario) - len, "%s%s", i ? "," : "",
			 o->sc[i].name);
	}
	off_dqn_free(&d);
	*out = m;
	m.mlp.p = NULL;
out:
	off_mlp_free(&m.mlp);
	free(e);
	return ret;
}
