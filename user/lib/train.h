/* SPDX-License-Identifier: GPL-2.0 */
/* Training a model in the simulator, deterministically for a seed: the
 * correction learnt over named and generated scenarios, the gate's margin
 * chosen on validation scenarios no training episode saw. */
#ifndef OFFLOAD_LIB_TRAIN_H
#define OFFLOAD_LIB_TRAIN_H

#include <stdio.h>
#include "lib/model.h"
#include "lib/resid.h"
#include "lib/scenario.h"

/* Generated seeds are split so no scenario serves two purposes. */
#define OFF_SEEDS_TRAIN		1000000ULL
#define OFF_SEEDS_VALIDATE	2000000ULL
#define OFF_SEEDS_TEST		3000000ULL

struct off_train_opts {
	const struct off_scenario *sc;	/* named scenarios, trained on in turn */
	int nsc;
	uint32_t ngen;			/* plus this many generated (half with effects) */
	uint32_t nval;			/* validation scenarios for the margin */
	uint64_t steps;			/* decisions */
	uint64_t seed;
	uint32_t nseeds;		/* networks trained from seed, seed+1...; the best ships */
	float epsilon;			/* exploration around the model's pick */
	struct off_resid_cfg fit;
};

#define OFF_TRAIN_DEFAULT { .ngen = 400, .nval = 60, .steps = 600000, .epsilon = 0.1f, \
	.fit = OFF_RESID_CFG_DEFAULT }

/* The scenario training episode k runs: named ones first, then generated. */
void off_train_scenario(const struct off_train_opts *o, uint64_t k, struct off_scenario *out);
/* Trains o->nseeds networks (each for o->steps) and keeps the one that
 * gains most over the estimate on validation. */
int off_train_sim(struct off_model *out, const struct off_train_opts *o, FILE *progress);
/* Widens m's training range to take in a normalised row. */
void off_train_range(struct off_model *m, const float *row);

#endif
