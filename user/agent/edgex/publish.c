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

static struct off_edgex_reading num(const char *resource, double v)
{
	return (struct off_edgex_reading){ .resource = resource, .type = OFF_EDGEX_FLOAT64, .num = v };
}

static int workload_readings(const struct off_daemon *d, int i, struct off_edgex_reading *r)
{
	const struct off_choice *ch = &d->dec.ch[i];
	double cap = d->meas.scope.capacity;

	/* The target's index stands for it in change mode's comparison. */
	r[0] = (struct off_edgex_reading){ .resource = "target", .type = OFF_EDGEX_STRING, .num = ch->target,
					   .str = off_config_target_name(&d->cfg, ch->target) };
	r[1] = num("cpu_util", cap > 0 ? ch->s.wl.cpu_cores / cap : 0);
	r[2] = num("rq_p99_ms", ch->s.wl.rq_p99_us / 1e3);
	r[3] = num("srtt_ms", ch->target < (uint32_t)ch->s.ncand ? ch->s.cand[ch->target].rtt_us / 1e3 : 0);
	r[4] = num("reward", d->rec.wl[i].last_reward);
	return 5;
}

static int peer_readings(const struct off_peer *p, struct off_edgex_reading *r)
{
	r[0] = (struct off_edgex_reading){ .resource = "up", .type = OFF_EDGEX_BOOL, .num = p->up };
	r[1] = num("rtt_ms", p->rtt_us / 1e3);
	r[2] = num("cpu_util", p->st.cpu_util);
	r[3] = num("rq_p99_ms", p->st.rq_p99_us / 1e3);
	return 4;
}

/* Formats and sends (or queues) one event; 0, or -errno. */
static int send_one(struct off_edgex *x, int i, const struct off_edgex_source *src,
		    struct off_edgex_reading *r, int n, uint64_t origin)
{
	size_t len, tlen;

	values(&x->memo[i], r, n);
	tlen = off_edgex_topic(x->cfg.topic_prefix, src, x->cfg.bus == OFF_EDGEX_REDIS, x->topic,
			       sizeof(x->topic));
	len = off_edgex_event(&x->fmt, src, origin, r, n, OFF_EDGEX_MSG(x), OFF_EDGEX_MSG_MAX);
	if (!tlen || !len)
		return -EMSGSIZE;
	return off_edgex_send(x, tlen, len);
}

/* Source i's event, unless change mode finds its readings (numbers, the
 * target's index standing for its name) as last sent; a drop of reason why
 * (or none: send it) is counted. */
static void one(struct off_edgex *x, int i, const struct off_edgex_source *src,
		struct off_edgex_reading *r, int n, uint64_t origin, int why)
{
	struct off_edgex_seen *s = &x->seen[i];
	double v[OFF_EDGEX_MAX_READINGS];
	int ret;

	for (int k = 0; k < n; k++)
		v[k] = r[k].num;
	if (x->cfg.on_change && s->sent && !memcmp(s->v, v, n * sizeof(*v)))
		return;
	if (why >= 0) {
		x->dropped[why]++;
		return;
	}
	ret = send_one(x, i, src, r, n, origin);
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
	struct off_edgex_reading r[OFF_EDGEX_MAX_READINGS];
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
		src.source = d->cfg.workloads[i].name;
		one(x, i, &src, r, workload_readings(d, i, r), origin, why);
	}
	src.profile = x->cfg.peer_profile;
	for (int i = 0; i < x->npeers; i++) {
		src.source = d->peers.p[i].cfg->name;
		one(x, x->nwl + i, &src, r, peer_readings(&d->peers.p[i], r), origin, why);
	}
	off_edgex_flush(x);
	x->ns_last = off_mono_ns() - t0;
	x->ns_sum += x->ns_last;
	x->cpu_ns_sum += off_cpu_ns() - cpu0;
	x->ticks++;
}
