// SPDX-License-Identifier: GPL-2.0
/* A test client: N requests, each on a new TCP connection (or a UDP
 * datagram), printing per request the answer, latency, the peer address the
 * socket API shows and the socket's SO_MARK, then a JSON summary. -t bounds
 * each connect and each reply. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "sockaddr.h"

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* One request; fills answer and the peer as getpeername()/recvfrom() see it. */
static int request(const struct sockaddr_storage *to, socklen_t len, int udp, int timeout_ms,
		   char *answer, size_t alen, struct sockaddr_storage *peer, unsigned int *mark)
{
	int fd = sa_socket(to, udp ? SOCK_DGRAM : SOCK_STREAM, timeout_ms);
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	socklen_t plen = sizeof(*peer), mlen = sizeof(*mark);
	ssize_t n = -1;

	if (fd < 0)
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_MARK, mark, &mlen))
		*mark = 0;
	if (udp) {
		if (sendto(fd, "req\n", 4, 0, (const struct sockaddr *)to, len) == 4 &&
		    poll(&pfd, 1, timeout_ms) == 1)
			n = recvfrom(fd, answer, alen - 1, 0, (struct sockaddr *)peer, &plen);
	} else if (!connect(fd, (const struct sockaddr *)to, len) &&
		   !getpeername(fd, (struct sockaddr *)peer, &plen) &&
		   write(fd, "req\n", 4) == 4 && poll(&pfd, 1, timeout_ms) == 1) {
		n = read(fd, answer, alen - 1);
	}
	close(fd);
	if (n <= 0)
		return -1;
	answer[n] = '\0';
	answer[strcspn(answer, "\n")] = '\0';
	return 0;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int c, udp = 0, count = 1, timeout_ms = 2000, quiet = 0, ok = 0, errors = 0;
	long interval_ms = 0;
	struct sockaddr_storage to;
	long long *lat;
	socklen_t len;

	/* Each answer as it comes: watchers read the output live. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	while ((c = getopt(argc, argv, "n:ut:i:q")) != -1) {
		switch (c) {
		case 'n': count = atoi(optarg); break;
		case 'u': udp = 1; break;
		case 't': timeout_ms = atoi(optarg); break;
		case 'i': interval_ms = atol(optarg); break;
		case 'q': quiet = 1; break;
		default: goto usage;
		}
	}
	if (argc - optind != 2 || count < 1 || sa_parse(argv[optind], argv[optind + 1], &to, &len))
		goto usage;
	lat = calloc(count, sizeof(*lat));
	for (int i = 0; i < count; i++) {
		struct sockaddr_storage peer = {};
		char answer[256], ps[80] = "-";
		long long t0 = now_us();
		unsigned int mark = 0;

		if (request(&to, len, udp, timeout_ms, answer, sizeof(answer), &peer, &mark)) {
			errors++;
			if (!quiet)
				printf("error %s\n", strerror(errno));
		} else {
			lat[ok++] = now_us() - t0;
			sa_print(&peer, ps, sizeof(ps));
			if (!quiet)
				printf("answer %s latency_us %lld peer %s mark 0x%x\n", answer,
				       lat[ok - 1], ps, mark);
		}
		if (interval_ms)
			usleep(interval_ms * 1000);
	}
	qsort(lat, ok, sizeof(*lat), cmp_ll);
	printf("{\"count\":%d,\"ok\":%d,\"errors\":%d,\"p50_us\":%lld,\"p99_us\":%lld}\n", count, ok,
	       errors, ok ? lat[ok / 2] : 0, ok ? lat[(ok * 99) / 100 < ok ? (ok * 99) / 100 : ok - 1] : 0);
	return errors ? 1 : 0;
usage:
	fprintf(stderr, "usage: reqcli [-n COUNT] [-u] [-t TIMEOUT_MS] [-i INTERVAL_MS] [-q] ADDR PORT\n");
	return 2;
}
