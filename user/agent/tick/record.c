// SPDX-License-Identifier: GPL-2.0
/* Rewards from what the kernel measured, per request: the mean lifetime of
 * the connections to the chosen target that closed, the workload's CPU
 * energy and the bytes it moved off the host, and the target's price. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/serve/ring.h"
#include "agent/tick/record.h"

/* Never through a symlink: the log's directory may be writable by others
 * (a shared state directory), and the agent runs as root. */
static void open_log(struct off_record *l)
{
	struct stat st;

	l->fd = open(l->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (l->fd < 0) {
		fprintf(stderr, "offloadd: experience log: %s: %s; not recording\n", l->path,
			errno == ELOOP ? "a symlink, refused" : strerror(errno));
		l->write_errors++;
		return;
	}
	l->size = fstat(l->fd, &st) ? 0 : (uint64_t)st.st_size;
}

int off_record_init(struct off_record *l, int nwl, const char *path, uint64_t max, char *err,
		    size_t errlen)
{
	memset(l, 0, sizeof(*l));
	l->nwl = nwl;
	l->fd = -1;
	l->max = max;
	l->wl = calloc(nwl ? nwl : 1, sizeof(*l->wl));
	if (!l->wl)
		goto nomem;
	for (int i = 0; i < nwl; i++)
		l->wl[i].reward = l->wl[i].last_reward = NAN;
	if (!path || !path[0])
		return 0;
	snprintf(l->path, sizeof(l->path), "%s", path);
	l->buf[0] = malloc(OFF_RECORD_BUF);
	l->buf[1] = malloc(OFF_RECORD_BUF);
	if (!l->buf[0] || !l->buf[1])
		goto nomem;
	/* Recording is for later training: losing it must not stop the agent
	 * from governing, so an unwritable log is reported and counted. */
	open_log(l);
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	off_record_free(l);
	return -ENOMEM;
}

static void reopen_now(struct off_record *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->reopen = 0;
	open_log(l);
}

void off_record_reopen(struct off_record *l)
{
	if (!l->path[0])
		return;
	l->reopen = 1;
	if (!l->inflight)
		reopen_now(l);
}

/* Past the cap, the file becomes PATH.1 (replacing the last one) and a new
 * one starts: one generation kept, as a size-capped journal would. */
static void rotate(struct off_record *l)
{
	char old[sizeof(l->path) + 2];

	snprintf(old, sizeof(old), "%s.1", l->path);
	if (rename(l->path, old)) {
		if (!l->write_errors++)
			fprintf(stderr, "offloadd: experience log: cannot rotate %s: %s\n", l->path,
				strerror(errno));
		return;
	}
	l->rotations++;
	reopen_now(l);
}

void off_record_free(struct off_record *l)
{
	if (l->fd >= 0)
		close(l->fd);
	free(l->wl);
	free(l->buf[0]);
	free(l->buf[1]);
	memset(l, 0, sizeof(*l));
	l->fd = -1;
}

double off_record_reward(const struct off_config *c, const struct off_measure *m, int i,
			 uint32_t action)
{
	const struct off_wl_meas *w = &m->wl[i];
	const struct off_tgt_tick *t = &w->t[action];
	double per_req, energy, bw;
	struct off_est_env env;

	if (!t->closed || !w->requests)
		return NAN;
	off_config_est_env(c, &env);
	energy = off_energy_j(&env, 1, w->cpu_s * 1000 / w->requests, 0, 0);
	if (action != OFF_TARGET_LOCAL) {
		per_req = (t->up + t->down) / (t->opened ? t->opened : t->closed);
		bw = off_config_peer_bw(&c->peers[action - 1]);
		energy += off_energy_j(&env, 0, 0, per_req, per_req * 8 / (bw * 1e6));
	}
	return off_reward(&c->reward, t->life_mean_us / 1e6, energy,
			  action ? c->peers[action - 1].cost_per_req : 0);
}

static double wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void append(struct off_record *l, const struct off_config *c, int i,
		   const struct off_exp_state *next)
{
	const struct off_record_wl *lw = &l->wl[i];
	struct off_experience e = { .s = lw->s, .action = lw->action, .reward = lw->reward,
				    .next = *next };

	off_config_est_env(c, &e.env);
	json_t *o = off_explog_json(&e);
	size_t room = OFF_RECORD_BUF - l->len, n;

	if (o)
		json_object_update_new(o, json_pack("{s:f, s:s, s:s, s:b, s:s}", "ts", wall_s(),
				       "workload", c->workloads[i].name,
				       "target", off_config_target_name(c, lw->action),
				       "changed", lw->changed, "reason", lw->why));
	n = o ? json_dumpb(o, l->buf[l->cur] + l->len, room, JSON_COMPACT) : 0;
	json_decref(o);
	if (!n || n + 1 > room) {
		l->dropped++;
		return;
	}
	l->len += n;
	l->buf[l->cur][l->len++] = '\n';
	l->lines++;
	l->pending_lines++;
}

static void flush(struct off_record *l, struct io_uring *ring, uint64_t user_data)
{
	struct io_uring_sqe *sqe;

	if (l->fd < 0 || l->inflight || !l->len)
		return;		/* the next tick's write takes these lines too */
	sqe = off_ring_sqe(ring, 1);
	/* Offset -1: at the file position, which O_APPEND keeps at the end. */
	io_uring_prep_write(sqe, l->fd, l->buf[l->cur], l->len, (uint64_t)-1);
	io_uring_sqe_set_data64(sqe, user_data);
	l->inflight = l->len;
	l->inflight_lines = l->pending_lines;
	l->pending_lines = 0;
	l->cur ^= 1;
	l->len = 0;
}

void off_record_written(struct off_record *l, int res)
{
	if (res < 0 || (size_t)res != l->inflight) {
		/* Once, then counted: a full disk must not flood the journal. */
		if (!l->write_errors++)
			fprintf(stderr, "offloadd: experience log: %s; lines are dropped and counted\n",
				res < 0 ? strerror(-res) : "short write");
		l->dropped += l->inflight_lines;
	} else {
		l->size += res;
	}
	l->inflight = 0;
	if (l->reopen)
		reopen_now(l);
	else if (l->max && l->size >= l->max)
		rotate(l);
}

void off_record_tick(struct off_record *l, const struct off_config *c, const struct off_measure *m,
		     const struct off_decider *d, const uint32_t *enforced, struct io_uring *ring,
		     uint64_t user_data)
{
	for (int i = 0; i < l->nwl; i++) {
		struct off_record_wl *lw = &l->wl[i];
		const struct off_choice *ch = &d->ch[i];

		if (lw->valid) {
			lw->reward = off_record_reward(c, m, i, lw->action);
			if (!isnan(lw->reward))
				lw->last_reward = lw->reward;
			if (l->fd >= 0 && !isnan(lw->reward))
				append(l, c, i, &ch->s);
		}
		lw->s = ch->s;
		lw->action = enforced[i];
		lw->changed = ch->changed;
		lw->valid = 1;
		snprintf(lw->why, sizeof(lw->why), "%s", ch->why);
	}
	flush(l, ring, user_data);
}
