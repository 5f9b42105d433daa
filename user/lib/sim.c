// SPDX-License-Identifier: GPL-2.0
/* Each target is a pool of cores working FIFO. A task of L bits needs
 * C = L * X cycles; where it runs and what it costs is the shared estimate
 * (features.c) applied to the true state, so the estimate is exact here
 * unless the scenario adds what a one-step estimate cannot see: a fleet of
 * agents following the same policy onto the same peers, a peer slower than
 * it reports, and measurements as an agent gets them (a tick late, in log2
 * buckets, sizes as running means). */
#include <math.h>
#include <string.h>

#include "lib/sim.h"

#define SEEN_EWMA	0.3

static double clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

void off_sim_env(const struct off_scenario *sc, struct off_est_env *env)
{
	double f = sc->ghz * 1e9;

	*env = (struct off_est_env){ .reward = sc->reward, .local_ghz = sc->ghz,
				     .cpu_watts = sc->kappa * f * f * f, .tx_watts = sc->p_tx_w,
				     .switch_rtts = sc->switch_rtts, .herd = OFF_HERD_DEFAULT,
				     .measured = sc->agent_view };
}

static void remember(struct off_sim_target *t)
{
	t->seen_rtt_s = t->rtt_s;
	t->seen_load = t->load;
	t->seen_up = t->up;
}

void off_sim_reset(struct off_sim *s, const struct off_scenario *sc, uint64_t seed)
{
	memset(s, 0, sizeof(*s));
	s->sc = sc;
	off_sim_env(sc, &s->env);
	off_rng_seed(&s->rng, seed);
	s->ntargets = 1 + sc->npeers;
	s->t[0] = (struct off_sim_target){ .load = sc->bg_load, .up = 1, .ncores = (int)sc->cores };
	for (int i = 0; i < sc->npeers; i++) {
		const struct off_sim_peer *p = &sc->peers[i];

		s->t[i + 1] = (struct off_sim_target){ .rtt_s = p->rtt_ms / 1000, .load = p->load,
						       .up = 1, .ncores = (int)p->cores };
	}
	for (int i = 0; i < s->ntargets; i++)
		remember(&s->t[i]);
	s->epoch = -1;
}

static double task_bits(struct off_sim *s)
{
	const struct off_scenario *sc = s->sc;
	double kb;

	if (sc->pareto) {
		/* Pareto with scale kb_min, cut at kb_max: heavy tails, bounded. */
		kb = sc->kb_min / pow(1.0 - off_rng_unit(&s->rng), 1.0 / sc->pareto_alpha);
		kb = fmin(kb, sc->kb_max);
	} else {
		kb = sc->kb_min + (sc->kb_max - sc->kb_min) * off_rng_unit(&s->rng);
	}
	return kb * 8192;
}

static void drift(struct off_sim *s)
{
	const struct off_scenario *sc = s->sc;

	for (int i = 0; i < s->ntargets; i++)
		remember(&s->t[i]);
	s->t[0].load = clamp(s->t[0].load + sc->bg_vol * off_rng_normal(&s->rng) +
			     0.1 * (sc->bg_load - s->t[0].load), 0, 0.95);
	for (int i = 0; i < sc->npeers; i++) {
		const struct off_sim_peer *p = &sc->peers[i];
		struct off_sim_target *t = &s->t[i + 1];
		double u = off_rng_unit(&s->rng);

		/* Mean-reverting walks: they wander, but stay near the scenario. */
		t->rtt_s = fmax(0.0002, t->rtt_s + (p->rtt_vol_ms * off_rng_normal(&s->rng) +
				0.1 * (p->rtt_ms - t->rtt_s * 1000)) / 1000);
		t->load = clamp(t->load + p->load_vol * off_rng_normal(&s->rng) +
				0.1 * (p->load - t->load), 0, 0.95);
		if (t->up && u < p->fail_prob)
			t->up = 0;
		else if (!t->up && u < p->recover_prob)
			t->up = 1;
	}
}

int off_sim_next_epoch(struct off_sim *s)
{
	const struct off_scenario *sc = s->sc;
	int n;

	if (s->epoch >= 0) {
		s->local_cores = s->local_cpu_s / sc->epoch_s;
		s->now += sc->epoch_s;
	}
	if (++s->epoch >= sc->epochs)
		return -1;
	s->local_cpu_s = 0;
	drift(s);
	n = off_rng_poisson(&s->rng, sc->rate * sc->epoch_s);
	n = n > OFF_SIM_MAX_TASKS ? OFF_SIM_MAX_TASKS : n;
	for (int i = 0; i < n; i++) {
		struct off_sim_task *k = &s->tasks[i];

		k->arrive = s->now + sc->epoch_s * i / (n ? n : 1);
		k->bits = task_bits(s);
		k->cycles = k->bits * (sc->cpb_min + (sc->cpb_max - sc->cpb_min) * off_rng_unit(&s->rng));
	}
	s->ntasks = n;
	return n;
}

