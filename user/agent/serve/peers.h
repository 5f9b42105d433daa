/* SPDX-License-Identifier: GPL-2.0 */
/* Peer health: each tick every peer's GET /status is probed on io_uring;
 * K failures in a row and the peer is down until it answers again. */
#ifndef OFFLOAD_AGENT_SERVE_PEERS_H
#define OFFLOAD_AGENT_SERVE_PEERS_H

#include <liburing.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "agent/config/config.h"
#include "agent/serve/peerreply.h"
#include "agent/serve/tls.h"

#define OFF_PEER_MAX_REPLY	OFF_STATUS_MAX_BYTES	/* HTTP headers count too */

struct off_peer {
	const struct off_cfg_peer *cfg;
	struct sockaddr_storage addr;
	int fd;				/* -1: no probe in flight */
	int step;			/* connecting, sending or receiving */
	uint64_t started_ns;
	struct __kernel_timespec timeout;	/* CLOCK_MONOTONIC, absolute */
	double rtt_us;			/* connect time of the last good probe */
	double rtt_jitter_us;
	bool up;			/* with TLS: only after a verified reply */
	bool down_logged;		/* this run of failures was logged */
	bool answered;			/* a probe succeeded since the slot was set */
	uint32_t fails;
	char why[200];			/* the last failure */
	struct off_tls_conn *tls;	/* with TLS: the probe's session */
	struct off_reply *out;		/* ciphertext being sent */
	size_t sent;
	bool asked;			/* the request is written */
	struct off_peer_status st;
	int len;
	char buf[OFF_PEER_MAX_REPLY + 1];
};

struct off_peers {
	int n;
	uint32_t down_after, timeout_ms;	/* timeout_ms: per step */
	uint32_t budget_ms;			/* a whole probe: under a tick */
	SSL_CTX *tls;				/* NULL: plain HTTP */
	struct off_peer *p;
};

/* Room for every configured peer, and for all OFF_CFG_MAX_PEERS with
 * peers_dns, whose peers take slots as they appear. tls: NULL for plain
 * HTTP, else probed peers are down until verified. */
int off_peers_init(struct off_peers *ps, const struct off_config *c, SSL_CTX *tls);
/* Slot i takes c->peers[i] (address and status port), ending a probe the
 * slot's last peer had in flight: a new peer, up until probes say otherwise
 * unless it is pending or needs verifying. */
void off_peers_set(struct off_peers *ps, int i, const struct off_config *c);
void off_peers_free(struct off_peers *ps);
/* Takes the probe settings of c (at start and on reload). */
void off_peers_configure(struct off_peers *ps, const struct off_config *c);
/* Starts a probe of every peer not already being probed nor draining. */
void off_peers_tick(struct off_peers *ps, struct io_uring *ring);
/* Handles a probe's completion; 1 if it was one. */
int off_peers_complete(struct off_peers *ps, struct io_uring *ring, struct io_uring_cqe *cqe);

#endif
