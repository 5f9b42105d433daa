// SPDX-License-Identifier: GPL-2.0
/* The policy's parts: the feature table, the shared estimate, the gate, the
 * generator, sim-to-real (the agent's measurement path and the simulator
 * give the same features for the same situation), and the decision's rows
 * against the table's own row builder. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "agent/tick/decide.h"
#include "lib/gen.h"
#include "lib/policy.h"

static void feature_table(void **state)
{
	(void)state;
	for (int i = 0; i < OFF_FEATURES; i++) {
		assert_string_equal(off_features[i].name, off_feature_names[i]);
		assert_true(strlen(off_feature_names[i]) < OFF_FEATURE_NAME_LEN);
		assert_true(off_features[i].unit[0] && off_features[i].doc[0]);
		for (int j = 0; j < i; j++)
			if (!strcmp(off_feature_names[i], off_feature_names[j]))
				fail_msg("feature %s twice", off_feature_names[i]);
	}
}

/* 100 KB up, 10 KB down over 80 Mbit/s with 10 ms RTT, 20 ms of CPU here
 * on a 4 GHz edge core (this host 2 GHz) with half of it busy: transfer
 * 11.264 ms (with 5 ms of RTT) then 20 ms, the other 5 ms, and one RTT of
 * setup because the workload is elsewhere now. */
static void estimate_numbers(void **state)
{
	struct off_est_env env = { .reward = OFF_REWARD_DEFAULT, .local_ghz = 2, .cpu_watts = 10,
				   .tx_watts = 1, .switch_rtts = 1 };
	struct off_wl_raw w = { .up_bytes = 102400, .down_bytes = 10240, .cpu_ms = 20 };
	struct off_cand_raw edge = { .kind = OFF_KIND_EDGE, .rtt_us = 10000, .bw_mbps = 80, .ghz = 4,
				     .util = 0.5, .cost_per_req = 0.001 };
	struct off_cand_raw local = { .kind = OFF_KIND_LOCAL, .ghz = 2, .util = 0, .current = 1,
				      .wait_us = 4000 };
	double tx = 112640 * 8 / 80e6;
	struct off_est e;

	(void)state;
	off_estimate(&env, &w, &edge, &e);
	assert_float_equal(e.lat_s, 0.010 + tx + 0.005 + 0.020 + 0.005, 1e-12);
	assert_float_equal(e.energy_j, tx, 1e-12);
	assert_float_equal(e.cost, 0.001, 0);
	assert_float_equal(e.reward, -(0.5 * e.lat_s / 0.1 + 0.3 * tx / 0.5 + 0.2), 1e-12);
	/* Queued work overlaps the transfer: here only the wait counts. */
	edge.current = 1;
	edge.wait_us = 50000;
	off_estimate(&env, &w, &edge, &e);
	assert_float_equal(e.lat_s, 0.050 + 0.020 + 0.005, 1e-12);
	off_estimate(&env, &w, &local, &e);
	assert_float_equal(e.lat_s, 0.004 + 0.020, 1e-12);
	assert_float_equal(e.energy_j, 0.2, 1e-12);
	/* Eight other agents on 2 cores, half of them ahead: 2 requests'
	 * runs of 20 ms (at 4 GHz, half taken) queue on each core. */
	env.herd = 0.5;
	edge.clients = 8;
	edge.cores = 2;
	off_estimate(&env, &w, &edge, &e);
	assert_float_equal(e.lat_s, 0.050 + 0.040 + 0.020 + 0.005, 1e-12);
	/* Arriving with this request, the herd's queue after its transfer. */
	edge.wait_us = 0;
	off_estimate(&env, &w, &edge, &e);
	assert_float_equal(e.lat_s, tx + 0.005 + 0.040 + 0.020 + 0.005, 1e-12);
	edge.wait_us = 50000;
	/* An elastic peer and this host's own CPUs queue none of it. */
	edge.cores = 0;
	off_estimate(&env, &w, &edge, &e);
	assert_float_equal(e.lat_s, 0.050 + 0.020 + 0.005, 1e-12);
	local.clients = 8;
	local.cores = 2;
	off_estimate(&env, &w, &local, &e);
	assert_float_equal(e.lat_s, 0.004 + 0.020, 1e-12);
}

static void model_with_range(struct off_model *m, float lo, float hi)
{
	memset(m, 0, sizeof(*m));
	off_norm_identity(&m->norm);
	for (int f = 0; f < OFF_FEATURES; f++) {
		m->lo[f] = lo;
		m->hi[f] = hi;
	}
	m->gate.margin_rel = 0.1;
}

/* Candidate 1's correction wins it the pick only inside the range and by
 * more than the margin; otherwise the estimate's pick stands. */
