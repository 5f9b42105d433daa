/* SPDX-License-Identifier: GPL-2.0 */
/* CLOCK_MONOTONIC in ns: bpf_ktime_get_ns()'s clock, so the agent's times
 * and the kernel's (leases, CPU slices) compare directly. */
#ifndef OFFLOAD_LIB_CLOCK_H
#define OFFLOAD_LIB_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t off_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* This thread's CPU time in ns: what a step costs, preemption left out. */
static inline uint64_t off_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

#endif
