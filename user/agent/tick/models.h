/* SPDX-License-Identifier: GPL-2.0 */
/* The models the workloads decide with: [agent] model and any workload's
 * own, each file loaded once. A set is loaded whole or not at all, so a
 * reload with a corrupt file keeps every old model. */
#ifndef OFFLOAD_AGENT_TICK_MODELS_H
#define OFFLOAD_AGENT_TICK_MODELS_H

#include <stddef.h>

#include "agent/config/config.h"
#include "lib/model.h"

struct off_loaded_model {
	char path[OFF_CFG_PATH_LEN];
	struct off_model m;
};

struct off_models {
	int n;
	struct off_loaded_model *m;
	int *of_wl;		/* per workload: index in m, or -1 (no model used) */
	size_t scratch;		/* floats forward() and infer() need, for the largest */
};

/* Loads what c's dqn workloads use; 0, or -errno with "PATH: what" in err. */
int off_models_load(struct off_models *ms, const struct off_config *c, char *err, size_t errlen);
void off_models_free(struct off_models *ms);
/* One model file, checked as a set's are: schema, CRC, and the feature
 * table of this build. 0, or -errno with "PATH: what" in err. */
int off_models_load_one(const char *path, struct off_model *m, char *err, size_t errlen);
/* One line per model on stderr: path, CRC, training. */
void off_models_log(const struct off_models *ms);
const char *off_models_path(const struct off_config *c, const struct off_cfg_workload *w);

#endif
