// SPDX-License-Identifier: GPL-2.0
/* Fills a flows map: N TCP connections, each to its own address (BASE,
 * BASE+1, ... on PORT: 127.x.y.z all reach a listener on 0.0.0.0), held
 * open until HOLD_MS pass or SIGTERM, then closed. Prints "connected K"
 * once all are tried, and at the end {"n":..,"connected":..,"failed":..}. */
#include <errno.h>
#include <signal.h>
#include <time.h>

#include "sockaddr.h"

#define MAXC 16384

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static int open_one(uint32_t addr, int port)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in *to = (struct sockaddr_in *)&ss;
	int fd;

	to->sin_family = AF_INET;
	to->sin_port = htons(port);
	to->sin_addr.s_addr = htonl(addr);
	fd = sa_socket(&ss, SOCK_STREAM, 2000);
	if (fd >= 0 && connect(fd, (struct sockaddr *)to, sizeof(*to))) {
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	static int fds[MAXC];
	struct sigaction sa = { .sa_handler = on_term };
	struct timespec tick = { 0, 10000000 };
	struct in_addr base;
	int n = 300, hold_ms = 5000, o, connected = 0;

	while ((o = getopt(argc, argv, "n:H:")) != -1) {
		switch (o) {
		case 'n': n = atoi(optarg); break;
		case 'H': hold_ms = atoi(optarg); break;
		default: goto usage;
		}
	}
	if (argc - optind != 2 || n < 1 || n > MAXC || inet_pton(AF_INET, argv[optind], &base) != 1)
		goto usage;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	for (int i = 0; i < n; i++) {
		fds[i] = open_one(ntohl(base.s_addr) + i, atoi(argv[optind + 1]));
		connected += fds[i] >= 0;
	}
	printf("connected %d\n", connected);
	fflush(stdout);
	for (int t = 0; !stop && t < hold_ms; t += 10)
		nanosleep(&tick, NULL);
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	printf("{\"n\":%d,\"connected\":%d,\"failed\":%d}\n", n, connected, n - connected);
	return 0;
usage:
	fprintf(stderr, "usage: flowfill [-n N] [-H HOLD_MS] BASE_IPV4 PORT\n");
	return 2;
}
