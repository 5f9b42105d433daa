/* SPDX-License-Identifier: GPL-2.0 */
/* The control socket: one JSON request line in, one JSON reply line out,
 * served from the daemon's io_uring loop. */
#ifndef OFFLOAD_AGENT_CTL_H
#define OFFLOAD_AGENT_CTL_H

#include <liburing.h>
#include <stddef.h>

#define OFF_CTL_DEFAULT_PATH	"/run/offloadd/ctl.sock"
#define OFF_CTL_MAX_MSG		4096

struct off_ctl_conn {
	int fd;
	int len;
	char buf[OFF_CTL_MAX_MSG];
};

/* Produces the reply for one request line into out (NUL-terminated). */
typedef void (*off_ctl_handler)(void *user, const char *req, char *out, size_t outlen);

struct off_ctl {
	int lfd;
	char path[108];
	off_ctl_handler handle;
	void *user;
};

/* Listens on PATH (mode 0600, parent directory created). */
int off_ctl_listen(struct off_ctl *c, const char *path, off_ctl_handler h, void *user,
		   char *err, size_t errlen);
void off_ctl_close(struct off_ctl *c);
/* io_uring plumbing: user_data tags are OFF_CTL_EV_* | pointer. */
void off_ctl_arm_accept(struct off_ctl *c, struct io_uring *ring);
/* Returns 1 when the completion was the control socket's. */
int off_ctl_complete(struct off_ctl *c, struct io_uring *ring, struct io_uring_cqe *cqe);

#endif
