// SPDX-License-Identifier: GPL-2.0
/* xoshiro256** seeded through splitmix64, as its authors recommend. */
#include <math.h>

#include "lib/rng.h"

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void off_rng_seed(struct off_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

uint64_t off_rng_u64(struct off_rng *r)
{
	uint64_t *s = r->s, result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double off_rng_unit(struct off_rng *r)
{
	return (off_rng_u64(r) >> 11) * 0x1.0p-53;
}

uint32_t off_rng_below(struct off_rng *r, uint32_t n)
{
	return (uint32_t)(((off_rng_u64(r) >> 32) * n) >> 32);
}

double off_rng_normal(struct off_rng *r)
{
	double u = 1.0 - off_rng_unit(r), v = off_rng_unit(r);

	return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

double off_rng_exp(struct off_rng *r, double rate)
{
	return -log(1.0 - off_rng_unit(r)) / rate;
}

/* Knuth's method: means here are small (tasks per decision epoch). */
uint32_t off_rng_poisson(struct off_rng *r, double mean)
{
	double l = exp(-mean), p = 1.0;
	uint32_t k = 0;

	if (mean > 60)
		return (uint32_t)fmax(0, mean + sqrt(mean) * off_rng_normal(r) + 0.5);
	do {
		k++;
		p *= off_rng_unit(r);
	} while (p > l);
	return k - 1;
}
