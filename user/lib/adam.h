/* SPDX-License-Identifier: GPL-2.0 */
/* Adam over a contiguous parameter block, with gradient-norm clipping. */
#ifndef OFFLOAD_LIB_ADAM_H
#define OFFLOAD_LIB_ADAM_H

#include <stddef.h>
#include <stdint.h>

struct off_adam {
	float *m, *v;
	size_t n;
	float lr, beta1, beta2, eps;
	uint64_t t;
};

int off_adam_init(struct off_adam *a, size_t n, float lr);
void off_adam_free(struct off_adam *a);
/* Clips g to max_norm (0: no clipping), steps p, and zeroes g. Returns the
 * gradient norm before clipping. */
float off_adam_step(struct off_adam *a, float *p, float *g, float max_norm);

#endif
