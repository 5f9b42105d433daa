// SPDX-License-Identifier: GPL-2.0
/* The daemon's event loop: one thread on io_uring, waking for its tick
 * timer and for signals (through a signalfd). Each tick renews the lease;
 * a dead or hung agent lets it lapse and the hooks fail open. */
#include <errno.h>
#include <openssl/ssl.h>
#include <liburing.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "agent/config/trust.h"
#include "agent/daemon.h"
#include "agent/kernel/actuate.h"
#include "agent/kernel/cgroup.h"
#include "agent/kernel/reconcile.h"
#include "agent/run.h"
#include "agent/serve/ring.h"
#include "agent/serve/tls.h"
#include "agent/startup.h"
#include "lib/hist.h"

enum { EV_SIGNAL = 1, EV_TICK, EV_LOG };

void off_daemon_decide(struct off_daemon *d)
{
	off_decide(&d->dec, &d->cfg, &d->meas, &d->peers, &d->models, d->pin, off_mono_ns());
	if (d->dec.nonfinite && !d->nonfinite_logged) {
		d->nonfinite_logged = true;	/* once: the counter says the rest */
		fprintf(stderr, "offloadd: a model scored Inf or NaN (its weights overflow); such workloads keep their target, counted in offloadd_nonfinite_scores_total\n");
	}
}

int off_daemon_actuate(struct off_daemon *d, int force)
{
	const struct off_config *c = &d->cfg;

	for (int i = 0; i < c->nworkloads; i++) {
		struct off_choice *ch = &d->dec.ch[i];
		int ret;

		if (ch->changed) {
			ch->since_tick = d->ticks;
			fprintf(stderr, "offloadd: tick %llu: %sworkload %s -> %s (%s)\n",
				(unsigned long long)d->ticks, c->dry_run ? "dry-run, not enforced: " : "",
				c->workloads[i].name, off_config_target_name(c, ch->target), ch->why);
		}
		if (c->dry_run || (!force && ch->target == d->current[i]))
			continue;
		ret = off_actuate_decide(&d->bpf, i + 1, ch->target);
		if (ret)
			return ret;
		d->current[i] = ch->target;
	}
	return 0;
}

/* What the agent decides with, sized once: the set of workloads and peers
 * can only change by a restart. A restart starts from the decisions the
 * last agent left in the kernel. */
/* The lease outlives lease_ticks ticks: renewed each tick, it lapses, and
 * connections fail open to local targets, only if the agent stops ticking. */
static int renew_lease(struct off_daemon *d)
{
	int ret = off_actuate_lease(&d->bpf, (uint64_t)d->cfg.lease_ticks * d->cfg.tick_ms * 1000000,
				    d->cfg.mark_base);

	if (ret)
		fprintf(stderr, "offloadd: cannot renew the lease: %s\n", strerror(-ret));
	else
		d->lease_renewed_ns = off_mono_ns();
	return ret;
}

static int prepare(struct off_daemon *d, char *err, size_t errlen)
{
	const struct off_config *c = &d->cfg;
	/* Peers found by DNS take the slots the file leaves. */
	int ntargets = 1 + (c->dns.name[0] ? OFF_CFG_MAX_PEERS : c->npeers);
	int ret;

	d->snap.skip_tasks = 1;
	ret = off_measure_init(&d->meas, c->nworkloads, ntargets);
	if (!ret)
		ret = off_decider_init(&d->dec, c->nworkloads, ntargets);
	if (ret) {
		snprintf(err, errlen, "out of memory");
		return ret;
	}
	/* Measured over the local CPUs from the first tick on. */
	ret = off_local_scope(c->serve_cgroup, c->local_cpus, d->snap.local_cpu, d->snap.nr_cpus, &d->meas.scope,
			      err, errlen);
	if (!ret)
		ret = off_record_init(&d->rec, c->nworkloads, c->experience_log,
				      c->experience_log_max, err, errlen);
	if (!ret && (ret = off_abtest_init(&d->ab, d)))
		snprintf(err, errlen, "out of memory");
	for (int i = 0; !ret && i < c->nworkloads; i++) {
		if (d->bpf.adopted)
			off_actuate_read(&d->bpf, i + 1, &d->current[i]);
		d->dec.ch[i].target = d->current[i];
	}
	return ret;
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
	if (ret)
		snprintf(err, sizeof(err), "%s", strerror(-ret));
	else
		ret = prepare(d, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "offloadd: %s\n", err);
		return ret;
	}
	off_bpf_sweep(&d->bpf);
	ret = renew_lease(d);
	if (!ret)
		ret = off_reconcile_services(&d->bpf, &d->cfg);
	if (ret)
		return ret;
	off_daemon_decide(d);
	return off_daemon_actuate(d, 1);
}

