/* SPDX-License-Identifier: GPL-2.0 */
/* offload-train fit and log: learning the correction from experience, and
 * writing simulated experience in the agent's format. */
#ifndef OFFLOAD_TRAIN_FIT_H
#define OFFLOAD_TRAIN_FIT_H

#include <stdint.h>
#include "lib/model.h"
#include "lib/scenario.h"

/* Fits m's correction on an experience log. The training range becomes
 * what the log saw (own_range: the model had no trusted correction, so the
 * deployment's experience is all it knows), or is widened by it. Returns
 * the transitions used, or -errno. */
int off_fit_log(struct off_model *m, const char *log, uint64_t steps, uint64_t seed, int own_range);
/* Runs the model in sc for episodes and writes each decision as offloadd
 * would: (s, c, r, s') lines. */
int off_fit_simlog(const struct off_model *m, const struct off_scenario *sc, int episodes,
		   uint64_t seed, const char *out);

#endif
