// SPDX-License-Identifier: GPL-2.0
/* A test client: N requests, each on a new TCP connection (or a UDP
 * datagram), printing per request the answer, latency, the bytes received,
 * the wall clock time it started, the peer address the socket API shows and
 * the socket's SO_MARK once it was sent, then a JSON summary. Every step is
 * bounded by -t; -w waits between socket() and connect()/sendto(). */
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

static long req_bytes, reply_bytes;	/* payloads, -b and -B */
static long wait_ms;			/* -w */

/* Waits until fd is ready for events or the deadline (µs) passes. */
static int wait_for(int fd, short events, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	long long left = deadline - now_us();
	int n;

	if (left <= 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	n = poll(&pfd, 1, (int)((left + 999) / 1000));
	if (n == 0)
		errno = ETIMEDOUT;
	return n == 1 ? 0 : -1;
}

/* Writes all of buf, or len filler bytes when buf is NULL, by the deadline. */
static int send_all(int fd, const char *buf, long len, long long deadline)
{
	static const char fill[65536];

	while (len > 0) {
		ssize_t w = write(fd, buf ? buf : fill, len < (long)sizeof(fill) ? len : (long)sizeof(fill));

		if (w < 0 && errno == EAGAIN) {
			if (wait_for(fd, POLLOUT, deadline))
				return -1;
			continue;
		}
		if (w <= 0)
			return -1;
		len -= w;
		if (buf)
			buf += w;
	}
	return 0;
}

/* A TCP request, every step bounded by the deadline: connect, send, and
 * read the answer line and the payload to EOF. Returns the bytes read. */
static ssize_t tcp_request(int fd, const struct sockaddr_storage *to, socklen_t len,
			   long long deadline, char *answer, size_t alen,
			   struct sockaddr_storage *peer, socklen_t *plen)
{
	char line[64], buf[65536];
	int err = 0;
	socklen_t elen = sizeof(err);
	ssize_t total = 0;

	if (connect(fd, (const struct sockaddr *)to, len) && errno != EINPROGRESS)
		return -1;
	if (wait_for(fd, POLLOUT, deadline))
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) || err) {
		errno = err ? err : errno;
		return -1;
	}
	if (getpeername(fd, (struct sockaddr *)peer, plen))
		return -1;
	if (req_bytes || reply_bytes)
		snprintf(line, sizeof(line), "req %ld %ld\n", reply_bytes, req_bytes);
	else
		snprintf(line, sizeof(line), "req\n");
	if (send_all(fd, line, strlen(line), deadline) || send_all(fd, NULL, req_bytes, deadline))
		return -1;
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));

		if (r < 0 && errno == EAGAIN) {
			if (wait_for(fd, POLLIN, deadline))
				return -1;
			continue;
		}
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		if ((size_t)total < alen - 1)
			memcpy(answer + total, buf, (size_t)r < alen - 1 - total ? (size_t)r : alen - 1 - total);
		total += r;
	}
	answer[(size_t)total < alen - 1 ? (size_t)total : alen - 1] = '\0';
	return total;
}

/* One request; fills answer and the peer as getpeername()/recvfrom() see it,
 * and the bytes received. */
static int request(const struct sockaddr_storage *to, socklen_t len, int udp, int timeout_ms,
		   char *answer, size_t alen, struct sockaddr_storage *peer, unsigned int *mark,
		   long *bytes)
{
	int fd = socket(to->ss_family, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK, 0);
	long long deadline = now_us() + timeout_ms * 1000LL;
	socklen_t plen = sizeof(*peer), mlen = sizeof(*mark);
	ssize_t n = -1;
	int saved;

	if (fd < 0)
		return -1;
	if (wait_ms) {
		usleep(wait_ms * 1000);
		deadline += wait_ms * 1000LL;
	}
	if (udp) {
		if (sendto(fd, "req\n", 4, 0, (const struct sockaddr *)to, len) == 4 &&
		    !wait_for(fd, POLLIN, deadline))
			n = recvfrom(fd, answer, alen - 1, 0, (struct sockaddr *)peer, &plen);
		if (n >= 0)
			answer[n] = '\0';
	} else {
		n = tcp_request(fd, to, len, deadline, answer, alen, peer, &plen);
	}
	saved = errno;
	if (getsockopt(fd, SOL_SOCKET, SO_MARK, mark, &mlen))
		*mark = 0;
	close(fd);
	errno = saved;
	if (n <= 0) {
		if (n == 0)
			errno = ENODATA;
		return -1;
	}
	*bytes = n;
	answer[strcspn(answer, "\n")] = '\0';
	return 0;
}

static long long wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
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

	while ((c = getopt(argc, argv, "n:ut:i:qb:B:w:")) != -1) {
		switch (c) {
		case 'n': count = atoi(optarg); break;
		case 'u': udp = 1; break;
		case 't': timeout_ms = atoi(optarg); break;
		case 'i': interval_ms = atol(optarg); break;
		case 'q': quiet = 1; break;
		case 'b': req_bytes = atol(optarg); break;
		case 'B': reply_bytes = atol(optarg); break;
		case 'w': wait_ms = atol(optarg); break;
		default: goto usage;
		}
	}
	if (argc - optind != 2 || count < 1 || timeout_ms < 1 || wait_ms < 0 || req_bytes < 0 || reply_bytes < 0 ||
	    ((req_bytes || reply_bytes) && udp) || sa_parse(argv[optind], argv[optind + 1], &to, &len))
		goto usage;
	lat = calloc(count, sizeof(*lat));
	for (int i = 0; i < count; i++) {
		struct sockaddr_storage peer = {};
		char answer[256], ps[80] = "-";
		long long t0 = now_us(), at = wall_ms();
		unsigned int mark = 0;
		long bytes = 0;

		if (request(&to, len, udp, timeout_ms, answer, sizeof(answer), &peer, &mark, &bytes)) {
			errors++;
			if (!quiet)
				printf("error %s at_ms %lld\n", strerror(errno), at);
		} else {
			lat[ok++] = now_us() - t0;
			sa_print(&peer, ps, sizeof(ps));
			if (!quiet)
				printf("answer %s latency_us %lld bytes %ld at_ms %lld peer %s mark 0x%x\n",
				       answer, lat[ok - 1], bytes, at, ps, mark);
		}
		if (interval_ms)
			usleep(interval_ms * 1000);
	}
	qsort(lat, ok, sizeof(*lat), cmp_ll);
	printf("{\"count\":%d,\"ok\":%d,\"errors\":%d,\"p50_us\":%lld,\"p99_us\":%lld}\n", count, ok,
	       errors, ok ? lat[ok / 2] : 0, ok ? lat[(ok * 99) / 100 < ok ? (ok * 99) / 100 : ok - 1] : 0);
	return errors ? 1 : 0;
usage:
	fprintf(stderr, "usage: reqcli [-n COUNT] [-u] [-t TIMEOUT_MS] [-i INTERVAL_MS] [-q]\n"
		"              [-b REQUEST_BYTES] [-B REPLY_BYTES] [-w WAIT_MS] ADDR PORT\n"
		"-t bounds each request as a whole (default 2000 ms); -b and -B are TCP only;\n"
		"-w waits between socket() and connect() or sendto().\n");
	return 2;
}
