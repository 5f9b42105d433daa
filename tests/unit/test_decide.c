// SPDX-License-Identifier: GPL-2.0
/* The decision with scores that are not finite: a model whose finite but
 * extreme weights overflow scores Inf or NaN; the workload keeps its target
 * and the scores are counted, instead of silently going local. The
 * candidates' other agents, from a peer's reported clients. And the hold
 * on a peer whose connects fail. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "agent/tick/decide.h"

/* Run from the top of the tree, as tests/run.sh does. */
static const char conf[] =
	"[agent]\nmodel = %s/models/default.omdl\n"
	"[peer edge1]\naddress = 10.0.0.2\nkind = edge\nstatus_port = 0\n"
	"[service api]\nvip = 10.9.9.9:80\nprotocol = tcp\nlocal = 127.0.0.1:80\n"
	"[workload app]\ncgroup = /sys/fs/cgroup/app\nservices = api\nmin_dwell = 0ms\n";

/* One workload on one peer, edge1, decided from a tick of measurements. */
struct world {
	struct off_config c;
	struct off_models ms;
	struct off_measure m;
	struct off_peers ps;
	struct off_decider d;
};

static void world_init(struct world *w)
{
	char err[512], text[1024], cwd[512];

	memset(w, 0, sizeof(*w));
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(text, sizeof(text), conf, cwd);
	if (off_config_parse_str(text, "test", &w->c, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(off_models_load(&w->ms, &w->c, err, sizeof(err)), 0);
	assert_int_equal(off_measure_init(&w->m, 1, 2), 0);
	assert_int_equal(off_peers_init(&w->ps, &w->c, NULL), 0);
	assert_int_equal(off_decider_init(&w->d, 1, 2), 0);
	w->m.dt_s = 1;		/* a tick of measurements is in */
}

static void world_free(struct world *w)
{
	off_decider_free(&w->d);
	off_peers_free(&w->ps);
	off_measure_free(&w->m);
	off_models_free(&w->ms);
	off_config_free(&w->c);
}

static void overflowing_model_keeps_the_target(void **state)
{
	static struct world w;
	uint32_t pin[1] = { 0 };

	(void)state;
	world_init(&w);
	for (size_t k = 0; k < w.ms.m[0].m.mlp.nparams; k++)
		w.ms.m[0].m.mlp.p[k] = 1e30f;	/* finite, and the layers overflow */
	w.d.ch[0].target = 1;	/* on edge1 */
	off_decide(&w.d, &w.c, &w.m, &w.ps, &w.ms, pin, 1000000000ULL);
	assert_int_equal(w.d.ch[0].target, 1);
	assert_false(w.d.ch[0].changed);
	assert_true(w.d.nonfinite >= 1);
	assert_non_null(strstr(w.d.ch[0].why, "not finite"));
	world_free(&w);
}

/* A peer's reported clients include this agent: the candidate's other
 * agents are one fewer; an older peer (no count) and local have none. */
static void peer_clients_less_this_agent(void **state)
{
	static struct world w;
	uint32_t pin[1] = { 0 };
	const int reported[] = { 0, 1, 4 }, others[] = { 0, 0, 3 };

	(void)state;
	world_init(&w);
	for (int k = 0; k < 3; k++) {
		w.ps.p[0].st.clients = reported[k];
		off_decide(&w.d, &w.c, &w.m, &w.ps, &w.ms, pin, (k + 1) * 1000000000ULL);
		assert_true(w.d.ch[0].s.cand[0].clients == 0);
		assert_true(w.d.ch[0].s.cand[1].clients == others[k]);
	}
	world_free(&w);
}

/* A peer that failed the workload's connects over a tick is left for
 * refusal_hold from that tick, though its probes say up; with the hold at
 * 0s it stays a candidate, left to the probes. */
static void failed_connects_hold_the_peer(void **state)
{
	static struct world w;
	uint32_t pin[1] = { 0 };
	const uint64_t s = 1000000000ULL;

	(void)state;
	world_init(&w);
	w.ps.p[0].up = true;
	off_decide(&w.d, &w.c, &w.m, &w.ps, &w.ms, pin, 1 * s);
	assert_true(w.d.ch[0].s.mask & 2);
	w.m.wl[0].t[1].failed = 2;	/* 2 of 3 connects failed */
	w.m.wl[0].t[1].opened = 1;
	off_decide(&w.d, &w.c, &w.m, &w.ps, &w.ms, pin, 2 * s);
	assert_false(w.d.ch[0].s.mask & 2);
	assert_true(w.d.ch[0].held_until_ns[1] == 7 * s);
	assert_true(w.d.refusal_holds == 1);
	w.m.wl[0].t[1].failed = 0;
	off_decide(&w.d, &w.c, &w.m, &w.ps, &w.ms, pin, 6 * s);
	assert_false(w.d.ch[0].s.mask & 2);
	off_decide(&w.d, &w.c, &w.m, &w.ps, &w.ms, pin, 7 * s);
	assert_true(w.d.ch[0].s.mask & 2);

	w.c.refusal_hold_ms = 0;
	w.m.wl[0].t[1].failed = 3;
	w.m.wl[0].t[1].opened = 0;
	off_decide(&w.d, &w.c, &w.m, &w.ps, &w.ms, pin, 8 * s);
	assert_true(w.d.ch[0].s.mask & 2);
	assert_true(w.d.refusal_holds == 1);
	world_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(overflowing_model_keeps_the_target),
		cmocka_unit_test(peer_clients_less_this_agent),
		cmocka_unit_test(failed_connects_hold_the_peer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
