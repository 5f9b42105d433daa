// SPDX-License-Identifier: GPL-2.0
/* GET /metrics: the Prometheus text format (0.0.4). Counters are the
 * kernel's own cumulative ones; histograms keep every other log2 slot of
 * the kernel's, cumulative as Prometheus wants, with exact sums and counts. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/daemon.h"
#include "sched.skel.h"
#include "net.skel.h"
#include "redirect.skel.h"

const double off_tick_buckets_s[OFF_TICK_BUCKETS] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
};

/* The text as it grows; failed once it would pass OFF_LISTEN_MAX_REPLY. */
struct wr {
	char *p;
	size_t len, cap;
	int failed;
};

/* Doubles the buffer until need more bytes fit. */
static int grow(struct wr *w, size_t need)
{
	size_t cap = w->cap ? w->cap : 64 << 10;
	char *p;

	while (cap - w->len <= need)
		cap *= 2;
	if (cap > OFF_LISTEN_MAX_REPLY || !(p = realloc(w->p, cap)))
		return -1;
	w->p = p;
	w->cap = cap;
	return 0;
}

/* Each kernel counter that means something was lost, by name: every drop
 * the BPF side counts is reported (abi.h's promise). */
static const struct {
	enum off_counter counter;
	const char *name;
} drops[] = {
	{ OFF_CNT_TASK_FULL, "task_full" }, { OFF_CNT_FLOW_FULL, "flow_full" },
	{ OFF_CNT_SOCK_NOMEM, "sock_nomem" }, { OFF_CNT_WIDX_RANGE, "widx_range" },
	{ OFF_CNT_NO_TARGET, "no_target" }, { OFF_CNT_REVNAT_FAIL, "revnat_fail" },
};

static void put(struct wr *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = w->failed ? -1 : vsnprintf(w->p + w->len, w->cap - w->len, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n >= w->cap - w->len && !grow(w, n)) {
		va_start(ap, fmt);
		n = vsnprintf(w->p + w->len, w->cap - w->len, fmt, ap);
		va_end(ap);
	}
	if (n < 0 || (size_t)n >= w->cap - w->len)
		w->failed = 1;
	else
		w->len += n;
}

static void head(struct wr *w, const char *name, const char *type, const char *help)
{
	put(w, "# HELP offloadd_%s %s\n# TYPE offloadd_%s %s\n", name, help, name, type);
}

/* A label value with \, " and newlines escaped. */
static const char *esc(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	for (; *s && o + 3 < len; s++) {
		if (*s == '\\' || *s == '"' || *s == '\n')
			buf[o++] = '\\';
		buf[o++] = *s == '\n' ? 'n' : *s;
	}
	buf[o] = '\0';
	return buf;
}

const char *off_daemon_policy_label(const struct off_daemon *d, int i, char *buf, size_t len)
{
	const struct off_cfg_workload *w = &d->cfg.workloads[i];
	const char *slash = strrchr(w->model, '/');

	if (w->policy == OFF_POLICY_DQN && w->model[0])
		snprintf(buf, len, "dqn:%s", slash ? slash + 1 : w->model);
	else
		off_config_policy_name(&d->cfg, w, buf, len);
	return buf;
}

/* A log2-µs histogram as seconds: le = 2^(k+1) µs for odd k, then +Inf. */
static void hist(struct wr *w, const char *name, const char *labels, const uint64_t *slots,
		 double sum_s, uint64_t count)
{
	uint64_t cum = 0;

	for (int k = 0; k < OFF_HIST_SLOTS; k++) {
		cum += slots[k];
		if (k % 2 && k < 25)
			put(w, "offloadd_%s_bucket{%s,le=\"%.9g\"} %llu\n", name, labels,
			    ldexp(1.0, k + 1) / 1e6, (unsigned long long)cum);
	}
	put(w, "offloadd_%s_bucket{%s,le=\"+Inf\"} %llu\n", name, labels, (unsigned long long)count);
	put(w, "offloadd_%s_sum{%s} %.9g\noffloadd_%s_count{%s} %llu\n", name, labels, sum_s, name,
	    labels, (unsigned long long)count);
}

