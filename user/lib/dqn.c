// SPDX-License-Identifier: GPL-2.0
/* Double DQN (van Hasselt et al., 2016) with a soft-updated target network,
 * Huber loss, Adam, gradient-norm clipping and uniform minibatch replay. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dqn.h"

int off_dqn_init(struct off_dqn *d, const struct off_dqn_cfg *cfg, const struct off_mlp *init,
		 uint64_t seed)
{
	memset(d, 0, sizeof(*d));
	d->cfg = *cfg;
	off_rng_seed(&d->rng, seed);
	if (off_mlp_init(&d->online, init->in, init->h1, init->h2) ||
	    off_mlp_init(&d->target, init->in, init->h1, init->h2) ||
	    off_adam_init(&d->adam, init->nparams, cfg->lr))
		goto nomem;
	off_mlp_copy(&d->online, init);
	off_mlp_copy(&d->target, init);
	d->grad = calloc(init->nparams, sizeof(float));
	d->scratch = calloc(4 * (size_t)(init->h1 + init->h2), sizeof(float));
	d->replay = calloc(cfg->replay, sizeof(*d->replay));
	if (!d->grad || !d->scratch || !d->replay)
		goto nomem;
	return 0;
nomem:
	off_dqn_free(d);
	return -ENOMEM;
}

void off_dqn_free(struct off_dqn *d)
{
	off_mlp_free(&d->online);
	off_mlp_free(&d->target);
	off_adam_free(&d->adam);
	free(d->grad);
	free(d->scratch);
	free(d->replay);
	memset(d, 0, sizeof(*d));
}

float off_dqn_epsilon(const struct off_dqn *d)
{
	const struct off_dqn_cfg *c = &d->cfg;
	float f = d->steps >= c->eps_steps ? 1.0f : (float)d->steps / c->eps_steps;

	return c->eps_start + f * (c->eps_end - c->eps_start);
}

int off_dqn_act(struct off_dqn *d, const float *rows, int n, uint32_t mask)
{
	float q[OFF_MAX_CANDS];

	if (off_rng_unit(&d->rng) < off_dqn_epsilon(d)) {
		int up = __builtin_popcount(mask), k = up ? (int)off_rng_below(&d->rng, up) : 0;

		for (int i = 0; i < n; i++)
			if ((mask & (1u << i)) && k-- == 0)
				return i;
		return 0;
	}
	return off_policy_argmax(&d->online, rows, n, mask, q, d->scratch);
}

float off_dqn_observe(struct off_dqn *d, const struct off_transition *t)
{
	d->replay[d->head] = *t;
	d->head = (d->head + 1) % d->cfg.replay;
	if (d->nreplay < d->cfg.replay)
		d->nreplay++;
	d->steps++;
	if (d->nreplay < d->cfg.warmup || d->steps % d->cfg.train_every)
		return -1;
	return off_dqn_update(d);
}

/* r + gamma * Q_target(s', argmax over s' of Q_online). */
static float td_target(struct off_dqn *d, const struct off_transition *t)
{
	float q[OFF_MAX_CANDS], qt[OFF_MAX_CANDS];
	int a;

	if (t->done || !t->n_next)
		return t->reward;
	a = off_policy_argmax(&d->online, &t->s_next[0][0], t->n_next, t->mask_next, q, d->scratch);
	off_mlp_forward(&d->target, &t->s_next[a][0], 1, qt, d->scratch);
	return t->reward + d->cfg.gamma * qt[0];
}

float off_dqn_update(struct off_dqn *d)
{
	struct off_mlp *m = &d->online;
	float *h1 = d->scratch + 2 * (m->h1 + m->h2), *h2 = h1 + m->h1;
	double loss = 0;

	for (uint32_t b = 0; b < d->cfg.batch; b++) {
		const struct off_transition *t = &d->replay[off_rng_below(&d->rng, d->nreplay)];
		float y = td_target(d, t), q, err, dq;

		q = off_mlp_forward_one(m, &t->s[t->action][0], h1, h2);
		err = q - y;
		if (fabsf(err) <= d->cfg.huber) {
			loss += 0.5 * err * err;
			dq = err;
		} else {
			loss += d->cfg.huber * (fabsf(err) - 0.5 * d->cfg.huber);
			dq = err > 0 ? d->cfg.huber : -d->cfg.huber;
		}
		off_mlp_backward_one(m, &t->s[t->action][0], h1, h2, dq / d->cfg.batch, d->grad,
				     d->scratch);
	}
	off_adam_step(&d->adam, m->p, d->grad, d->cfg.max_grad_norm);
	off_mlp_soft_update(&d->target, m, d->cfg.tau);
	d->updates++;
	return loss / d->cfg.batch;
}