static int free_core(const struct off_sim_target *t)
{
	int best = 0;

	for (int c = 1; c < t->ncores; c++)
		if (t->busy[c] < t->busy[best])
			best = c;
	return best;
}

static double backlog_s(const struct off_sim_target *t, double now)
{
	return t->ncores ? fmax(0, t->busy[free_core(t)] - now) : 0;
}

static double cpu_ms(const struct off_sim *s, double cycles)
{
	return cycles / (s->sc->ghz * 1e9) * 1000;
}

/* Target t as a candidate. truth: what it is; else what is reported. */
static struct off_cand_raw cand(const struct off_sim *s, int t, double now, int truth)
{
	const struct off_sim_peer *p = t ? &s->sc->peers[t - 1] : NULL;
	const struct off_sim_target *st = &s->t[t];
	int seen = !truth && s->sc->agent_view;

	return (struct off_cand_raw){
		.kind = p ? p->kind : OFF_KIND_LOCAL,
		.current = t == s->last_target,
		.rtt_us = (seen ? st->seen_rtt_s : st->rtt_s) * 1e6,
		.rtt_jitter_us = p ? p->rtt_vol_ms * 1000 : 0,
		.bw_mbps = p ? p->bw_mbps : 0,
		.ghz = !p ? s->sc->ghz : truth && p->actual_ghz > 0 ? p->actual_ghz : p->ghz,
		.cores = st->ncores,
		.util = seen ? st->seen_load : st->load,
		.wait_us = backlog_s(st, now) * 1e6,
		.cost_per_req = p ? p->cost : 0,
		.clients = p && s->sc->fleet > 1 ? s->sc->fleet - 1 : 0,
	};
}

static struct off_outcome outcome(const struct off_sim *s, int i, int target, double *core_free)
{
	const struct off_sim_task *k = &s->tasks[i];
	struct off_wl_raw w = { .up_bytes = k->bits / 8, .down_bytes = k->bits / 8 * s->sc->down_ratio,
				.cpu_ms = cpu_ms(s, k->cycles) };
	struct off_cand_raw c = cand(s, target, k->arrive, 1);
	struct off_est e;

	c.clients = 0;	/* the truth queues the fleet's requests on the cores */

	if (!s->t[target].up) {
		/* Sent on a stale view to a peer that is gone: a timeout. */
		*core_free = 0;
		return (struct off_outcome){ .lat_s = 2 * s->sc->deadline_s };
	}
	off_estimate(&s->env, &w, &c, &e);
	*core_free = k->arrive + e.lat_s - c.rtt_us / 2e6;
	return (struct off_outcome){ .lat_s = e.lat_s, .energy_j = e.energy_j, .cost = e.cost };
}

struct off_outcome off_sim_estimate(const struct off_sim *s, int i, int target)
{
	double done;

	return outcome(s, i, target, &done);
}

static void learn_sizes(struct off_sim *s, int i, int target)
{
	const struct off_sim_task *k = &s->tasks[i];
	double b = k->bits / 8;

	s->seen_bytes = s->seen_bytes ? (1 - SEEN_EWMA) * s->seen_bytes + SEEN_EWMA * b : b;
	if (!target)
		s->seen_cpu_ms = s->seen_cpu_ms ? (1 - SEEN_EWMA) * s->seen_cpu_ms +
						  SEEN_EWMA * cpu_ms(s, k->cycles) : cpu_ms(s, k->cycles);
}

/* One request of task i's size onto target's earliest free core. */
static struct off_outcome occupy(struct off_sim *s, int i, int target)
{
	struct off_sim_target *t = &s->t[target];
	double done;
	struct off_outcome o = outcome(s, i, target, &done);

	if (t->ncores && done > 0)
		t->busy[free_core(t)] = done;
	return o;
}

/* The fleet's other agents send their counterparts of task i to the same
 * peer at the same moment; this one's lands in the middle of them (ahead
 * of half, alternating for an odd count). Only a peer of fixed cores feels
 * it: local CPUs are each agent's own, an elastic cloud never queues. */
