// SPDX-License-Identifier: GPL-2.0
/* Deltas over one tick. Connections are attributed to a target by their
 * remote end: a peer's address, or a used service's local endpoint; the
 * rest of a workload's traffic is not a call we decide on. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "agent/tick/measure.h"
#include "lib/hist.h"

#define EWMA	0.5

int off_measure_init(struct off_measure *m, int nwl, int ntargets)
{
	size_t nt = (size_t)nwl * ntargets;
	char *p;

	memset(m, 0, sizeof(*m));
	m->nwl = nwl;
	m->ntargets = m->nused = ntargets;
	m->scope.stat_fd = -1;
	m->wl = calloc(nwl ? nwl : 1, sizeof(*m->wl));
	m->mem = p = calloc(nt ? nt : 1, 3 * sizeof(struct off_tgt_sum) + sizeof(struct off_tgt_tick));
	if (!m->wl || !m->mem) {
		off_measure_free(m);
		return -ENOMEM;
	}
	for (int i = 0; i < nwl; i++) {
		struct off_wl_meas *w = &m->wl[i];

		w->sum = (struct off_tgt_sum *)p + (size_t)i * ntargets;
		w->prev_sum = (struct off_tgt_sum *)p + nt + (size_t)i * ntargets;
		w->retired = (struct off_tgt_sum *)p + 2 * nt + (size_t)i * ntargets;
		w->t = (struct off_tgt_tick *)((struct off_tgt_sum *)p + 3 * nt) + (size_t)i * ntargets;
	}
	return 0;
}

void off_measure_free(struct off_measure *m)
{
	off_local_close(&m->scope);
	free(m->wl);
	free(m->mem);
	memset(m, 0, sizeof(*m));
}

static uint64_t delta(uint64_t cur, uint64_t prev)
{
	return cur > prev ? cur - prev : 0;	/* a flow the kernel dropped */
}

static void hist_delta(const uint64_t *cur, const uint64_t *prev, uint64_t *out)
{
	for (int i = 0; i < OFF_HIST_SLOTS; i++)
		out[i] = delta(cur[i], prev[i]);
}

/* The target a flow calls: the endpoint one of the workload's TCP services
 * has there. Another port on a peer's address (its ssh, its own agent) is
 * not a call we decide on. */
static int flow_target(const struct off_config *c, const struct off_cfg_workload *w,
		       const struct off_flow_key *k)
{
	int peer = 0;

	if (!k->port)
		return -1;	/* accepted: a call to us, not by us */
	for (int p = 0; !peer && p < c->npeers; p++)
		if (!memcmp(k->addr, c->peers[p].addr, 16))
			peer = p + 1;
	for (int s = 0; s < c->nservices; s++) {
		const struct off_cfg_service *svc = &c->services[s];

		if (!off_cfg_uses(w, s) || svc->vip.proto != IPPROTO_TCP)
			continue;
		if (peer && k->port == off_cfg_service_port(svc, peer))
			return peer;
		if (!peer && k->port == svc->local.port && !memcmp(k->addr, svc->local.addr, 16))
			return OFF_TARGET_LOCAL;
	}
	return -1;
}

/* A flow's (workload, target) sums, or NULL: not a call we decide on. */
static struct off_tgt_sum *flow_sum(struct off_measure *m, const struct off_config *c,
				    const struct off_flow_key *k, int retired)
{
	int widx = k->widx, tidx;

	if (widx < 1 || widx > m->nwl || widx > c->nworkloads)
		return NULL;
	tidx = flow_target(c, &c->workloads[widx - 1], k);
	if (tidx < 0 || tidx >= m->nused)
		return NULL;
	return retired ? &m->wl[widx - 1].retired[tidx] : &m->wl[widx - 1].sum[tidx];
}

/* The counters only: a flow's srtt is its latest, not a sum over time. */
static void add_counts(struct off_tgt_sum *t, const struct off_flow *f)
{
	t->opened += f->conns_opened;
	t->closed += f->conns_closed;
	t->failed += f->conns_failed;
	t->up += f->bytes_acked;
	t->down += f->bytes_received;
	t->life_sum_us += f->lifetime_us_sum;
	for (int h = 0; h < OFF_HIST_SLOTS; h++)
		t->life_us[h] += f->lifetime_hist_us[h];
}

/* Totals start from what aged-out flows had counted, so they never go
 * back when a flow leaves the map. */
static void sum_flows(struct off_measure *m, const struct off_snapshot *s, const struct off_config *c)
{
	for (int i = 0; i < m->nwl; i++)
		memcpy(m->wl[i].sum, m->wl[i].retired, m->nused * sizeof(*m->wl[i].sum));
	for (uint32_t i = 0; i < s->nflows; i++) {
		const struct off_flow_rec *r = &s->flows[i];
		struct off_tgt_sum *t = flow_sum(m, c, &r->k, 0);

		if (!t)
			continue;
		add_counts(t, &r->f);
		if (r->f.srtt_us) {
			t->srtt_us += r->f.srtt_us;
			t->srtt_n++;
		}
	}
}

void off_measure_retire(struct off_measure *m, const struct off_config *c,
			const struct off_flow_key *k, const struct off_flow *f)
{
	struct off_tgt_sum *t = flow_sum(m, c, k, 1);

	if (t)
		add_counts(t, f);
}

static void target_tick(const struct off_tgt_sum *cur, const struct off_tgt_sum *prev,
			struct off_tgt_tick *t)
{
	uint64_t life[OFF_HIST_SLOTS];