static void workloads(struct wr *w, const struct off_daemon *d)
{
	const struct off_config *c = &d->cfg;
	char lb[256], pol[96], tl[320];

	head(w, "workload_target", "gauge", "1 for the target a workload's new connections go to");
	for (int i = 0; i < c->nworkloads; i++)
		for (int t = 0; t < d->dec.ncand; t++)
			put(w, "offloadd_workload_target{workload=\"%s\",policy=\"%s\",target=\"%s\"} %d\n",
			    c->workloads[i].name, esc(off_daemon_policy_label(d, i, tl, sizeof(tl)), pol, sizeof(pol)),
			    off_config_target_name(c, t), d->dec.ch[i].target == (uint32_t)t);
	head(w, "decision_changes_total", "counter", "decision changes, by reason");
	for (int i = 0; i < c->nworkloads; i++)
		for (int r = 0; r < OFF_WHY_KINDS; r++)
			put(w, "offloadd_decision_changes_total{workload=\"%s\",policy=\"%s\",reason=\"%s\"} %llu\n",
			    c->workloads[i].name, esc(off_daemon_policy_label(d, i, tl, sizeof(tl)), pol, sizeof(pol)),
			    off_reason_names[r], (unsigned long long)d->dec.ch[i].changes_by[r]);
	head(w, "workload_cpu_seconds_total", "counter", "CPU time of the workload's tasks");
	for (int i = 0; i < c->nworkloads; i++)
		put(w, "offloadd_workload_cpu_seconds_total{workload=\"%s\",policy=\"%s\"} %.9g\n",
		    c->workloads[i].name, esc(off_daemon_policy_label(d, i, tl, sizeof(tl)), pol, sizeof(pol)),
		    d->snap.wl[i + 1].cpu_ns / 1e9);
	head(w, "workload_runqueue_latency_seconds", "histogram", "run-queue waits of the workload's tasks");
	for (int i = 0; i < c->nworkloads; i++) {
		const struct off_wl_stats *st = &d->snap.wl[i + 1];

		snprintf(lb, sizeof(lb), "workload=\"%s\",policy=\"%s\"", c->workloads[i].name,
			 esc(off_daemon_policy_label(d, i, tl, sizeof(tl)), pol, sizeof(pol)));
		hist(w, "workload_runqueue_latency_seconds", lb, (const uint64_t *)st->rq_hist_us,
		     st->rq_wait_ns / 1e9, st->rq_waits);
	}
	head(w, "workload_reward", "gauge", "the reward of the workload's last measured decision");
	for (int i = 0; i < c->nworkloads; i++)
		if (isfinite(d->rec.wl[i].last_reward))
			put(w, "offloadd_workload_reward{workload=\"%s\",policy=\"%s\"} %.6g\n",
			    c->workloads[i].name, esc(off_daemon_policy_label(d, i, tl, sizeof(tl)), pol, sizeof(pol)),
			    d->rec.wl[i].last_reward);
}

