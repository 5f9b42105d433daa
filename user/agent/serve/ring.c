// SPDX-License-Identifier: GPL-2.0
/* Submission entries on demand: a burst of completions, each queueing two
 * or three operations, must never find the SQ full (it used to crash on a
 * NULL entry). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/serve/ring.h"

_Static_assert(OFF_RING_INFLIGHT <= OFF_RING_SQ, "the SQ must hold a whole stall's worth");
_Static_assert(OFF_RING_SQ * 2 <= OFF_RING_CQ, "the CQ must hold every completion in flight");

int off_ring_init(struct io_uring *ring)
{
	struct io_uring_params p = { .flags = IORING_SETUP_CQSIZE, .cq_entries = OFF_RING_CQ };

	return io_uring_queue_init_params(OFF_RING_SQ, ring, &p);
}

struct io_uring_sqe *off_ring_sqe(struct io_uring *ring, unsigned int need)
{
	struct io_uring_sqe *sqe;
	int ret = 0;

	if (io_uring_sq_space_left(ring) < need)
		ret = io_uring_submit(ring);
	sqe = io_uring_get_sqe(ring);
	if (!sqe && ret >= 0) {
		ret = io_uring_submit(ring);
		sqe = io_uring_get_sqe(ring);
	}
	/* Only a kernel refusing a submission (the CQ sizing rules out a full
	 * one) gets here: better a restart by systemd than a lost operation. */
	if (!sqe) {
		fprintf(stderr, "offloadd: io_uring: no submission entry: %s\n", strerror(-ret));
		abort();
	}
	return sqe;
}
