// SPDX-License-Identifier: GPL-2.0
/* Accept, read one request, answer, close: each step an io_uring operation,
 * so a slow client never blocks the tick. Requests are capped in size and
 * header lines, connections in number (in all and per source address), and
 * each one has a deadline from accept to the last byte sent: a client too
 * slow for it is dropped. Replies are allocated to their size and shared.
 * With mutual TLS (peer status), the same receives and sends carry the
 * handshake's flights, and a client without the CA's certificate gets an
 * alert and is closed before its request is read. */
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "agent/serve/listener.h"
#include "agent/serve/ring.h"
#include "agent/serve/tls.h"
#include "lib/clock.h"

/* Completions carry a tag in the low bits of user_data, above an 8-byte
 * aligned pointer: the listener for accept, else the connection. */
enum { TAG_TIMEOUT = 2, TAG_ACCEPT = 3, TAG_RECV = 4, TAG_SEND = 5, TAG_CLOSE = 6, TAG_MASK = 7 };

/* The operators' group may use the socket too: 0660, owned by it. */
static __attribute__((noinline)) int share(const char *path, const char *group, char *err,
						   size_t errlen)
{
	struct group *g = getgrnam(group);

	if (!g) {
		snprintf(err, errlen, "ctl_group: no such group \"%s\"", group);
		return -ENOENT;
	}
	if (chown(path, -1, g->gr_gid) || chmod(path, 0660)) {
		snprintf(err, errlen, "%s: cannot give it to group %s: %s", path, group, strerror(errno));
		return -errno;
	}
	return 0;
}

/* The gid of the group that may change things, or -1. */
static int admin_group(const char *group, char *err, size_t errlen)
{
	struct group *g;

	if (!group[0])
		return -1;
	g = getgrnam(group);
	if (!g) {
		snprintf(err, errlen, "ctl_admin_group: no such group \"%s\"", group);
		return -ENOENT;
	}
	return g->gr_gid;
}

int off_listen_unix(struct off_listener *c, const char *path, const char *group, const char *admin,
		    off_listen_handler h, void *user, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[sizeof(sa.sun_path)], *slash;
	mode_t old;

	c->admin_gid = admin_group(admin, err, errlen);
	if (c->admin_gid == -ENOENT)
		return -ENOENT;
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
	/* A socket that answers belongs to a live agent: never take over its
	 * pins. One that does not is a dead agent's, and ours to replace. */
	if (c->lfd >= 0 && !connect(c->lfd, (struct sockaddr *)&sa, sizeof(sa))) {
		snprintf(err, errlen, "%s: another offloadd is running (its control socket answers)", path);
		close(c->lfd);
		c->lfd = -1;
		return -EBUSY;
	}
	close(c->lfd);
	c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unlink(path);
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
	if (group && group[0]) {
		int ret = share(path, group, err, errlen);

		if (ret) {
			close(c->lfd);
			c->lfd = -1;
			unlink(path);
			return ret;
		}
	}
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->end = "\n";
	c->handle = h;
	c->user = user;
	return 0;
}

int off_listen_tcp(struct off_listener *l, const char *addr, off_listen_handler h, void *user,
		   char *err, size_t errlen)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	char host[64];
	const char *colon = strrchr(addr, ':');
	int one = 1, port = colon ? atoi(colon + 1) : 0;

	snprintf(host, sizeof(host), "%.*s", colon ? (int)(colon - addr) : 0, addr);
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
	} else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
	}
	if (!ss.ss_family || port < 1 || port > 65535) {
		snprintf(err, errlen, "%s: expected ip:port or [ip6]:port", addr);
		return -EINVAL;
	}
	l->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(l->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (l->lfd < 0 || bind(l->lfd, (struct sockaddr *)&ss, sizeof(ss)) || listen(l->lfd, 64)) {
		snprintf(err, errlen, "%s: cannot listen: %s", addr, strerror(errno));
		if (l->lfd >= 0)
			close(l->lfd);
		l->lfd = -1;
		return -errno;
	}
	l->path[0] = '\0';
	l->admin_gid = -1;
	l->end = "\r\n\r\n";
	l->handle = h;
	l->user = user;
	return 0;
}

void off_listen_close(struct off_listener *c)
{
	if (c->lfd < 0)
		return;
	close(c->lfd);
	if (c->path[0])
		unlink(c->path);
	c->lfd = -1;
}

struct off_reply *off_reply_alloc(size_t len)
{
	struct off_reply *r = len <= OFF_LISTEN_MAX_REPLY ? malloc(sizeof(*r) + len + 1) : NULL;

	if (!r)
		return NULL;
	r->refs = 1;
	r->len = len;
	r->data[len] = '\0';
	return r;
}

struct off_reply *off_reply_str(const char *s)
{
	struct off_reply *r = off_reply_alloc(strlen(s));

	if (r)
		memcpy(r->data, s, r->len);
	return r;
}

struct off_reply *off_reply_get(struct off_reply *r)
{
	r->refs++;
	return r;
}

