/* SPDX-License-Identifier: GPL-2.0 */
/* Double DQN over candidate rows: Q(s, c) for each candidate, target
 * y = r + gamma * Q_target(s', argmax_c' Q_online(s', c')). */
#ifndef OFFLOAD_LIB_DQN_H
#define OFFLOAD_LIB_DQN_H

#include <stdint.h>
#include "lib/adam.h"
#include "lib/mlp.h"
#include "lib/policy.h"
#include "lib/rng.h"

struct off_transition {
	uint8_t n, n_next, action, done;
	uint32_t mask_next;
	float reward;
	float s[OFF_MAX_CANDS][OFF_FEATURES];
	float s_next[OFF_MAX_CANDS][OFF_FEATURES];
};

struct off_dqn_cfg {
	float gamma, lr, huber, max_grad_norm, tau;
	uint32_t batch, replay, train_every, warmup;
	float eps_start, eps_end;
	uint64_t eps_steps;	/* linear decay over these environment steps */
};

#define OFF_DQN_CFG_DEFAULT { .gamma = 0.2f, .lr = 5e-4f, .huber = 1.0f, \
	.max_grad_norm = 5.0f, .tau = 0.01f, .batch = 64, .replay = 50000, \
	.train_every = 2, .warmup = 1000, .eps_start = 1.0f, .eps_end = 0.02f, \
	.eps_steps = 40000 }

struct off_dqn {
	struct off_dqn_cfg cfg;
	struct off_mlp online, target;
	struct off_adam adam;
	float *grad, *scratch;
	struct off_transition *replay;
	uint32_t nreplay, head;
	uint64_t steps, updates;
	struct off_rng rng;
};

int off_dqn_init(struct off_dqn *d, const struct off_dqn_cfg *cfg, const struct off_mlp *init,
		 uint64_t seed);
void off_dqn_free(struct off_dqn *d);
float off_dqn_epsilon(const struct off_dqn *d);
/* Epsilon-greedy over masked candidates. */
int off_dqn_act(struct off_dqn *d, const float *rows, int n, uint32_t mask);
/* Stores a transition, counts a step, and trains every train_every steps.
 * Returns the minibatch loss when it trained, else -1. */
float off_dqn_observe(struct off_dqn *d, const struct off_transition *t);
/* One minibatch update; returns the mean Huber loss. */
float off_dqn_update(struct off_dqn *d);

#endif
