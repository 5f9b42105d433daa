// SPDX-License-Identifier: GPL-2.0
/* Runs episodes and keeps the statistics users compare policies by. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/eval.h"

struct search {
	struct off_sim *s;
	int n;
	double best;
	uint64_t leaves;
};

/* Branch and bound over every assignment of the epoch's tasks to up targets:
 * costs only grow, so a partial assignment already worse is dropped. */
static void dfs(struct search *x, int i, double cost)
{
	if (cost >= x->best)
		return;
	if (i == x->n) {
		x->best = cost;
		x->leaves++;
		return;
	}
	for (int t = 0; t < x->s->ntargets; t++) {
		struct off_sim_undo u;
		struct off_outcome o;

		if (!x->s->t[t].up)
			continue;
		o = off_sim_assign(x->s, i, t, &u);
		dfs(x, i + 1, cost - off_sim_reward(x->s, &o));
		off_sim_undo(x->s, &u);
	}
}

static int small_instance(const struct off_sim *s)
{
	double leaves = 1;
	int up = 0;

	for (int t = 0; t < s->ntargets; t++)
		up += s->t[t].up;
	for (int i = 0; i < s->ntasks; i++)
		leaves *= up;
	return s->ntasks > 0 && s->ntasks <= OFF_OPT_MAX_TASKS && leaves <= OFF_OPT_MAX_LEAVES;
}

