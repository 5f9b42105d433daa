// SPDX-License-Identifier: GPL-2.0
/* Slow HTTP clients: opens COUNT connections to ADDR, round robin over the
 * PORTs, each connect bounded by TIMEOUT_MS, sends half a request on each
 * and holds them all open until SIGTERM. Prints "open N" once done opening
 * (it stops at the first connect that fails). */
#include <errno.h>
#include <signal.h>

#include "sockaddr.h"

static const char half[] = "GET /status HTTP/1.1\r\nHost: x\r\n";

int main(int argc, char **argv)
{
	struct sockaddr_storage to;
	socklen_t len;
	int count, timeout_ms, open_n = 0;
	sigset_t term;

	if (argc < 5 || (count = atoi(argv[1])) < 1 || (timeout_ms = atoi(argv[2])) < 1) {
		fprintf(stderr, "usage: slowcli COUNT TIMEOUT_MS ADDR PORT...\n");
		return 2;
	}
	/* The server closes connections past its cap: a write there is no error. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, NULL);
	for (int i = 0; i < count; i++) {
		int fd;

		if (sa_parse(argv[3], argv[4 + i % (argc - 4)], &to, &len))
			return 2;
		fd = sa_socket(&to, SOCK_STREAM, timeout_ms);
		if (fd < 0 || connect(fd, (struct sockaddr *)&to, len)) {
			fprintf(stderr, "slowcli: connection %d: %s\n", i + 1, strerror(errno));
			break;
		}
		if (write(fd, half, sizeof(half) - 1) < 0 && errno != EPIPE && errno != ECONNRESET)
			fprintf(stderr, "slowcli: connection %d: write: %s\n", i + 1, strerror(errno));
		open_n++;
	}
	printf("open %d\n", open_n);
	fflush(stdout);
	/* Held until told: the test decides when the slow clients go. */
	sigwait(&term, &(int){ 0 });
	return 0;
}
