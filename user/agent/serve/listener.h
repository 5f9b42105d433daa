/* SPDX-License-Identifier: GPL-2.0 */
/* Request/reply listeners on the daemon's io_uring loop: the control socket
 * (one JSON line each way) and the peer-status HTTP endpoint. */
#ifndef OFFLOAD_AGENT_SERVE_LISTENER_H
#define OFFLOAD_AGENT_SERVE_LISTENER_H

#include <liburing.h>
#include <openssl/types.h>
#include <stddef.h>
#include <sys/socket.h>

#define OFF_LISTEN_MAX_MSG	4096		/* a request */
#define OFF_LISTEN_MAX_REPLY	(16u << 20)	/* replies are allocated to their size */
#define OFF_LISTEN_MAX_CONNS	64		/* per listener; more are closed at once */
/* Per source address, under the total: systemd's MaxConnectionsPerSource=
 * bounds sockets the same way. One host can then hold an eighth of a
 * listener, no more, and 8 still leaves room for a peer's probe, a scrape
 * and an operator's curl from one address at once. */
#define OFF_LISTEN_MAX_PER_SOURCE 8
#define OFF_LISTEN_MAX_HEADERS	64		/* lines of an HTTP request */
#define OFF_LISTEN_DEADLINE_MS	3000		/* from accept to the last byte sent */

/* A reply, shared by reference: /metrics renders once per tick for every
 * scraper. data is NUL-terminated past len. */
struct off_reply {
	unsigned int refs;
	size_t len;
	char data[];
};

/* A reply of len bytes (one reference), data to be filled; NULL if out of
 * memory or over OFF_LISTEN_MAX_REPLY. */
struct off_reply *off_reply_alloc(size_t len);
/* A copy of the string s. */
struct off_reply *off_reply_str(const char *s);
struct off_reply *off_reply_get(struct off_reply *r);
void off_reply_put(struct off_reply *r);

/* The reply to one request, or NULL to close without one; admin: the
 * client may change things (root, or in the admin group); src: its
 * address (AF_UNIX on the control socket). */
typedef struct off_reply *(*off_listen_handler)(void *user, const char *req, int admin,
						const struct sockaddr_storage *src);

struct off_tls_conn;

struct off_listener {
	int lfd;
	char path[108];		/* UNIX socket to unlink at close, if any */
	const char *end;	/* a request is complete when this arrives */
	off_listen_handler handle;
	void *user;
	int nconns;
	struct off_listen_conn *conns[OFF_LISTEN_MAX_CONNS];
	struct sockaddr_storage src;	/* of the accept in flight */
	socklen_t srclen;
	int paused;		/* accept failed: re-armed at the next tick */
	int admin_gid;		/* -1: none; TCP clients are never admins */
	SSL_CTX *tls;		/* not NULL: mutual TLS (the daemon's) */
	unsigned long long refused, refused_source, timed_out, accept_errors, tls_refused;
};

struct off_listen_conn {
	struct off_listener *owner;
	int fd, len, slot;		/* slot: in owner->conns */
	int admin;
	struct sockaddr_storage src;
	char buf[OFF_LISTEN_MAX_MSG];
	struct off_reply *out;
	size_t sent;
	struct off_tls_conn *tls;	/* NULL: plain */
	int then_recv;			/* out is a handshake flight, not the reply */
	struct __kernel_timespec deadline;	/* CLOCK_MONOTONIC */
};

/* A UNIX socket at PATH, mode 0600 (or 0660 and owned by GROUP, if not
 * ""), requests ending in a newline. Clients that are root, the agent's
 * user or in ADMIN (if not "") are admins. */
int off_listen_unix(struct off_listener *l, const char *path, const char *group, const char *admin,
		    off_listen_handler h, void *user, char *err, size_t errlen);
/* A TCP socket on ADDR ("ip:port" or "[ip6]:port"), requests ending in a
 * blank line (HTTP). */
int off_listen_tcp(struct off_listener *l, const char *addr, off_listen_handler h, void *user,
		   char *err, size_t errlen);
void off_listen_close(struct off_listener *l);

enum off_req { OFF_REQ_PARTIAL, OFF_REQ_COMPLETE, OFF_REQ_TOO_LONG, OFF_REQ_TOO_MANY_HEADERS };
/* Where a request in buf (NUL-terminated, len bytes so far) stands. */
enum off_req off_listen_check(const struct off_listener *l, const char *buf, size_t len);
void off_listen_arm(struct off_listener *l, struct io_uring *ring);
/* Each tick: re-arms a listener whose accept failed. */
void off_listen_tick(struct off_listener *l, struct io_uring *ring);
/* Handles a completion of any listener; 1 if it was one. Daemon events use
 * user_data below OFF_LISTEN_BASE. */
#define OFF_LISTEN_BASE 0x100
int off_listen_complete(struct io_uring *ring, struct io_uring_cqe *cqe);

#endif