struct off_outcome off_sim_assign(struct off_sim *s, int i, int target, struct off_sim_undo *u)
{
	struct off_sim_target *t = &s->t[target];
	int others = target && t->ncores && s->sc->fleet > 1 ? s->sc->fleet - 1 : 0;
	int ahead = (others + (i & 1)) / 2;
	struct off_outcome o;

	if (u) {
		*u = (struct off_sim_undo){ .target = target, .local_cpu_s = s->local_cpu_s,
					    .last_target = s->last_target };
		memcpy(u->busy, t->busy, sizeof(u->busy));
	}
	for (int k = 0; k < ahead; k++)
		occupy(s, i, target);
	o = occupy(s, i, target);
	for (int k = ahead; k < others; k++)
		occupy(s, i, target);
	if (!target)
		s->local_cpu_s += s->tasks[i].cycles / (s->sc->ghz * 1e9);
	s->last_target = target;
	if (!u)
		learn_sizes(s, i, target);
	return o;
}

void off_sim_undo(struct off_sim *s, const struct off_sim_undo *u)
{
	memcpy(s->t[u->target].busy, u->busy, sizeof(u->busy));
	s->local_cpu_s = u->local_cpu_s;
	s->last_target = u->last_target;
}

double off_sim_reward(const struct off_sim *s, const struct off_outcome *o)
{
	return off_reward(&s->sc->reward, o->lat_s, o->energy_j, o->cost);
}

int off_sim_nearest_edge(const struct off_sim *s)
{
	int best = 0;

	for (int i = 1; i < s->ntargets; i++)
		if (s->t[i].up && s->sc->peers[i - 1].kind == OFF_KIND_EDGE &&
		    (!best || s->t[i].rtt_s < s->t[best].rtt_s))
			best = i;
	return best;
}

/* Run-queue latency as the agent would see it: grows with utilisation like
 * an M/M/1 wait, plus what is already queued. */
static void rq_us(double util, double backlog, double *p50, double *p99)
{
	double u = clamp(util, 0, 0.98), base = 250.0 * u / (1 - u);

	*p50 = base + backlog * 1e6 * 0.5;
	*p99 = 4.6 * base + backlog * 1e6;
}

/* A log2 histogram's view of a duration: the upper edge of its bucket, as
 * the agent reads its own (hist.c). */
static double bucketed_us(double us)
{
	return us >= 1 ? exp2(floor(log2(us)) + 1) : 0;
}

static void observe_task(const struct off_sim *s, const struct off_sim_task *k, struct off_wl_raw *w)
{
	const struct off_scenario *sc = s->sc;
	double util = clamp(s->t[0].load + s->local_cores / sc->cores, 0, 1);

	*w = (struct off_wl_raw){
		.cpu_cores = s->local_cores, .host_util = util, .req_rate = sc->rate,
		.up_bytes = k->bits / 8, .down_bytes = k->bits / 8 * sc->down_ratio,
		.cpu_ms = cpu_ms(s, k->cycles),
	};
	if (sc->agent_view) {
		/* Before the first, a request's size is a guess: the range's middle. */
		w->up_bytes = s->seen_bytes ? s->seen_bytes : (sc->kb_min + sc->kb_max) * 512;
		w->down_bytes = w->up_bytes * sc->down_ratio;
		w->cpu_ms = s->seen_cpu_ms ? s->seen_cpu_ms :
			    cpu_ms(s, w->up_bytes * 8 * (sc->cpb_min + sc->cpb_max) / 2);
	}
	rq_us(util, backlog_s(&s->t[0], k->arrive), &w->rq_p50_us, &w->rq_p99_us);
	w->host_rq_p99_us = w->rq_p99_us;
}

void off_sim_observe(const struct off_sim *s, int i, struct off_wl_raw *w,
		     struct off_cand_raw *c, uint32_t *mask)
{
	const struct off_sim_task *k = &s->tasks[i];
	int agent = s->sc->agent_view;

	observe_task(s, k, w);
	*mask = 0;
	for (int t = 0; t < s->ntargets; t++) {
		double p50;

		c[t] = cand(s, t, k->arrive, 0);
		if (agent)
			c[t].wait_us = bucketed_us(c[t].wait_us);
		rq_us(c[t].util, c[t].wait_us / 1e6, &p50, &c[t].rq_p99_us);
		if (agent ? s->t[t].seen_up : s->t[t].up)
			*mask |= 1u << t;
	}
}
