// SPDX-License-Identifier: GPL-2.0
/* A link emulator for a kernel without netem: forwards packets between two
 * TUN devices with a one-way delay, jitter, loss and a rate limit, all
 * changeable at run time. Moving one device into a network namespace gives
 * that namespace a link with RTT = 2 x delay. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
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

/* The link's conditions, the same both ways. */
struct cond {
	double delay_ms, jitter_ms, loss_pct;
	double rate_kbit;	/* 0: unlimited */
	double burst_kb;	/* token bucket depth */
	double limit_kb;	/* tail drop above this many queued bytes; 0: QLEN only */
};

/* One direction: packets read from `in`, written to `out` when due. */
struct pipe {
	int in, out;
	unsigned int head, tail;	/* ring of pending packets */
	unsigned long long last_due;	/* jitter never reorders: due times only grow */
	unsigned long long tat;		/* token bucket as GCRA: theoretical arrival time */
	long queued;			/* bytes in the ring */
	unsigned long drops, losses;
	struct pkt q[QLEN];
};

static volatile sig_atomic_t stop, reread;
static uint64_t rng_state;

static void on_signal(int sig) { stop = sig; }
static void on_hup(int sig) { (void)sig; reread = 1; }

/* splitmix64: the same seed gives the same jitter and losses, packet by packet. */
static double rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return ((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
}

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

/* Reads KEY=VALUE lines into *c; keys not in the file keep their value.
 * A bad file changes nothing, so a half-written one cannot break the link. */
static int load(const char *path, struct cond *c)
{
	static const char *keys[] = { "delay_ms", "jitter_ms", "loss_pct", "rate_kbit",
				      "burst_kb", "limit_kb" };
	struct cond n = *c;
	double *vals[] = { &n.delay_ms, &n.jitter_ms, &n.loss_pct, &n.rate_kbit, &n.burst_kb,
			   &n.limit_kb };
	char line[128];
	FILE *f = fopen(path, "r");
	int ret = 0;

	if (!f) {
		fprintf(stderr, "tundelay: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	while (!ret && fgets(line, sizeof(line), f)) {
		char key[32];
		double v;
		size_t i;

		if (line[0] == '#' || line[strspn(line, " \t\n")] == '\0')
			continue;
		if (sscanf(line, " %31[a-z_] = %lf", key, &v) != 2 || v < 0 || v > 1e9) {
			ret = -EINVAL;
			break;
		}
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]) && strcmp(key, keys[i]); i++)
			;
		if (i == sizeof(keys) / sizeof(keys[0]))
			ret = -EINVAL;
		else
			*vals[i] = v;
	}
	fclose(f);
	if (ret || n.loss_pct > 100) {
		fprintf(stderr, "tundelay: %s: bad line: %s", path, line);
		return -EINVAL;
	}
	*c = n;
	fprintf(stderr, "tundelay: delay %.1f ms jitter %.1f ms loss %.1f%% rate %.0f kbit/s\n",
		c->delay_ms, c->jitter_ms, c->loss_pct, c->rate_kbit);
	return 0;
}

static void take(struct pipe *p, const struct cond *c)
{
	for (;;) {
		struct pkt *k = &p->q[p->tail % QLEN];
		unsigned long long now, due;
		double d;
		int n;

		n = read(p->in, k->data, sizeof(k->data));
		if (n <= 0)
			return;
		if (p->tail - p->head == QLEN || (c->limit_kb && p->queued + n > c->limit_kb * 1024)) {
			p->drops++;
			continue;
		}
		if (c->loss_pct && rnd() * 100 < c->loss_pct) {
			p->losses++;
			continue;
		}
		d = c->delay_ms;
		if (c->jitter_ms)
			d += (2 * rnd() - 1) * c->jitter_ms;
		now = now_ns();
		due = now + (d > 0 ? d * 1e6 : 0);
		if (due < p->last_due)
			due = p->last_due;
		k->len = n;
		k->due_ns = p->last_due = due;
		p->queued += n;
		p->tail++;
	}
}

