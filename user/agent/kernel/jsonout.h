/* SPDX-License-Identifier: GPL-2.0 */
/* Writing snapshot data as JSON, shared by observe and the agent's reports. */
#ifndef OFFLOAD_AGENT_KERNEL_JSONOUT_H
#define OFFLOAD_AGENT_KERNEL_JSONOUT_H

#include <stdio.h>
#include <stdint.h>
#include "agent/kernel/collect.h"

void off_json_str(FILE *f, const char *s);
/* "ip:port" or "[ip6]:port" of a flow key; port 0 prints as "ip:*". */
void off_flow_remote(const struct off_flow_key *k, char *buf, size_t len);
/* One workload's object: counters, its tasks (busiest first) and flows. */
void off_json_workload(FILE *f, const struct off_snapshot *s, uint32_t widx,
		       const char *name, uint64_t cgid);

#endif
