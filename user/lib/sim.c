// SPDX-License-Identifier: GPL-2.0
/* Each target is a pool of cores working FIFO. A task of L bits needs
 * C = L * X cycles: locally it takes C / f_free, where f_free is what
 * background load leaves; offloaded it first crosses the link (L / bw + RTT/2),
 * then queues at the target, then returns (RTT/2). Local energy is
 * kappa * f^2 * C, offloading costs p_tx * t_tx of radio energy plus the
 * target's price per request. */
#include <math.h>
#include <string.h>

#include "lib/sim.h"

static double clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

void off_sim_reset(struct off_sim *s, const struct off_scenario *sc, uint64_t seed)
{
	memset(s, 0, sizeof(*s));
	s->sc = sc;
	off_rng_seed(&s->rng, seed);
	s->ntargets = 1 + sc->npeers;
	s->t[0] = (struct off_sim_target){ .load = sc->bg_load, .up = 1, .ncores = (int)sc->cores };
	for (int i = 0; i < sc->npeers; i++) {
		const struct off_sim_peer *p = &sc->peers[i];

		s->t[i + 1] = (struct off_sim_target){ .rtt_s = p->rtt_ms / 1000, .load = p->load,
						       .up = 1, .ncores = (int)p->cores };
	}
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
		s->local_cores_ewma = 0.7 * s->local_cores_ewma + 0.3 * s->local_cpu_s / sc->epoch_s;
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

/* Speed of one core of target i in Hz, after others' load. */
static double core_hz(const struct off_sim *s, int i)
{
	double ghz = i ? s->sc->peers[i - 1].ghz : s->sc->ghz;

	return ghz * 1e9 * (1 - s->t[i].load);
}

static struct off_outcome outcome(const struct off_sim *s, int i, int target, double *start_core_free)
{
	const struct off_sim_task *k = &s->tasks[i];
	const struct off_sim_target *t = &s->t[target];
	struct off_outcome o = {};
	double tx = 0, start, exec = k->cycles / core_hz(s, target);

	if (target) {
		const struct off_sim_peer *p = &s->sc->peers[target - 1];

		tx = k->bits / (p->bw_mbps * 1e6);
		o.energy_j = s->sc->p_tx_w * tx;
		o.cost = p->cost;
		tx += t->rtt_s / 2;
	} else {
		double f = s->sc->ghz * 1e9;

		o.energy_j = s->sc->kappa * f * f * k->cycles;
	}
	start = k->arrive + tx;
	if (t->ncores)
		start = fmax(start, t->busy[free_core(t)]);
	*start_core_free = start + exec;
	o.lat_s = start + exec + t->rtt_s / 2 - k->arrive;
	return o;
}

struct off_outcome off_sim_estimate(const struct off_sim *s, int i, int target)
{
	double done;

	return outcome(s, i, target, &done);
}

struct off_outcome off_sim_assign(struct off_sim *s, int i, int target, struct off_sim_undo *u)
{
	struct off_sim_target *t = &s->t[target];
	double done;
	struct off_outcome o = outcome(s, i, target, &done);
	int core = t->ncores ? free_core(t) : 0;

	if (u)
		*u = (struct off_sim_undo){ .target = target, .core = core, .busy = t->busy[core],
					    .local_cpu_s = s->local_cpu_s };
	if (t->ncores)
		t->busy[core] = done;
	if (!target)
		s->local_cpu_s += s->tasks[i].cycles / (s->sc->ghz * 1e9);
	return o;
}

void off_sim_undo(struct off_sim *s, const struct off_sim_undo *u)
{
	s->t[u->target].busy[u->core] = u->busy;
	s->local_cpu_s = u->local_cpu_s;
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

void off_sim_observe(const struct off_sim *s, int i, struct off_wl_raw *w,
		     struct off_cand_raw *c, uint32_t *mask)
{
	const struct off_scenario *sc = s->sc;
	const struct off_sim_task *k = &s->tasks[i];
	double now = k->arrive, util;

	util = clamp(s->t[0].load + s->local_cores_ewma / sc->cores, 0, 1);
	*w = (struct off_wl_raw){
		.cpu_cores = s->local_cores_ewma, .host_util = util, .req_rate = sc->rate,
		.bytes_per_req = k->bits / 8, .cpu_ms_per_req = k->cycles / (sc->ghz * 1e9) * 1000,
	};
	rq_us(util, backlog_s(&s->t[0], now), &w->rq_p50_us, &w->rq_p99_us);
	w->host_rq_p99_us = w->rq_p99_us;
	*mask = 0;
	for (int t = 0; t < s->ntargets; t++) {
		const struct off_sim_peer *p = t ? &sc->peers[t - 1] : NULL;
		const struct off_sim_target *st = &s->t[t];
		double p50, backlog = backlog_s(st, now);

		c[t] = (struct off_cand_raw){
			.kind = p ? p->kind : OFF_KIND_LOCAL,
			.rtt_us = st->rtt_s * 1e6,
			.rtt_jitter_us = p ? p->rtt_vol_ms * 1000 : 0,
			.util = t ? clamp(st->load + (st->ncores ? backlog / sc->epoch_s / st->ncores : 0), 0, 1) : util,
			.capacity_cores = p ? (p->cores ? p->cores : 64) * p->ghz / sc->ghz : sc->cores,
			.cost_per_req = p ? p->cost : 0,
		};
		rq_us(c[t].util, backlog, &p50, &c[t].rq_p99_us);
		if (st->up)
			*mask |= 1u << t;
	}
}
