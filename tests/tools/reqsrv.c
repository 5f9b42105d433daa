// SPDX-License-Identifier: GPL-2.0
/* A request/response test service: answers each request line (TCP) or
 * datagram (UDP) with its id, after an optional delay and CPU burn; a TCP
 * request "req REPLY_BYTES REQ_BYTES" also sends and receives a payload. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "sockaddr.h"

static const char *id = "srv";
static long delay_ms, cpu_us;

#define MAX_BYTES	(64L << 20)	/* per request, either way */

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

/* Moves n payload bytes: reads and drops them, or sends filler. Threads
 * share the buffer: its contents never matter. */
static int pump(int fd, long n, int send)
{
	static char buf[65536];

	while (n > 0) {
		size_t len = n < (long)sizeof(buf) ? n : (long)sizeof(buf);
		ssize_t r = send ? write(fd, buf, len) : read(fd, buf, len);

		if (r <= 0)
			return -1;
		n -= r;
	}
	return 0;
}

static void *conn(void *arg)
{
	int fd = (int)(long)arg;
	char buf[512], *nl = NULL;
	long reply_bytes = 0, req_bytes = 0;
	ssize_t n = 0;

	/* One request per connection: a line, or whatever arrived before EOF. */
	while (n < (ssize_t)sizeof(buf) - 1) {
		ssize_t r = read(fd, buf + n, sizeof(buf) - 1 - n);

		if (r <= 0)
			break;
		n += r;
		buf[n] = '\0';
		if ((nl = memchr(buf, '\n', n)))
			break;
	}
	if (n > 0) {
		/* Payload bytes that came with the line count toward REQ_BYTES. */
		if (nl && sscanf(buf, "req %ld %ld", &reply_bytes, &req_bytes) >= 1)
			req_bytes -= n - (nl + 1 - buf);
		if (reply_bytes < 0 || reply_bytes > MAX_BYTES)
			reply_bytes = 0;
		if (req_bytes > MAX_BYTES || (req_bytes > 0 && pump(fd, req_bytes, 0))) {
			close(fd);
			return NULL;
		}
		serve_work();
		if (dprintf(fd, "%s\n", id) > 0)
			pump(fd, reply_bytes, 1);
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
		"Answers each request (a line per TCP connection, or a UDP datagram) with ID.\n"
		"Over TCP, \"req REPLY_BYTES REQ_BYTES\" and REQ_BYTES of payload are answered\n"
		"with the ID line and REPLY_BYTES of payload (each at most 64 MiB).\n");
	return 2;
}
