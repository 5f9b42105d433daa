/* SPDX-License-Identifier: GPL-2.0 */
/* Request/reply listeners on the daemon's io_uring loop: the control socket
 * (one JSON line each way) and the peer-status HTTP endpoint. */
#ifndef OFFLOAD_AGENT_LISTENER_H
#define OFFLOAD_AGENT_LISTENER_H

#include <liburing.h>
#include <stddef.h>

#define OFF_LISTEN_MAX_MSG	4096		/* a request */
#define OFF_LISTEN_MAX_REPLY	(16u << 20)	/* touched only as far as written */
#define OFF_LISTEN_MAX_CONNS	64		/* per listener; more are closed at once */
#define OFF_LISTEN_MAX_HEADERS	64		/* lines of an HTTP request */
#define OFF_LISTEN_DEADLINE_MS	3000		/* from accept to the last byte sent */

/* Produces the reply for one request into out (NUL-terminated). */
typedef void (*off_listen_handler)(void *user, const char *req, char *out, size_t outlen);

struct off_listener {
	int lfd;
	char path[108];		/* UNIX socket to unlink at close, if any */
	const char *end;	/* a request is complete when this arrives */
	off_listen_handler handle;
	void *user;
	int nconns;
	unsigned long long refused, timed_out;
};

struct off_listen_conn {
	struct off_listener *owner;
	int fd, len;
	char buf[OFF_LISTEN_MAX_MSG];
	char *out;
	size_t outlen, sent;
	struct __kernel_timespec deadline;	/* CLOCK_MONOTONIC */
};

/* A UNIX socket at PATH, mode 0600 (or 0660 and owned by GROUP, if not
 * NULL), requests ending in a newline. */
int off_listen_unix(struct off_listener *l, const char *path, const char *group,
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
/* Handles a completion of any listener; 1 if it was one. Daemon events use
 * user_data below OFF_LISTEN_BASE. */
#define OFF_LISTEN_BASE 0x100
int off_listen_complete(struct io_uring *ring, struct io_uring_cqe *cqe);

#endif