static void gate_falls_back(void **state)
{
	float rows[2 * OFF_FEATURES] = {}, est[2] = { -1.0f, -1.05f }, q[2];
	float big[2] = { 0, 0.2f }, small[2] = { 0, 0.1f };
	struct off_model m;
	enum off_gate g;
	int feature;

	(void)state;
	model_with_range(&m, -1, 1);
	assert_int_equal(off_policy_gate(&m, rows, est, big, 2, 3, q, &g, &feature), 1);
	assert_int_equal(g, OFF_GATE_CORRECTED);
	assert_float_equal(q[1], -1.05f + 0.2f, 1e-6);
	/* A gain of 0.05 against a margin of 0.1 of |-1.0|. */
	assert_int_equal(off_policy_gate(&m, rows, est, small, 2, 3, q, &g, &feature), 0);
	assert_int_equal(g, OFF_GATE_NO_GAIN);
	rows[OFF_FEATURES + 7] = 5;	/* candidate 1, feature 7: never seen */
	assert_int_equal(off_policy_gate(&m, rows, est, big, 2, 3, q, &g, &feature), 0);
	assert_int_equal(g, OFF_GATE_RANGE);
	assert_int_equal(feature, 7);
	/* Masked out, whatever it scores. */
	rows[OFF_FEATURES + 7] = 0;
	assert_int_equal(off_policy_gate(&m, rows, est, big, 2, 1, q, &g, &feature), 0);
	assert_int_equal(g, OFF_GATE_AGREE);
}

/* Loads a scenario from text, through a file as users write them. */
static void load_text(const char *text, struct off_scenario *sc)
{
	char path[64], err[256];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/test_policy.%d.ini", getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	if (off_scenario_load(path, sc, err, sizeof(err)))
		fail_msg("%s", err);
	unlink(path);
}

static char *written(const struct off_scenario *sc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(off_scenario_write(f, sc), 0);
	fclose(f);
	return buf;
}

/* Same seed, same scenario, byte for byte; what is written reads back the
 * same; every draw is inside the documented ranges. */
static void generator(void **state)
{
	static struct off_scenario a, b, back;
	char *ta, *tb;

	(void)state;
	for (uint64_t seed = 1; seed <= 200; seed++) {
		off_scenario_generate(&a, seed, seed % 2 ? OFF_GEN_EFFECTS : 0);
		off_scenario_generate(&b, seed, seed % 2 ? OFF_GEN_EFFECTS : 0);
		ta = written(&a);
		tb = written(&b);
		assert_string_equal(ta, tb);
		assert_true(a.ghz >= 0.5 && a.ghz <= 4 && a.cores >= 1 && a.cores <= 16);
		assert_true(a.bg_load >= 0 && a.bg_load <= 0.95 && a.npeers <= 10);
		assert_true(fabs(a.reward.w_lat + a.reward.w_energy + a.reward.w_cost - 1) < 1e-9);
		for (int p = 0; p < a.npeers; p++)
			assert_true(a.peers[p].rtt_ms >= 0.5 && a.peers[p].rtt_ms <= 200 &&
				    a.peers[p].bw_mbps >= 1 && a.peers[p].bw_mbps <= 1000);
		load_text(ta, &back);
		free(tb);
		tb = written(&back);
		assert_string_equal(ta, tb);
		free(ta);
		free(tb);
	}
	off_scenario_generate(&b, 2, 0);
	ta = written(&a);
	tb = written(&b);
	assert_string_not_equal(ta, tb);
	free(ta);
	free(tb);
}

static const char agent_conf[] =
	"[agent]\ncpu_ghz = 2\ncpu_watts = 5\nnet_nj_per_byte = 0\n"
	"[service api]\nvip = 10.0.0.1:80\nlocal = 127.0.0.1:8080\nprotocol = tcp\n"
	"[workload web]\ncgroup = /sys/fs/cgroup/unified/web\nservices = api\npolicy = greedy\n";

static const char sim_ini[] =
	"[scenario]\nepoch_ms = 1000\nepochs = 10\nghz = 2\ncores = 2\nbg_load = 0.24\nbg_vol = 0\n"
	"rate = 10\nkb_min = 10\nkb_max = 10\ndown_ratio = 0.1\ncycles_per_bit_min = 48.828125\n"
	"cycles_per_bit_max = 48.828125\nobserve = agent\nkappa = 6.25e-28\n";

/* One second on the agent: the workload made 10 calls to the local service,
 * 10 KiB up and 1 KiB down each, and used 20 ms of CPU; the 2 local CPUs
 * were a quarter busy, and others' tasks waited 0.152 s, so 0.316 of them
 * were runnable per CPU on average: the share 0.24 the simulator's others
 * hold; its run-queue waits sat around 300 us. */
