// SPDX-License-Identifier: GPL-2.0
/* A connection storm: THREADS clients open RATE connections per second to
 * ADDR:PORT for SECONDS, each checked with getpeername(), while a listener
 * on 127.0.0.1:PORT counts what arrives. Prints one JSON line:
 * attempted, connected, accepted, failed, wrong_peer, achieved rate. */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "sockaddr.h"

static struct sockaddr_storage to;
static socklen_t tolen;
static int lfd, nthreads;
static long rate, total;
static atomic_long accepted, connected, failed, wrong_peer;

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *acceptor(void *arg)
{
	(void)arg;
	for (;;) {
		int fd = accept(lfd, NULL, NULL);

		if (fd >= 0) {
			atomic_fetch_add(&accepted, 1);
			close(fd);
		}
	}
	return NULL;
}

static void one(void)
{
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	/* A connect that hangs counts as failed, and the storm ends on time. */
	int fd = sa_socket(&to, SOCK_STREAM, 2000);

	if (fd < 0 || connect(fd, (struct sockaddr *)&to, tolen)) {
		atomic_fetch_add(&failed, 1);
	} else {
		atomic_fetch_add(&connected, 1);
		/* The application must still see the address it dialled. */
		if (getpeername(fd, (struct sockaddr *)&peer, &plen) || plen != tolen ||
		    memcmp(&peer, &to, tolen))
			atomic_fetch_add(&wrong_peer, 1);
		/* RST, not TIME_WAIT: a storm would run out of ports. */
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &(struct linger){ 1, 0 }, sizeof(struct linger));
	}
	if (fd >= 0)
		close(fd);
}

static void *client(void *arg)
{
	long idx = (long)arg, n = total / nthreads;
	long long start = now_ns(), period = 1000000000LL * nthreads / rate;

	for (long i = 0; i < n; i++) {
		long long due = start + i * period + idx * (period / nthreads);

		while (now_ns() < due)
			;
		one();
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage me;
	socklen_t mlen;
	pthread_t acc, th[64];
	long long t0, t1;
	int one_ = 1;

	if (argc != 6 || sa_parse(argv[1], argv[2], &to, &tolen) ||
	    sa_parse("127.0.0.1", argv[2], &me, &mlen) || (rate = atol(argv[3])) < 1 ||
	    (nthreads = atoi(argv[5])) < 1 || nthreads > 64) {
		fprintf(stderr, "usage: storm ADDR PORT RATE SECONDS THREADS\n");
		return 2;
	}
	total = rate * atol(argv[4]) / nthreads * nthreads;
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one_, sizeof(one_));
	if (bind(lfd, (struct sockaddr *)&me, mlen) || listen(lfd, 65535)) {
		perror("storm: listen");
		return 1;
	}
	pthread_create(&acc, NULL, acceptor, NULL);
	t0 = now_ns();
	for (long i = 0; i < nthreads; i++)
		pthread_create(&th[i], NULL, client, (void *)i);
	for (int i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	t1 = now_ns();
	usleep(200000);		/* the last accepts */
	printf("{\"attempted\":%ld,\"connected\":%ld,\"accepted\":%ld,\"failed\":%ld,\"wrong_peer\":%ld,"
	       "\"seconds\":%.3f,\"rate\":%.0f}\n", total, atomic_load(&connected), atomic_load(&accepted),
	       atomic_load(&failed), atomic_load(&wrong_peer), (t1 - t0) / 1e9,
	       atomic_load(&connected) / ((t1 - t0) / 1e9));
	return 0;
}
