// SPDX-License-Identifier: GPL-2.0
/* The guard (first tick, dwell, hysteresis, pins, health) through off_decide
 * with synthetic measurements, the reward of a known tick and the feature
 * transform of a known state: pure logic, tested without root. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "agent/tick/decide.h"
#include "agent/tick/record.h"

/*
 * Latency is the whole reward (w_lat 1 over lat_ref 1 s) and a move costs
 * no setup, so a candidate scores minus its estimated latency: 100 ms of
 * CPU per request at 2 GHz everywhere, here at half the CPU (one other task
 * runnable per CPU), on a peer plus its RTT. Local scores -0.2, an edge
 * -(0.1 + RTT). Both peers are probed, so their status must list "api".
 */
static const char guard_conf[] =
	"[agent]\ncpu_ghz = 2\nw_lat = 1\nw_energy = 0\nw_cost = 0\nlat_ref = 1s\nswitch_rtts = 0\n"
	"[peer edge1]\naddress = 10.0.0.2\nkind = edge\nstatus_port = 9477\n"
	"[peer edge2]\naddress = 10.0.0.3\nkind = edge\nstatus_port = 9477\n"
	"[service api]\nvip = 10.9.9.9:80\nprotocol = tcp\nlocal = 127.0.0.1:80\n"
	"[workload app]\ncgroup = /sys/fs/cgroup/app\nservices = api\npolicy = greedy\n"
	"min_dwell = 10s\nhysteresis = 0.05\n";

struct rig {
	struct off_config c;
	struct off_measure m;
	struct off_peers ps;
	struct off_models ms;
	struct off_decider d;
	uint32_t pin[1];
};

static void serves(struct off_peer *p, const char *service)
{
	p->st.nservices = 1;
	snprintf(p->st.services[0], sizeof(p->st.services[0]), "%s", service);
}

