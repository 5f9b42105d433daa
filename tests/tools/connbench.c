// SPDX-License-Identifier: GPL-2.0
/* connect() cost: accepts on 127.0.0.1:PORT in a thread and times N TCP
 * connect() calls to ADDR:PORT (a VIP a hook may rewrite, or the listener
 * itself). Prints {"n":N,"connect_ns_mean":..,"connect_ns_p50":..}. */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "sockaddr.h"

static int lfd;

static void *acceptor(void *arg)
{
	(void)arg;
	for (;;) {
		int fd = accept(lfd, NULL, NULL);

		if (fd >= 0)
			close(fd);
	}
	return NULL;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	struct sockaddr_storage to, me;
	socklen_t len, mlen;
	long long *ns, sum = 0;
	pthread_t t;
	int n, one = 1;

	if (argc != 4 || (n = atoi(argv[3])) < 1 || sa_parse(argv[1], argv[2], &to, &len) ||
	    sa_parse("127.0.0.1", argv[2], &me, &mlen)) {
		fprintf(stderr, "usage: connbench ADDR PORT N\n");
		return 2;
	}
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&me, mlen) || listen(lfd, 4096)) {
		perror("connbench: listen");
		return 1;
	}
	pthread_create(&t, NULL, acceptor, NULL);
	ns = calloc(n, sizeof(*ns));
	for (int i = 0; i < n; i++) {
		/* Bounded, set before the clock starts: one setsockopt more per
		 * socket, outside what is timed. */
		int fd = sa_socket(&to, SOCK_STREAM, 2000);
		long long t0 = now_ns();

		if (connect(fd, (struct sockaddr *)&to, len)) {
			perror("connbench: connect");
			return 1;
		}
		ns[i] = now_ns() - t0;
		sum += ns[i];
		/* RST rather than TIME_WAIT: thousands of runs reuse few ports. */
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &(struct linger){ 1, 0 }, sizeof(struct linger));
		close(fd);
	}
	qsort(ns, n, sizeof(*ns), cmp);
	printf("{\"n\":%d,\"connect_ns_mean\":%lld,\"connect_ns_p50\":%lld}\n", n, sum / n, ns[n / 2]);
	return 0;
}
