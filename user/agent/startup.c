// SPDX-License-Identifier: GPL-2.0
/* offloadd run's start-up: its arguments, the limits and warnings an
 * operator should see before the first tick. */
#include <errno.h>
#include <getopt.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <systemd/sd-daemon.h>

#include "agent/startup.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: offloadd run --config FILE [--keep-pinned] [-v]\n"
"\n"
"Govern the workloads of FILE: attach telemetry and enforcement to their\n"
"cgroups, send their connections to each service's decided target, and renew\n"
"the lease every tick. SIGHUP reloads FILE (a bad file is refused and the\n"
"running configuration kept); SIGTERM detaches and exits.\n"
"\n"
"  -c, --config FILE   configuration (default /etc/offloadd/offloadd.conf)\n"
"      --keep-pinned   leave programs attached at exit; the next start adopts\n"
"                      them without a gap (the lease still lapses meanwhile)\n"
"  -v, --verbose       print libbpf's debug output\n"
"  -h, --help          this text\n");
}

int off_startup_args(struct off_daemon *d, int argc, char **argv, int *keep)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "keep-pinned", no_argument, NULL, 'k' },
		{ "verbose", no_argument, NULL, 'v' }, { "help", no_argument, NULL, 'h' }, {}
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': d->path = optarg; break;
		case 'k': *keep = 1; break;
		case 'v': d->verbose = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "offloadd run: unexpected argument \"%s\"\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/* A workload's links are held by their pins, not by fds, but connections,
 * probes and a run without a pin directory still take them. As systemd does
 * for itself, raise the soft limit to the hard one: the loop is io_uring,
 * never select(), so high fd numbers are harmless. */
void off_startup_nofile(void)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r) || r.rlim_cur >= r.rlim_max)
		return;
	r.rlim_cur = r.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &r))
		fprintf(stderr, "offloadd: cannot raise the open-file limit: %s\n", strerror(errno));
}

/* Once, at start: anyone who can answer on a peer's address and port (a
 * spoofer on the LAN, any user on the peer's host while its agent is down)
 * could report an idle peer and draw work to itself. */
void off_startup_warn_plain(const struct off_config *c, const SSL_CTX *tls)
{
	int probed = 0;

	for (int i = 0; i < c->npeers; i++)
		probed += c->peers[i].status_port != 0;
	if (!tls && (probed || c->status_listen[0]))
		fprintf(stderr, "offloadd: warning: peers are unauthenticated: their status travels as plain "
			"HTTP (set [agent] tls_ca, tls_cert and tls_key for mutual TLS)\n");
}

void off_startup_watchdog(const struct off_daemon *d)
{
	uint64_t usec;

	if (sd_watchdog_enabled(0, &usec) > 0 && (uint64_t)d->cfg.tick_ms * 1000 * 2 > usec)
		fprintf(stderr, "offloadd: tick %u ms is over half of WatchdogSec (%llu ms): expect restarts\n",
			d->cfg.tick_ms, (unsigned long long)(usec / 1000));
}
