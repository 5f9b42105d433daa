/* SPDX-License-Identifier: GPL-2.0 */
/* Choosing a target: the model's argmax over healthy candidates, and the
 * baselines it is judged against. */
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
	OFF_POL_LOCAL,
	OFF_POL_EDGE,		/* nearest edge peer that is up */
	OFF_POL_CLOUD,		/* first cloud that is up */
	OFF_POL_RANDOM,
	OFF_POL_GREEDY,		/* least estimated latency, given the state */
	OFF_POL_KINDS,
};

extern const char *const off_policy_names[OFF_POL_KINDS];

/* Builds one row per candidate into rows (n x OFF_FEATURES). */
void off_policy_rows(const struct off_norm *norm, const struct off_wl_raw *w,
		     const struct off_cand_raw *c, int n, float *rows);
/* Index of the best masked candidate; q gets every score. Allocation-free:
 * scratch holds off_mlp_scratch() floats. */
int off_policy_argmax(const struct off_mlp *m, const float *rows, int n, uint32_t mask,
		      float *q, float *scratch);
/* Picks a target for task i of the simulator. */
int off_policy_sim_choose(enum off_policy_kind kind, const struct off_model *m,
			  struct off_sim *s, int i, struct off_rng *rng);

#endif