/* Per (workload, target): only the pairs that have seen connections. */
static void targets(struct wr *w, const struct off_daemon *d)
{
	const struct off_config *c = &d->cfg;
	char lb[320], pol[96], tl[96];

	head(w, "connections_total", "counter", "connections opened to a target");
	head(w, "connection_lifetime_seconds", "histogram", "lifetimes of closed connections");
	head(w, "srtt_seconds", "gauge", "smoothed RTT of the latest connections");
	head(w, "q_value", "gauge", "the policy's score of each candidate (Q, or estimated reward)");
	for (int i = 0; i < c->nworkloads; i++) {
		const struct off_wl_meas *m = &d->meas.wl[i];
		const struct off_choice *ch = &d->dec.ch[i];

		esc(off_daemon_policy_label(d, i, tl, sizeof(tl)), pol, sizeof(pol));
		for (int t = 0; t < d->dec.ncand; t++) {
			/* prev_sum holds the latest totals once a tick has run. */
			const struct off_tgt_sum *s = &m->prev_sum[t];

			snprintf(lb, sizeof(lb), "workload=\"%s\",policy=\"%s\",target=\"%s\"",
				 c->workloads[i].name, pol, off_config_target_name(c, t));
			if (ch->scored)
				put(w, "offloadd_q_value{%s} %.6g\n", lb, ch->q[t]);
			if (!s->opened)
				continue;
			put(w, "offloadd_connections_total{%s} %llu\n", lb, (unsigned long long)s->opened);
			hist(w, "connection_lifetime_seconds", lb, s->life_us, s->life_sum_us / 1e6, s->closed);
			if (s->srtt_n)
				put(w, "offloadd_srtt_seconds{%s} %.9g\n", lb, (double)s->srtt_us / s->srtt_n / 1e6);
		}
	}
}

static void peers(struct wr *w, const struct off_daemon *d)
{
	head(w, "peer_up", "gauge", "1 while the peer answers its probes");
	for (int i = 0; i < d->peers.n; i++)
		put(w, "offloadd_peer_up{peer=\"%s\",kind=\"%s\"} %d\n", d->peers.p[i].cfg->name,
		    off_kind_names[d->peers.p[i].cfg->kind], d->peers.p[i].up);
	head(w, "peer_rtt_seconds", "gauge", "connect time of the last good probe");
	for (int i = 0; i < d->peers.n; i++)
		put(w, "offloadd_peer_rtt_seconds{peer=\"%s\"} %.9g\n", d->peers.p[i].cfg->name,
		    d->peers.p[i].rtt_us / 1e6);
	head(w, "peer_cpu_utilisation_ratio", "gauge", "CPU utilisation the peer reports");
	for (int i = 0; i < d->peers.n; i++)
		put(w, "offloadd_peer_cpu_utilisation_ratio{peer=\"%s\"} %.6g\n", d->peers.p[i].cfg->name,
		    d->peers.p[i].st.cpu_util);
	head(w, "peer_clients", "gauge",
	     "agents the peer counts probing it in its last 10 s, this one included (0: not reported)");
	for (int i = 0; i < d->peers.n; i++)
		put(w, "offloadd_peer_clients{peer=\"%s\"} %d\n", d->peers.p[i].cfg->name,
		    d->peers.p[i].st.clients);
	head(w, "peer_runqueue_p99_seconds", "gauge", "run-queue latency p99 the peer reports");
	for (int i = 0; i < d->peers.n; i++)
		put(w, "offloadd_peer_runqueue_p99_seconds{peer=\"%s\"} %.9g\n", d->peers.p[i].cfg->name,
		    d->peers.p[i].st.rq_p99_us / 1e6);
	if (!d->disc.on)
		return;
	head(w, "dns_lookups_total", "counter", "peers_dns lookups, answered or failed");
	put(w, "offloadd_dns_lookups_total{result=\"answered\"} %llu\n", (unsigned long long)d->disc.resolves);
	put(w, "offloadd_dns_lookups_total{result=\"failed\"} %llu\n", (unsigned long long)d->disc.failures);
	head(w, "dns_peers_found_total", "counter", "peers taken on from DNS once their status answered");
	put(w, "offloadd_dns_peers_found_total %llu\n", (unsigned long long)d->disc.found);
	head(w, "dns_peers_drained_total", "counter", "peers drained after leaving DNS");
	put(w, "offloadd_dns_peers_drained_total %llu\n", (unsigned long long)d->disc.drained);
}

