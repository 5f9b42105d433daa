// SPDX-License-Identifier: GPL-2.0
/* The generator's ranges, drawn uniformly or log-uniformly: device 0.5-4 GHz
 * and 1-16 cores, background load 0-0.95, 0-8 edge peers and 0-2 clouds,
 * RTT 0.5-200 ms with jitter, 1-1000 Mbit/s, peer load 0-0.95, failures,
 * cost over 100x, sizes and cycles over three orders of magnitude (uniform
 * or heavy-tailed) with replies 0.1% to 100% of the request, rate set by
 * the offered load, weights anywhere on the simplex; with effects, a fleet
 * of 2-32 agents sharing the peers. docs/ARCHITECTURE.md lists them. */
#include <math.h>
#include <stdio.h>

#include "lib/gen.h"
#include "lib/rng.h"

static double uni(struct off_rng *r, double lo, double hi)
{
	return lo + (hi - lo) * off_rng_unit(r);
}

static double logu(struct off_rng *r, double lo, double hi)
{
	return exp(uni(r, log(lo), log(hi)));
}

static int between(struct off_rng *r, int lo, int hi)
{
	return lo + (int)off_rng_below(r, hi - lo + 1);
}

static void peer(struct off_rng *r, struct off_sim_peer *p, enum off_target_kind kind, int n)
{
	int edge = kind == OFF_KIND_EDGE;

	*p = (struct off_sim_peer){ .kind = kind };
	snprintf(p->name, sizeof(p->name), "%s%d", edge ? "e" : "c", n);
	p->ghz = edge ? uni(r, 1, 4) : uni(r, 2, 4);
	p->cores = edge ? between(r, 1, 16) : off_rng_unit(r) < 0.7 ? 0 : 16;
	p->rtt_ms = edge ? logu(r, 0.5, 40) : logu(r, 20, 200);
	p->rtt_vol_ms = p->rtt_ms * uni(r, 0, 0.3);
	p->bw_mbps = edge ? logu(r, 1, 1000) : logu(r, 5, 1000);
	p->load = edge ? uni(r, 0, 0.95) : uni(r, 0, 0.5);
	p->load_vol = uni(r, 0, 0.1);
	if (off_rng_unit(r) < 0.3) {
		p->fail_prob = logu(r, 0.001, 0.05);
		p->recover_prob = uni(r, 0.05, 0.5);
	}
	p->cost = logu(r, 1e-5, 1e-3);
}

static void workload(struct off_rng *r, struct off_scenario *sc)
{
	double kb, cpb, load;

	sc->kb_min = logu(r, 1, 1000);
	sc->kb_max = fmin(sc->kb_min * logu(r, 1, 30), 1e5);
	sc->down_ratio = logu(r, 0.001, 1);
	sc->pareto = off_rng_unit(r) < 0.4;
	sc->pareto_alpha = uni(r, 1.1, 2.5);
	sc->cpb_min = logu(r, 10, 3000);
	sc->cpb_max = sc->cpb_min * uni(r, 1, 3);
	/* The rate follows from the offered load on this device, 5% to 3x
	 * its capacity, so tasks neither vanish nor bury it by construction. */
	kb = sc->pareto ? fmin(sc->kb_min * sc->pareto_alpha / (sc->pareto_alpha - 1), sc->kb_max)
			: (sc->kb_min + sc->kb_max) / 2;
	cpb = (sc->cpb_min + sc->cpb_max) / 2;
	load = logu(r, 0.05, 3);
	sc->rate = load * sc->ghz * 1e9 * sc->cores / (kb * 8192 * cpb);
	sc->rate = fmin(fmax(sc->rate, 0.5), 150);
}

static void weights(struct off_rng *r, struct off_reward_cfg *w)
{
	/* Dirichlet(1, 1, 1): uniform on the simplex. */
	double a = off_rng_exp(r, 1), b = off_rng_exp(r, 1), c = off_rng_exp(r, 1);

	*w = (struct off_reward_cfg){
		.w_lat = a / (a + b + c), .w_energy = b / (a + b + c), .w_cost = c / (a + b + c),
		.lat_ref_s = logu(r, 0.01, 1), .energy_ref_j = logu(r, 0.001, 1),
		.cost_ref = logu(r, 1e-5, 1e-2),
	};
}

void off_scenario_generate(struct off_scenario *sc, uint64_t seed, unsigned flags)
{
	struct off_rng r;
	int nedge, ncloud;

	off_rng_seed(&r, seed * 0x9e3779b97f4a7c15ULL + 0x67656e);
	off_scenario_defaults(sc);
	snprintf(sc->name, sizeof(sc->name), "gen-%llu%s%s", (unsigned long long)seed,
		 flags & OFF_GEN_EFFECTS ? "-fx" : "", flags & OFF_GEN_SLOW_PEER ? "-slow" : "");
	sc->epochs = 100;
	sc->deadline_s = 1;
	sc->ghz = uni(&r, 0.5, 4);
	sc->cores = between(&r, 1, 16);
	sc->kappa = logu(&r, 0.5, 20) / pow(sc->ghz * 1e9, 3);	/* 0.5-20 W at full speed */
	sc->p_tx_w = uni(&r, 0.1, 2);
	sc->bg_load = uni(&r, 0, 0.95);
	sc->bg_vol = uni(&r, 0, 0.1);
	workload(&r, sc);
	weights(&r, &sc->reward);
	nedge = between(&r, 0, 8);
	ncloud = between(&r, 0, 2);
	for (int i = 0; i < nedge; i++)
		peer(&r, &sc->peers[sc->npeers++], OFF_KIND_EDGE, i + 1);
	for (int i = 0; i < ncloud; i++)
		peer(&r, &sc->peers[sc->npeers++], OFF_KIND_CLOUD, i + 1);
	if (flags & OFF_GEN_EFFECTS) {
		sc->switch_rtts = uni(&r, 1, 3);
		sc->agent_view = 1;
		sc->fleet = (int)lround(logu(&r, 2, 32));
	}
	if ((flags & OFF_GEN_SLOW_PEER) && sc->npeers) {
		struct off_sim_peer *p = &sc->peers[off_rng_below(&r, sc->npeers)];

		p->actual_ghz = p->ghz * uni(&r, 0.3, 0.8);
	}
}
