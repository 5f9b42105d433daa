/* SPDX-License-Identifier: GPL-2.0 */
/* Whether a file may be trusted to decide where work goes: the
 * configuration and the models it names. */
#ifndef OFFLOAD_AGENT_CONFIG_TRUST_H
#define OFFLOAD_AGENT_CONFIG_TRUST_H

#include <stddef.h>

#include "agent/config/config.h"

/* 0 if PATH is owned by root (or the agent's user) and neither group- nor
 * world-writable; -EPERM with the reason and the fix in err. A missing file
 * passes: its loader says so. */
int off_trust_file(const char *path, char *err, size_t errlen);
/* The same for every model c's dqn workloads use. */
int off_trust_models(const struct off_config *c, char *err, size_t errlen);

#endif