static void prog_stats(struct wr *w, struct bpf_object *obj)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, obj) {
		struct bpf_prog_info info = {};
		uint32_t len = sizeof(info);
		int fd = bpf_program__fd(p);

		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		put(w, "offloadd_bpf_prog_run_seconds_total{prog=\"%s\"} %.9g\n", bpf_program__name(p),
		    info.run_time_ns / 1e9);
		put(w, "offloadd_bpf_prog_runs_total{prog=\"%s\"} %llu\n", bpf_program__name(p),
		    (unsigned long long)info.run_cnt);
	}
}

/* The agent's own series: ticks, the policy, the BPF programs and maps,
 * models, reloads, the lease. */
static void agent_series(struct wr *w, const struct off_daemon *d)
{
	uint64_t cum = 0;
	char path[512], crc[16];

	head(w, "tick_duration_seconds", "histogram", "collect, decide and actuate, per tick");
	for (int b = 0; b < OFF_TICK_BUCKETS; b++) {
		cum += d->tick_hist[b];
		put(w, "offloadd_tick_duration_seconds_bucket{le=\"%g\"} %llu\n", off_tick_buckets_s[b],
		    (unsigned long long)cum);
	}
	put(w, "offloadd_tick_duration_seconds_bucket{le=\"+Inf\"} %llu\n", (unsigned long long)d->ticks);
	put(w, "offloadd_tick_duration_seconds_sum %.9g\noffloadd_tick_duration_seconds_count %llu\n",
	    d->tick_ns_sum / 1e9, (unsigned long long)d->ticks);
	head(w, "inference_duration_seconds", "gauge", "the last tick's estimates and batched inference");
	put(w, "offloadd_inference_duration_seconds %.9g\n", d->dec.infer_ns / 1e9);
	head(w, "gate_total", "counter",
	     "model decisions by how the learned correction was used (the estimate decides unless corrected)");
	for (int g = 0; g < OFF_GATE_KINDS; g++)
		put(w, "offloadd_gate_total{gate=\"%s\"} %llu\n", off_gate_names[g],
		    (unsigned long long)d->dec.gates[g]);
	head(w, "nonfinite_scores_total", "counter", "Inf or NaN scores, taken as no score");
	put(w, "offloadd_nonfinite_scores_total %llu\n", (unsigned long long)d->dec.nonfinite);
	head(w, "refusal_holds_total", "counter",
	     "peers left for a workload after failing half or more of its connects of a tick");
	put(w, "offloadd_refusal_holds_total %llu\n", (unsigned long long)d->dec.refusal_holds);
	head(w, "bpf_prog_run_seconds_total", "counter",
	     "time in each BPF program (kernel.bpf_stats_enabled=1, else 0)");
	head(w, "bpf_prog_runs_total", "counter", "runs of each BPF program (with bpf_stats)");
	prog_stats(w, d->bpf.sched->obj);
	prog_stats(w, d->bpf.net->obj);
	if (d->bpf.redir)
		prog_stats(w, d->bpf.redir->obj);
	head(w, "kernel_drops_total", "counter",
	     "events the kernel programs could not record, or connections they left alone");
	for (size_t i = 0; i < sizeof(drops) / sizeof(*drops); i++)
		put(w, "offloadd_kernel_drops_total{reason=\"%s\"} %llu\n", drops[i].name,
		    (unsigned long long)d->snap.counters[drops[i].counter]);
	head(w, "redirects_total", "counter", "connections and datagrams sent to a decided target");
	put(w, "offloadd_redirects_total %llu\n", (unsigned long long)d->snap.counters[OFF_CNT_REDIRECTS]);
	head(w, "fail_open_total", "counter", "connections sent local because the lease had lapsed");
	put(w, "offloadd_fail_open_total %llu\n", (unsigned long long)d->snap.counters[OFF_CNT_FAIL_OPEN]);
	/* The tasks map is not read per tick: its misses show as task_full drops. */
	head(w, "map_entries", "gauge", "entries in use");
	put(w, "offloadd_map_entries{map=\"flows\"} %u\n", d->age.entries);
	put(w, "offloadd_map_entries{map=\"workloads\"} %d\n", d->cfg.nworkloads);
	head(w, "map_capacity", "gauge", "entries a map holds");
	put(w, "offloadd_map_capacity{map=\"flows\"} %u\n", d->snap.max_flows);
	put(w, "offloadd_map_capacity{map=\"tasks\"} %u\n", d->snap.max_tasks);
	put(w, "offloadd_map_capacity{map=\"workloads\"} %u\n", d->bpf.max_workloads);
	head(w, "flows_aged_total", "counter", "idle flows deleted from the flows map, their counts kept");
	put(w, "offloadd_flows_aged_total %llu\n", (unsigned long long)d->age.aged);
	head(w, "flows_pressure_ticks_total", "counter",
	     "ticks that aged flows idle for a tick, the map 7/8 full or a flow unrecorded");
	put(w, "offloadd_flows_pressure_ticks_total %llu\n", (unsigned long long)d->age.pressed);
	head(w, "model_info", "gauge", "the models in use: path and CRC32");
	for (int i = 0; i < d->models.n; i++) {
		snprintf(crc, sizeof(crc), "%08x", d->models.m[i].m.crc);
		put(w, "offloadd_model_info{path=\"%s\",crc32=\"%s\"} 1\n",
		    esc(d->models.m[i].path, path, sizeof(path)), crc);
	}
	head(w, "reloads_total", "counter", "configuration and model reloads");
	put(w, "offloadd_reloads_total{result=\"ok\"} %llu\n", (unsigned long long)d->reloads);
	put(w, "offloadd_reloads_total{result=\"refused\"} %llu\n", (unsigned long long)d->reloads_failed);
	head(w, "lease_age_seconds", "gauge", "since the lease was last renewed");
	put(w, "offloadd_lease_age_seconds %.6f\n",
	    d->lease_renewed_ns ? (off_mono_ns() - d->lease_renewed_ns) / 1e9 : 0.0);
}