static double optimum(struct off_sim *s)
{
	struct search x = { .s = s, .n = s->ntasks, .best = INFINITY };

	dfs(&x, 0, 0);
	return x.best;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double pct(const double *v, uint64_t n, double p)
{
	return n ? v[(uint64_t)fmin(n - 1, floor(p * n))] : 0;
}

int off_eval_run(const struct off_scenario *sc, const struct off_model *m,
		 enum off_policy_kind kind, int fixed, int episodes, uint64_t seed, int with_opt,
		 struct off_eval *r)
{
	size_t cap = (size_t)episodes * sc->epochs * (sc->rate * sc->epoch_s * 3 + 16);
	double *lat = malloc(cap * sizeof(double)), *ep = calloc(episodes, sizeof(double));
	double energy = 0, cost = 0, opt_cost = 0, pol_cost = 0, sum = 0, sq = 0;
	uint64_t kinds[OFF_KINDS] = {};
	struct off_sim *s = malloc(sizeof(*s));
	struct off_rng rng;

	if (!lat || !ep || !s) {
		free(lat);
		free(ep);
		free(s);
		return -ENOMEM;
	}
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->fixed = fixed;
	r->episodes = episodes;
	off_rng_seed(&rng, seed ^ 0x72616e64ULL);
	for (int e = 0; e < episodes; e++) {
		uint64_t tasks = 0;
		int n;

		off_sim_reset(s, sc, seed + 104729 * e);
		while ((n = off_sim_next_epoch(s)) >= 0) {
			int small = with_opt && small_instance(s);
			double epoch_cost = 0;

			if (small)
				opt_cost += optimum(s);
			for (int i = 0; i < n; i++) {
				int t = off_policy_sim_choose(kind, fixed, m, s, i, &rng);
				struct off_outcome o = off_sim_assign(s, i, t, NULL);
				double rw = off_sim_reward(s, &o);

				if (r->tasks < cap)
					lat[r->tasks] = o.lat_s;
				r->tasks++;
				r->misses += o.lat_s > sc->deadline_s;
				energy += o.energy_j;
				cost += o.cost;
				kinds[t ? sc->peers[t - 1].kind : OFF_KIND_LOCAL]++;
				ep[e] += rw;
				epoch_cost -= rw;
				tasks++;
			}
			if (small) {
				pol_cost += epoch_cost;
				r->opt_epochs++;
			}
		}
		ep[e] = tasks ? ep[e] / tasks : 0;
		if (e < OFF_EVAL_PAIRED)
			r->ep_reward[e] = ep[e];
		sum += ep[e];
		sq += ep[e] * ep[e];
	}
	r->reward_mean = sum / episodes;
	r->reward_ci95 = episodes > 1 ?
		1.96 * sqrt(fmax(0, (sq - sum * sum / episodes) / (episodes - 1)) / episodes) : 0;
	qsort(lat, r->tasks < cap ? r->tasks : cap, sizeof(double), cmp_double);
	r->lat_p50_s = pct(lat, r->tasks < cap ? r->tasks : cap, 0.50);
	r->lat_p95_s = pct(lat, r->tasks < cap ? r->tasks : cap, 0.95);
	r->lat_p99_s = pct(lat, r->tasks < cap ? r->tasks : cap, 0.99);
	r->energy_per_task_j = r->tasks ? energy / r->tasks : 0;
	r->cost_per_task = r->tasks ? cost / r->tasks : 0;
	for (int k = 0; k < OFF_KINDS; k++)
		r->mix[k] = r->tasks ? (double)kinds[k] / r->tasks : 0;
	r->opt_ratio = pol_cost > 0 ? opt_cost / pol_cost : 1;
	free(lat);
	free(ep);
	free(s);
	return 0;
}

double off_eval_paired_ci(const struct off_eval *a, const struct off_eval *b, double *mean)
{
	int n = a->episodes < b->episodes ? a->episodes : b->episodes;
	double sum = 0, sq = 0;

	n = n < OFF_EVAL_PAIRED ? n : OFF_EVAL_PAIRED;
	for (int e = 0; e < n; e++) {
		double d = a->ep_reward[e] - b->ep_reward[e];

		sum += d;
		sq += d * d;
	}
	*mean = n ? sum / n : 0;
	return n > 1 ? 1.96 * sqrt(fmax(0, (sq - sum * sum / n) / (n - 1)) / n) : 0;
}

const char *off_eval_name(const struct off_eval *r, const struct off_scenario *sc, char *buf,
			  size_t len)
{
	if (r->kind != OFF_POL_FIXED)
		return off_policy_names[r->kind];
	snprintf(buf, len, "fixed:%s", r->fixed ? sc->peers[r->fixed - 1].name : "local");
	return buf;
}

void off_eval_print(FILE *f, const struct off_scenario *sc, const struct off_eval *r, int header)
{
	char name[48];

	if (header)
		fprintf(f, "%-17s %17s %8s %8s %8s %9s %9s %6s %15s %9s\n", "policy",
			"reward (95% CI)", "p50 ms", "p95 ms", "p99 ms", "energy mJ", "cost/1k",
			"miss%", "local/edge/cloud", "opt ratio");
	fprintf(f, "%-17s %8.4f ±%7.4f %8.1f %8.1f %8.1f %9.2f %9.4f %6.2f %4.0f/%4.0f/%4.0f%% ",
		off_eval_name(r, sc, name, sizeof(name)), r->reward_mean, r->reward_ci95, r->lat_p50_s * 1e3,
		r->lat_p95_s * 1e3, r->lat_p99_s * 1e3, r->energy_per_task_j * 1e3,
		r->cost_per_task * 1e3, r->tasks ? 100.0 * r->misses / r->tasks : 0,
		r->mix[0] * 100, r->mix[1] * 100, r->mix[2] * 100);
	if (r->opt_epochs)
		fprintf(f, "%9.4f\n", r->opt_ratio);
	else
		fprintf(f, "%9s\n", "-");
}

void off_eval_json(FILE *f, const struct off_scenario *sc, const struct off_eval *r)
{
	char name[48];

	fprintf(f, "{\"policy\":\"%s\",\"episodes\":%d,\"tasks\":%llu,\"reward_mean\":%.6f,"
		"\"reward_ci95\":%.6f,\"latency_ms\":{\"p50\":%.3f,\"p95\":%.3f,\"p99\":%.3f},"
		"\"energy_per_task_j\":%.6f,\"cost_per_task\":%.8f,\"deadline_misses\":%llu,"
		"\"mix\":{\"local\":%.4f,\"edge\":%.4f,\"cloud\":%.4f},\"optimum\":{\"epochs\":%llu,"
		"\"ratio\":%.5f}}", off_eval_name(r, sc, name, sizeof(name)), r->episodes,
		(unsigned long long)r->tasks, r->reward_mean, r->reward_ci95, r->lat_p50_s * 1e3,
		r->lat_p95_s * 1e3, r->lat_p99_s * 1e3, r->energy_per_task_j, r->cost_per_task,
		(unsigned long long)r->misses, r->mix[0], r->mix[1], r->mix[2],
		(unsigned long long)r->opt_epochs, r->opt_ratio);
}
