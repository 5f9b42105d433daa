/* SPDX-License-Identifier: GPL-2.0 */
/* offload-train eval --generated: the model against the estimate and the
 * best fixed target in hindsight, on scenarios no training run saw. */
#ifndef OFFLOAD_TRAIN_SUITE_H
#define OFFLOAD_TRAIN_SUITE_H

#include <stdint.h>
#include <stdio.h>
#include "lib/model.h"

struct off_suite_opts {
	uint64_t seed_from;	/* generator seeds seed_from .. + count - 1 */
	int count, episodes;
	unsigned flags;		/* OFF_GEN_* */
	uint64_t seed;		/* of the episodes */
	int json;
};

int off_suite_run(const struct off_model *m, const struct off_suite_opts *o, FILE *out);

#endif
