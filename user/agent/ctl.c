// SPDX-License-Identifier: GPL-2.0
/* Accept, read one request, answer, close: each step an io_uring operation,
 * so a slow client never blocks the tick. Requests are capped in size. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/ctl.h"

/* Completions carry a tag in the low bits of user_data: the connection
 * pointer (8-byte aligned) or nothing, for accept. */
enum { TAG_ACCEPT = 3, TAG_RECV = 4, TAG_SEND = 5, TAG_CLOSE = 6, TAG_MASK = 7 };

#define CTL_BASE 0x100	/* user_data below this belongs to the daemon */

int off_ctl_listen(struct off_ctl *c, const char *path, off_ctl_handler h, void *user,
		   char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[sizeof(sa.sun_path)], *slash;
	mode_t old;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "%s: control socket path too long", path);
		return -ENAMETOOLONG;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755);
	}
	c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unlink(path);	/* a stale socket of a dead agent */
	old = umask(0177);
	if (c->lfd < 0 || bind(c->lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(c->lfd, 16)) {
		umask(old);
		snprintf(err, errlen, "%s: cannot listen: %s", path, strerror(errno));
		if (c->lfd >= 0)
			close(c->lfd);
		c->lfd = -1;
		return -errno;
	}
	umask(old);
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->handle = h;
	c->user = user;
	return 0;
}

void off_ctl_close(struct off_ctl *c)
{
	if (c->lfd < 0)
		return;
	close(c->lfd);
	unlink(c->path);
	c->lfd = -1;
}

static void submit(struct io_uring *ring, struct off_ctl_conn *conn, int tag,
		   void (*prep)(struct io_uring_sqe *, struct off_ctl_conn *))
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	prep(sqe, conn);
	io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)conn | tag);
}

static void prep_recv(struct io_uring_sqe *sqe, struct off_ctl_conn *c)
{
	io_uring_prep_recv(sqe, c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len, 0);
}

static void prep_send(struct io_uring_sqe *sqe, struct off_ctl_conn *c)
{
	io_uring_prep_send(sqe, c->fd, c->buf, c->len, MSG_NOSIGNAL);
}

static void prep_close(struct io_uring_sqe *sqe, struct off_ctl_conn *c)
{
	io_uring_prep_close(sqe, c->fd);
}

void off_ctl_arm_accept(struct off_ctl *c, struct io_uring *ring)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	io_uring_prep_accept(sqe, c->lfd, NULL, NULL, SOCK_CLOEXEC);
	io_uring_sqe_set_data64(sqe, CTL_BASE | TAG_ACCEPT);
}

static void on_recv(struct off_ctl *c, struct io_uring *ring, struct off_ctl_conn *conn, int res)
{
	char reply[OFF_CTL_MAX_MSG];

	if (res <= 0) {
		submit(ring, conn, TAG_CLOSE, prep_close);
		return;
	}
	conn->len += res;
	conn->buf[conn->len] = '\0';
	if (!memchr(conn->buf, '\n', conn->len) && conn->len < (int)sizeof(conn->buf) - 1) {
		submit(ring, conn, TAG_RECV, prep_recv);	/* the rest of the line */
		return;
	}
	if (!memchr(conn->buf, '\n', conn->len))
		snprintf(reply, sizeof(reply), "{\"ok\":false,\"error\":\"request too long\"}");
	else
		c->handle(c->user, conn->buf, reply, sizeof(reply));
	conn->len = snprintf(conn->buf, sizeof(conn->buf), "%s\n", reply);
	if (conn->len >= (int)sizeof(conn->buf))
		conn->len = sizeof(conn->buf) - 1;
	submit(ring, conn, TAG_SEND, prep_send);
}

int off_ctl_complete(struct off_ctl *c, struct io_uring *ring, struct io_uring_cqe *cqe)
{
	uint64_t data = io_uring_cqe_get_data64(cqe);
	struct off_ctl_conn *conn = (struct off_ctl_conn *)(uintptr_t)(data & ~(uint64_t)TAG_MASK);
	int tag = data & TAG_MASK;

	if (data < CTL_BASE)
		return 0;
	if (data == (CTL_BASE | TAG_ACCEPT)) {
		if (cqe->res >= 0 && (conn = calloc(1, sizeof(*conn)))) {
			conn->fd = cqe->res;
			submit(ring, conn, TAG_RECV, prep_recv);
		} else if (cqe->res >= 0) {
			close(cqe->res);
		}
		off_ctl_arm_accept(c, ring);
		return 1;
	}
	switch (tag) {
	case TAG_RECV:
		on_recv(c, ring, conn, cqe->res);
		break;
	case TAG_SEND:
		submit(ring, conn, TAG_CLOSE, prep_close);
		break;
	case TAG_CLOSE:
		free(conn);
		break;
	default:
		return 0;
	}
	return 1;
}
