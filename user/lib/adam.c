// SPDX-License-Identifier: GPL-2.0
/* Adam (Kingma & Ba, 2015) with bias correction. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/adam.h"

int off_adam_init(struct off_adam *a, size_t n, float lr)
{
	*a = (struct off_adam){ .n = n, .lr = lr, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f };
	a->m = calloc(n, sizeof(float));
	a->v = calloc(n, sizeof(float));
	if (!a->m || !a->v) {
		off_adam_free(a);
		return -ENOMEM;
	}
	return 0;
}

void off_adam_free(struct off_adam *a)
{
	free(a->m);
	free(a->v);
	a->m = a->v = NULL;
}

float off_adam_step(struct off_adam *a, float *p, float *g, float max_norm)
{
	double sq = 0, c1, c2;
	float norm, scale = 1.0f;

	for (size_t i = 0; i < a->n; i++)
		sq += (double)g[i] * g[i];
	norm = (float)sqrt(sq);
	if (max_norm > 0 && norm > max_norm)
		scale = max_norm / norm;
	a->t++;
	c1 = 1.0 - pow(a->beta1, (double)a->t);
	c2 = 1.0 - pow(a->beta2, (double)a->t);
	for (size_t i = 0; i < a->n; i++) {
		float gi = g[i] * scale;

		a->m[i] = a->beta1 * a->m[i] + (1 - a->beta1) * gi;
		a->v[i] = a->beta2 * a->v[i] + (1 - a->beta2) * gi * gi;
		p[i] -= a->lr * (float)((a->m[i] / c1) / (sqrt(a->v[i] / c2) + a->eps));
		g[i] = 0.0f;
	}
	return norm;
}
