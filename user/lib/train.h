/* SPDX-License-Identifier: GPL-2.0 */
/* Training a model in the simulator, deterministically for a seed. */
#ifndef OFFLOAD_LIB_TRAIN_H
#define OFFLOAD_LIB_TRAIN_H

#include <stdio.h>
#include "lib/dqn.h"
#include "lib/model.h"
#include "lib/scenario.h"

struct off_train_opts {
	const struct off_scenario *sc;	/* trained on in turn, an episode each */
	int nsc;
	uint64_t steps;			/* decisions */
	uint64_t seed;
	struct off_dqn_cfg dqn;
};

/* Fits the normalisation on a random-policy warm-up, then trains. */
int off_train_sim(struct off_model *out, const struct off_train_opts *o, FILE *progress);

#endif
