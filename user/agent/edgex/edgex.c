// SPDX-License-Identifier: GPL-2.0
/* The publisher: each tick, one event per workload (its decided target,
 * CPU, run-queue p99, RTT to the target and last reward) and one per peer
 * (up, RTT, load), every tick or only when its readings changed. It never
 * waits: a bus that is down drops the tick's events, one that has not sent
 * the last tick's drops this one's, each counted by reason, and connects
 * are retried with a doubling backoff. */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/edgex/edgex.h"
#include "agent/serve/listener.h"
#include "agent/serve/ring.h"
#include "lib/clock.h"

const char *const off_edgex_drop_names[OFF_EDGEX_DROP_KINDS] = {
	[OFF_EDGEX_DROP_DOWN] = "disconnected", [OFF_EDGEX_DROP_BACKLOG] = "backlog",
	[OFF_EDGEX_DROP_ERROR] = "error",
};

#define CONNECT_TIMEOUT_MS	5000

static bool mqtt(const struct off_edgex *x)
{
	return x->cfg.bus == OFF_EDGEX_MQTT;
}

int off_edgex_init(struct off_edgex *x, const struct off_config *c, struct io_uring *ring, char *err,
		   size_t errlen)
{
	int ret;

	*x = (struct off_edgex){ .cfg = c->edgex, .ring = ring, .fd = -1, .nwl = c->nworkloads,
				 .npeers = c->npeers, .rd = { .x = x, .events = POLLIN },
				 .wr = { .x = x, .events = POLLOUT } };
	if (!c->edgex.line)
		return 0;
	x->tick_ms = c->tick_ms;
	x->seen = aligned_alloc(sizeof(*x->seen), (x->nwl + x->npeers + 1) * sizeof(*x->seen));
	x->memo = calloc(x->nwl + x->npeers + 1, sizeof(*x->memo));
	ret = x->seen && x->memo ? off_edgex_fmt_init(&x->fmt, c->edgex.version) : -ENOMEM;
	if (x->seen)
		memset(x->seen, 0, (x->nwl + x->npeers + 1) * sizeof(*x->seen));
	if (ret)
		snprintf(err, errlen, "[edgex]: %s", strerror(-ret));
	return ret;
}

void off_edgex_arm(struct off_edgex *x, struct off_edgex_poll *p)
{
	struct io_uring_sqe *sqe;

	if (x->fd < 0)
		return;
	sqe = off_ring_sqe(x->ring, 1);
	io_uring_prep_poll_add(sqe, x->fd, p->events);
	io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)p | OFF_EDGEX_TAG);
	p->armed = true;
}

void off_edgex_cancel(struct off_edgex *x)
{
	struct off_edgex_poll *ps[] = { &x->rd, &x->wr };

	for (int i = 0; i < 2; i++) {
		struct io_uring_sqe *sqe;

		if (!ps[i]->armed)
			continue;
		sqe = off_ring_sqe(x->ring, 1);
		io_uring_prep_poll_remove(sqe, (uint64_t)(uintptr_t)ps[i] | OFF_EDGEX_TAG);
		io_uring_sqe_set_data64(sqe, 0);	/* the loop ignores it */
	}
}

void off_edgex_connected(struct off_edgex *x)
{
	x->state = OFF_EDGEX_UP;
	x->connects++;
	x->backoff_ms = 0;
	fprintf(stderr, "offloadd: edgex: connected to %s://%s:%u\n", mqtt(x) ? "mqtt" : "redis",
		x->cfg.host, x->cfg.port);
}

/* The connection is gone or given up: the next try after the backoff,
 * which doubles from a tick up to reconnect_max. */
