/* SPDX-License-Identifier: GPL-2.0 */
/* The record of each decision: the reward it earned over the tick that
 * followed it, and (s, c, r, s') lines in the format `offload-train fit`
 * reads (the learning is done there), written through io_uring so the loop
 * never waits on the disk. */
#ifndef OFFLOAD_AGENT_TICK_RECORD_H
#define OFFLOAD_AGENT_TICK_RECORD_H

#include <liburing.h>
#include <stdint.h>

#include "agent/tick/decide.h"

#define OFF_RECORD_BUF	(4u << 20)	/* per tick; past it lines are dropped and counted */

struct off_record_wl {
	struct off_exp_state s;		/* the state the last decision was made in */
	uint32_t action;
	int valid, changed;
	double reward;			/* NAN: nothing measured this tick */
	double last_reward;		/* the latest measured; NAN: none yet */
	char why[160];
};

struct off_record {
	int nwl, fd;			/* fd -1: no experience log */
	char path[256];
	uint64_t size, max;		/* bytes in the file; max 0: no cap */
	int reopen;			/* after the write in flight */
	uint64_t rotations;
	struct off_record_wl *wl;
	char *buf[2];
	size_t len, inflight;		/* inflight: bytes being written */
	uint64_t pending_lines, inflight_lines;
	int cur;
	uint64_t lines, dropped, write_errors;	/* lines: formatted */
};

/* max: rotate to PATH.1 past this many bytes (0: never). */
int off_record_init(struct off_record *l, int nwl, const char *path, uint64_t max, char *err,
		    size_t errlen);
/* SIGHUP: reopen the file by name (logrotate moved it) once no write is in
 * flight. */
void off_record_reopen(struct off_record *l);
void off_record_free(struct off_record *l);
/* The reward of workload i's last decision, action, from this tick's
 * measurements; NAN when none of its connections to that target closed. */
double off_record_reward(const struct off_config *c, const struct off_measure *m, int i,
			 uint32_t action);
/* After a tick's decisions: rewards for the last tick's, and their lines.
 * enforced[i] is what the kernel did with workload i (in dry-run, not the
 * decision): the outcome measured is that target's. Queues the tick's lines
 * as one write tagged user_data. */
void off_record_tick(struct off_record *l, const struct off_config *c, const struct off_measure *m,
		     const struct off_decider *d, const uint32_t *enforced, struct io_uring *ring,
		     uint64_t user_data);
void off_record_written(struct off_record *l, int res);

#endif
