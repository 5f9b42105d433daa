/* SPDX-License-Identifier: GPL-2.0 */
/* Percentiles of the kernel's log2 µs histograms. */
#ifndef OFFLOAD_LIB_HIST_H
#define OFFLOAD_LIB_HIST_H

#include <stdint.h>

/* The upper bound in µs of the slot holding the p-quantile (0 < p <= 1)
 * of a histogram whose slot i holds [2^i, 2^(i+1)) µs; 0 if empty. */
double off_hist_quantile_us(const uint64_t *slots, int n, double p);

#endif