static void down(struct off_edgex *x, const char *why)
{
	uint64_t now = off_mono_ns();
	uint32_t max = x->cfg.reconnect_max_ms;

	/* Once per outage: at the loss, or at the first failed connect. */
	if (x->state == OFF_EDGEX_UP || !x->backoff_ms)
		fprintf(stderr, "offloadd: edgex: %s://%s:%u: %s; events are dropped until it is back\n",
			mqtt(x) ? "mqtt" : "redis", x->cfg.host, x->cfg.port, why);
	if (mqtt(x))
		off_mqtt_close(x);
	else
		off_redis_close(x);
	off_edgex_pend_drop(x);
	x->state = OFF_EDGEX_DOWN;
	x->lost = false;
	x->backoff_ms = !x->backoff_ms ? x->tick_ms : x->backoff_ms * 2 < max ? x->backoff_ms * 2 : max;
	x->retry_ns = now + (uint64_t)x->backoff_ms * 1000000;
}

static void connect_due(struct off_edgex *x, uint64_t now)
{
	int ret;

	/* A cancelled poll must complete before its slot is reused. */
	if (now < x->retry_ns || x->rd.armed || x->wr.armed)
		return;
	ret = mqtt(x) ? off_mqtt_connect(x) : off_redis_connect(x);
	if (ret) {
		down(x, "cannot connect");
		return;
	}
	x->state = OFF_EDGEX_CONNECTING;
	x->deadline_ns = now + (uint64_t)CONNECT_TIMEOUT_MS * 1000000;
	if (!mqtt(x))
		off_redis_ready(x, 0);	/* polls for the connect's first write event */
}

/* Where the connection stands at the tick: lost, timed out, or due. */
static const char *lost(const struct off_edgex *x)
{
	return x->state == OFF_EDGEX_UP ? "the broker closed the connection" : "cannot connect";
}

void off_edgex_manage(struct off_edgex *x, uint64_t now)
{
	if (x->lost)
		down(x, lost(x));
	else if (x->state == OFF_EDGEX_CONNECTING && now > x->deadline_ns)
		down(x, "connect timed out");
	if (x->state == OFF_EDGEX_DOWN)
		connect_due(x, now);
	else if (mqtt(x) && x->client)
		off_mqtt_tick(x);
	if (x->lost)
		down(x, lost(x));
	if (x->state == OFF_EDGEX_UP && x->pend.n)
		off_edgex_pend_send(x);
}

int off_edgex_send(struct off_edgex *x, size_t tlen, size_t len)
{
	int ret;

	if (x->state == OFF_EDGEX_CONNECTING)
		return off_edgex_pend(x, tlen, len);
	ret = mqtt(x) ? off_mqtt_publish(x, len) : off_redis_publish(x, tlen, len);
	if (!ret)
		x->published++;
	return ret;
}

void off_edgex_flush(struct off_edgex *x)
{
	if (!x->client || x->lost)
		return;
	if (mqtt(x))
		off_mqtt_ready(x, 0);
	else
		off_redis_ready(x, 0);
}

int off_edgex_complete(struct io_uring_cqe *cqe)
{
	uint64_t data = io_uring_cqe_get_data64(cqe);
	struct off_edgex_poll *p = (struct off_edgex_poll *)(uintptr_t)(data & ~(uint64_t)7);
	struct off_edgex *x;
	uint64_t cpu0;

	if (data < OFF_LISTEN_BASE || (data & 7) != OFF_EDGEX_TAG)
		return 0;
	x = p->x;
	p->armed = false;
	if (cqe->res < 0 || !x->client)
		return 1;	/* cancelled, or the client has gone since */
	/* The client's reads and writes are the publisher's cost too. */
	cpu0 = off_cpu_ns();
	if (mqtt(x))
		off_mqtt_ready(x, cqe->res);
	else
		off_redis_ready(x, cqe->res);
	if (x->state == OFF_EDGEX_UP && !x->lost && x->pend.n) {
		off_edgex_pend_send(x);
		off_edgex_flush(x);
	}
	x->cpu_ns_sum += off_cpu_ns() - cpu0;
	return 1;
}

void off_edgex_free(struct off_edgex *x)
{
	if (x->client)
		mqtt(x) ? off_mqtt_close(x) : off_redis_close(x);
	off_edgex_pend_drop(x);
	free(x->seen);
	free(x->memo);
	x->seen = NULL;
	x->memo = NULL;
}
