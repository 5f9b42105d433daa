/* SPDX-License-Identifier: GPL-2.0 */
/* A small seedable RNG (xoshiro256**): training and simulation are
 * deterministic for a given seed, on every host. */
#ifndef OFFLOAD_LIB_RNG_H
#define OFFLOAD_LIB_RNG_H

#include <stdint.h>

struct off_rng {
	uint64_t s[4];
};

void off_rng_seed(struct off_rng *r, uint64_t seed);
uint64_t off_rng_u64(struct off_rng *r);
double off_rng_unit(struct off_rng *r);			/* [0, 1) */
uint32_t off_rng_below(struct off_rng *r, uint32_t n);	/* [0, n) */
double off_rng_normal(struct off_rng *r);		/* N(0, 1) */
double off_rng_exp(struct off_rng *r, double rate);
uint32_t off_rng_poisson(struct off_rng *r, double mean);

#endif
