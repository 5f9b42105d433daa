/* SPDX-License-Identifier: GPL-2.0 */
/* [edgex]: each workload's decision and telemetry, and each peer's health,
 * published as EdgeX events on MQTT (libmosquitto) or Redis pub/sub
 * (hiredis), both clients driven by io_uring polls of their socket from the
 * daemon's loop. A broker that is down or slow costs dropped events, counted,
 * never a late tick. */
#ifndef OFFLOAD_AGENT_EDGEX_EDGEX_H
#define OFFLOAD_AGENT_EDGEX_EDGEX_H

#include <liburing.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent/config/config.h"
#include "agent/edgex/event.h"

struct off_daemon;
struct off_edgex;

/* One io_uring poll of the client's socket, read or write. Completions are
 * tagged (uintptr_t)poll | OFF_EDGEX_TAG: the listeners and probes use
 * other tags, and the daemon's own events sit below OFF_LISTEN_BASE. */
#define OFF_EDGEX_TAG	7
struct off_edgex_poll {
	struct off_edgex *x;
	unsigned int events;		/* POLLIN or POLLOUT */
	bool armed;			/* in flight (a cancelled one too, until it completes) */
} __attribute__((aligned(8)));

enum off_edgex_state { OFF_EDGEX_DOWN, OFF_EDGEX_CONNECTING, OFF_EDGEX_UP };
enum off_edgex_drop { OFF_EDGEX_DROP_DOWN, OFF_EDGEX_DROP_BACKLOG, OFF_EDGEX_DROP_ERROR,
		      OFF_EDGEX_DROP_KINDS };
extern const char *const off_edgex_drop_names[OFF_EDGEX_DROP_KINDS];

/* Per source, what change mode compares: the readings last sent (or
 * queued). A cache line each, apart from the formatting below, so that a
 * tick of unchanged sources reads one line of its own per source. */
struct off_edgex_seen {
	double v[OFF_EDGEX_MAX_READINGS];
	bool sent;
} __attribute__((aligned(64)));

/* Per source, each value last formatted, reused while it stays the same. */
struct off_edgex_memo {
	uint8_t formatted;		/* bit i: val[i] is num[i]'s */
	double num[OFF_EDGEX_MAX_READINGS];
	char val[OFF_EDGEX_MAX_READINGS][24];
};

/* Events formatted while a connect is under way (the first tick's among
 * them), sent once it is up: records of two lengths, a topic and a message.
 * Allocated when needed, freed once sent or dropped. */
#define OFF_EDGEX_PENDING_MAX	(4u << 20)
struct off_edgex_pending {
	char *buf;
	size_t len;
	uint32_t n;
};

#define OFF_EDGEX_TOPIC_MAX	512
#define OFF_EDGEX_HEAD		(sizeof("*3\r\n$7\r\nPUBLISH\r\n$4294967295\r\n\r\n$4294967295\r\n") + \
				 OFF_EDGEX_TOPIC_MAX)

struct off_edgex {
	struct off_cfg_edgex cfg;
	struct io_uring *ring;
	enum off_edgex_state state;
	struct off_edgex_poll rd, wr;
	int fd;				/* the client's socket; -1: none */
	void *client;			/* struct mosquitto or redisAsyncContext */
	bool lost;			/* a client callback saw the connection end */
	uint64_t retry_ns, deadline_ns;	/* next connect; end of the one under way */
	uint32_t backoff_ms, tick_ms;
	int nwl, npeers;
	struct off_edgex_seen *seen;	/* nwl workloads, then npeers peers */
	struct off_edgex_memo *memo;	/* the same */
	struct off_edgex_pending pend;
	struct off_edgex_fmt fmt;
	uint64_t published, connects;
	uint64_t dropped[OFF_EDGEX_DROP_KINDS];
	uint64_t ns_last, ns_sum, ticks;	/* the publisher's own time in ticks */
	uint64_t cpu_ns_sum;		/* its CPU time, in ticks and on the loop */
	char topic[OFF_EDGEX_TOPIC_MAX];
	/* The envelope, formatted at OFF_EDGEX_HEAD: Redis's command header
	 * goes in front of it, and its CRLF after, with no copy. */
	char out[OFF_EDGEX_HEAD + OFF_EDGEX_MSG_MAX + 2];
};

/* Off (x->cfg.line 0) unless the configuration has [edgex]. */
int off_edgex_init(struct off_edgex *x, const struct off_config *c, struct io_uring *ring, char *err,
		   size_t errlen);
void off_edgex_free(struct off_edgex *x);
/* After a tick's decisions: connects or reconnects when due, then
 * publishes the tick's events, or drops and counts them. */
void off_edgex_tick(struct off_edgex *x, const struct off_daemon *d);
/* Handles a completion of one of its polls; 1 if it was one. */
int off_edgex_complete(struct io_uring_cqe *cqe);

/* For the bus clients (mqtt.c, redis.c). */
void off_edgex_arm(struct off_edgex *x, struct off_edgex_poll *p);
/* Cancels both polls: before the client closes its socket, which a poll in
 * flight would otherwise keep open. */
void off_edgex_cancel(struct off_edgex *x);
void off_edgex_connected(struct off_edgex *x);
/* At a tick: handles a lost connection, a connect timed out or due. */
void off_edgex_manage(struct off_edgex *x, uint64_t now);
/* After publishing: polls for writing what the client has queued. */
void off_edgex_flush(struct off_edgex *x);
/* The event in x->topic and at OFF_EDGEX_MSG(x): sent, or queued while
 * the connect is under way; 0, or -errno (the event is dropped). */
#define OFF_EDGEX_MSG(x)	((x)->out + OFF_EDGEX_HEAD)
int off_edgex_send(struct off_edgex *x, size_t tlen, size_t len);

/* pending.c: events held while connecting. */
int off_edgex_pend(struct off_edgex *x, size_t tlen, size_t len);
/* Once connected: sends them all. */
void off_edgex_pend_send(struct off_edgex *x);
/* The connect failed: they are dropped, counted, and change mode sends
 * each source again. */
void off_edgex_pend_drop(struct off_edgex *x);

int off_mqtt_connect(struct off_edgex *x);
int off_mqtt_publish(struct off_edgex *x, size_t len);
bool off_mqtt_backlogged(struct off_edgex *x);
void off_mqtt_ready(struct off_edgex *x, unsigned int events);
void off_mqtt_tick(struct off_edgex *x);
void off_mqtt_close(struct off_edgex *x);

int off_redis_connect(struct off_edgex *x);
int off_redis_publish(struct off_edgex *x, size_t tlen, size_t len);
bool off_redis_backlogged(struct off_edgex *x);
void off_redis_ready(struct off_edgex *x, unsigned int events);
void off_redis_close(struct off_edgex *x);

#endif
