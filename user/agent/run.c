// SPDX-License-Identifier: GPL-2.0
/* The daemon's event loop: one thread on io_uring, waking for its tick
 * timer and for signals (through a signalfd). Each tick renews the lease;
 * a dead or hung agent lets it lapse and the hooks fail open. */
#include <errno.h>
#include <getopt.h>
#include <liburing.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "agent/actuate.h"
#include "agent/cgroup.h"
#include "agent/daemon.h"
#include "agent/run.h"
#include "lib/hist.h"

enum { EV_SIGNAL = 1, EV_TICK };


static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

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

/* Brings each workload to its pin or, without one, its policy's target;
 * the guard sends it local while that target's peer is down. */
static int decide(struct off_daemon *d, const struct off_config *c, int force)
{
	int ret = 0;

	for (int i = 0; !ret && i < c->nworkloads; i++) {
		uint32_t want = d->pin[i] ? d->pin[i] - 1 : c->workloads[i].target, t = want;
		char why[96];

		snprintf(why, sizeof(why), "%s", d->pin[i] ? "pinned by offloadctl" : "static policy");
		if (t && t <= (uint32_t)d->peers.n && !d->peers.p[t - 1].up) {
			snprintf(why, sizeof(why), "%s is down", off_config_target_name(c, t));
			t = OFF_TARGET_LOCAL;
		}
		if (!force && t == d->current[i])
			continue;
		ret = off_actuate_decide(&d->bpf, i + 1, t);
		if (ret)
			break;
		fprintf(stderr, "offloadd: workload %s -> %s (%s)\n", c->workloads[i].name,
			off_config_target_name(c, t), why);
		d->current[i] = t;
	}
	return ret;
}

static int same_peers(const struct off_config *a, const struct off_config *b)
{
	if (a->npeers != b->npeers)
		return 0;
	for (int i = 0; i < a->npeers; i++)
		if (strcmp(a->peers[i].name, b->peers[i].name) ||
		    memcmp(a->peers[i].addr, b->peers[i].addr, 16) ||
		    a->peers[i].status_port != b->peers[i].status_port)
			return 0;
	return 1;
}

static int apply(struct off_daemon *d, const struct off_config *c)
{
	int ret = off_actuate_services(&d->bpf, c);

	return ret ? ret : decide(d, c, 1);
}

static int govern(struct off_daemon *d)
{
	struct off_bpf_opts o = OFF_BPF_OPTS_DEFAULT;
	char err[4096];
	int ret;

	o.redirect = true;
	o.adopt = true;		/* a restart takes over its own pins */
	o.verbose = d->verbose;
	/* The configured bound, not the count: a restart with other workloads
	 * must find maps of the same size to adopt. */
	o.max_workloads = d->cfg.max_workloads;
	o.max_tasks = d->cfg.max_tasks;
	o.max_flows = d->cfg.max_flows;
	o.pin_dir = d->cfg.pin_dir;
	ret = off_bpf_load(&d->bpf, &o, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "offloadd: %s\n", err);
		return ret;
	}
	for (int i = 0; i < d->cfg.nworkloads; i++) {
		const struct off_cfg_workload *w = &d->cfg.workloads[i];
		uint64_t id;
		int fd = off_cgroup_open(w->cgroup, &id, err, sizeof(err));

		if (fd < 0 || (ret = off_bpf_govern(&d->bpf, fd, id, i + 1, err, sizeof(err)))) {
			fprintf(stderr, "offloadd: workload %s: %s\n", w->name, err);
			return fd < 0 ? fd : ret;
		}
	}
	if (d->bpf.adopted)
		fprintf(stderr, "offloadd: adopted the pinned state in %s\n", d->bpf.pin_dir);
	ret = off_snapshot_init(&d->snap, &d->bpf);
	if (ret) {
		fprintf(stderr, "offloadd: %s\n", strerror(-ret));
		return ret;
	}
	off_bpf_sweep(&d->bpf);
	ret = off_actuate_lease(&d->bpf, (uint64_t)d->cfg.lease_ticks * d->cfg.tick_ms * 1000000,
				d->cfg.mark_base);
	return ret ? ret : apply(d, &d->cfg);
}

/* Only static policies are enforced so far: a workload asking for another
 * would silently stay local. */
