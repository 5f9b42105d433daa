// SPDX-License-Identifier: GPL-2.0
/* The simulator against its own model's arithmetic, scenario files' errors,
 * the optimum bounding every baseline, and the experience log. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/eval.h"
#include "lib/explog.h"

static char path[64];

static int write_file(const char *text)
{
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/test_sim.%d.ini", getpid());
	f = fopen(path, "w");
	fputs(text, f);
	return fclose(f);
}

static void scenario_errors(void **state)
{
	static const struct { const char *text, *want; } cases[] = {
		{ "[scenario]\nghz = fast\n", ":2: [scenario] ghz: expected a number, got \"fast\"" },
		{ "[scenario]\n\ncores = 99\n", ":3: [scenario] cores: out of range [1, 16]: \"99\"" },
		{ "[scenario]\ncolour = red\n", ":2: [scenario] colour: unknown key, value \"red\"" },
		{ "[edge e1]\nrtt_ms = 5\nbw = 3\n", ":3: [edge e1] bw: unknown key, value \"3\"" },
		{ "[moon]\nx = 1\n", ":2: [moon] x: unknown section; key \"x\"" },
		{ "[scenario]\nsizes = lognormal\n", ":2: [scenario] sizes: expected uniform or pareto" },
		{ "[scenario]\nfleet = 0\n", ":2: [scenario] fleet: expected an integer 1..64, got \"0\"" },
		{ "[scenario]\nfleet = 3x\n", ":2: [scenario] fleet: expected an integer 1..64, got \"3x\"" },
		{ "[scenario]\nepochs = -5\n", ":2: [scenario] epochs: expected an integer 1..1000000" },
	};
	static struct off_scenario sc;
	char err[512], want[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_file(cases[i].text);
		assert_int_equal(off_scenario_load(path, &sc, err, sizeof(err)), -EINVAL);
		snprintf(want, sizeof(want), "%s%s", path, cases[i].want);
		if (strncmp(err, want, strlen(want)))
			fail_msg("got \"%s\", want \"%s\"", err, want);
	}
	unlink(path);
}

static void shipped_scenarios_parse(void **state)
{
	static const char *const names[] = { "balanced", "congested-local", "slow-wan",
					     "flaky-edge", "bursty", "many-peers" };
	static struct off_scenario sc;
	char p[128], err[512];

	(void)state;
	for (size_t i = 0; i < 6; i++) {
		snprintf(p, sizeof(p), "models/scenarios/%s.ini", names[i]);
		if (off_scenario_load(p, &sc, err, sizeof(err)))
			fail_msg("%s", err);
		assert_string_equal(sc.name, names[i]);
	}
	assert_int_equal(sc.npeers, 9);	/* many-peers: 8 edges and a cloud */
}

/* With no background load and empty queues, local latency is C / f, local
 * energy kappa f^2 C, and an edge task L/bw + RTT + C/f_edge. */
static void sim_matches_model(void **state)
{
	static struct off_scenario sc;
	static struct off_sim s;
	struct off_outcome o;
	char err[512];
	double c, bits;

	(void)state;
	write_file("[scenario]\nbg_load = 0\nbg_vol = 0\nghz = 2\nrate = 10\n"
		   "[edge e]\nghz = 10\ncores = 2\nrtt_ms = 10\nrtt_vol_ms = 0\nbw_mbps = 100\nload = 0\n");
	assert_int_equal(off_scenario_load(path, &sc, err, sizeof(err)), 0);
	off_sim_reset(&s, &sc, 1);
	while (off_sim_next_epoch(&s) == 0)
		;
	c = s.tasks[0].cycles;
	bits = s.tasks[0].bits;
	s.t[1].rtt_s = 0.010;	/* the walk has no volatility; pin it anyway */
	o = off_sim_estimate(&s, 0, 0);
	assert_true(fabs(o.lat_s - c / 2e9) < 1e-9);
	assert_true(fabs(o.energy_j - sc.kappa * 4e18 * c) < 1e-12);
	o = off_sim_estimate(&s, 0, 1);
	assert_true(fabs(o.lat_s - (bits / 100e6 + 0.010 + c / 10e9)) < 1e-9);
	/* A second task behind the first on a single local core waits for it. */
	if (s.ntasks > 1) {
		double done = s.tasks[0].arrive + c / 2e9;

		off_sim_assign(&s, 0, 0, NULL);
		o = off_sim_estimate(&s, 1, 0);
		assert_true(fabs(o.lat_s - (fmax(done, s.tasks[1].arrive) + s.tasks[1].cycles / 2e9 -
					    s.tasks[1].arrive)) < 1e-9);
	}
	unlink(path);
}

/* A fleet of 5 onto a one-core peer: this agent's request waits for the
 * two of the others' that land ahead of it, and leaves two behind it; the
 * peer reports 4 other clients, and the estimate, taking half of them
 * ahead, prices exactly that wait. Alone, or on an elastic cloud, none. */
