// SPDX-License-Identifier: GPL-2.0
/* Probes are connect -> send -> recv until EOF, each step bounded by a
 * linked timeout, so a dead or slow peer costs a failed probe and never
 * a blocked tick. With TLS the sends and receives carry the handshake's
 * flights too, and the reply counts only once the peer's certificate was
 * verified and its close_notify arrived. Replies are capped and parsed
 * strictly: peers are not trusted. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "agent/config/parse.h"
#include "agent/serve/listener.h"
#include "agent/serve/peers.h"
#include "agent/serve/ring.h"
#include "lib/clock.h"

/* user_data: peer pointer | tag. Tags 1 and 2 are not the listener's. */
enum { TAG_OP = 1, TAG_TIMEOUT = 2, TAG_MASK = 7 };
enum { STEP_CONNECT, STEP_SEND, STEP_RECV };

static const char req[] = "GET /status HTTP/1.1\r\nHost: offloadd\r\nConnection: close\r\n\r\n";

void off_peers_configure(struct off_peers *ps, const struct off_config *c)
{
	ps->down_after = c->peer_down_after;
	ps->timeout_ms = c->probe_timeout_ms;
	/* A probe ends before the next tick would start the next one: a
	 * peer trickling a byte now and then must fail, not stay up on the
	 * status of long ago. */
	ps->budget_ms = c->tick_ms - c->tick_ms / 10;
}

static void probe_end(struct off_peer *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	off_tls_conn_free(p->tls);
	p->tls = NULL;
	off_reply_put(p->out);
	p->out = NULL;
}

void off_peers_set(struct off_peers *ps, int i, const struct off_config *c)
{
	struct off_peer *p = &ps->p[i];
	struct off_endpoint ep = {};

	if (p->cfg)
		probe_end(p);	/* a slot never set has fd 0, not -1: not ours */
	memset(p, 0, sizeof(*p));
	p->cfg = &c->peers[i];
	p->fd = -1;
	/* Plain: up until probes say otherwise, so decisions apply at once.
	 * Mutual TLS: up only once a reply was verified. A peer found by DNS
	 * is used only once it has answered. */
	p->up = c->peers[i].origin == OFF_PEER_CONFIGURED && (!ps->tls || !p->cfg->status_port);
	memcpy(ep.addr, c->peers[i].addr, sizeof(ep.addr));
	ep.port = c->peers[i].status_port;
	off_endpoint_sockaddr(&ep, &p->addr);
}

int off_peers_init(struct off_peers *ps, const struct off_config *c, SSL_CTX *tls)
{
	int room = c->dns.name[0] ? OFF_CFG_MAX_PEERS : c->npeers;

	ps->n = c->npeers;
	ps->tls = tls;
	off_peers_configure(ps, c);
	ps->p = calloc(room ? room : 1, sizeof(*ps->p));
	if (!ps->p)
		return -ENOMEM;
	for (int i = 0; i < c->npeers; i++)
		off_peers_set(ps, i, c);
	return 0;
}

void off_peers_free(struct off_peers *ps)
{
	for (int i = 0; i < ps->n; i++)
		probe_end(&ps->p[i]);
	free(ps->p);
	ps->p = NULL;
}

static void outcome(struct off_peers *ps, struct off_peer *p, const char *why)
{
	probe_end(p);
	if (!why) {
		p->answered = true;
		p->fails = 0;
		if (p->cfg->origin != OFF_PEER_CONFIGURED && p->cfg->origin != OFF_PEER_ACTIVE)
			return;		/* discovery's to take on, or out of use */
		if (!p->up)
			fprintf(stderr, "offloadd: peer %s is up%s (rtt %.0f us)\n", p->cfg->name,
				p->down_logged ? " again" : "", p->rtt_us);
		p->up = true;
		p->down_logged = false;
		return;
	}
	snprintf(p->why, sizeof(p->why), "%s", why);
	/* Logged once a run, also for a TLS peer never up: why it is refused. */
	if (++p->fails >= ps->down_after && !p->down_logged && p->cfg->origin != OFF_PEER_PENDING) {
		p->up = false;
		p->down_logged = true;
		fprintf(stderr, "offloadd: peer %s is down after %u failed probes: %s\n", p->cfg->name,
			p->fails, why);
	}
}

