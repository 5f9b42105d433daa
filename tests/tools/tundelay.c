// SPDX-License-Identifier: GPL-2.0
/* A link-delay emulator for a kernel without netem: forwards packets between
 * two TUN devices, holding each for a fixed one-way delay. Moving one device
 * into a network namespace gives that namespace a link with RTT = 2 x delay. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define QLEN	4096
#define MTU	2048

struct pkt {
	unsigned long long due_ns;
	int len;
	unsigned char data[MTU];
};

/* One direction: packets read from `in`, written to `out` when due. */
struct pipe {
	int in, out;
	unsigned int head, tail;	/* ring of pending packets */
	unsigned long drops;
	struct pkt q[QLEN];
};

static volatile sig_atomic_t stop;

static void on_signal(int sig) { (void)sig; stop = 1; }

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int tun_open(const char *name)
{
	struct ifreq ifr = { .ifr_flags = IFF_TUN | IFF_NO_PI };
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "tundelay: /dev/net/tun: %s\n", strerror(errno));
		return -1;
	}
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		fprintf(stderr, "tundelay: %s: TUNSETIFF: %s\n", name, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void take(struct pipe *p, unsigned long long delay_ns)
{
	for (;;) {
		struct pkt *k = &p->q[p->tail % QLEN];
		int n;

		if (p->tail - p->head == QLEN) {
			unsigned char sink[MTU];

			if (read(p->in, sink, sizeof(sink)) < 0)
				return;
			p->drops++;
			continue;
		}
		n = read(p->in, k->data, sizeof(k->data));
		if (n <= 0)
			return;
		k->len = n;
		k->due_ns = now_ns() + delay_ns;
		p->tail++;
	}
}

/* Sends what is due; returns ns until the next packet is, or -1 if none. */
static long long give(struct pipe *p)
{
	unsigned long long now = now_ns();

	while (p->head != p->tail) {
		struct pkt *k = &p->q[p->head % QLEN];

		if (k->due_ns > now)
			return k->due_ns - now;
		if (write(p->out, k->data, k->len) < 0 && errno == EAGAIN)
			return 100000;
		p->head++;
	}
	return -1;
}

int main(int argc, char **argv)
{
	static struct pipe ab, ba;
	struct sigaction sa = { .sa_handler = on_signal };
	unsigned long long delay_ns;
	int a, b;

	if (argc != 4) {
		fprintf(stderr, "usage: tundelay DEV_A DEV_B DELAY_MS\n"
			"Creates TUN devices DEV_A and DEV_B and forwards packets between them,\n"
			"each held DELAY_MS (one way). Prints \"ready\" once both exist; stops on SIGTERM.\n");
		return 2;
	}
	delay_ns = strtod(argv[3], NULL) * 1e6;
	a = tun_open(argv[1]);
	b = a < 0 ? -1 : tun_open(argv[2]);
	if (b < 0)
		return 1;
	ab = (struct pipe){ .in = a, .out = b };
	ba = (struct pipe){ .in = b, .out = a };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		struct pollfd pfd[2] = { { .fd = a, .events = POLLIN }, { .fd = b, .events = POLLIN } };
		long long t1 = give(&ab), t2 = give(&ba), t = t1 < 0 ? t2 : (t2 < 0 || t1 < t2 ? t1 : t2);
		struct timespec ts = { .tv_sec = t / 1000000000, .tv_nsec = t % 1000000000 };

		if (ppoll(pfd, 2, t < 0 ? NULL : &ts, NULL) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents & POLLIN)
			take(&ab, delay_ns);
		if (pfd[1].revents & POLLIN)
			take(&ba, delay_ns);
	}
	if (ab.drops || ba.drops)
		fprintf(stderr, "tundelay: dropped %lu + %lu packets (queue full)\n", ab.drops, ba.drops);
	return 0;
}
