/* SPDX-License-Identifier: GPL-2.0 */
/* The digital twin: the standard mobile-edge-computing model (Mao et al.,
 * 2016; Huang et al., DROO, 2020) over decision epochs. It reports state as
 * the agent would measure it, through the shared feature builder. */
#ifndef OFFLOAD_LIB_SIM_H
#define OFFLOAD_LIB_SIM_H

#include <stdint.h>
#include "lib/rng.h"
#include "lib/scenario.h"

#define OFF_SIM_TARGETS		(1 + OFF_SIM_MAX_PEERS)	/* 0 is local */
#define OFF_SIM_MAX_TASKS	256			/* per epoch */

struct off_sim_task {
	double arrive;		/* s */
	double bits, cycles;
};

struct off_sim_target {
	double rtt_s;
	double load;		/* share of the CPU others use */
	int up;
	/* The previous epoch's, as an agent that measures every tick sees it. */
	double seen_rtt_s, seen_load;
	int seen_up;
	int ncores;		/* 0: elastic */
	double busy[OFF_SIM_MAX_CORES];	/* when each core frees up */
};

struct off_sim {
	const struct off_scenario *sc;
	struct off_rng rng;
	double now;
	int epoch;
	int ntargets;
	struct off_sim_target t[OFF_SIM_TARGETS];
	int ntasks;
	struct off_sim_task tasks[OFF_SIM_MAX_TASKS];
	double local_cpu_s;	/* local CPU the workload used this epoch */
	double local_cores;	/* over the previous epoch, as a tick measures it */
	struct off_est_env env;	/* the scenario's reward and energy model */
	int last_target;	/* where the previous task went */
	/* Per-request sizes as the agent learns them: running means, and CPU
	 * only from requests that ran here. */
	double seen_bytes, seen_cpu_ms;
};

struct off_outcome {
	double lat_s, energy_j, cost;
};

/* What assigning changed, so a search can take it back. */
struct off_sim_undo {
	int target, last_target;
	double local_cpu_s;
	double busy[OFF_SIM_MAX_CORES];	/* the target's, the fleet's requests included */
};

/* The estimate's environment for a scenario: its weights, its device's
 * speed and its energy model (kappa f^3 watts of CPU, p_tx of radio). */
void off_sim_env(const struct off_scenario *sc, struct off_est_env *env);
void off_sim_reset(struct off_sim *s, const struct off_scenario *sc, uint64_t seed);
/* Advances to the next epoch: drifts, failures, arrivals. Returns the task
 * count, or -1 once the episode is over. */
int off_sim_next_epoch(struct off_sim *s);
/* State before deciding task i: the workload row inputs, one candidate per
 * target, and the mask of targets that are up. */
void off_sim_observe(const struct off_sim *s, int i, struct off_wl_raw *w,
		     struct off_cand_raw *c, uint32_t *mask);
/* What sending task i to target would cost this agent alone, without
 * sending it. */
struct off_outcome off_sim_estimate(const struct off_sim *s, int i, int target);
struct off_outcome off_sim_assign(struct off_sim *s, int i, int target, struct off_sim_undo *u);
void off_sim_undo(struct off_sim *s, const struct off_sim_undo *u);
double off_sim_reward(const struct off_sim *s, const struct off_outcome *o);
/* Up edge peer with the lowest RTT, or local when none is up. */
int off_sim_nearest_edge(const struct off_sim *s);

#endif