/* Bounds the operation in sqe by the step timeout and the probe's deadline. */
static void op(struct off_peers *ps, struct io_uring *ring, struct off_peer *p,
	       struct io_uring_sqe *sqe)
{
	uint64_t step = off_mono_ns() + ps->timeout_ms * 1000000ULL;
	uint64_t end = p->started_ns + ps->budget_ms * 1000000ULL;
	struct io_uring_sqe *t;

	if (end < step)
		step = end;
	p->timeout.tv_sec = step / 1000000000;
	p->timeout.tv_nsec = step % 1000000000;
	io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)p | TAG_OP);
	sqe->flags |= IOSQE_IO_LINK;
	t = off_ring_sqe(ring, 1);
	io_uring_prep_link_timeout(t, &p->timeout, IORING_TIMEOUT_ABS);
	io_uring_sqe_set_data64(t, (uint64_t)(uintptr_t)p | TAG_TIMEOUT);
}

void off_peers_tick(struct off_peers *ps, struct io_uring *ring)
{
	for (int i = 0; i < ps->n; i++) {
		struct off_peer *p = &ps->p[i];
		struct io_uring_sqe *sqe;

		if (p->fd >= 0 || !p->cfg->status_port || p->cfg->origin == OFF_PEER_DRAINING ||
		    p->cfg->origin == OFF_PEER_FREE)
			continue;	/* in flight (its timeout ends it), or not probed */
		p->fd = socket(p->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (p->fd < 0) {
			/* Not probed is not answered: skipping it kept the peer
			 * up on stale status for as long as fds ran short. */
			char msg[160];

			snprintf(msg, sizeof(msg), "cannot open a probe socket: %s", strerror(errno));
			outcome(ps, p, msg);
			continue;
		}
		p->len = 0;
		p->step = STEP_CONNECT;
		p->asked = false;
		p->started_ns = off_mono_ns();
		sqe = off_ring_sqe(ring, 2);
		io_uring_prep_connect(sqe, p->fd, (struct sockaddr *)&p->addr, sizeof(p->addr));
		op(ps, ring, p, sqe);
	}
}

/* The whole reply: "" if it is a good status, else why not. */
static const char *finish(struct off_peer *p, char *err, size_t errlen)
{
	char *body;

	p->buf[p->len] = '\0';		/* before searching: the last reply's bytes lie past it */
	body = strstr(p->buf, "\r\n\r\n");
	if (strncmp(p->buf, "HTTP/1.1 200 ", 13) && strncmp(p->buf, "HTTP/1.0 200 ", 13))
		return "status: not HTTP 200";
	if (!body)
		return "status: no HTTP body";
	body += 4;
	if (off_peer_status_parse(body, p->len - (body - p->buf), &p->st, err, errlen))
		return err;
	return "";
}

/* Sends (the rest of) p->out; once it is out, step() receives. */
static void send_out(struct off_peers *ps, struct io_uring *ring, struct off_peer *p)
{
	struct io_uring_sqe *sqe = off_ring_sqe(ring, 2);

	p->step = STEP_SEND;
	io_uring_prep_send(sqe, p->fd, p->out->data + p->sent, p->out->len - p->sent, MSG_NOSIGNAL);
	op(ps, ring, p, sqe);
}

static void recv_more(struct off_peers *ps, struct io_uring *ring, struct off_peer *p)
{
	struct io_uring_sqe *sqe = off_ring_sqe(ring, 2);

	p->step = STEP_RECV;
	if (p->tls)
		io_uring_prep_recv(sqe, p->fd, off_tls_raw(p->tls), OFF_TLS_RAW, 0);
	else
		io_uring_prep_recv(sqe, p->fd, p->buf + p->len, OFF_PEER_MAX_REPLY - p->len, 0);
	op(ps, ring, p, sqe);
}

/* Connected: the connect time is the RTT sample; ask (plain) or say hello
 * (TLS), then read the reply to EOF (the peer closes after answering). */
static const char *connected(struct off_peers *ps, struct io_uring *ring, struct off_peer *p)
{
	double rtt = (off_mono_ns() - p->started_ns) / 1e3;

	/* RFC 3550's interarrival jitter, on successive RTT samples. */
	if (p->rtt_us)
		p->rtt_jitter_us += (fabs(rtt - p->rtt_us) - p->rtt_jitter_us) / 16;
	p->rtt_us = rtt;
	if (ps->tls) {
		p->tls = off_tls_client(ps->tls, p->cfg->tls_name[0] ? p->cfg->tls_name : p->cfg->name);
		p->out = p->tls ? off_tls_flight(p->tls) : NULL;
		if (!p->out)
			return "tls: out of memory";
		p->sent = 0;
		send_out(ps, ring, p);
		return NULL;
	}
	if (send(p->fd, req, sizeof(req) - 1, MSG_NOSIGNAL) != sizeof(req) - 1)
		return "cannot send the request";
	recv_more(ps, ring, p);
	return NULL;
}

/* Ciphertext arrived (n bytes, 0 at EOF): the handshake's next flight or
 * the request to send, more to read, or the verified reply to parse. */
static const char *tls_read(struct off_peers *ps, struct io_uring *ring, struct off_peer *p, int n,
			    char *err, size_t errlen)
{
	int ret = off_tls_take(p->tls, n, p->buf, &p->len, OFF_PEER_MAX_REPLY);

	if (ret == -EFBIG)
		return "status: reply too large";
	if (ret < 0) {
		snprintf(err, errlen, "tls: %s", off_tls_why(p->tls));
		return err;
	}
	if (off_tls_ready(p->tls) && !p->asked) {
		p->asked = true;
		if (off_tls_put(p->tls, req, sizeof(req) - 1)) {
			snprintf(err, errlen, "tls: %s", off_tls_why(p->tls));
			return err;
		}
	}
	if ((p->out = off_tls_flight(p->tls))) {
		p->sent = 0;
		send_out(ps, ring, p);
	} else if (ret == OFF_TLS_CLOSED) {
		return finish(p, err, errlen);
	} else {
		recv_more(ps, ring, p);
	}
	return NULL;
}

/* One completed step of p's probe: NULL while it goes on, "" when it
 * ended well, else why it failed. */
static const char *step(struct off_peers *ps, struct io_uring *ring, struct off_peer *p, int res,
			char *err, size_t errlen)
{
	if (res < 0) {
		snprintf(err, errlen, "%s", res == -ECANCELED ? "timed out" : strerror(-res));
		return err;
	}
	if (p->step == STEP_CONNECT)
		return connected(ps, ring, p);
	if (p->step == STEP_SEND) {
		p->sent += res;
		if (p->sent < p->out->len) {
			send_out(ps, ring, p);
			return NULL;
		}
		off_reply_put(p->out);
		p->out = NULL;
		recv_more(ps, ring, p);
		return NULL;
	}
	if (p->tls)
		return tls_read(ps, ring, p, res, err, errlen);
	if (!res)
		return finish(p, err, errlen);
	p->len += res;
	if (p->len >= OFF_PEER_MAX_REPLY)
		return "status: reply too large";
	recv_more(ps, ring, p);
	return NULL;
}

int off_peers_complete(struct off_peers *ps, struct io_uring *ring, struct io_uring_cqe *cqe)
{
	uint64_t data = io_uring_cqe_get_data64(cqe);
	struct off_peer *p = (struct off_peer *)(uintptr_t)(data & ~(uint64_t)TAG_MASK);
	char err[256];
	const char *why;

	if (data < OFF_LISTEN_BASE || (data & TAG_MASK) > TAG_TIMEOUT)
		return 0;
	if (p < ps->p || p >= ps->p + ps->n)
		return 0;
	if ((data & TAG_MASK) == TAG_TIMEOUT || p->fd < 0)
		return 1;
	why = step(ps, ring, p, cqe->res, err, sizeof(err));
	if (why)
		outcome(ps, p, why[0] ? why : NULL);
	return 1;
}
