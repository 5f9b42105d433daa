/* SPDX-License-Identifier: GPL-2.0 */
/* The daemon's io_uring: sized for every operation it can have in flight,
 * and submission entries that never run out. */
#ifndef OFFLOAD_AGENT_SERVE_RING_H
#define OFFLOAD_AGENT_SERVE_RING_H

#include <liburing.h>

#include "agent/config/config.h"
#include "agent/serve/dnsres.h"
#include "agent/serve/listener.h"

/* In flight at most: per listener one accept and, per connection, an
 * operation and its linked timeout; per peer a probe step and its timeout;
 * per DNS socket a poll and its removal; the tick, the signalfd poll and
 * the experience log's write; the EdgeX client's read and write polls and
 * their cancellations. */
#define OFF_RING_INFLIGHT	(3 * (1 + 2 * OFF_LISTEN_MAX_CONNS) + 2 * OFF_CFG_MAX_PEERS + \
				 2 * ARES_GETSOCK_MAXNUM + 3 + 4)
/* Every completion fits in the CQ even if all arrive during a stall, so
 * none waits in the kernel's overflow list. */
#define OFF_RING_SQ		512
#define OFF_RING_CQ		1024

int off_ring_init(struct io_uring *ring);
/* A submission entry, with room for need - 1 more after it (a linked
 * chain must go in one submission): queued ones are submitted first when
 * the SQ has less room. Never NULL. */
struct io_uring_sqe *off_ring_sqe(struct io_uring *ring, unsigned int need);

#endif
