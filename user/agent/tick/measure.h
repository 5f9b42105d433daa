/* SPDX-License-Identifier: GPL-2.0 */
/* The last tick, measured: each workload's state vector and, per (workload,
 * target), its connections, lifetimes, RTT and bytes; and the load of this
 * host's local CPUs. All deltas of the kernel's cumulative counters. */
#ifndef OFFLOAD_AGENT_TICK_MEASURE_H
#define OFFLOAD_AGENT_TICK_MEASURE_H

#include <stdint.h>

#include "agent/config/config.h"
#include "agent/kernel/collect.h"
#include "agent/tick/capacity.h"
#include "lib/features.h"

/* Cumulative, summed over one workload's flows to one target. */
struct off_tgt_sum {
	uint64_t opened, closed, failed, up, down, life_sum_us;
	uint64_t srtt_us, srtt_n;	/* latest srtt of each flow, summed */
	uint64_t life_us[OFF_HIST_SLOTS];
};

/* One (workload, target) over the last tick. */
struct off_tgt_tick {
	double opened, closed, up, down;	/* bytes sent and received */
	double failed;				/* connects that never established */
	double life_mean_us, life_p99_us;	/* of the connections closed */
	double srtt_us;				/* 0: no connection opened */
	/* Kept across ticks: the bandwidth its bulk connections showed,
	 * 0 when none did lately. */
	double bw_mbps;
	int bw_age;				/* ticks since the last sample */
};

/* A connection that moves this much is mostly transfer: its bytes over
 * its time, less a round trip, bound the bandwidth from below. */
#define OFF_BW_MIN_BYTES	(64 * 1024)
#define OFF_BW_MAX_AGE		10	/* ticks a sample is believed */

struct off_wl_meas {
	struct off_wl_stats prev;
	struct off_wl_raw raw;		/* the model's view of the workload */
	double cpu_s;			/* CPU used over the tick */
	double runnable;		/* its tasks running or waiting, on average */
	uint64_t requests;		/* connections opened, every target */
	struct off_tgt_sum *sum, *prev_sum;
	struct off_tgt_sum *retired;	/* what flows aged out of the map had counted */
	struct off_tgt_tick *t;		/* ntargets */
};

struct off_measure {
	int nwl, ntargets;
	int nused;			/* targets in use: peers found by DNS add some */
	uint64_t prev_ns;
	double dt_s;
	struct off_local scope;
	struct off_wl_stats prev_local;
	double local_util, local_rq_p99_us;	/* over scope's CPUs */
	double local_runnable;		/* tasks running or waiting per CPU of scope */
	double local_load;		/* the share others leave a new request */
	struct off_wl_meas *wl;
	void *mem;
};

int off_measure_init(struct off_measure *m, int nwl, int ntargets);
void off_measure_free(struct off_measure *m);
/* Folds a fresh snapshot into the last tick. current[i] is the target
 * workload i was sent to during it: its CPU per request is learnt only
 * while local, where the work runs on this host. Allocation-free. */
void off_measure_tick(struct off_measure *m, const struct off_snapshot *s,
		      const struct off_config *c, const uint32_t *current, uint64_t now_ns);
/* A flow leaves the kernel's map with these final counts: they stay in its
 * target's totals, so the next tick's deltas neither drop nor lose them. */
void off_measure_retire(struct off_measure *m, const struct off_config *c,
			const struct off_flow_key *k, const struct off_flow *f);

#endif
