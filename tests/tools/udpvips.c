// SPDX-License-Identifier: GPL-2.0
/* One unconnected UDP socket sends a request to each ADDR PORT in turn (-w
 * waits between sends), then prints every reply as "answer ID peer ADDR:PORT"
 * with the sender recvfrom() shows, and the socket's SO_MARK. Bounded by -t. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>

#include "sockaddr.h"

#define MAX_DESTS 8

static int replies(int fd, int want, int timeout_ms)
{
	int got = 0;

	while (got < want) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct sockaddr_storage peer = {};
		socklen_t plen = sizeof(peer), mlen;
		char buf[256], ps[80];
		unsigned int mark = 0;
		ssize_t n;

		if (poll(&pfd, 1, timeout_ms) != 1) {
			printf("error %s after %d replies\n", strerror(errno ? errno : ETIMEDOUT), got);
			return 1;
		}
		n = recvfrom(fd, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&peer, &plen);
		if (n < 0)
			return 1;
		buf[n] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		mlen = sizeof(mark);
		if (getsockopt(fd, SOL_SOCKET, SO_MARK, &mark, &mlen))
			mark = 0;
		sa_print(&peer, ps, sizeof(ps));
		printf("answer %s peer %s mark 0x%x\n", buf, ps, mark);
		got++;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage to[MAX_DESTS];
	socklen_t len[MAX_DESTS];
	int c, n = 0, fd, wait_ms = 0, timeout_ms = 2000;

	while ((c = getopt(argc, argv, "w:t:")) != -1) {
		if (c == 'w')
			wait_ms = atoi(optarg);
		else if (c == 't')
			timeout_ms = atoi(optarg);
		else
			goto usage;
	}
	if ((argc - optind) % 2 || argc == optind || (argc - optind) / 2 > MAX_DESTS ||
	    wait_ms < 0 || timeout_ms < 1)
		goto usage;
	for (int i = optind; i < argc; i += 2, n++)
		if (sa_parse(argv[i], argv[i + 1], &to[n], &len[n]))
			goto usage;
	fd = socket(to[0].ss_family, SOCK_DGRAM, 0);
	if (fd < 0)
		return 1;
	for (int i = 0; i < n; i++) {
		if (i && wait_ms)
			usleep(wait_ms * 1000);
		if (sendto(fd, "req\n", 4, 0, (struct sockaddr *)&to[i], len[i]) != 4) {
			printf("error %s sending to %s\n", strerror(errno), argv[optind + 2 * i]);
			return 1;
		}
	}
	return replies(fd, n, timeout_ms);
usage:
	fprintf(stderr, "usage: udpvips [-w WAIT_MS] [-t TIMEOUT_MS] ADDR PORT [ADDR PORT]...\n");
	return 2;
}
