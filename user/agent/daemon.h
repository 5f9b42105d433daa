/* SPDX-License-Identifier: GPL-2.0 */
/* The running daemon's state, shared by its loop and its commands. */
#ifndef OFFLOAD_AGENT_DAEMON_H
#define OFFLOAD_AGENT_DAEMON_H

#include <liburing.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent/collect.h"
#include "agent/config.h"
#include "agent/listener.h"
#include "agent/loader.h"
#include "agent/peers.h"

struct off_daemon {
	const char *path;
	struct off_config cfg;
	struct off_bpf bpf;
	struct io_uring ring;
	struct off_listener ctl, status;
	struct off_peers peers;
	int sfd;
	uint64_t started_ns, next_ns, ticks, late;
	int stop;
	bool verbose;
	/* Per workload: the target in force, and a pin (target + 1, 0 = none). */
	uint32_t current[OFF_CFG_MAX_WORKLOADS];
	/* Host load over the last tick, from the kernel's counters. */
	struct off_snapshot snap;
	struct off_wl_stats prev_host;
	uint64_t prev_ns;
	double host_util, host_rq_p99_us;
	uint32_t pin[OFF_CFG_MAX_WORKLOADS];
};

/* Reloads the configuration; on refusal, why, in err. */
int off_daemon_reload(struct off_daemon *d, char *err, size_t errlen);
/* GET /status for peers. */
void off_daemon_status(void *daemon, const char *req, char *out, size_t outlen);
/* The ctl socket's request handler. */
void off_daemon_command(void *daemon, const char *req, char *out, size_t outlen);

#endif