static void agent_features(const struct off_config *c, struct off_wl_raw *w, struct off_cand_raw *k)
{
	static struct off_wl_stats wl0[2], wl1[2];
	struct off_flow_rec flow = {};
	struct off_snapshot s = { .nwl = 2, .nflows = 1, .flows = &flow };
	struct off_measure m;
	struct off_decider d;
	struct off_peers ps = {};
	struct off_models ms = {};
	uint32_t cur = 0, pin = 0;

	assert_int_equal(off_measure_init(&m, 1, 1), 0);
	m.scope.ncpus = 2;
	m.scope.capacity = 2;
	flow.k = (struct off_flow_key){ .widx = 1, .port = 8080 };
	memcpy(flow.k.addr, c->services[0].local.addr, 16);
	s.wl = wl0;
	off_measure_tick(&m, &s, c, &cur, 1000000000ULL);
	wl1[1].cpu_ns = 20000000;
	wl1[1].rq_hist_us[8] = 100;
	wl1[1].rq_waits = 100;
	flow.f = (struct off_flow){ .conns_opened = 10, .conns_closed = 10, .bytes_acked = 102400,
				    .bytes_received = 10240 };
	s.wl = wl1;
	s.local.cpu_ns = 500000000;
	s.local.rq_wait_ns = 151578947;
	off_measure_tick(&m, &s, c, &cur, 2000000000ULL);
	assert_int_equal(off_decider_init(&d, 1, 1), 0);
	off_decide(&d, c, &m, &ps, &ms, &pin, 2000000000ULL);
	*w = d.ch[0].s.wl;
	*k = d.ch[0].s.cand[0];
	off_decider_free(&d);
	off_measure_free(&m);
}

static void sim_features(struct off_est_env *env, struct off_wl_raw *w, struct off_cand_raw *k)
{
	static struct off_scenario sc;
	static struct off_sim s;
	uint32_t mask;

	load_text(sim_ini, &sc);
	off_sim_reset(&s, &sc, 3);
	/* An epoch of calls run here, then the next one's first call. */
	assert_true(off_sim_next_epoch(&s) > 0);
	for (int i = 0; i < s.ntasks; i++)
		off_sim_assign(&s, i, 0, NULL);
	assert_true(off_sim_next_epoch(&s) > 0);
	off_sim_observe(&s, 0, w, k, &mask);
	*env = s.env;
}

static void sim_to_real(void **state)
{
	static const struct { const char *name; double tol; } loose[] = {
		{ "wl_cpu_cores", 0.012 },	/* Poisson arrivals: 10 +- 6 calls */
		{ "host_util", 0.006 },
		{ "wl_rq_p99_log_ms", 0.15 },	/* a log2 histogram */
		{ "est_lat_log_ms", 0.02 }, { "est_reward_log", 0.02 },
	};
	struct off_est_env env_sim, env_agent;
	struct off_cand_raw ka, ks;
	struct off_wl_raw wa, ws;
	float xa[OFF_FEATURES], xs[OFF_FEATURES];
	struct off_config c = {};
	struct off_est ea, es;
	char err[256];

	(void)state;
	if (off_config_parse_str(agent_conf, "agent.conf", &c, err, sizeof(err)))
		fail_msg("%s", err);
	agent_features(&c, &wa, &ka);
	sim_features(&env_sim, &ws, &ks);
	off_config_est_env(&c, &env_agent);
	env_agent.tx_watts = env_sim.tx_watts;
	off_features_transform(&env_agent, &wa, &ka, xa, &ea);
	off_features_transform(&env_sim, &ws, &ks, xs, &es);
	for (int f = 0; f < OFF_FEATURES; f++) {
		double tol = 1e-3;

		for (size_t l = 0; l < sizeof(loose) / sizeof(*loose); l++)
			if (!strcmp(loose[l].name, off_feature_names[f]))
				tol = loose[l].tol;
		if (fabs(xa[f] - xs[f]) > tol)
			fail_msg("%s: agent %g, simulator %g", off_feature_names[f], xa[f], xs[f]);
	}
	off_config_free(&c);
}

static const char peer_conf[] =
	"[agent]\n[peer edge1]\naddress = 10.0.0.2\nkind = edge\nstatus_port = 0\nbandwidth = 1000\n"
	"[service api]\nvip = 10.0.0.1:80\nlocal = 127.0.0.1:8080\nprotocol = tcp\n"
	"[workload web]\ncgroup = /sys/fs/cgroup/unified/web\nservices = api\npolicy = greedy\n";

/* One tick of 10 connections to edge1, each moving 300 KiB in 600 ms with
 * a 10 ms RTT: a link of 4.17 Mbit/s, whatever the configuration said; a
 * tick of small calls teaches nothing and keeps it; ten such ticks forget
 * it for the configured prior. */
