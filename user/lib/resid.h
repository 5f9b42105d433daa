/* SPDX-License-Identifier: GPL-2.0 */
/* Learning the correction: regression of what a decision earned minus what
 * the estimate predicted, r - est(s, c), on the chosen candidate's row. It
 * is a one-step Q-function (gamma 0): every effect it models, switching,
 * stale views, a slow peer, shows in the reward of the decision itself. */
#ifndef OFFLOAD_LIB_RESID_H
#define OFFLOAD_LIB_RESID_H

#include <stdint.h>
#include "lib/adam.h"
#include "lib/features.h"
#include "lib/mlp.h"
#include "lib/rng.h"

/* A correction moves a score by at most this many times the best
 * estimate's size: a timeout or a freak task is a lesson, not a reason to
 * overturn every decision near it. */
#define OFF_RESID_CLIP	2.0f

/* What a margin of "never" is stored as: the correction is not used. */
#define OFF_GATE_CLOSED	1e9

struct off_resid_cfg {
	float lr, huber, max_grad_norm, l2;
	uint32_t batch, cap;
};

#define OFF_RESID_CFG_DEFAULT { .lr = 1e-3f, .huber = 1.0f, .max_grad_norm = 5.0f, \
	.l2 = 1e-4f, .batch = 64, .cap = 100000 }

struct off_resid {
	struct off_resid_cfg cfg;
	struct off_mlp net;
	struct off_adam adam;
	float *grad, *scratch;
	float *x, *y;		/* cap rows and their targets, a ring */
	uint32_t n, head;
	uint64_t updates;
	struct off_rng rng;
};

/* Starts from init's weights. */
int off_resid_init(struct off_resid *r, const struct off_resid_cfg *cfg,
		   const struct off_mlp *init, uint64_t seed);
void off_resid_free(struct off_resid *r);
/* A sample: a row and its target, clipped to +-OFF_RESID_CLIP. */
void off_resid_add(struct off_resid *r, const float *row, float y);
/* One minibatch step; returns its mean Huber loss. */
float off_resid_update(struct off_resid *r);
/* Zeroes the output layer, so the correction starts at exactly 0 and an
 * untrained model decides as the estimate does. */
void off_resid_zero_output(struct off_mlp *m);
/* A correction that knows nothing yet: hidden layers freshly initialised
 * (seeded), output zero. */
void off_resid_fresh(struct off_mlp *m, uint64_t seed);

#endif
