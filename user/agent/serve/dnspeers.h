/* SPDX-License-Identifier: GPL-2.0 */
/* [agent] peers_dns: the peer set follows a DNS name (a Kubernetes headless
 * Service, or any name with A/AAAA records). An address that answers GET
 * /status becomes a peer named by the node it reports; one gone from DNS
 * is drained. */
#ifndef OFFLOAD_AGENT_SERVE_DNSPEERS_H
#define OFFLOAD_AGENT_SERVE_DNSPEERS_H

#include <liburing.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent/config/config.h"
#include "agent/serve/dnsres.h"

#define OFF_DNS_MAX_SELF	8

struct off_daemon;

struct off_dnspeers {
	struct off_dns dns;
	bool on, inflight, failing, full_logged;
	uint64_t ticks;
	uint64_t resolves, failures, found, drained;
	uint32_t clash_logged;		/* per slot: its node name was taken */
	/* This host's own addresses among the name's: skipped while listed. */
	int nself;
	uint8_t self[OFF_DNS_MAX_SELF][16];
};

/* Starts the resolver if the configuration names peers_dns. */
int off_dnspeers_init(struct off_daemon *d, char *err, size_t errlen);
void off_dnspeers_free(struct off_dnspeers *dp);
/* Takes on the peers that answered since the last tick; every
 * peers_dns_every ticks, asks DNS again. Never blocks. */
void off_dnspeers_tick(struct off_daemon *d);
/* Handles a completion of the resolver's polls; 1 if it was one. */
int off_dnspeers_complete(struct off_daemon *d, struct io_uring_cqe *cqe);
/* A reload keeps what discovery found: old's discovered peers go after
 * c's configured ones, if those are old's. */
void off_dnspeers_carry(const struct off_config *old, struct off_config *c);

#endif