/* The agent's input and output: the experience log, the listeners, the
 * renderings of this page, and the version. */
static void io_series(struct wr *w, const struct off_daemon *d)
{
	head(w, "experience_lines_total", "counter", "lines written to the experience log");
	put(w, "offloadd_experience_lines_total %llu\n", (unsigned long long)d->rec.lines);
	head(w, "experience_dropped_total", "counter", "experience lines lost: buffer full or write failed");
	put(w, "offloadd_experience_dropped_total %llu\n", (unsigned long long)d->rec.dropped);
	head(w, "experience_rotations_total", "counter", "experience logs moved to PATH.1 at experience_log_max");
	put(w, "offloadd_experience_rotations_total %llu\n", (unsigned long long)d->rec.rotations);
	head(w, "experience_write_errors_total", "counter", "failed opens and writes of the experience log");
	put(w, "offloadd_experience_write_errors_total %llu\n", (unsigned long long)d->rec.write_errors);
	head(w, "listener_refused_total", "counter", "connections closed at once: too many open");
	head(w, "listener_refused_source_total", "counter",
	     "of those, refused for their source address having too many open");
	head(w, "listener_timed_out_total", "counter", "connections dropped at their deadline");
	head(w, "listener_accept_errors_total", "counter", "failed accepts (out of fds): retried a tick later");
	for (int i = 0; i < 3; i++) {
		static const char *const names[] = { "ctl", "status", "metrics" };
		const struct off_listener *l = i == 0 ? &d->ctl : i == 1 ? &d->status : &d->metrics;

		if (l->lfd < 0)
			continue;
		put(w, "offloadd_listener_refused_total{listener=\"%s\"} %llu\n", names[i], l->refused);
		put(w, "offloadd_listener_refused_source_total{listener=\"%s\"} %llu\n", names[i],
		    l->refused_source);
		put(w, "offloadd_listener_timed_out_total{listener=\"%s\"} %llu\n", names[i], l->timed_out);
		put(w, "offloadd_listener_accept_errors_total{listener=\"%s\"} %llu\n", names[i],
		    l->accept_errors);
	}
	head(w, "peers_mutual_tls", "gauge", "1: peer status served and probed over mutual TLS; 0: plain HTTP");
	put(w, "offloadd_peers_mutual_tls %d\n", d->tls != NULL);
	head(w, "listener_tls_refused_total", "counter",
	     "TLS handshakes refused: no certificate of the CA, or not TLS");
	put(w, "offloadd_listener_tls_refused_total{listener=\"status\"} %llu\n", d->status.tls_refused);
	head(w, "metrics_renders_total", "counter", "renderings of /metrics: at most one per tick");
	put(w, "offloadd_metrics_renders_total %llu\n", (unsigned long long)d->metrics_renders);
	head(w, "build_info", "gauge", "the running version");
	put(w, "offloadd_build_info{version=\"%s\"} 1\n", OFFLOAD_VERSION);
}

