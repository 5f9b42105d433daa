/* SPDX-License-Identifier: GPL-2.0 */
/* GET /status: what an offloadd tells its peers of itself, as JSON; written
 * for our own replies and parsed strictly from peers, which are untrusted. */
#ifndef OFFLOAD_AGENT_SERVE_PEERREPLY_H
#define OFFLOAD_AGENT_SERVE_PEERREPLY_H

#include <stddef.h>

#include "agent/config/config.h"

#define OFF_STATUS_MAX_BYTES	(64 * 1024)	/* a bigger reply is refused unread */
#define OFF_STATUS_MAX_SERVICES	OFF_CFG_MAX_SERVICES
/* Utilisation is a ratio of two clocks read at slightly different times, or
 * of a cgroup's usage to its quota, which bursts can overrun for a tick. */
#define OFF_STATUS_MAX_UTIL	1.2
#define OFF_STATUS_MAX_RQ_US	60e6
#define OFF_STATUS_MAX_CORES	65536
/* Agents probing a peer: ours count up to OFF_CLIENTS_MAX, another
 * implementation's may count more. */
#define OFF_STATUS_MAX_CLIENTS	65536

struct off_peer_status {
	char node[64];
	char version[32];
	/* edge or cloud: what a peer found by DNS is taken as. Optional: an
	 * older peer does not report it, and is taken as edge. */
	enum off_target_kind kind;
	double cpu_util;		/* 0..1 of its capacity */
	/* The share others leave a new request there, n/(1 + n) for n
	 * runnable per CPU: what the estimate uses. -1: not reported (an
	 * older peer), so its cpu_util stands in. */
	double load;
	double rq_p99_us;		/* run-queue latency p99 */
	double capacity_cores;
	/* Distinct agents (source addresses) that probed it in the last
	 * OFF_CLIENTS_WINDOW_NS, the asker included. 0: not reported (an
	 * older peer). */
	int clients;
	int nservices;
	char services[OFF_STATUS_MAX_SERVICES][OFF_CFG_NAME_LEN];
};

/* The other agents that may send the peer work: its count less this agent.
 * The status is the reply to this agent's own probe, which the peer
 * counted before answering (it probes every tick, well within the
 * window), so this agent is always one of them. An older peer reports 0:
 * none. */
static inline int off_peer_others(const struct off_peer_status *st)
{
	return st->clients > 1 ? st->clients - 1 : 0;
}

/* JSON into buf, NUL-terminated: its length, -ENOSPC if it does not fit,
 * -EINVAL for a value that is not finite. */
int off_peer_status_format(const struct off_peer_status *st, char *buf, size_t len);
/* 0, or -EFBIG/-EINVAL with "status: FIELD: problem" in err; *st is only
 * written on success. Unknown fields are ignored so that peers of another
 * version still understand each other. */
int off_peer_status_parse(const char *body, size_t len, struct off_peer_status *st,
			  char *err, size_t errlen);

#endif