static void bandwidth_measured(void **state)
{
	static struct off_wl_stats wl[2];
	struct off_flow_rec flow = { .k = { .widx = 1, .port = 80 } };
	struct off_snapshot s = { .nwl = 2, .wl = wl, .nflows = 1, .flows = &flow };
	struct off_config c = {};
	struct off_measure m;
	uint32_t cur = 1;
	char err[256];
	double want = 300.0 * 1024 * 8 / 590000;

	(void)state;
	if (off_config_parse_str(peer_conf, "p.conf", &c, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(off_measure_init(&m, 1, 2), 0);
	m.scope.ncpus = 1;
	m.scope.capacity = 1;
	memcpy(flow.k.addr, c.peers[0].addr, 16);
	off_measure_tick(&m, &s, &c, &cur, 1000000000ULL);
	flow.f = (struct off_flow){ .conns_opened = 10, .conns_closed = 10, .srtt_us = 10000,
				    .bytes_received = 10 * 300 * 1024, .lifetime_us_sum = 10 * 600000 };
	off_measure_tick(&m, &s, &c, &cur, 2000000000ULL);
	assert_float_equal(m.wl[0].t[1].bw_mbps, want, 1e-6);
	flow.f.conns_opened += 10;
	flow.f.conns_closed += 10;
	flow.f.bytes_received += 10 * 100;
	flow.f.lifetime_us_sum += 10 * 20000;
	off_measure_tick(&m, &s, &c, &cur, 3000000000ULL);
	assert_float_equal(m.wl[0].t[1].bw_mbps, want, 1e-6);
	for (int i = 0; i < OFF_BW_MAX_AGE; i++)
		off_measure_tick(&m, &s, &c, &cur, 4000000000ULL + i * 1000000000ULL);
	assert_float_equal(m.wl[0].t[1].bw_mbps, 0, 0);
	off_measure_free(&m);
	off_config_free(&c);
}

/* A state with every kind of value: zeros, identical and distinct
 * candidates, and a NaN the memo must not mistake for a repeat. */
static void random_state(struct off_rng *r, struct off_wl_raw *w, struct off_cand_raw *c, int n)
{
	*w = (struct off_wl_raw){ .cpu_cores = off_rng_unit(r), .rq_p99_us = 3000 * off_rng_unit(r),
				  .host_util = off_rng_unit(r), .req_rate = 100 * off_rng_unit(r),
				  .up_bytes = 1e5 * off_rng_unit(r), .cpu_ms = 10 * off_rng_unit(r) };
	for (int i = 0; i < n; i++)
		c[i] = (struct off_cand_raw){ .kind = (enum off_target_kind)(i % OFF_KINDS),
			.current = !i, .rtt_us = i % 3 ? 2e5 * off_rng_unit(r) : 1000,
			.rtt_jitter_us = i % 2 ? NAN : 10, .bw_mbps = 1000 * off_rng_unit(r),
			.ghz = 1 + 3 * off_rng_unit(r), .cores = i % 4 ? 8 : 0,
			.util = off_rng_unit(r), .wait_us = i % 5 ? 0 : 1e4,
			.cost_per_req = 1e-3 * off_rng_unit(r) };
}

static void rows_match_feature_table(void **state)
{
	struct off_est_env env = { .reward = OFF_REWARD_DEFAULT, .local_ghz = 2, .cpu_watts = 5,
				   .nj_per_byte = 40, .switch_rtts = 1, .measured = 1 };
	float rows[16 * OFF_FEATURES], est[16], want[OFF_FEATURES];
	struct off_cand_raw c[16];
	struct off_wl_raw w;
	struct off_norm norm;
	struct off_rng r;

	(void)state;
	off_rng_seed(&r, 9);
	for (int f = 0; f < OFF_FEATURES; f++) {
		norm.mean[f] = (float)off_rng_normal(&r);
		norm.scale[f] = 0.5f + (float)off_rng_unit(&r);
	}
	for (int n = 1; n <= 16; n++) {
		random_state(&r, &w, c, n);
		off_policy_rows(&env, &norm, &w, c, n, rows, est);
		for (int i = 0; i < n; i++) {
			struct off_est e;

			off_features_row(&env, &w, &c[i], &norm, want, &e);
			for (int f = 0; f < OFF_FEATURES; f++)
				if (memcmp(&rows[i * OFF_FEATURES + f], &want[f], sizeof(float)))
					fail_msg("n=%d, candidate %d, %s: %.9g, the table says %.9g", n,
						 i, off_feature_names[f], rows[i * OFF_FEATURES + f],
						 want[f]);
			assert_true(est[i] == (float)e.reward);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(feature_table),
		cmocka_unit_test(estimate_numbers),
		cmocka_unit_test(gate_falls_back),
		cmocka_unit_test(generator),
		cmocka_unit_test(sim_to_real),
		cmocka_unit_test(bandwidth_measured),
		cmocka_unit_test(rows_match_feature_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