static int rig_setup(void **state)
{
	struct rig *r = calloc(1, sizeof(*r));
	char err[512];

	assert_non_null(r);
	if (off_config_parse_str(guard_conf, "guard.conf", &r->c, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(off_measure_init(&r->m, 1, 3), 0);
	assert_int_equal(off_peers_init(&r->ps, &r->c, NULL), 0);
	assert_int_equal(off_decider_init(&r->d, 1, 3), 0);
	r->m.dt_s = 1;
	r->m.scope.ncpus = 1;
	r->m.scope.capacity = 1;
	r->m.local_runnable = 1;
	r->m.wl[0].raw.cpu_ms = 100;
	for (int p = 0; p < r->ps.n; p++)
		serves(&r->ps.p[p], "api");
	*state = r;
	return 0;
}

static int rig_teardown(void **state)
{
	struct rig *r = *state;

	off_decider_free(&r->d);
	off_peers_free(&r->ps);
	off_measure_free(&r->m);
	off_config_free(&r->c);
	free(r);
	return 0;
}

static void rtts_ms(struct rig *r, double edge1, double edge2)
{
	r->ps.p[0].rtt_us = edge1 * 1000;
	r->ps.p[1].rtt_us = edge2 * 1000;
}

/* One decision at now_s seconds; the workload's choice after it. */
static struct off_choice *tick(struct rig *r, double now_s)
{
	off_decide(&r->d, &r->c, &r->m, &r->ps, &r->ms, r->pin, (uint64_t)(now_s * 1e9));
	return &r->d.ch[0];
}

/* The start of most stories: greedy moves the workload to edge1 at 1 s,
 * and the dwell runs from there. */
static struct off_choice *to_edge1_at_1s(struct rig *r)
{
	struct off_choice *ch;

	rtts_ms(r, 10, 20);
	ch = tick(r, 1);
	assert_int_equal(ch->target, 1);
	assert_int_equal(ch->since_ns, 1000000000ULL);
	return ch;
}

static void assert_why(const struct off_choice *ch, const char *text)
{
	if (!strstr(ch->why, text))
		fail_msg("why \"%s\" lacks \"%s\"", ch->why, text);
}

/* No tick of measurements yet: the workload keeps its target though greedy
 * wants edge1; with one, it goes there, and the scores are as designed. */
static void first_tick_waits(void **state)
{
	struct rig *r = *state;
	struct off_choice *ch;

	rtts_ms(r, 10, 20);
	r->m.dt_s = 0;
	ch = tick(r, 1);
	assert_int_equal(ch->want, 1);
	assert_int_equal(ch->target, OFF_TARGET_LOCAL);
	assert_false(ch->changed);
	assert_string_equal(ch->why, "waiting for a tick of measurements");
	r->m.dt_s = 1;
	ch = tick(r, 2);
	assert_float_equal(ch->q[0], -0.2, 1e-6);
	assert_float_equal(ch->q[1], -0.11, 1e-6);
	assert_float_equal(ch->q[2], -0.12, 1e-6);
	assert_int_equal(ch->target, 1);
	assert_true(ch->changed);
	assert_int_equal(ch->reason, OFF_WHY_POLICY);
	assert_int_equal(ch->changes_by[OFF_WHY_POLICY], 1);
	assert_why(ch, "edge1 scores best");
}

/* Moved to edge1 at 1 s; edge2 then wins by 0.07, past the hysteresis, but
 * waits out the 10 s dwell: held at 5 s and 10.5 s, moved at 11 s. */
static void dwell_holds_the_challenger(void **state)
{
	struct rig *r = *state;
	struct off_choice *ch;

	ch = to_edge1_at_1s(r);
	rtts_ms(r, 80, 10);
	ch = tick(r, 5);
	assert_int_equal(ch->want, 2);
	assert_int_equal(ch->target, 1);
	assert_false(ch->changed);
	assert_string_equal(ch->why, "kept edge1: edge2 is better but the dwell time has 6.0 s left");
	ch = tick(r, 10.5);
	assert_int_equal(ch->target, 1);
	assert_why(ch, "the dwell time has 0.5 s left");
	ch = tick(r, 11);
	assert_int_equal(ch->target, 2);
	assert_true(ch->changed);
	assert_int_equal(ch->reason, OFF_WHY_POLICY);
	assert_int_equal(ch->changes, 2);
}

/* On edge1 and free to move: edge2 better by 0.03 is held (hysteresis
 * 0.05); better by 0.07 it wins. */
static void hysteresis_holds_a_small_gain(void **state)
{
	struct rig *r = *state;
	struct off_choice *ch;

	r->d.ch[0].target = 1;
	rtts_ms(r, 50, 20);
	ch = tick(r, 1);
	assert_float_equal(ch->q[2] - ch->q[1], 0.03, 1e-6);
	assert_int_equal(ch->want, 2);
	assert_int_equal(ch->target, 1);
	assert_string_equal(ch->why,
			    "kept edge1: edge2 is better by 0.030, within the hysteresis of 0.050");
	rtts_ms(r, 80, 10);
	ch = tick(r, 2);
	assert_int_equal(ch->target, 2);
	assert_true(ch->changed);
	assert_int_equal(ch->reason, OFF_WHY_POLICY);
}

/* A pin moves at once, to a worse target and inside the dwell; unpinned,
 * the workload is the guard's again, dwell included. */
static void pin_moves_at_once(void **state)
{
	struct rig *r = *state;
	struct off_choice *ch;

	ch = to_edge1_at_1s(r);
	r->pin[0] = 2 + 1;
	ch = tick(r, 2);
	assert_int_equal(ch->target, 2);
	assert_true(ch->changed);
	assert_int_equal(ch->reason, OFF_WHY_PIN);
	assert_string_equal(ch->why, "pinned by offloadctl");
	r->pin[0] = OFF_TARGET_LOCAL + 1;
	ch = tick(r, 3);
	assert_int_equal(ch->target, OFF_TARGET_LOCAL);
	assert_int_equal(ch->changes_by[OFF_WHY_PIN], 2);
	r->pin[0] = 0;
	ch = tick(r, 4);
	assert_int_equal(ch->want, 1);
	assert_int_equal(ch->target, OFF_TARGET_LOCAL);
	assert_why(ch, "the dwell time has 9.0 s left");
}

/* edge1 goes down inside the dwell: left at once for edge2; both down, for
 * local, the worst score. A down peer is never chosen, pinned or not. */
static void unhealthy_peer_left_at_once(void **state)
{
	struct rig *r = *state;
	struct off_choice *ch;

	ch = to_edge1_at_1s(r);
	r->ps.p[0].up = 0;
	ch = tick(r, 2);
	assert_false(ch->s.mask >> 1 & 1);
	assert_int_equal(ch->target, 2);
	assert_true(ch->changed);
	assert_int_equal(ch->reason, OFF_WHY_UNHEALTHY);
	r->ps.p[1].up = 0;
	ch = tick(r, 3);
	assert_int_equal(ch->target, OFF_TARGET_LOCAL);
	assert_int_equal(ch->reason, OFF_WHY_UNHEALTHY);
	assert_int_equal(ch->changes_by[OFF_WHY_UNHEALTHY], 2);
	for (int s = 4; s < 40; s++)
		assert_int_equal(tick(r, s)->target, OFF_TARGET_LOCAL);
	r->pin[0] = 1 + 1;
	ch = tick(r, 40);
	assert_int_equal(ch->target, OFF_TARGET_LOCAL);
	assert_int_equal(ch->reason, OFF_WHY_UNHEALTHY);
	assert_string_equal(ch->why, "edge1 is down or does not serve it");
}

/* edge2 scores best but its status does not list "api": not eligible, and
 * a workload on it leaves at once. */
static void peer_not_serving_is_not_eligible(void **state)
{
	struct rig *r = *state;
	struct off_choice *ch;

	serves(&r->ps.p[1], "other");
	rtts_ms(r, 20, 10);
	r->d.ch[0].target = 2;
	r->d.ch[0].since_ns = 1;	/* just moved: the dwell would hold */
	ch = tick(r, 1);
	assert_int_equal(ch->s.mask, 0x3);
	assert_true(ch->q[2] > ch->q[1]);
	assert_int_equal(ch->target, 1);
	assert_int_equal(ch->reason, OFF_WHY_UNHEALTHY);
	rtts_ms(r, 80, 10);	/* edge2 by 0.07: only eligibility holds it */
	for (int s = 20; s < 60; s += 10)
		assert_int_equal(tick(r, s)->target, 1);
}

/*
 * edge1 at 100 Mbit/s and 0.002 a request; 10 W of CPU here, 2 W on the
 * link and 40 nJ a byte. The tick: 10 requests, 50 ms of CPU (5 ms each);
 * to edge1 10 opened and 8 closed, 1.2 MB moved, 30 ms mean lifetime;
 * locally 5 closed at 20 ms.
 */
static const char reward_conf[] =
	"[agent]\ncpu_watts = 10\ntx_watts = 2\nnet_nj_per_byte = 40\nw_lat = 0.5\nw_energy = 0.3\n"
	"w_cost = 0.2\nlat_ref = 100ms\nenergy_ref = 0.5\ncost_ref = 0.001\n"
	"[peer edge1]\naddress = 10.0.0.2\nkind = edge\nstatus_port = 0\nbandwidth = 100\n"
	"cost = 0.002\n"
	"[service api]\nvip = 10.9.9.9:80\nprotocol = tcp\nlocal = 127.0.0.1:80\n"
	"[workload app]\ncgroup = /sys/fs/cgroup/app\nservices = api\n";

static void reward_of_a_known_tick(void **state)
{
	struct off_config c = {};
	struct off_measure m;
	struct off_tgt_tick *t;
	char err[512];

	(void)state;
	if (off_config_parse_str(reward_conf, "reward.conf", &c, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(off_measure_init(&m, 1, 2), 0);
	m.wl[0].requests = 10;
	m.wl[0].cpu_s = 0.05;
	t = m.wl[0].t;
	t[1] = (struct off_tgt_tick){ .opened = 10, .closed = 8, .up = 1e6, .down = 2e5,
				      .life_mean_us = 30000 };
	t[0] = (struct off_tgt_tick){ .opened = 5, .closed = 5, .life_mean_us = 20000 };
	/* 120 kB a request: 9.6 ms on the link, 0.0192 J, plus 0.0048 J of
	 * bytes and 0.05 J of CPU: 0.074 J. */
	assert_float_equal(off_record_reward(&c, &m, 0, 1),
			   -(0.5 * 0.03 / 0.1 + 0.3 * 0.074 / 0.5 + 0.2 * 0.002 / 0.001), 1e-12);
	assert_float_equal(off_record_reward(&c, &m, 0, 0),
			   -(0.5 * 0.02 / 0.1 + 0.3 * 0.05 / 0.5), 1e-12);
	/* None opened this tick: bytes per closed connection, 150 kB. */
	t[1].opened = 0;
	assert_float_equal(off_record_reward(&c, &m, 0, 1),
			   -(0.5 * 0.03 / 0.1 + 0.3 * 0.08 / 0.5 + 0.2 * 0.002 / 0.001), 1e-12);
	t[1].closed = 0;
	assert_true(isnan(off_record_reward(&c, &m, 0, 1)));
	m.wl[0].requests = 0;
	assert_true(isnan(off_record_reward(&c, &m, 0, 0)));
	off_measure_free(&m);
	off_config_free(&c);
}

static int feature(const char *name)
{
	for (int f = 0; f < OFF_FEATURES; f++)
		if (!strcmp(off_feature_names[f], name))
			return f;
	fail_msg("no feature %s", name);
	return -1;
}

/* A known workload on a known edge, energy free: every heavy tail is
 * log1p of its unit, a cloud's elastic cores count as 64 and a value below
 * zero as zero. */
static void features_of_a_known_state(void **state)
{
	struct off_est_env env = { .reward = OFF_REWARD_DEFAULT, .local_ghz = 2, .switch_rtts = 1,
				   .measured = 1 };
	struct off_wl_raw w = { .cpu_cores = 0.5, .rq_p99_us = 3000, .req_rate = 20,
				.up_bytes = 10240, .down_bytes = 2048, .cpu_ms = 4 };
	struct off_cand_raw k = { .kind = OFF_KIND_EDGE, .rtt_us = 9000, .rtt_jitter_us = -5,
				  .bw_mbps = 99, .ghz = 3, .util = 0.25, .cost_per_req = 1e-4 };
	/* Setup 9 ms, the bytes 0.993 ms, half the RTT each way, then 4 ms
	 * of this host's CPU at 1.5 times the speed with a quarter taken. */
	double lat = 0.009 + 12288 * 8 / 99e6 + 0.009 + 0.004 * 2 / (3 * 0.75);
	double reward = -(0.5 * lat / 0.1 + 0.2 * 1e-4 / 0.001);
	float x[OFF_FEATURES];
	struct off_est e;

	(void)state;
	off_features_transform(&env, &w, &k, x, &e);
	assert_float_equal(e.reward, reward, 1e-12);
	assert_float_equal(x[feature("wl_cpu_cores")], 0.5, 1e-6);
	assert_float_equal(x[feature("wl_rq_p99_log_ms")], log1p(3), 1e-6);
	assert_float_equal(x[feature("wl_req_rate_log")], log1p(20), 1e-6);
	assert_float_equal(x[feature("wl_up_kib_log")], log1p(10), 1e-6);
	assert_float_equal(x[feature("wl_down_kib_log")], log1p(2), 1e-6);
	assert_float_equal(x[feature("cand_is_edge")], 1, 0);
	assert_float_equal(x[feature("cand_is_local")], 0, 0);
	assert_float_equal(x[feature("cand_rtt_log_ms")], log1p(9), 1e-6);
	assert_float_equal(x[feature("cand_jitter_log_ms")], 0, 0);
	assert_float_equal(x[feature("cand_bw_log_mbps")], log(100), 1e-6);
	assert_float_equal(x[feature("cand_speed")], 1.5, 1e-6);
	assert_float_equal(x[feature("cand_cores_log")], log1p(64), 1e-6);
	assert_float_equal(x[feature("cand_cost_log")], log1p(1), 1e-6);
	assert_float_equal(x[feature("w_lat_log")], log1p(5), 1e-6);
	assert_float_equal(x[feature("est_lat_log_ms")], log1p(lat * 1000), 1e-5);
	assert_float_equal(x[feature("est_reward_log")], -log1p(-reward), 1e-6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(first_tick_waits, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(dwell_holds_the_challenger, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(hysteresis_holds_a_small_gain, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(pin_moves_at_once, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(unhealthy_peer_left_at_once, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(peer_not_serving_is_not_eligible, rig_setup,
						rig_teardown),
		cmocka_unit_test(reward_of_a_known_tick),
		cmocka_unit_test(features_of_a_known_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