static void arm_tick(struct off_daemon *d)
{
	struct io_uring_sqe *sqe = off_ring_sqe(&d->ring, 1);
	static struct __kernel_timespec ts;
	uint64_t now = off_mono_ns();

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
	struct io_uring_sqe *sqe = off_ring_sqe(&d->ring, 1);

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

/* systemd: READY after the first tick, then a one-line STATUS and the
 * watchdog ping every tick; a hung loop stops pinging and is restarted. */
static void notify(struct off_daemon *d)
{
	int up = 0, away = 0;

	for (int i = 0; i < d->peers.n; i++)
		up += d->peers.p[i].up;
	for (int i = 0; i < d->cfg.nworkloads; i++)
		away += d->current[i] != OFF_TARGET_LOCAL;
	sd_notifyf(0, "%sWATCHDOG=1\nSTATUS=%d workloads, %d on peers; %d of %d peers up; tick %.0f us%s",
		   d->ticks == 1 ? "READY=1\n" : "", d->cfg.nworkloads, away, up, d->peers.n,
		   d->tick_ns_last / 1e3, d->cfg.dry_run ? "; dry-run" : "");
}

/* The kernel's and the agent's work of a tick, timed for the metrics. */
static void account(struct off_daemon *d, uint64_t t0, uint64_t cpu0)
{
	int b = 0;

	d->tick_cpu_ns_sum += off_cpu_ns() - cpu0;
	d->tick_ns_last = off_mono_ns() - t0;
	d->tick_ns_sum += d->tick_ns_last;
	while (b < OFF_TICK_BUCKETS && d->tick_ns_last > off_tick_buckets_s[b] * 1e9)
		b++;
	d->tick_hist[b]++;
	if (d->tick_ns_last > d->tick_ns_max)
		d->tick_ns_max = d->tick_ns_last;
}

static void retire(void *ctx, const struct off_flow_key *k, const struct off_flow *f)
{
	struct off_daemon *d = ctx;

	off_measure_retire(&d->meas, &d->cfg, k, f);
}

/* After measuring: what the deleted flows counted is in this tick's totals,
 * and retire keeps it in the next ones. */
static void age_flows(struct off_daemon *d, uint64_t now_ns)
{
	int ret;

	d->age.idle_ns = (uint64_t)d->cfg.flow_idle_ms * 1000000;
	d->age.tick_ns = (uint64_t)d->cfg.tick_ms * 1000000;
	ret = off_flows_age(&d->age, &d->bpf, &d->snap, now_ns, retire, d);
	if (ret < 0)
		fprintf(stderr, "offloadd: cannot age the flows map: %s\n", strerror(-ret));
}

static void on_tick(struct off_daemon *d)
{
	uint64_t t0 = off_mono_ns(), cpu0 = off_cpu_ns();
	int ret;

	off_dnspeers_tick(d);	/* first: a peer that answered is a candidate now */
	ret = off_collect(&d->bpf, &d->snap);

	if (ret)
		fprintf(stderr, "offloadd: cannot read the maps: %s\n", strerror(-ret));
	if (!ret) {
		off_measure_tick(&d->meas, &d->snap, &d->cfg, d->current, t0);
		age_flows(d, t0);
	}
	renew_lease(d);
	off_daemon_decide(d);
	ret = off_daemon_actuate(d, 0);
	if (ret)
		fprintf(stderr, "offloadd: cannot write decisions: %s\n", strerror(-ret));
	account(d, t0, cpu0);
	off_edgex_tick(&d->edgex, d);
	off_record_tick(&d->rec, &d->cfg, &d->meas, &d->dec, d->current, &d->ring, EV_LOG);
	off_abtest_tick(&d->ab, d);
	off_peers_tick(&d->peers, &d->ring);
	off_listen_tick(&d->ctl, &d->ring);
	off_listen_tick(&d->status, &d->ring);
	off_listen_tick(&d->metrics, &d->ring);
	d->ticks++;
	notify(d);
	arm_tick(d);
}

static int loop(struct off_daemon *d)
{
	d->next_ns = off_mono_ns();
	arm_tick(d);
	arm_signal(d);
	off_listen_arm(&d->ctl, &d->ring);
	if (d->status.lfd >= 0)
		off_listen_arm(&d->status, &d->ring);
	if (d->metrics.lfd >= 0)
		off_listen_arm(&d->metrics, &d->ring);
	while (!d->stop) {
		struct io_uring_cqe *cqe;
		int ret = io_uring_submit_and_wait(&d->ring, 1);

		if (ret < 0 && ret != -EINTR)
			return ret;
		while (io_uring_peek_cqe(&d->ring, &cqe) == 0) {
			uint64_t ev = io_uring_cqe_get_data64(cqe);

			if (ev == EV_TICK)
				on_tick(d);
			else if (ev == EV_LOG)
				off_record_written(&d->rec, cqe->res);
			else if (ev == EV_SIGNAL)
				on_signal(d);
			else if (!off_listen_complete(&d->ring, cqe) && !off_edgex_complete(cqe) &&
				 !off_dnspeers_complete(d, cqe))
				off_peers_complete(&d->peers, &d->ring, cqe);
			io_uring_cqe_seen(&d->ring, cqe);
		}
	}
	return 0;
}

/* What the loop serves besides the tick: discovery, the control socket,
 * peers' status and Prometheus. */
static int serve_start(struct off_daemon *d, char *err, size_t errlen)
{
	int ret = off_dnspeers_init(d, err, errlen);

	if (!ret)
		ret = off_listen_unix(&d->ctl, d->cfg.ctl_socket, d->cfg.ctl_group, d->cfg.ctl_admin_group,
				      off_daemon_command, d, err, errlen);
	if (!ret && d->cfg.status_listen[0])
		ret = off_listen_tcp(&d->status, d->cfg.status_listen, off_daemon_status, d, err, errlen);
	if (!ret && d->cfg.metrics_listen[0])
		ret = off_listen_tcp(&d->metrics, d->cfg.metrics_listen, off_daemon_metrics, d, err, errlen);
	return ret;
}

static void teardown(struct off_daemon *d, int failed, int keep)
{
	/* A failed start leaves nothing of its own, and an adopted state as it was. */
	off_bpf_destroy(&d->bpf, failed ? !d->bpf.adopted : !keep);
	off_listen_close(&d->ctl);
	off_listen_close(&d->status);
	off_listen_close(&d->metrics);
	off_reply_put(d->metrics_cache);
	off_snapshot_free(&d->snap);
	off_measure_free(&d->meas);
	off_decider_free(&d->dec);
	off_record_free(&d->rec);
	off_abtest_free(&d->ab);
	off_models_free(&d->models);
	off_dnspeers_free(&d->disc);
	off_peers_free(&d->peers);
	off_edgex_free(&d->edgex);
	SSL_CTX_free(d->tls);
	off_config_free(&d->cfg);
	io_uring_queue_exit(&d->ring);
	close(d->sfd);
}

int off_run_main(int argc, char **argv)
{
	static struct off_daemon d = { .path = "/etc/offloadd/offloadd.conf", .sfd = -1,
				   .ctl = { .lfd = -1 }, .status = { .lfd = -1 },
				   .metrics = { .lfd = -1 } };
	char err[1024];
	sigset_t mask;
	int keep = 0, ret;

	if (off_startup_args(&d, argc, argv, &keep))
		return 1;
	off_startup_nofile();
	if (off_trust_file(d.path, err, sizeof(err)) ||
	    off_config_load(d.path, &d.cfg, err, sizeof(err)) ||
	    off_trust_models(&d.cfg, err, sizeof(err)) ||
	    off_models_load(&d.models, &d.cfg, err, sizeof(err)) ||
	    off_tls_load(&d.cfg, d.path, &d.tls, err, sizeof(err))) {
		fprintf(stderr, "offloadd: %s\n", err);
		return 1;
	}
	off_startup_warn_plain(&d.cfg, d.tls);
	/* A peer or a log reader that goes away must cost an EPIPE, counted
	 * where it happens, never the agent: io_uring's writes to a pipe
	 * cannot take MSG_NOSIGNAL. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	d.sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	ret = off_ring_init(&d.ring);
	if (d.sfd < 0 || ret < 0) {
		fprintf(stderr, "offloadd: cannot set up the event loop: %s\n",
			strerror(ret < 0 ? -ret : errno));
		return 1;
	}
	d.started_ns = off_mono_ns();
	d.status.tls = d.tls;
	if (off_peers_init(&d.peers, &d.cfg, d.tls)) {
		fprintf(stderr, "offloadd: out of memory\n");
		return 1;
	}
	if (off_edgex_init(&d.edgex, &d.cfg, &d.ring, err, sizeof(err))) {
		fprintf(stderr, "offloadd: %s\n", err);
		return 1;
	}
	ret = serve_start(&d, err, sizeof(err));
	if (ret)
		fprintf(stderr, "offloadd: %s\n", err);
	if (!ret)
		ret = govern(&d);
	if (!ret) {
		off_models_log(&d.models);
		fprintf(stderr, "offloadd: governing %d workloads, tick %u ms, lease %u ticks%s\n",
			d.cfg.nworkloads, d.cfg.tick_ms, d.cfg.lease_ticks,
			d.cfg.dry_run ? ", dry-run (decisions are not enforced)" : "");
		off_startup_watchdog(&d);
		ret = loop(&d);
		sd_notify(0, "STOPPING=1");
	}
	teardown(&d, ret, keep);
	return ret ? 1 : 0;
}
