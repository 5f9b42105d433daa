// SPDX-License-Identifier: GPL-2.0
/* What each tick publishes: per workload its decision and telemetry
 * (target, cpu_util, rq_p99_ms, srtt_ms, reward), per peer its health (up,
 * rtt_ms, cpu_util, rq_p99_ms), each an event of its own, every tick or,
 * in change mode, when a reading changed (as EdgeX's onChange auto-events). */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "agent/daemon.h"
#include "agent/edgex/edgex.h"
#include "lib/clock.h"

/* Each number formatted once per value it takes, not once per tick. */
static void values(struct off_edgex_memo *m, struct off_edgex_reading *r, int n)
{
	for (int i = 0; i < n; i++) {
		if (r[i].type == OFF_EDGEX_STRING)
			continue;
		if (!(m->formatted >> i & 1) || memcmp(&m->num[i], &r[i].num, sizeof(r[i].num))) {
			off_edgex_value(&r[i], m->val[i], sizeof(m->val[i]));
			m->num[i] = r[i].num;
			m->formatted |= 1u << i;
		}
		r[i].value = m->val[i];
	}
}

/* A workload's readings as numbers, for change mode to compare: the
 * target's index stands for its name. */
static void workload_values(const struct off_daemon *d, int i, double *v)
{
	const struct off_choice *ch = &d->dec.ch[i];
	double cap = d->meas.scope.capacity;

	v[0] = ch->target;
	v[1] = cap > 0 ? ch->s.wl.cpu_cores / cap : 0;
	v[2] = ch->s.wl.rq_p99_us / 1e3;
	v[3] = ch->target < (uint32_t)ch->s.ncand ? ch->s.cand[ch->target].rtt_us / 1e3 : 0;
	v[4] = d->rec.wl[i].last_reward;
}

static const char *const workload_names[] = { "target", "cpu_util", "rq_p99_ms", "srtt_ms", "reward" };
static const char *const peer_names[] = { "up", "rtt_ms", "cpu_util", "rq_p99_ms" };

static void peer_values(const struct off_peer *p, double *v)
{
	v[0] = p->up;
	v[1] = p->rtt_us / 1e3;
	v[2] = p->st.cpu_util;
	v[3] = p->st.rq_p99_us / 1e3;
}

/* Source i's readings of those numbers, once its event is to be sent. */
static void readings(const struct off_edgex *x, const struct off_daemon *d, int i, const double *v,
		     int n, struct off_edgex_reading *r)
{
	const char *const *names = i < x->nwl ? workload_names : peer_names;

	for (int k = 0; k < n; k++)
		r[k] = (struct off_edgex_reading){ .resource = names[k], .type = OFF_EDGEX_FLOAT64, .num = v[k] };
	if (i >= x->nwl) {
		r[0].type = OFF_EDGEX_BOOL;
		return;
	}
	r[0].type = OFF_EDGEX_STRING;
	r[0].str = off_config_target_name(&d->cfg, d->dec.ch[i].target);
}

/* A workload's state lies in lines kilobytes apart (its choice, its
 * record), beyond what the hardware prefetcher follows, and the rest of
 * the tick has often evicted them: asked for a few workloads ahead, in two
 * steps since the target's candidate depends on the first line. */
#define AHEAD	4
static void prefetch(const struct off_edgex *x, const struct off_daemon *d, int i)
{
	const struct off_choice *ch;

	if (i + 2 * AHEAD < x->nwl) {
		ch = &d->dec.ch[i + 2 * AHEAD];
		__builtin_prefetch(&ch->target);
		__builtin_prefetch(&ch->s.wl);
		__builtin_prefetch(&ch->s.ncand);
		__builtin_prefetch(&d->rec.wl[i + 2 * AHEAD].last_reward);
		__builtin_prefetch(&x->seen[i + 2 * AHEAD]);
	}
	if (i + AHEAD < x->nwl) {
		ch = &d->dec.ch[i + AHEAD];
		if (ch->target < OFF_MAX_CANDS)
			__builtin_prefetch(&ch->s.cand[ch->target].rtt_us);
	}
}

