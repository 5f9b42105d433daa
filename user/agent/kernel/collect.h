/* SPDX-License-Identifier: GPL-2.0 */
/* One tick's read of the kernel maps: batch lookups into buffers sized once. */
#ifndef OFFLOAD_AGENT_KERNEL_COLLECT_H
#define OFFLOAD_AGENT_KERNEL_COLLECT_H

#include <stdint.h>
#include "offload/abi.h"

struct off_bpf;

struct off_task_rec {
	uint32_t pid;
	struct off_task t;
};

struct off_flow_rec {
	struct off_flow_key k;
	struct off_flow f;
};

struct off_snapshot {
	uint32_t nwl;			/* host (index 0) + max_workloads */
	struct off_wl_stats *wl;	/* summed over CPUs */
	uint32_t ntasks, max_tasks;
	struct off_task_rec *tasks;
	uint32_t nflows, max_flows;
	struct off_flow_rec *flows;
	const struct off_task_rec **order;	/* scratch for sorting tasks */
	uint64_t counters[OFF_CNT_MAX];
	/* The host's stats over the CPUs local work runs on (see tick/capacity.h);
	 * every CPU unless local_cpu says otherwise. */
	struct off_wl_stats local;
	uint8_t *local_cpu;		/* nr_cpus flags */
	int skip_tasks;			/* the daemon needs no per-task view */
	/* batch buffers */
	void *keys, *vals;
	size_t keys_len, vals_len;
	int nr_cpus;
};

int off_snapshot_init(struct off_snapshot *s, const struct off_bpf *b);
void off_snapshot_free(struct off_snapshot *s);
/* Reads every map. Allocation-free. */
int off_collect(const struct off_bpf *b, struct off_snapshot *s);

#endif