static int enforceable(const struct off_config *c, const char *path, char *err, size_t errlen)
{
	char policy[64];

	for (int i = 0; i < c->nworkloads; i++) {
		if (c->workloads[i].policy == OFF_POLICY_STATIC)
			continue;
		snprintf(err, errlen, "%s: workload %s: policy %s is not enforced by this build; use static:TARGET",
			 path, c->workloads[i].name, off_config_policy_name(c, &c->workloads[i], policy,
									  sizeof(policy)));
		return -EINVAL;
	}
	return 0;
}

/* What a reload cannot change without a restart, or NULL. */
static const char *needs_restart(const struct off_config *c, const struct off_config *old)
{
	int same = c->nworkloads == old->nworkloads;

	for (int i = 0; same && i < c->nworkloads; i++)
		same = !strcmp(c->workloads[i].cgroup, old->workloads[i].cgroup);
	if (!same)
		return "set of workloads";
	if (!same_peers(c, old))
		return "set of peers";
	if (c->max_workloads != old->max_workloads || c->max_tasks != old->max_tasks ||
	    c->max_flows != old->max_flows)
		return "map sizes";
	return NULL;
}

/* A reload may change targets and decisions; what sizes or attaches the
 * kernel side needs a restart, so it is refused like a bad file. */
int off_daemon_reload(struct off_daemon *d, char *err, size_t errlen)
{
	static struct off_config c;
	const char *changed;

	if (off_config_load(d->path, &c, err, errlen))
		goto refused;
	changed = needs_restart(&c, &d->cfg);
	if (changed) {
		snprintf(err, errlen, "%s: the %s changed; restart to apply", d->path, changed);
		goto drop;
	}
	if (enforceable(&c, d->path, err, errlen))
		goto drop;
	if (apply(d, &c)) {
		snprintf(err, errlen, "%s: could not apply it; the running configuration is restored", d->path);
		apply(d, &d->cfg);
		goto drop;
	}
	off_config_free(&d->cfg);
	d->cfg = c;
	fprintf(stderr, "offloadd: reloaded %s\n", d->path);
	return 0;
drop:
	off_config_free(&c);
refused:
	fprintf(stderr, "offloadd: reload refused, keeping the running configuration: %s\n", err);
	return -EINVAL;
}

static void arm_tick(struct off_daemon *d)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&d->ring);
	static struct __kernel_timespec ts;
	uint64_t now = mono_ns();

	/* Deadlines, not intervals: a late tick does not push the next ones. */
	d->next_ns += (uint64_t)d->cfg.tick_ms * 1000000;
	if (d->next_ns < now) {
		d->late++;
		d->next_ns = now;
	}
	ts.tv_sec = d->next_ns / 1000000000;
	ts.tv_nsec = d->next_ns % 1000000000;
	io_uring_prep_timeout(sqe, &ts, 0, IORING_TIMEOUT_ABS);
	io_uring_sqe_set_data64(sqe, EV_TICK);
}

static void arm_signal(struct off_daemon *d)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&d->ring);

	io_uring_prep_poll_add(sqe, d->sfd, POLLIN);
	io_uring_sqe_set_data64(sqe, EV_SIGNAL);
}

static void on_signal(struct off_daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->sfd, &si, sizeof(si)) == sizeof(si)) {
		char err[1024];

		if (si.ssi_signo == SIGHUP)
			off_daemon_reload(d, err, sizeof(err));
		else
			d->stop = 1;
	}
	arm_signal(d);
}

/* Host CPU utilisation and run-queue p99 over the tick that just ended. */
static void measure_host(struct off_daemon *d)
{
	const struct off_wl_stats *h = &d->snap.wl[OFF_WIDX_HOST];
	uint64_t now = mono_ns(), hist[OFF_HIST_SLOTS];
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	if (off_collect(&d->bpf, &d->snap))
		return;
	if (d->prev_ns && now > d->prev_ns) {
		double util = (double)(h->cpu_ns - d->prev_host.cpu_ns) / ((now - d->prev_ns) * ncpu);

		d->host_util = util < 0 ? 0 : util > 1 ? 1 : util;
		for (int i = 0; i < OFF_HIST_SLOTS; i++)
			hist[i] = h->rq_hist_us[i] - d->prev_host.rq_hist_us[i];
		d->host_rq_p99_us = off_hist_quantile_us(hist, OFF_HIST_SLOTS, 0.99);
	}
	d->prev_host = *h;
	d->prev_ns = now;
}

