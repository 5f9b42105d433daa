/* SPDX-License-Identifier: GPL-2.0 */
/* Choosing a target. Every scored policy starts from the shared one-step
 * estimate; the model adds a learned correction, trusted only inside its
 * training range and for a confident gain. Also the baselines it is judged
 * against in the simulator. */
#ifndef OFFLOAD_LIB_POLICY_H
#define OFFLOAD_LIB_POLICY_H

#include <stdint.h>
#include "offload/abi.h"
#include "lib/model.h"
#include "lib/sim.h"

/* The agent's targets (local and up to 15 peers) bound the candidates. */
#define OFF_MAX_CANDS	OFF_MAX_TARGETS
_Static_assert(OFF_MAX_CANDS >= OFF_SIM_TARGETS, "the simulator's targets are candidates");

enum off_policy_kind {
	OFF_POL_MODEL,
	OFF_POL_ESTIMATE,	/* the shared estimate alone: "greedy" */
	OFF_POL_LOCAL,
	OFF_POL_EDGE,		/* nearest edge peer that is up */
	OFF_POL_CLOUD,		/* first cloud that is up */
	OFF_POL_RANDOM,
	OFF_POL_MIN_LATENCY,	/* least estimated latency, blind to the weights */
	OFF_POL_KINDS,
	OFF_POL_FIXED = OFF_POL_KINDS,	/* one target throughout (local when down) */
};

extern const char *const off_policy_names[OFF_POL_KINDS];

/* How the model's pick came about: the label of offloadd_gate_total. */
enum off_gate {
	OFF_GATE_AGREE,		/* the correction keeps the estimate's pick */
	OFF_GATE_CORRECTED,	/* it overrides it, confidently, in range */
	OFF_GATE_RANGE,		/* a feature outside the training range */
	OFF_GATE_NO_GAIN,	/* predicted gain below the margin */
	OFF_GATE_KINDS,
};

extern const char *const off_gate_names[OFF_GATE_KINDS];

/* One row per candidate into rows (n x OFF_FEATURES), and its estimated
 * reward into est: bit for bit off_features_row's (training and the
 * simulator use it). */
void off_policy_rows(const struct off_est_env *env, const struct off_norm *norm,
		     const struct off_wl_raw *w, const struct off_cand_raw *c, int n,
		     float *rows, float *est);
/* Index of the best masked score (local when none is). */
int off_policy_best(const float *score, int n, uint32_t mask);
/* Corrections are learnt relative to the best estimate's size, so one
 * network serves rewards of any scale: q = est + scale * correction. */
static inline float off_policy_scale(float best_est)
{
	return (best_est < 0 ? -best_est : best_est) + 1e-6f;
}

/* The model's pick from the estimates and the network's corrections of n
 * candidates; q gets est + correction. On a range refusal, *feature is the
 * first feature outside it. */
int off_policy_gate(const struct off_model *m, const float *rows, const float *est,
		    const float *corr, int n, uint32_t mask, float *q, enum off_gate *gate,
		    int *feature);
/* Picks a target for task i of the simulator; fixed is OFF_POL_FIXED's. */
int off_policy_sim_choose(enum off_policy_kind kind, int fixed, const struct off_model *m,
			  struct off_sim *s, int i, struct off_rng *rng);

#endif
