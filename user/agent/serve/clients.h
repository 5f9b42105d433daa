/* SPDX-License-Identifier: GPL-2.0 */
/* The agents probing this host: distinct source addresses of GET /status
 * probes in a recent window, what /status reports as "clients". */
#ifndef OFFLOAD_AGENT_SERVE_CLIENTS_H
#define OFFLOAD_AGENT_SERVE_CLIENTS_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

/* Room for this many agents; past it the oldest is forgotten, so a count
 * never exceeds it: a fleet larger than this reads as this. */
#define OFF_CLIENTS_MAX		256
/* An agent counts for 10 s after its last probe: ten probes at the default
 * 1 s tick, so a prober that lost a few in a row (peer_down_after is 3),
 * or one ticking every 5 s that lost one, stays counted without a gap;
 * and one that stopped is gone 10 s later, not minutes. An agent ticking
 * slower than every 10 s (tick goes up to 60 s) counts only for 10 s
 * after each probe. */
#define OFF_CLIENTS_WINDOW_NS	(10 * 1000000000ULL)

struct off_client {
	struct in6_addr addr;	/* IPv4 as ::ffff:a.b.c.d */
	uint64_t seen_ns;	/* CLOCK_MONOTONIC of its last probe */
};

/* Fixed in size: recording and counting allocate nothing. */
struct off_clients {
	int n;
	struct off_client c[OFF_CLIENTS_MAX];
};

/* A probe from src (IPv4 or IPv6; other families are ignored) at now_ns. */
void off_clients_seen(struct off_clients *cs, const struct sockaddr_storage *src, uint64_t now_ns);
/* The distinct addresses that probed within the window ending at now_ns. */
int off_clients_count(const struct off_clients *cs, uint64_t now_ns);

#endif
