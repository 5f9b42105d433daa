// SPDX-License-Identifier: GPL-2.0
/* Many HTTP connections at once to an IPv4 listener, for the listener tests:
 * N connections spread over K source addresses (127.0.0.2 onwards), each
 * sending GET PATH whole (or, with -H, half of it and holding it open), -d
 * ms after connecting (so that the server has them all waiting to read),
 * then {"n":..,"answered":..,"closed":..,"failed":..} once all are done. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAXC 4096

struct conn {
	int fd, sent, got200, done;
};

static struct conn cs[MAXC];
static struct pollfd pfds[MAXC];

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int open_one(const char *ip, int port, int src)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct sockaddr_in from = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	inet_pton(AF_INET, ip, &to.sin_addr);
	from.sin_addr.s_addr = htonl(0x7f000002 + src);
	if (fd < 0 || bind(fd, (struct sockaddr *)&from, sizeof(from)))
		return -1;
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One readiness event of connection i: send when writable, read when readable. */
static void step(struct conn *c, struct pollfd *p, const char *req, size_t reqlen)
{
	char buf[4096];
	ssize_t n;

	if (!c->sent && (p->revents & POLLOUT)) {
		c->sent = 1;
		if (write(c->fd, req, reqlen) != (ssize_t)reqlen) {
			c->done = 1;
			return;
		}
		p->events = POLLIN;
		return;
	}
	if (!(p->revents & (POLLIN | POLLERR | POLLHUP)))
		return;
	n = read(c->fd, buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = '\0';
		c->got200 |= !strncmp(buf, "HTTP/1.1 200", 12);
		return;
	}
	if (n < 0 && errno == EAGAIN)
		return;
	c->done = 1;
}

int main(int argc, char **argv)
{
	int n = 200, k = 1, hold_s = 0, delay_ms = 0, timeout_s = 10, port2 = 0, o, answered = 0, closed = 0, failed = 0;
	const char *path = "/status";
	char req[256];
	long long end;

	while ((o = getopt(argc, argv, "n:k:p:H:t:P:d:")) != -1) {
		switch (o) {
		case 'n': n = atoi(optarg); break;
		case 'k': k = atoi(optarg); break;
		case 'p': path = optarg; break;
		case 'H': hold_s = atoi(optarg); break;
		case 't': timeout_s = atoi(optarg); break;
		case 'P': port2 = atoi(optarg); break;
		case 'd': delay_ms = atoi(optarg); break;
		default: goto usage;
		}
	}
	if (argc - optind != 2 || n < 1 || n > MAXC || k < 1 || k > 200)
		goto usage;
	snprintf(req, sizeof(req), hold_s ? "GET %s HTTP/1.1\r\nHost: x\r\n" :
		 "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);
	for (int i = 0; i < n; i++) {
		int port = port2 && i % 2 ? port2 : atoi(argv[optind + 1]);

		cs[i].fd = open_one(argv[optind], port, i % k);
		cs[i].done = cs[i].fd < 0;
		failed += cs[i].fd < 0;
		pfds[i] = (struct pollfd){ .fd = cs[i].fd, .events = POLLOUT };
	}
	usleep(delay_ms * 1000);	/* connects complete meanwhile */
	end = now_ms() + (hold_s ? hold_s : timeout_s) * 1000LL;
	for (long long t = now_ms(); t < end; t = now_ms()) {
		int left = 0;

		for (int i = 0; i < n; i++) {
			pfds[i].fd = cs[i].done ? -1 : cs[i].fd;
			left += !cs[i].done;
		}
		if (!left || poll(pfds, n, end - t) < 0)
			break;
		for (int i = 0; i < n; i++)
			if (!cs[i].done && pfds[i].revents)
				step(&cs[i], &pfds[i], req, strlen(req));
	}
	for (int i = 0; i < n; i++) {
		answered += cs[i].got200;
		closed += cs[i].fd >= 0 && cs[i].done && !cs[i].got200;
		if (cs[i].fd >= 0)
			close(cs[i].fd);
	}
	printf("{\"n\":%d,\"answered\":%d,\"closed\":%d,\"failed\":%d,\"open\":%d}\n", n, answered, closed,
	       failed, n - answered - closed - failed);
	return 0;
usage:
	fprintf(stderr, "usage: burst [-n N] [-k SOURCES] [-p PATH] [-H HOLD_S] [-t TIMEOUT_S] [-P PORT2] [-d DELAY_MS] IP PORT\n");
	return 2;
}