void off_reply_put(struct off_reply *r)
{
	if (r && !--r->refs)
		free(r);
}

static void submit(struct io_uring *ring, struct off_listen_conn *conn, int tag,
		   void (*prep)(struct io_uring_sqe *, struct off_listen_conn *))
{
	struct io_uring_sqe *sqe = off_ring_sqe(ring, tag == TAG_CLOSE ? 1 : 2);

	prep(sqe, conn);
	io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)conn | tag);
	if (tag == TAG_CLOSE)
		return;
	/* Receiving and sending end at the connection's deadline. */
	sqe->flags |= IOSQE_IO_LINK;
	sqe = off_ring_sqe(ring, 1);
	io_uring_prep_link_timeout(sqe, &conn->deadline, IORING_TIMEOUT_ABS);
	io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)conn | TAG_TIMEOUT);
}

static void set_deadline(struct off_listen_conn *conn)
{
	uint64_t ns = off_mono_ns() + OFF_LISTEN_DEADLINE_MS * 1000000ULL;
	conn->deadline.tv_sec = ns / 1000000000;
	conn->deadline.tv_nsec = ns % 1000000000;
}

static int header_lines(const char *req)
{
	int n = 0;

	for (const char *p = strstr(req, "\r\n"); p; p = strstr(p + 2, "\r\n"))
		n++;
	return n;
}

static void prep_recv(struct io_uring_sqe *sqe, struct off_listen_conn *c)
{
	if (c->tls)
		io_uring_prep_recv(sqe, c->fd, off_tls_raw(c->tls), OFF_TLS_RAW, 0);
	else
		io_uring_prep_recv(sqe, c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len, 0);
}

static void prep_send(struct io_uring_sqe *sqe, struct off_listen_conn *c)
{
	io_uring_prep_send(sqe, c->fd, c->out->data + c->sent, c->out->len - c->sent, MSG_NOSIGNAL);
}

static void prep_close(struct io_uring_sqe *sqe, struct off_listen_conn *c)
{
	io_uring_prep_close(sqe, c->fd);
}

void off_listen_arm(struct off_listener *c, struct io_uring *ring)
{
	struct io_uring_sqe *sqe = off_ring_sqe(ring, 1);

	c->srclen = sizeof(c->src);
	io_uring_prep_accept(sqe, c->lfd, (struct sockaddr *)&c->src, &c->srclen, SOCK_CLOEXEC);
	io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)c | TAG_ACCEPT);
}

enum off_req off_listen_check(const struct off_listener *l, const char *buf, size_t len)
{
	if (strstr(buf, l->end))
		return !l->path[0] && header_lines(buf) > OFF_LISTEN_MAX_HEADERS ?
			OFF_REQ_TOO_MANY_HEADERS : OFF_REQ_COMPLETE;
	return len >= OFF_LISTEN_MAX_MSG - 1 ? OFF_REQ_TOO_LONG : OFF_REQ_PARTIAL;
}

/* What a request that cannot be served gets, or NULL for one that can. */
static const char *refusal(const struct off_listener *l, enum off_req state)
{
	if (state == OFF_REQ_TOO_LONG)
		return l->path[0] ? "{\"ok\":false,\"error\":\"request too long\"}\n" :
			"HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
	if (state == OFF_REQ_TOO_MANY_HEADERS)
		return "HTTP/1.1 431 Request Header Fields Too Large\r\n"
			"Content-Length: 0\r\nConnection: close\r\n\r\n";
	return NULL;
}

/* Ciphertext in: 1 when the handshake took the next step itself (its
 * flight sent, more read, or an alert and close), 0 when the plaintext
 * so far is in buf (past its size: as a plain request too long). */
static int tls_recv(struct io_uring *ring, struct off_listen_conn *conn, int res)
{
	int ret = off_tls_take(conn->tls, res, conn->buf, &conn->len, sizeof(conn->buf) - 1);

	if (ret == -EFBIG || (ret >= 0 && off_tls_ready(conn->tls)))
		return 0;
	conn->out = off_tls_flight(conn->tls);
	conn->then_recv = ret >= 0;
	conn->owner->tls_refused += ret < 0;
	if (conn->out)
		submit(ring, conn, TAG_SEND, prep_send);
	else
		submit(ring, conn, conn->then_recv ? TAG_RECV : TAG_CLOSE,
		       conn->then_recv ? prep_recv : prep_close);
	return 1;
}

static void on_recv(struct io_uring *ring, struct off_listen_conn *conn, int res)
{
	struct off_listener *c = conn->owner;
	enum off_req state;
	const char *no;

	if (res <= 0) {
		c->timed_out += res == -ECANCELED;
		submit(ring, conn, TAG_CLOSE, prep_close);
		return;
	}
	if (!conn->tls)
		conn->len += res;
	else if (tls_recv(ring, conn, res))
		return;
	conn->buf[conn->len] = '\0';
	state = off_listen_check(c, conn->buf, conn->len);
	if (state == OFF_REQ_PARTIAL) {
		submit(ring, conn, TAG_RECV, prep_recv);	/* the rest of the request */
		return;
	}
	no = refusal(c, state);
	conn->out = no ? off_reply_str(no) : c->handle(c->user, conn->buf, conn->admin, &conn->src);
	if (conn->tls)
		conn->out = off_tls_seal(conn->tls, conn->out);
	submit(ring, conn, conn->out ? TAG_SEND : TAG_CLOSE, conn->out ? prep_send : prep_close);
}

