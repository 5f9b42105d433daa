// SPDX-License-Identifier: GPL-2.0
/* A request/response test service: answers each request line (TCP) or
 * datagram (UDP) with its id, after an optional delay and CPU burn. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "sockaddr.h"

static const char *id = "srv";
static long delay_ms, cpu_us;

static void serve_work(void)
{
	struct timespec ts = { delay_ms / 1000, (delay_ms % 1000) * 1000000 }, a, b;

	if (delay_ms)
		nanosleep(&ts, NULL);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	do
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
	while (cpu_us && (b.tv_sec - a.tv_sec) * 1000000 + (b.tv_nsec - a.tv_nsec) / 1000 < cpu_us);
}

static void *conn(void *arg)
{
	int fd = (int)(long)arg;
	char buf[512];
	ssize_t n = 0;

	/* One request per connection: a line, or whatever arrived before EOF. */
	while (n < (ssize_t)sizeof(buf)) {
		ssize_t r = read(fd, buf + n, sizeof(buf) - n);

		if (r <= 0 || memchr(buf + n, '\n', r)) {
			n += r > 0 ? r : 0;
			break;
		}
		n += r;
	}
	if (n > 0) {
		serve_work();
		dprintf(fd, "%s\n", id);
	}
	close(fd);
	return NULL;
}

static int serve_udp(int fd)
{
	for (;;) {
		struct sockaddr_storage peer;
		socklen_t len = sizeof(peer);
		char buf[512];

		if (recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &len) < 0)
			return errno == EINTR ? 0 : 1;
		serve_work();
		sendto(fd, id, strlen(id), 0, (struct sockaddr *)&peer, len);
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int c, udp = 0, fd, one = 1;

	while ((c = getopt(argc, argv, "d:c:i:u")) != -1) {
		switch (c) {
		case 'd': delay_ms = atol(optarg); break;
		case 'c': cpu_us = atol(optarg); break;
		case 'i': id = optarg; break;
		case 'u': udp = 1; break;
		default: goto usage;
		}
	}
	if (argc - optind != 2)
		goto usage;
	if (sa_parse(argv[optind], argv[optind + 1], &ss, &len))
		return 2;
	signal(SIGPIPE, SIG_IGN);
	fd = socket(ss.ss_family, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) || (!udp && listen(fd, 1024))) {
		perror("reqsrv: bind/listen");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	if (udp)
		return serve_udp(fd);
	for (;;) {
		pthread_t t;
		pthread_attr_t at;
		int cfd = accept(fd, NULL, NULL);

		if (cfd < 0)
			continue;
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &at, conn, (void *)(long)cfd))
			close(cfd);
	}
usage:
	fprintf(stderr, "usage: reqsrv [-d DELAY_MS] [-c CPU_US] [-i ID] [-u] ADDR PORT\n"
		"Answers each request (a line per TCP connection, or a UDP datagram) with ID.\n");
	return 2;
}
