/* SPDX-License-Identifier: GPL-2.0 */
/* A/B comparison of policies side by side: per policy label, each tick's
 * rewards and closed-connection lifetimes over a sliding window, and the
 * difference of each policy to the first with a 95% confidence interval by
 * batch means. */
#ifndef OFFLOAD_AGENT_TICK_ABTEST_H
#define OFFLOAD_AGENT_TICK_ABTEST_H

#include <jansson.h>
#include <stdint.h>

#include "offload/abi.h"

#define OFF_ABTEST_TICKS	3600	/* the longest window, in ticks */
#define OFF_ABTEST_POLICIES	16	/* distinct labels compared; more go uncounted */

struct off_daemon;

struct off_abtest_tick {
	double sum, sq;		/* rewards */
	uint32_t n;
	uint32_t life[OFF_HIST_SLOTS];
};

struct off_abtest {
	int npol, nwl;
	char label[OFF_ABTEST_POLICIES][96];
	int *of_wl;		/* per workload: its label, or -1 */
	struct off_abtest_tick *ring;	/* npol x OFF_ABTEST_TICKS */
	uint64_t ticks;
};

/* (Re)starts the window for d's current policies. */
int off_abtest_init(struct off_abtest *ab, const struct off_daemon *d);
void off_abtest_free(struct off_abtest *ab);
/* Adds the tick just measured and rewarded. */
void off_abtest_tick(struct off_abtest *ab, const struct off_daemon *d);
json_t *off_abtest_report(const struct off_abtest *ab, double window_s, uint32_t tick_ms);

#endif
