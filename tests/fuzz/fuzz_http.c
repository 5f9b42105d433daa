// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: an HTTP request to the status listener, as any bytes: the
 * listener's checks (size, end, header lines) and the status handler,
 * which counts its agents. */
#include <stdlib.h>
#include <string.h>

#include "agent/daemon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct off_daemon d = { .ctl = { .lfd = -1 }, .status = { .lfd = -1 },
				       .metrics = { .lfd = -1 } };
	static struct off_listener l = { .end = "\r\n\r\n" };
	/* A new source each time, so the clients table fills and evicts. */
	static struct sockaddr_storage src = { .ss_family = AF_INET6 };
	char *req = malloc(len + 1);

	memcpy(req, data, len);
	req[len] = '\0';
	((struct sockaddr_in6 *)&src)->sin6_addr.s6_addr32[3]++;
	if (off_listen_check(&l, req, len) == OFF_REQ_COMPLETE)
		off_reply_put(off_daemon_status(&d, req, 0, &src));
	free(req);
	return 0;
}