	hist_delta(cur->life_us, prev->life_us, life);
	t->opened = delta(cur->opened, prev->opened);
	t->closed = delta(cur->closed, prev->closed);
	t->failed = delta(cur->failed, prev->failed);
	t->up = delta(cur->up, prev->up);
	t->down = delta(cur->down, prev->down);
	t->life_mean_us = t->closed ? delta(cur->life_sum_us, prev->life_sum_us) / t->closed : 0;
	t->life_p99_us = off_hist_quantile_us(life, OFF_HIST_SLOTS, 0.99);
	t->srtt_us = t->opened && cur->srtt_n ? (double)cur->srtt_us / cur->srtt_n : 0;
}

/* The first sample stands alone; then a running mean, as the simulator's
 * agent view keeps it. */
static void ewma(double *v, double sample)
{
	*v = *v ? (1 - EWMA) * *v + EWMA * sample : sample;
}

static void bandwidth_tick(struct off_tgt_tick *t)
{
	double bytes = t->closed ? (t->up + t->down) / t->closed : 0;
	double us = t->life_mean_us - t->srtt_us, sample;

	if (bytes < OFF_BW_MIN_BYTES || us <= 0) {
		if (t->bw_mbps && ++t->bw_age > OFF_BW_MAX_AGE)
			t->bw_mbps = 0;		/* back to the configured prior */
		return;
	}
	sample = bytes * 8 / us;		/* bits per us: Mbit/s */
	ewma(&t->bw_mbps, sample);
	t->bw_age = 0;
}

static void workload_tick(struct off_measure *m, struct off_wl_meas *w,
			  const struct off_wl_stats *st, int local)
{
	struct off_wl_raw *r = &w->raw;
	uint64_t rq[OFF_HIST_SLOTS];
	double up = 0, down = 0;

	w->requests = 0;
	for (int t = 0; t < m->nused; t++) {
		target_tick(&w->sum[t], &w->prev_sum[t], &w->t[t]);
		bandwidth_tick(&w->t[t]);
		w->requests += w->t[t].opened;
		up += w->t[t].up;
		down += w->t[t].down;
	}
	hist_delta((const uint64_t *)st->rq_hist_us, (const uint64_t *)w->prev.rq_hist_us, rq);
	w->cpu_s = delta(st->cpu_ns, w->prev.cpu_ns) / 1e9;
	w->runnable = w->cpu_s / m->dt_s + delta(st->rq_wait_ns, w->prev.rq_wait_ns) / (m->dt_s * 1e9);
	r->cpu_cores = w->cpu_s / m->dt_s;
	r->rq_p50_us = off_hist_quantile_us(rq, OFF_HIST_SLOTS, 0.5);
	r->rq_p99_us = off_hist_quantile_us(rq, OFF_HIST_SLOTS, 0.99);
	r->host_util = m->local_util;
	r->host_rq_p99_us = m->local_rq_p99_us;
	r->req_rate = w->requests / m->dt_s;
	if (!w->requests)
		return;		/* sizes and costs keep their last estimate */
	ewma(&r->up_bytes, up / w->requests);
	ewma(&r->down_bytes, down / w->requests);
	/* Offloaded, the work's CPU is spent elsewhere: what it costs here is
	 * only known from when it ran here. */
	if (local)
		ewma(&r->cpu_ms, w->cpu_s * 1000 / w->requests);
}

static void local_tick(struct off_measure *m, const struct off_snapshot *s)
{
	int64_t us = off_local_usage(&m->scope);	/* -EBADF without serve_cgroup */
	uint64_t rq[OFF_HIST_SLOTS];
	double util, n;

	if (us >= 0)
		util = us / (m->dt_s * 1e6 * m->scope.capacity);
	else
		util = delta(s->local.cpu_ns, m->prev_local.cpu_ns) / (m->dt_s * 1e9 * m->scope.ncpus);
	m->local_util = util > 1 ? 1 : util;
	/* Little's law: time run plus time waited, over the tick, is how many
	 * tasks were runnable on average; utilisation stops at 1, this does not. */
	m->local_runnable = (delta(s->local.cpu_ns, m->prev_local.cpu_ns) +
			     delta(s->local.rq_wait_ns, m->prev_local.rq_wait_ns)) /
			    (m->dt_s * 1e9 * (m->scope.ncpus ? m->scope.ncpus : 1));
	/* What peers are told. With serve_cgroup only its usage is known, and
	 * busy cores stand in for runnable tasks: a tenant's hog reads as one. */
	n = us >= 0 ? util : m->local_runnable;
	m->local_load = n / (1 + n);
	hist_delta((const uint64_t *)s->local.rq_hist_us, (const uint64_t *)m->prev_local.rq_hist_us, rq);
	m->local_rq_p99_us = off_hist_quantile_us(rq, OFF_HIST_SLOTS, 0.99);
}

void off_measure_tick(struct off_measure *m, const struct off_snapshot *s,
		      const struct off_config *c, const uint32_t *current, uint64_t now_ns)
{
	int first = !m->prev_ns;

	/* Room is for every peer there can be; the work, for those there are. */
	if (1 + c->npeers <= m->ntargets)
		m->nused = 1 + c->npeers;
	m->dt_s = first || now_ns <= m->prev_ns ? 0 : (now_ns - m->prev_ns) / 1e9;
	sum_flows(m, s, c);
	if (m->dt_s > 0)
		local_tick(m, s);
	for (int i = 0; i < m->nwl; i++) {
		struct off_wl_meas *w = &m->wl[i];
		const struct off_wl_stats *st = &s->wl[i + 1];
		struct off_tgt_sum *tmp;

		if (m->dt_s > 0)
			workload_tick(m, w, st, current[i] == OFF_TARGET_LOCAL);
		w->prev = *st;
		tmp = w->prev_sum;
		w->prev_sum = w->sum;
		w->sum = tmp;
	}
	m->prev_local = s->local;
	m->prev_ns = now_ns;
}