static void fleet_queues_on_fixed_cores(void **state)
{
	static struct off_scenario sc;
	static struct off_sim s;
	struct off_cand_raw c[OFF_MAX_CANDS];
	struct off_outcome alone, o;
	struct off_wl_raw w;
	uint32_t mask;
	char err[512];
	struct off_est e;
	double exec;

	(void)state;
	write_file("[scenario]\nfleet = 5\nbg_load = 0\nbg_vol = 0\nrate = 10\n"
		   "[edge e]\nghz = 10\ncores = 1\nrtt_ms = 1\nrtt_vol_ms = 0\nload = 0\n"
		   "[cloud c]\nghz = 10\ncores = 0\nrtt_ms = 1\nrtt_vol_ms = 0\nload = 0\n");
	assert_int_equal(off_scenario_load(path, &sc, err, sizeof(err)), 0);
	assert_int_equal(sc.fleet, 5);
	off_sim_reset(&s, &sc, 1);
	while (off_sim_next_epoch(&s) == 0)
		;
	exec = s.tasks[0].cycles / 10e9;
	off_sim_observe(&s, 0, &w, c, &mask);
	off_estimate(&s.env, &w, &c[1], &e);
	alone = off_sim_estimate(&s, 0, 1);
	o = off_sim_assign(&s, 0, 1, NULL);
	assert_true(fabs(o.lat_s - (alone.lat_s + 2 * exec)) < 1e-9);
	assert_true(fabs(e.lat_s - o.lat_s) < 1e-9);
	assert_true(fabs(s.t[1].busy[0] - (s.tasks[0].arrive + alone.lat_s - 0.0005 + 4 * exec)) < 1e-9);
	alone = off_sim_estimate(&s, 0, 2);
	o = off_sim_assign(&s, 0, 2, NULL);
	assert_true(fabs(o.lat_s - alone.lat_s) < 1e-12);
	off_sim_observe(&s, 0, &w, c, &mask);
	assert_true(c[0].clients == 0 && c[1].clients == 4 && c[2].clients == 4);
	unlink(path);
}

static void optimum_bounds_baselines(void **state)
{
	static struct off_scenario sc;
	struct off_eval r;
	char err[512];

	(void)state;
	assert_int_equal(off_scenario_load("models/scenarios/balanced.ini", &sc, err, sizeof(err)), 0);
	sc.epochs = 60;
	for (int k = OFF_POL_ESTIMATE; k < OFF_POL_KINDS; k++) {
		assert_int_equal(off_eval_run(&sc, NULL, k, 0, 2, 3, 1, &r), 0);
		assert_true(r.opt_epochs > 50);
		if (r.opt_ratio > 1 + 1e-9)
			fail_msg("%s beats the optimum: ratio %f", off_policy_names[k], r.opt_ratio);
	}
}

static void explog_round_trip(void **state)
{
	struct off_experience e = { .action = 1, .reward = -0.25 }, back;
	static struct off_scenario sc;
	char *line = NULL, err[256];
	size_t len = 0;
	FILE *f;

	(void)state;
	off_scenario_defaults(&sc);
	off_sim_env(&sc, &e.env);
	e.s.ncand = 2;
	e.s.mask = 3;
	e.s.wl.req_rate = 12.5;
	e.s.cand[1].kind = OFF_KIND_EDGE;
	e.s.cand[1].rtt_us = 5000;
	e.s.cand[1].current = 1;
	e.s.cand[1].clients = 3;
	e.next = e.s;
	f = open_memstream(&line, &len);
	assert_int_equal(off_explog_write(f, &e), 0);
	fclose(f);
	assert_int_equal(off_explog_parse(line, "exp", 1, &back, err, sizeof(err)), 0);
	assert_int_equal(back.action, 1);
	assert_true(back.reward == -0.25 && back.s.wl.req_rate == 12.5);
	assert_int_equal(back.next.cand[1].kind, OFF_KIND_EDGE);
	assert_true(back.next.cand[1].rtt_us == 5000 && back.next.cand[1].current);
	assert_true(back.next.cand[1].clients == 3);
	assert_true(back.env.cpu_watts == e.env.cpu_watts && back.env.reward.w_lat == e.env.reward.w_lat);
	assert_true(back.env.herd == OFF_HERD_DEFAULT);
	free(line);
}

static void explog_rejects(void **state)
{
	static const struct { const char *line, *want; } cases[] = {
		{ "{", "exp:7: not JSON" },
		{ "{\"s\":{}}", "exp:7: env: missing" },
		{ "{\"env\":{\"w_lat\":1}}", "exp:7: w_energy: missing" },
		{ "{\"env\":{\"w_lat\":1,\"w_energy\":0,\"w_cost\":0,\"lat_ref_s\":1,\"energy_ref_j\":1,"
		  "\"cost_ref\":1,\"local_ghz\":1,\"cpu_watts\":1,\"tx_watts\":1,\"nj_per_byte\":1,"
		  "\"switch_rtts\":1,\"herd\":2}}", "exp:7: herd: expected 0 to 1" },
	};
	struct off_experience e;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(off_explog_parse(cases[i].line, "exp", 7, &e, err, sizeof(err)), -EINVAL);
		if (strncmp(err, cases[i].want, strlen(cases[i].want)))
			fail_msg("got \"%s\", want \"%s\"", err, cases[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(scenario_errors),
		cmocka_unit_test(shipped_scenarios_parse),
		cmocka_unit_test(sim_matches_model),
		cmocka_unit_test(fleet_queues_on_fixed_cores),
		cmocka_unit_test(optimum_bounds_baselines),
		cmocka_unit_test(explog_round_trip),
		cmocka_unit_test(explog_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