/* [edgex]: events published and dropped by reason, the connection, and
 * what publishing costs a tick. */
static void edgex_series(struct wr *w, const struct off_edgex *x)
{
	if (!x->cfg.line)
		return;
	head(w, "edgex_events_published_total", "counter", "EdgeX events handed to the bus client");
	put(w, "offloadd_edgex_events_published_total %llu\n", (unsigned long long)x->published);
	head(w, "edgex_events_dropped_total", "counter",
	     "EdgeX events dropped: bus disconnected, the last tick's still unsent (backlog), or refused");
	for (int r = 0; r < OFF_EDGEX_DROP_KINDS; r++)
		put(w, "offloadd_edgex_events_dropped_total{reason=\"%s\"} %llu\n", off_edgex_drop_names[r],
		    (unsigned long long)x->dropped[r]);
	head(w, "edgex_connected", "gauge", "1 while connected to the EdgeX message bus");
	put(w, "offloadd_edgex_connected %d\n", x->state == OFF_EDGEX_UP);
	head(w, "edgex_connects_total", "counter", "connections made to the EdgeX message bus");
	put(w, "offloadd_edgex_connects_total %llu\n", (unsigned long long)x->connects);
	head(w, "edgex_publish_seconds_total", "counter", "time spent building and handing over events");
	put(w, "offloadd_edgex_publish_seconds_total %.9g\n", x->ns_sum / 1e9);
}

/* The whole reply: header and text, allocated to its size. */
static struct off_reply *render(const struct off_daemon *d)
{
	static const char hdr[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n"
				  "Content-Length: %zu\r\nConnection: close\r\n\r\n";
	struct wr w = {};
	struct off_reply *r = NULL;
	int n;

	if (!grow(&w, 0)) {
		workloads(&w, d);
		targets(&w, d);
		peers(&w, d);
		agent_series(&w, d);
		io_series(&w, d);
		edgex_series(&w, &d->edgex);
	}
	n = snprintf(NULL, 0, hdr, w.len);
	if (!w.failed && w.p && (r = off_reply_alloc(n + w.len))) {
		snprintf(r->data, n + 1, hdr, w.len);
		memcpy(r->data + n, w.p, w.len);
	}
	free(w.p);
	return r;
}

/* Rendered at most once per tick, however many scrape it: a tick is as
 * fresh as the numbers get, and N scrapers cost one rendering, not N. */
struct off_reply *off_daemon_metrics(void *daemon, const char *req, int admin,
				    const struct sockaddr_storage *src)
{
	struct off_daemon *d = daemon;

	(void)admin;
	(void)src;
	if (strncmp(req, "GET /metrics ", 13))
		return off_reply_str("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
				     "Connection: close\r\n\r\n");
	if (!d->metrics_cache || d->metrics_tick != d->ticks) {
		off_reply_put(d->metrics_cache);
		d->metrics_renders++;
		d->metrics_cache = render(d);
		d->metrics_tick = d->ticks;
	}
	if (!d->metrics_cache)
		return off_reply_str("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n"
				     "Connection: close\r\n\r\n");
	return off_reply_get(d->metrics_cache);
}
