// SPDX-License-Identifier: GPL-2.0
/* Conservative percentiles: the slot's upper bound, never an interpolation
 * that would claim more precision than a log2 bucket has. */
#include <math.h>

#include "lib/hist.h"

double off_hist_quantile_us(const uint64_t *slots, int n, double p)
{
	uint64_t total = 0, seen = 0;

	for (int i = 0; i < n; i++)
		total += slots[i];
	if (!total)
		return 0;
	for (int i = 0; i < n; i++) {
		seen += slots[i];
		if ((double)seen >= p * total)
			return ldexp(1.0, i + 1);
	}
	return ldexp(1.0, n);
}