/* Sends what is due and within the rate; returns ns until the next packet
 * may go, or -1 if none is queued. */
static long long give(struct pipe *p, const struct cond *c)
{
	unsigned long long now = now_ns();

	while (p->head != p->tail) {
		struct pkt *k = &p->q[p->head % QLEN];

		if (k->due_ns > now)
			return k->due_ns - now;
		if (c->rate_kbit) {
			unsigned long long burst = c->burst_kb * 8192e6 / c->rate_kbit;

			if (p->tat > now + burst)
				return p->tat - now - burst;
		}
		if (write(p->out, k->data, k->len) < 0 && errno == EAGAIN)
			return 100000;
		if (c->rate_kbit)
			p->tat = (p->tat > now ? p->tat : now) + k->len * 8e6 / c->rate_kbit;
		p->queued -= k->len;
		p->head++;
	}
	return -1;
}

int main(int argc, char **argv)
{
	static struct pipe ab, ba;
	struct sigaction sa = { .sa_handler = on_signal }, hup = { .sa_handler = on_hup };
	struct cond c = { .burst_kb = 16 };
	const char *file = NULL;
	int a, b, opt;

	rng_state = 1;
	while ((opt = getopt(argc, argv, "f:s:")) != -1) {
		switch (opt) {
		case 'f': file = optarg; break;
		case 's': rng_state = strtoull(optarg, NULL, 0); break;
		default: goto usage;
		}
	}
	if (argc - optind != 3)
		goto usage;
	c.delay_ms = strtod(argv[optind + 2], NULL);
	if (file && load(file, &c))
		return 1;
	a = tun_open(argv[optind]);
	b = a < 0 ? -1 : tun_open(argv[optind + 1]);
	if (b < 0)
		return 1;
	ab = (struct pipe){ .in = a, .out = b };
	ba = (struct pipe){ .in = b, .out = a };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &hup, NULL);	/* no SA_RESTART: ppoll returns at once */
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		struct pollfd pfd[2] = { { .fd = a, .events = POLLIN }, { .fd = b, .events = POLLIN } };
		long long t1 = give(&ab, &c), t2 = give(&ba, &c);
		long long t = t1 < 0 ? t2 : (t2 < 0 || t1 < t2 ? t1 : t2);
		struct timespec ts = { .tv_sec = t / 1000000000, .tv_nsec = t % 1000000000 };

		if (reread) {
			reread = 0;
			if (file)
				load(file, &c);
			continue;
		}
		if (ppoll(pfd, 2, t < 0 ? NULL : &ts, NULL) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[0].revents & POLLIN)
			take(&ab, &c);
		if (pfd[1].revents & POLLIN)
			take(&ba, &c);
	}
	if (ab.drops || ba.drops || ab.losses || ba.losses)
		fprintf(stderr, "tundelay: dropped %lu + %lu packets (queue full), lost %lu + %lu\n",
			ab.drops, ba.drops, ab.losses, ba.losses);
	return 0;
usage:
	fprintf(stderr, "usage: tundelay [-f CONTROL_FILE] [-s SEED] DEV_A DEV_B DELAY_MS\n"
		"Creates TUN devices DEV_A and DEV_B and forwards packets between them, each\n"
		"held DELAY_MS (one way). Prints \"ready\" once both exist; stops on SIGTERM.\n"
		"On SIGHUP it rereads CONTROL_FILE, KEY = VALUE lines applied both ways:\n"
		"  delay_ms, jitter_ms (uniform +-, never reordering), loss_pct,\n"
		"  rate_kbit (token bucket, 0 = none), burst_kb (default 16), limit_kb\n"
		"  (tail drop above this many queued bytes, 0 = none).\n"
		"Jitter and loss draw from SEED (default 1): the same seed, the same draws.\n");
	return 2;
}
