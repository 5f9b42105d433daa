// SPDX-License-Identifier: GPL-2.0
/* Each generated scenario runs the model, the estimate ("greedy") and every
 * fixed target on the same seeds, so differences pair up episode by episode;
 * the summary counts what the targets promise and names the worst five. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/eval.h"
#include "lib/gen.h"
#include "train/suite.h"

struct row {
	struct off_scenario sc;
	struct off_eval model, greedy, fixed;	/* fixed: the best in hindsight */
	double diff, ci;			/* model - greedy, paired */
	double fdiff, fci;			/* model - best fixed, paired */
};

static int best_fixed(const struct off_scenario *sc, const struct off_suite_opts *o,
		      struct off_eval *best)
{
	struct off_eval r;

	for (int t = 0; t <= sc->npeers; t++) {
		if (off_eval_run(sc, NULL, OFF_POL_FIXED, t, o->episodes, o->seed, 0, &r))
			return -ENOMEM;
		if (!t || r.reward_mean > best->reward_mean)
			*best = r;
	}
	/* Again with the optimum, for its ratio. */
	return off_eval_run(sc, NULL, OFF_POL_FIXED, best->fixed, o->episodes, o->seed, 1, best);
}

static int one(const struct off_model *m, const struct off_suite_opts *o, uint64_t seed, struct row *r)
{
	off_scenario_generate(&r->sc, seed, o->flags);
	if (off_eval_run(&r->sc, m, OFF_POL_MODEL, 0, o->episodes, o->seed, 1, &r->model) ||
	    off_eval_run(&r->sc, m, OFF_POL_ESTIMATE, 0, o->episodes, o->seed, 1, &r->greedy) ||
	    best_fixed(&r->sc, o, &r->fixed))
		return -ENOMEM;
	r->ci = off_eval_paired_ci(&r->model, &r->greedy, &r->diff);
	r->fci = off_eval_paired_ci(&r->model, &r->fixed, &r->fdiff);
	return 0;
}

/* How far behind the better of greedy and the best fixed target, relative:
 * the worst five lead with this. */
static double shortfall(const struct row *r)
{
	double d = fmin(r->diff, r->fdiff);

	return d / fabs(fmax(r->greedy.reward_mean, r->fixed.reward_mean));
}

static int by_shortfall(const void *a, const void *b)
{
	double x = shortfall(a), y = shortfall(b);

	return (x > y) - (x < y);
}

static void describe(FILE *f, const struct row *r, int json)
{
	const struct off_scenario *s = &r->sc;
	char name[48];

	fprintf(f, json ? "{\"scenario\":\"%s\",\"model_vs_greedy\":%.5f,\"ci95\":%.5f,"
			  "\"best_fixed\":\"%s\",\"model_vs_best_fixed\":%.5f,\"device_ghz\":%.2f,\"cores\":%.0f,\"bg_load\":%.2f,"
			  "\"peers\":%d,\"fleet\":%d,\"rate\":%.1f,\"kb\":[%.1f,%.1f],\"weights\":[%.2f,%.2f,%.2f]}"
			: "  %-14s model-greedy %+.4f ±%.4f, best fixed %s (model %+.4f); device %.2f GHz x %.0f, "
			  "bg load %.2f, %d peers, fleet %d, %.1f req/s, %.1f-%.1f KB, weights %.2f/%.2f/%.2f\n",
		s->name, r->diff, r->ci, off_eval_name(&r->fixed, s, name, sizeof(name)), r->fdiff, s->ghz,
		s->cores, s->bg_load, s->npeers, s->fleet, s->rate, s->kb_min, s->kb_max, s->reward.w_lat,
		s->reward.w_energy, s->reward.w_cost);
}

struct tally {
	int n, worse, better, below_fixed, opt_n;
	double opt[3];
};

static void count(struct tally *t, const struct row *r)
{
	const struct off_eval *e[3] = { &r->model, &r->greedy, &r->fixed };

	t->n++;
	t->worse += r->diff + r->ci < 0;
	t->better += r->diff - r->ci > 0;
	t->below_fixed += r->fdiff + r->fci < 0;
	if (!r->model.opt_epochs || !r->greedy.opt_epochs || !r->fixed.opt_epochs)
		return;
	t->opt_n++;
	for (int k = 0; k < 3; k++)
		t->opt[k] += e[k]->opt_ratio;
}

static void summary(FILE *f, const struct tally *t, int json)
{
	double n = t->opt_n ? t->opt_n : 1;
	double share = t->n ? (double)(t->n - t->below_fixed) / t->n : 1;

	fprintf(f, json ? "\"summary\":{\"scenarios\":%d,\"worse_than_greedy\":%d,\"better_than_greedy\":%d,"
			  "\"below_best_fixed\":%d,\"at_least_best_fixed_share\":%.4f,\"optimum\":{\"scenarios\":%d,"
			  "\"model\":%.4f,\"greedy\":%.4f,\"best_fixed\":%.4f}}"
			: "%d scenarios: the model is worse than greedy beyond the 95%% CI on %d, better on %d; "
			  "below the best fixed target on %d (at least as good on %.1f%%)\n"
			  "mean ratio to the per-epoch optimum on %d where it is computable: model %.4f, "
			  "greedy %.4f, best fixed %.4f\n",
		t->n, t->worse, t->better, t->below_fixed, json ? share : 100 * share, t->opt_n,
		t->opt[0] / n, t->opt[1] / n, t->opt[2] / n);
}

int off_suite_run(const struct off_model *m, const struct off_suite_opts *o, FILE *out)
{
	struct row *rows = calloc(o->count, sizeof(*rows));
	struct tally t = {};

	if (!rows)
		return -ENOMEM;
	for (int i = 0; i < o->count; i++) {
		if (one(m, o, o->seed_from + i, &rows[i])) {
			free(rows);
			return -ENOMEM;
		}
		count(&t, &rows[i]);
	}
	qsort(rows, o->count, sizeof(*rows), by_shortfall);
	if (o->json)
		fprintf(out, "{\"generated\":{\"seed_from\":%llu,\"count\":%d,\"effects\":%s,\"episodes\":%d},",
			(unsigned long long)o->seed_from, o->count, o->flags ? "true" : "false", o->episodes);
	summary(out, &t, o->json);
	fprintf(out, o->json ? ",\"worst\":[" : "worst five against the better of greedy and the best fixed target:\n");
	for (int i = 0; i < o->count && i < 5; i++) {
		fprintf(out, o->json && i ? "," : "");
		describe(out, &rows[i], o->json);
	}
	fprintf(out, o->json ? "]}\n" : "");
	free(rows);
	return 0;
}
