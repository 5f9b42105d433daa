/* SPDX-License-Identifier: GPL-2.0 */
/* Simulator scenarios: INI files describing a device, its tasks, its edge
 * peers and clouds, and the reward. */
#ifndef OFFLOAD_LIB_SCENARIO_H
#define OFFLOAD_LIB_SCENARIO_H

#include <stddef.h>
#include <stdio.h>
#include "lib/features.h"

#define OFF_SIM_MAX_PEERS	12
#define OFF_SIM_MAX_CORES	16
#define OFF_SIM_MAX_FLEET	64

struct off_sim_peer {
	char name[32];
	enum off_target_kind kind;	/* EDGE or CLOUD */
	double ghz, cores;		/* cores 0: elastic (no queueing), clouds */
	double actual_ghz;		/* what it delivers; 0: as reported */
	double rtt_ms, rtt_vol_ms;	/* RTT random walk: mean and step */
	double bw_mbps;
	double load, load_vol;		/* other tenants' share of its CPU */
	double fail_prob, recover_prob;	/* per epoch */
	double cost;			/* per request */
};

struct off_scenario {
	char name[64];
	double epoch_s, deadline_s;
	int epochs;			/* per episode */
	double ghz, cores, kappa, p_tx_w;
	double bg_load, bg_vol;		/* background share of the local CPU */
	double rate;			/* tasks per second (Poisson) */
	double kb_min, kb_max;
	double down_ratio;		/* reply bytes per request byte */
	int pareto;			/* heavy-tailed sizes */
	double pareto_alpha;
	double cpb_min, cpb_max;	/* CPU cycles per bit */
	double switch_rtts;		/* a new target's connection setup, in RTTs */
	int agent_view;			/* observe as the agent measures, not exactly */
	/* Agents sharing the peers, this one included. The others run the
	 * same policy on the same view, so they send their requests where
	 * this one sends its own, at the same moments. */
	int fleet;
	int npeers;
	struct off_sim_peer peers[OFF_SIM_MAX_PEERS];
	struct off_reward_cfg reward;
};

int off_scenario_load(const char *path, struct off_scenario *s, char *err, size_t errlen);
/* The defaults a scenario file starts from. */
void off_scenario_defaults(struct off_scenario *s);
/* Writes s in the scenario format, so a generated scenario can be read,
 * kept and replayed. */
int off_scenario_write(FILE *f, const struct off_scenario *s);

#endif
