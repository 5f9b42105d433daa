/* SPDX-License-Identifier: GPL-2.0 */
/* Name resolution without blocking the loop: c-ares, its sockets polled
 * on the daemon's io_uring and its timeouts checked each tick. */
#ifndef OFFLOAD_AGENT_SERVE_DNSRES_H
#define OFFLOAD_AGENT_SERVE_DNSRES_H

#include <ares.h>
#include <liburing.h>
#include <stdint.h>

/* user_data of its polls: below the listeners' OFF_LISTEN_BASE, above the
 * loop's own events. */
#define OFF_DNS_EV_BASE		0x40
#define OFF_DNS_EV_END		(OFF_DNS_EV_BASE + ARES_GETSOCK_MAXNUM)

enum off_dns_poll_state { OFF_DNS_FREE, OFF_DNS_ARMED, OFF_DNS_CANCELLING };

struct off_dns_poll {
	int fd;
	unsigned int events;		/* POLLIN, POLLOUT */
	enum off_dns_poll_state state;
};

struct off_dns {
	ares_channel ch;
	int ready;
	struct io_uring *ring;
	struct off_dns_poll poll[ARES_GETSOCK_MAXNUM];
};

/* server: "" for /etc/resolv.conf's, else ip, ip:port or [ip6]:port.
 * 0, or -errno with the reason in err. */
int off_dns_init(struct off_dns *r, struct io_uring *ring, const char *server, char *err,
		 size_t errlen);
void off_dns_free(struct off_dns *r);
/* Every address of name; cb runs from off_dns_tick or off_dns_complete
 * (or at once, for a name c-ares refuses). */
void off_dns_resolve(struct off_dns *r, const char *name, ares_addrinfo_callback cb, void *arg);
/* Expires the queries that timed out. */
void off_dns_tick(struct off_dns *r);
/* Handles one of its polls' completions; 1 if it was one. */
int off_dns_complete(struct off_dns *r, struct io_uring_cqe *cqe);

#endif
