/* SPDX-License-Identifier: GPL-2.0 */
/* Idle flows aged out of the kernel's flows map, so it never stays full. */
#ifndef OFFLOAD_AGENT_KERNEL_FLOWAGE_H
#define OFFLOAD_AGENT_KERNEL_FLOWAGE_H

#include <stdint.h>
#include "agent/kernel/collect.h"

struct off_bpf;

struct off_flowage {
	uint64_t idle_ns;	/* flow_idle: a flow with no open connection goes after this */
	uint64_t tick_ns;	/* under pressure, after one tick without an event */
	uint64_t last_full;	/* the flow_full drops seen at the last tick */
	uint64_t aged;		/* flows deleted, in total */
	uint64_t pressed;	/* ticks that aged under pressure */
	uint32_t entries;	/* left in the map after the last aging */
};

/* Called with each flow deleted and its final counts. */
typedef void off_flow_retire_fn(void *ctx, const struct off_flow_key *k, const struct off_flow *f);

/* Deletes the snapshot's idle flows from the kernel's map, handing each to
 * retire; returns how many, or -errno. Allocation-free. */
int off_flows_age(struct off_flowage *a, const struct off_bpf *b, const struct off_snapshot *s,
		  uint64_t now_ns, off_flow_retire_fn *retire, void *ctx);

#endif
