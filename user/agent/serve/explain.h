/* SPDX-License-Identifier: GPL-2.0 */
/* offloadctl workloads and explain: the decisions as JSON replies. */
#ifndef OFFLOAD_AGENT_SERVE_EXPLAIN_H
#define OFFLOAD_AGENT_SERVE_EXPLAIN_H

#include <jansson.h>
#include <stdint.h>

struct off_daemon;

json_t *off_explain_workloads(const struct off_daemon *d);
json_t *off_explain_workload(const struct off_daemon *d, int i, uint64_t now_ns);

#endif
