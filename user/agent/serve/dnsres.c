// SPDX-License-Identifier: GPL-2.0
/* c-ares tells which of its sockets it waits on (ares_getsock); each gets a
 * one-shot io_uring poll, and a completion hands the socket back to
 * ares_process_fd. A socket c-ares no longer wants has its poll removed;
 * one it opened anew on a reused fd number has the old file's poll removed
 * first, so a poll never outlives the socket it was armed for. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "agent/serve/dnsres.h"
#include "agent/serve/ring.h"

static void cancel(struct off_dns *r, int i)
{
	struct io_uring_sqe *sqe = off_ring_sqe(r->ring, 1);

	io_uring_prep_poll_remove(sqe, OFF_DNS_EV_BASE + i);
	io_uring_sqe_set_data64(sqe, OFF_DNS_EV_END);	/* the removal's own: ignored */
	r->poll[i].state = OFF_DNS_CANCELLING;
}

static void arm(struct off_dns *r, int fd, unsigned int events)
{
	for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
		struct io_uring_sqe *sqe;

		if (r->poll[i].state != OFF_DNS_FREE)
			continue;
		r->poll[i] = (struct off_dns_poll){ .fd = fd, .events = events, .state = OFF_DNS_ARMED };
		sqe = off_ring_sqe(r->ring, 1);
		io_uring_prep_poll_add(sqe, fd, events);
		io_uring_sqe_set_data64(sqe, OFF_DNS_EV_BASE + i);
		return;
	}
	/* Cannot be: c-ares waits on at most ARES_GETSOCK_MAXNUM sockets,
	 * and a slot being cancelled frees at its completion. The tick's
	 * timeout processing still ends such a query. */
	fprintf(stderr, "offloadd: dns: no poll slot for socket %d\n", fd);
}

/* Polls match what c-ares waits on now. */
static void sync_polls(struct off_dns *r)
{
	ares_socket_t socks[ARES_GETSOCK_MAXNUM];
	unsigned int want[ARES_GETSOCK_MAXNUM] = {};
	int bits = ares_getsock(r->ch, socks, ARES_GETSOCK_MAXNUM);

	/* Not ARES_GETSOCK_WRITABLE: for the last socket, it shifts an int's
	 * 1 into the sign bit. */
	for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++)
		want[i] = ((unsigned int)bits >> i & 1 ? POLLIN : 0) |
			  ((unsigned int)bits >> (i + ARES_GETSOCK_MAXNUM) & 1 ? POLLOUT : 0);
	for (int j = 0; j < ARES_GETSOCK_MAXNUM; j++) {
		struct off_dns_poll *p = &r->poll[j];
		int keep = 0;

		for (int i = 0; p->state == OFF_DNS_ARMED && i < ARES_GETSOCK_MAXNUM; i++)
			if (want[i] && socks[i] == p->fd && want[i] == p->events) {
				want[i] = 0;	/* armed already */
				keep = 1;
			}
		if (p->state == OFF_DNS_ARMED && !keep)
			cancel(r, j);
	}
	for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++)
		if (want[i])
			arm(r, socks[i], want[i]);
}

/* A new socket may have the number of a closed one still polled. */
static int on_socket(ares_socket_t fd, int type, void *arg)
{
	struct off_dns *r = arg;

	(void)type;
	for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++)
		if (r->poll[i].state == OFF_DNS_ARMED && r->poll[i].fd == fd)
			cancel(r, i);
	return ARES_SUCCESS;
}

int off_dns_init(struct off_dns *r, struct io_uring *ring, const char *server, char *err,
		 size_t errlen)
{
	/* A query is over in 1.5 s (a try of 500 ms, then one of twice that):
	 * discovery asks again soon, and a cluster's DNS is near. DNS only:
	 * c-ares would read /etc/hosts in the tick, blocking, at each lookup. */
	struct ares_options o = { .timeout = 500, .tries = 2, .lookups = (char *)"b" };
	int ret;

	memset(r, 0, sizeof(*r));
	r->ring = ring;
	ret = ares_library_init(ARES_LIB_INIT_ALL);
	if (!ret)
		ret = ares_init_options(&r->ch, &o, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_LOOKUPS);
	if (!ret && server[0])
		ret = ares_set_servers_ports_csv(r->ch, server);
	if (ret) {
		snprintf(err, errlen, "dns: %s", ares_strerror(ret));
		if (r->ch)
			ares_destroy(r->ch);
		r->ch = NULL;
		return -EINVAL;
	}
	ares_set_socket_callback(r->ch, on_socket, r);
	r->ready = 1;
	return 0;
}

void off_dns_free(struct off_dns *r)
{
	if (!r->ready)
		return;
	/* Queries still out complete with ARES_EDESTRUCTION first. */
	ares_destroy(r->ch);
	ares_library_cleanup();
	r->ready = 0;
}

void off_dns_resolve(struct off_dns *r, const char *name, ares_addrinfo_callback cb, void *arg)
{
	struct ares_addrinfo_hints h = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };

	ares_getaddrinfo(r->ch, name, NULL, &h, cb, arg);
	sync_polls(r);
}

void off_dns_tick(struct off_dns *r)
{
	if (!r->ready)
		return;
	ares_process_fd(r->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	sync_polls(r);
}

int off_dns_complete(struct off_dns *r, struct io_uring_cqe *cqe)
{
	uint64_t ev = io_uring_cqe_get_data64(cqe);
	struct off_dns_poll *p;
	ares_socket_t rfd = ARES_SOCKET_BAD, wfd = ARES_SOCKET_BAD;

	if (ev < OFF_DNS_EV_BASE || ev > OFF_DNS_EV_END)
		return 0;
	if (ev == OFF_DNS_EV_END || !r->ready)
		return 1;
	p = &r->poll[ev - OFF_DNS_EV_BASE];
	if (p->state != OFF_DNS_ARMED) {
		p->state = OFF_DNS_FREE;	/* cancelled: the socket is not ours to read */
		return 1;
	}
	p->state = OFF_DNS_FREE;
	if (cqe->res > 0 && (cqe->res & (POLLIN | POLLERR | POLLHUP)))
		rfd = p->fd;
	if (cqe->res > 0 && (cqe->res & POLLOUT))
		wfd = p->fd;
	if (rfd != ARES_SOCKET_BAD || wfd != ARES_SOCKET_BAD)
		ares_process_fd(r->ch, rfd, wfd);
	sync_polls(r);
	return 1;
}
