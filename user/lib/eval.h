/* SPDX-License-Identifier: GPL-2.0 */
/* Evaluating a policy in the simulator: reward with a confidence interval,
 * latency percentiles, energy, cost, deadline misses, the action mix, and
 * on small instances the ratio to the exhaustive optimum. */
#ifndef OFFLOAD_LIB_EVAL_H
#define OFFLOAD_LIB_EVAL_H

#include <stdio.h>
#include "lib/policy.h"

#define OFF_OPT_MAX_TASKS	10
#define OFF_OPT_MAX_LEAVES	(1u << 20)
#define OFF_EVAL_PAIRED		64	/* episodes kept for paired comparisons */

struct off_eval {
	enum off_policy_kind kind;
	int fixed;				/* OFF_POL_FIXED's target */
	int episodes;
	double ep_reward[OFF_EVAL_PAIRED];	/* per-task mean of each episode */
	uint64_t tasks, misses;
	double reward_mean, reward_ci95;	/* per task, over episodes */
	double lat_p50_s, lat_p95_s, lat_p99_s;
	double energy_per_task_j, cost_per_task;
	double mix[OFF_KINDS];			/* share of tasks per target kind */
	uint64_t opt_epochs;			/* small instances compared */
	double opt_ratio;			/* optimum cost / policy cost, <= 1 */
};

/* Same seed, same arrivals and drift for every policy: comparisons pair up. */
int off_eval_run(const struct off_scenario *sc, const struct off_model *m,
		 enum off_policy_kind kind, int fixed, int episodes, uint64_t seed, int with_opt,
		 struct off_eval *r);
/* 95% CI half-width of the mean paired difference a - b, episode by episode. */
double off_eval_paired_ci(const struct off_eval *a, const struct off_eval *b, double *mean);
/* The policy's name; a fixed target's is "fixed:NAME". */
const char *off_eval_name(const struct off_eval *r, const struct off_scenario *sc, char *buf,
			  size_t len);
void off_eval_print(FILE *f, const struct off_scenario *sc, const struct off_eval *r, int header);
void off_eval_json(FILE *f, const struct off_scenario *sc, const struct off_eval *r);

#endif
