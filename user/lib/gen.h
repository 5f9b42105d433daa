/* SPDX-License-Identifier: GPL-2.0 */
/* Scenarios drawn from a seed over documented ranges: what the model is
 * trained, validated and tested on. Each range is a promise to users. */
#ifndef OFFLOAD_LIB_GEN_H
#define OFFLOAD_LIB_GEN_H

#include <stdint.h>
#include "lib/scenario.h"

/* Measurements as the agent takes them (a tick late, in log2 buckets,
 * sizes as running means), connection setup on a switch, and a fleet of
 * agents deciding alike onto the same peers. */
#define OFF_GEN_EFFECTS		1u
/* A peer slower than it reports: invisible to any model trained elsewhere,
 * learnable only from that deployment's experience (offload-train fit). */
#define OFF_GEN_SLOW_PEER	2u

/* The same seed and flags give the same scenario, on any host. */
void off_scenario_generate(struct off_scenario *sc, uint64_t seed, unsigned flags);

#endif