static void on_tick(struct off_daemon *d)
{
	measure_host(d);
	off_peers_tick(&d->peers, &d->ring);
	uint64_t lease = (uint64_t)d->cfg.lease_ticks * d->cfg.tick_ms * 1000000;

	if (off_actuate_lease(&d->bpf, lease, d->cfg.mark_base))
		fprintf(stderr, "offloadd: cannot renew the lease: %s\n", strerror(errno));
	if (decide(d, &d->cfg, 0))
		fprintf(stderr, "offloadd: cannot write decisions: %s\n", strerror(errno));
	d->ticks++;
	arm_tick(d);
}

static int loop(struct off_daemon *d)
{
	d->next_ns = mono_ns();
	arm_tick(d);
	arm_signal(d);
	off_listen_arm(&d->ctl, &d->ring);
	if (d->status.lfd >= 0)
		off_listen_arm(&d->status, &d->ring);
	while (!d->stop) {
		struct io_uring_cqe *cqe;
		int ret = io_uring_submit_and_wait(&d->ring, 1);

		if (ret < 0 && ret != -EINTR)
			return ret;
		while (io_uring_peek_cqe(&d->ring, &cqe) == 0) {
			uint64_t ev = io_uring_cqe_get_data64(cqe);

			if (ev == EV_TICK)
				on_tick(d);
			else if (ev == EV_SIGNAL)
				on_signal(d);
			else if (!off_listen_complete(&d->ring, cqe))
				off_peers_complete(&d->peers, &d->ring, cqe);
			io_uring_cqe_seen(&d->ring, cqe);
		}
	}
	return 0;
}

static int parse_args(struct off_daemon *d, int argc, char **argv, int *keep)
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

int off_run_main(int argc, char **argv)
{
	static struct off_daemon d = { .path = "/etc/offloadd/offloadd.conf", .sfd = -1,
				   .ctl = { .lfd = -1 }, .status = { .lfd = -1 } };
	char err[1024];
	sigset_t mask;
	int keep = 0, ret;

	if (parse_args(&d, argc, argv, &keep))
		return 1;
	if (off_config_load(d.path, &d.cfg, err, sizeof(err)) ||
	    enforceable(&d.cfg, d.path, err, sizeof(err))) {
		fprintf(stderr, "offloadd: %s\n", err);
		return 1;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	d.sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	ret = io_uring_queue_init(256, &d.ring, 0);
	if (d.sfd < 0 || ret < 0) {
		fprintf(stderr, "offloadd: cannot set up the event loop: %s\n",
			strerror(ret < 0 ? -ret : errno));
		return 1;
	}
	d.started_ns = mono_ns();
	if (off_peers_init(&d.peers, &d.cfg)) {
		fprintf(stderr, "offloadd: out of memory\n");
		return 1;
	}
	ret = off_listen_unix(&d.ctl, d.cfg.ctl_socket, off_daemon_command, &d, err, sizeof(err));
	if (!ret && d.cfg.status_listen[0])
		ret = off_listen_tcp(&d.status, d.cfg.status_listen, off_daemon_status, &d, err,
				     sizeof(err));
	if (ret)
		fprintf(stderr, "offloadd: %s\n", err);
	if (!ret)
		ret = govern(&d);
	if (!ret) {
		fprintf(stderr, "offloadd: governing %d workloads, tick %u ms, lease %u ticks\n",
			d.cfg.nworkloads, d.cfg.tick_ms, d.cfg.lease_ticks);
		ret = loop(&d);
	}
	/* A failed start leaves nothing of its own, and an adopted state as it was. */
	off_bpf_destroy(&d.bpf, ret ? !d.bpf.adopted : !keep);
	off_listen_close(&d.ctl);
	off_listen_close(&d.status);
	off_snapshot_free(&d.snap);
	off_peers_free(&d.peers);
	off_config_free(&d.cfg);
	io_uring_queue_exit(&d.ring);
	close(d.sfd);
	return ret ? 1 : 0;
}