static int same_source(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			       &((const struct sockaddr_in6 *)b)->sin6_addr, 16);
	return 0;	/* UNIX: the socket's mode says who may connect */
}

/* Room for one more connection from the listener's latest source? */
static int admit(struct off_listener *l)
{
	int n = 0;

	if (l->nconns >= OFF_LISTEN_MAX_CONNS) {
		l->refused++;
		return 0;
	}
	for (int i = 0; i < l->nconns; i++)
		n += same_source(&l->conns[i]->src, &l->src);
	if (n >= OFF_LISTEN_MAX_PER_SOURCE) {
		l->refused++;
		l->refused_source++;
		return 0;
	}
	return 1;
}

void off_listen_tick(struct off_listener *l, struct io_uring *ring)
{
	if (l->lfd < 0 || !l->paused)
		return;
	l->paused = 0;
	off_listen_arm(l, ring);
}

/* SO_PEERCRED, as the kernel saw the client at connect: root, the agent's
 * own user and members of the admin group may change things; the rest of
 * ctl_group may only look. */
static int is_admin(const struct off_listener *l, int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	gid_t groups[256];

	if (!l->path[0] || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len))
		return 0;
	if (cr.uid == 0 || cr.uid == geteuid())
		return 1;
	if (l->admin_gid < 0)
		return 0;
	if (cr.gid == (gid_t)l->admin_gid)
		return 1;
	len = sizeof(groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len))
		return 0;
	for (size_t i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == (gid_t)l->admin_gid)
			return 1;
	return 0;
}

static void on_accept(struct io_uring *ring, struct off_listener *l, int fd)
{
	struct off_listen_conn *conn;

	if (fd < 0) {
		/* Out of fds or memory: re-armed at once, accept would fail
		 * again and spin. Like nginx's pause on EMFILE, wait a tick,
		 * and leave the connection queued in the backlog meanwhile. */
		if (!l->accept_errors++)
			fprintf(stderr, "offloadd: accept: %s; retrying each tick, counted in offloadd_listener_accept_errors_total\n",
				strerror(-fd));
		l->paused = 1;
		return;
	}
	if (!admit(l) || !(conn = calloc(1, sizeof(*conn)))) {
		close(fd);
		return;
	}
	if (l->tls && !(conn->tls = off_tls_server(l->tls))) {
		free(conn);
		close(fd);
		return;
	}
	conn->slot = l->nconns;
	l->conns[l->nconns++] = conn;
	conn->owner = l;
	conn->fd = fd;
	conn->src = l->src;
	conn->admin = is_admin(l, fd);
	set_deadline(conn);
	submit(ring, conn, TAG_RECV, prep_recv);
}

static void on_close(struct off_listen_conn *conn)
{
	struct off_listener *l = conn->owner;

	l->conns[conn->slot] = l->conns[--l->nconns];
	l->conns[conn->slot]->slot = conn->slot;
	off_reply_put(conn->out);
	off_tls_conn_free(conn->tls);
	free(conn);
}

int off_listen_complete(struct io_uring *ring, struct io_uring_cqe *cqe)
{
	uint64_t data = io_uring_cqe_get_data64(cqe);
	void *ptr = (void *)(uintptr_t)(data & ~(uint64_t)TAG_MASK);
	struct off_listen_conn *conn = ptr;
	int tag = data & TAG_MASK;

	if (data < OFF_LISTEN_BASE)
		return 0;
	if (tag == TAG_TIMEOUT)
		return 1;	/* its operation completes with -ECANCELED */
	if (tag == TAG_ACCEPT) {
		struct off_listener *l = ptr;

		on_accept(ring, l, cqe->res);
		if (!l->paused)
			off_listen_arm(l, ring);
		return 1;
	}
	switch (tag) {
	case TAG_RECV:
		on_recv(ring, conn, cqe->res);
		break;
	case TAG_SEND:
		/* A big reply may take several sends. */
		if (cqe->res > 0 && conn->sent + cqe->res < conn->out->len) {
			conn->sent += cqe->res;
			submit(ring, conn, TAG_SEND, prep_send);
		} else if (cqe->res > 0 && conn->then_recv) {
			/* A handshake flight is out: the client's turn. */
			off_reply_put(conn->out);
			conn->out = NULL;
			conn->sent = 0;
			conn->then_recv = 0;
			submit(ring, conn, TAG_RECV, prep_recv);
		} else {
			submit(ring, conn, TAG_CLOSE, prep_close);
		}
		break;
	case TAG_CLOSE:
		on_close(conn);
		break;
	default:
		return 0;
	}
	return 1;
}
