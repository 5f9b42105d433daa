/* SPDX-License-Identifier: GPL-2.0 */
/* Each tick's decision for every workload: its candidates, the shared
 * estimate, one batched inference of the correction per model and its gate,
 * then the guard (health, pins, dwell, hysteresis). */
#ifndef OFFLOAD_AGENT_TICK_DECIDE_H
#define OFFLOAD_AGENT_TICK_DECIDE_H

#include <stdint.h>

#include "agent/config/config.h"
#include "agent/serve/peers.h"
#include "agent/tick/measure.h"
#include "agent/tick/models.h"
#include "lib/explog.h"

/* Why a decision changed: the label of offloadd_decision_changes_total. */
enum off_reason {
	OFF_WHY_POLICY,		/* the policy scored another target best */
	OFF_WHY_PIN,		/* offloadctl pin or unpin */
	OFF_WHY_STATIC,		/* a static policy's target */
	OFF_WHY_UNHEALTHY,	/* the target went down or stopped serving */
	OFF_WHY_KINDS,
};

extern const char *const off_reason_names[OFF_WHY_KINDS];

struct off_choice {
	uint32_t target;	/* decided: what new connections get */
	uint32_t want;		/* the policy's pick, before the guard */
	uint64_t since_ns;	/* of the last change; 0: free to move */
	uint64_t since_tick;	/* the tick of the last change */
	uint64_t changes;
	uint64_t changes_by[OFF_WHY_KINDS];
	enum off_reason reason;	/* of the pick this tick */
	int changed;		/* this tick */
	int scored;		/* q holds scores (dqn: Q, greedy: est. reward) */
	float q[OFF_MAX_CANDS];
	float est[OFF_MAX_CANDS];	/* the shared estimate's reward */
	float corr[OFF_MAX_CANDS];	/* the model's correction, before scaling */
	enum off_gate gate;		/* dqn: how the correction was used */
	int gate_feature;		/* OFF_GATE_RANGE: the feature outside */
	struct off_exp_state s;	/* the state it was decided in */
	/* A peer that failed half or more of the workload's connects of its
	 * last tick (refused, unreachable, timed out) is left until then
	 * (refusal_hold), before the probes would call it down. */
	uint64_t held_until_ns[OFF_MAX_CANDS];
	char why[160];
};

struct off_decider {
	int nwl, ncand;
	int cap;		/* room for candidates: peers found by DNS add some */
	struct off_choice *ch;
	float *rows, *q, *scratch;
	uint64_t serves[OFF_CFG_MAX_PEERS][OFF_CFG_MAX_SERVICES / 64];
	uint64_t infer_ns;	/* the last tick's estimates and inference */
	uint64_t gates[OFF_GATE_KINDS];	/* decisions by how the correction was used */
	uint64_t nonfinite;	/* scores that were Inf or NaN, taken as none */
	uint64_t refusal_holds;	/* peers left for failing connects */
};

/* ncand: room for local and every peer there can be; the candidates are
 * local and the peers of each decision's time. */
int off_decider_init(struct off_decider *d, int nwl, int ncand);
void off_decider_free(struct off_decider *d);
/* Workload i's estimate environment: the configuration's, with a move's
 * setup spread over the requests a decision covers. */
void off_decide_env(const struct off_config *c, int i, const struct off_wl_raw *w,
		    struct off_est_env *env);
/* Decides every workload; pin[i] is a target + 1, or 0. Returns how many
 * changed. Allocation-free. */
int off_decide(struct off_decider *d, const struct off_config *c, const struct off_measure *m,
	       const struct off_peers *ps, const struct off_models *models, const uint32_t *pin,
	       uint64_t now_ns);

#endif
