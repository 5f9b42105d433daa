// SPDX-License-Identifier: GPL-2.0
/* Minibatch regression with Huber loss, L2 pull towards zero (an unsure
 * correction should fade to the estimate, not wander), Adam and gradient
 * clipping, over a ring of samples. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/resid.h"

int off_resid_init(struct off_resid *r, const struct off_resid_cfg *cfg,
		   const struct off_mlp *init, uint64_t seed)
{
	memset(r, 0, sizeof(*r));
	r->cfg = *cfg;
	off_rng_seed(&r->rng, seed);
	if (off_mlp_init(&r->net, init->in, init->h1, init->h2) ||
	    off_adam_init(&r->adam, init->nparams, cfg->lr))
		goto nomem;
	off_mlp_copy(&r->net, init);
	r->grad = calloc(init->nparams, sizeof(float));
	r->scratch = calloc(2 * (size_t)(init->h1 + init->h2), sizeof(float));
	r->x = calloc((size_t)cfg->cap * init->in, sizeof(float));
	r->y = calloc(cfg->cap, sizeof(float));
	if (!r->grad || !r->scratch || !r->x || !r->y)
		goto nomem;
	return 0;
nomem:
	off_resid_free(r);
	return -ENOMEM;
}

void off_resid_free(struct off_resid *r)
{
	off_mlp_free(&r->net);
	off_adam_free(&r->adam);
	free(r->grad);
	free(r->scratch);
	free(r->x);
	free(r->y);
	memset(r, 0, sizeof(*r));
}

void off_resid_add(struct off_resid *r, const float *row, float y)
{
	memcpy(r->x + (size_t)r->head * r->net.in, row, r->net.in * sizeof(float));
	/* Bounded: a timeout is a lesson, not a reason to swamp every other
	 * sample. */
	r->y[r->head] = fmaxf(-OFF_RESID_CLIP, fminf(OFF_RESID_CLIP, y));
	r->head = (r->head + 1) % r->cfg.cap;
	if (r->n < r->cfg.cap)
		r->n++;
}

float off_resid_update(struct off_resid *r)
{
	struct off_mlp *m = &r->net;
	float *h1 = r->scratch + m->h1 + m->h2, *h2 = h1 + m->h1;
	double loss = 0;

	if (!r->n)
		return 0;
	for (uint32_t b = 0; b < r->cfg.batch; b++) {
		uint32_t k = off_rng_below(&r->rng, r->n);
		const float *x = r->x + (size_t)k * m->in;
		float err = off_mlp_forward_one(m, x, h1, h2) - r->y[k], dq;

		if (fabsf(err) <= r->cfg.huber) {
			loss += 0.5 * err * err;
			dq = err;
		} else {
			loss += r->cfg.huber * (fabsf(err) - 0.5 * r->cfg.huber);
			dq = err > 0 ? r->cfg.huber : -r->cfg.huber;
		}
		off_mlp_backward_one(m, x, h1, h2, dq / r->cfg.batch, r->grad, r->scratch);
	}
	for (size_t i = 0; i < m->nparams; i++)
		r->grad[i] += r->cfg.l2 * m->p[i];
	off_adam_step(&r->adam, m->p, r->grad, r->cfg.max_grad_norm);
	off_mlp_flush_subnormal(m);
	r->updates++;
	return loss / r->cfg.batch;
}

void off_resid_fresh(struct off_mlp *m, uint64_t seed)
{
	struct off_rng r;

	off_rng_seed(&r, seed ^ 0x66726573ULL);
	off_mlp_randomize(m, &r);
	off_resid_zero_output(m);
}

void off_resid_zero_output(struct off_mlp *m)
{
	memset(m->w3, 0, m->h2 * sizeof(float));
	m->b3[0] = 0;
}
