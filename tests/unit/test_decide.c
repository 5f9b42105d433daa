// SPDX-License-Identifier: GPL-2.0
/* The decision with scores that are not finite: a model whose finite but
 * extreme weights overflow scores Inf or NaN; the workload keeps its target
 * and the scores are counted, instead of silently going local. */
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

static void overflowing_model_keeps_the_target(void **state)
{
	static struct off_config c;
	struct off_models ms = {};
	struct off_measure m = {};
	struct off_peers ps = {};
	struct off_decider d;
	uint32_t pin[1] = { 0 };
	char err[512], text[1024], cwd[512];

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(text, sizeof(text), conf, cwd);
	if (off_config_parse_str(text, "test", &c, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(off_models_load(&ms, &c, err, sizeof(err)), 0);
	for (size_t k = 0; k < ms.m[0].m.mlp.nparams; k++)
		ms.m[0].m.mlp.p[k] = 1e30f;	/* finite, and the layers overflow */
	assert_int_equal(off_measure_init(&m, 1, 2), 0);
	assert_int_equal(off_peers_init(&ps, &c, NULL), 0);
	assert_int_equal(off_decider_init(&d, 1, 2), 0);
	m.dt_s = 1;		/* a tick of measurements is in */
	d.ch[0].target = 1;	/* on edge1 */
	off_decide(&d, &c, &m, &ps, &ms, pin, 1000000000ULL);
	assert_int_equal(d.ch[0].target, 1);
	assert_false(d.ch[0].changed);
	assert_true(d.nonfinite >= 1);
	assert_non_null(strstr(d.ch[0].why, "not finite"));
	off_decider_free(&d);
	off_peers_free(&ps);
	off_measure_free(&m);
	off_models_free(&ms);
	off_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(overflowing_model_keeps_the_target),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