/* Formats and sends (or queues) one event; 0, or -errno. */
static int send_one(struct off_edgex *x, const struct off_daemon *d, int i,
		    const struct off_edgex_source *src, const double *v, int n, uint64_t origin)
{
	struct off_edgex_reading r[OFF_EDGEX_MAX_READINGS];
	size_t len, tlen;

	readings(x, d, i, v, n, r);
	values(&x->memo[i], r, n);
	tlen = off_edgex_topic(x->cfg.topic_prefix, src, x->cfg.bus == OFF_EDGEX_REDIS, x->topic,
			       sizeof(x->topic));
	len = off_edgex_event(&x->fmt, src, origin, r, n, OFF_EDGEX_MSG(x), OFF_EDGEX_MSG_MAX);
	if (!tlen || !len)
		return -EMSGSIZE;
	return off_edgex_send(x, tlen, len);
}

/* Source i's event of readings v, unless change mode finds them as last
 * sent; a drop of reason why (or none: send it) is counted. */
static void one(struct off_edgex *x, const struct off_daemon *d, int i, const struct off_edgex_source *src,
		const double *v, int n, uint64_t origin, int why)
{
	struct off_edgex_seen *s = &x->seen[i];
	int ret;

	if (x->cfg.on_change && s->sent && !memcmp(s->v, v, n * sizeof(*v)))
		return;
	if (why >= 0) {
		x->dropped[why]++;
		return;
	}
	ret = send_one(x, d, i, src, v, n, origin);
	if (ret) {
		/* A full queue while connecting: the bus is not up yet. */
		x->dropped[ret == -ENOBUFS ? OFF_EDGEX_DROP_DOWN : OFF_EDGEX_DROP_ERROR]++;
		return;
	}
	s->sent = true;
	memcpy(s->v, v, n * sizeof(*v));
}

/* Why this tick's events cannot go, or -1: sent, or queued while the
 * connect is under way. */
static int blocked(struct off_edgex *x)
{
	if (x->state == OFF_EDGEX_DOWN || x->lost)
		return OFF_EDGEX_DROP_DOWN;
	if (x->state == OFF_EDGEX_CONNECTING)
		return -1;
	if (x->cfg.bus == OFF_EDGEX_MQTT ? off_mqtt_backlogged(x) : off_redis_backlogged(x))
		return OFF_EDGEX_DROP_BACKLOG;
	return -1;
}

void off_edgex_tick(struct off_edgex *x, const struct off_daemon *d)
{
	struct off_edgex_source src = { x->cfg.service, x->cfg.profile, x->cfg.device, NULL };
	double v[OFF_EDGEX_MAX_READINGS];
	uint64_t t0, cpu0, origin;
	struct timespec now;
	int why;

	if (!x->cfg.line)
		return;
	t0 = off_mono_ns();
	cpu0 = off_cpu_ns();
	off_edgex_manage(x, t0);
	why = blocked(x);
	clock_gettime(CLOCK_REALTIME, &now);
	origin = now.tv_sec * 1000000000ULL + now.tv_nsec;
	for (int i = 0; i < x->nwl; i++) {
		prefetch(x, d, i);
		workload_values(d, i, v);
		src.source = d->cfg.workloads[i].name;
		one(x, d, i, &src, v, 5, origin, why);
	}
	src.profile = x->cfg.peer_profile;
	for (int i = 0; i < x->npeers; i++) {
		peer_values(&d->peers.p[i], v);
		src.source = d->peers.p[i].cfg->name;
		one(x, d, x->nwl + i, &src, v, 4, origin, why);
	}
	off_edgex_flush(x);
	x->ns_last = off_mono_ns() - t0;
	x->ns_sum += x->ns_last;
	x->cpu_ns_sum += off_cpu_ns() - cpu0;
	x->ticks++;
}
