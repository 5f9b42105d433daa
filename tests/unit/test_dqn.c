// SPDX-License-Identifier: GPL-2.0
/* Double DQN learns a contextual bandit; training is byte-for-byte
 * reproducible for a seed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/dqn.h"
#include "lib/train.h"

/* Three candidates; choosing one pays its feature 3, so the best is the
 * one where that feature is largest. */
static void bandit_state(struct off_rng *r, float rows[][OFF_FEATURES], int *best)
{
	*best = 0;
	for (int c = 0; c < 3; c++) {
		for (int i = 0; i < OFF_FEATURES; i++)
			rows[c][i] = (float)off_rng_normal(r);
		if (rows[c][3] > rows[*best][3])
			*best = c;
	}
}

static void learns_bandit(void **state)
{
	struct off_dqn_cfg cfg = OFF_DQN_CFG_DEFAULT;
	static struct off_transition t;
	struct off_mlp init;
	struct off_dqn d;
	struct off_rng r;
	int right = 0;

	(void)state;
	cfg.gamma = 0;
	cfg.warmup = 256;
	cfg.eps_steps = 3000;
	cfg.replay = 8000;
	off_rng_seed(&r, 1);
	assert_int_equal(off_mlp_init(&init, OFF_FEATURES, OFF_MLP_H1, OFF_MLP_H2), 0);
	off_mlp_randomize(&init, &r);
	assert_int_equal(off_dqn_init(&d, &cfg, &init, 2), 0);
	for (int step = 0; step < 6000; step++) {
		int best;

		bandit_state(&r, t.s, &best);
		t.n = 3;
		t.action = off_dqn_act(&d, &t.s[0][0], 3, 7);
		t.reward = t.s[t.action][3];
		t.done = 1;
		off_dqn_observe(&d, &t);
	}
	for (int k = 0; k < 500; k++) {
		float q[3], scratch[OFF_MLP_H1 + OFF_MLP_H2];
		int best;

		bandit_state(&r, t.s, &best);
		right += off_policy_argmax(&d.online, &t.s[0][0], 3, 7, q, scratch) == best;
	}
	print_message("# bandit: %d/500 right\n", right);
	assert_true(right >= 450);
	/* A masked-out candidate is never chosen, however it scores. */
	for (int k = 0; k < 100; k++) {
		float q[3], scratch[OFF_MLP_H1 + OFF_MLP_H2];
		int best;

		bandit_state(&r, t.s, &best);
		assert_int_not_equal(off_policy_argmax(&d.online, &t.s[0][0], 3, 5, q, scratch), 1);
	}
	off_dqn_free(&d);
	off_mlp_free(&init);
}

static unsigned char *train_bytes(const struct off_scenario *sc, const char *path, size_t *len)
{
	struct off_train_opts o = { .sc = sc, .nsc = 1, .steps = 3000, .seed = 42,
				    .dqn = OFF_DQN_CFG_DEFAULT };
	struct off_model m;
	unsigned char *buf;
	char err[256];
	FILE *f;

	o.dqn.warmup = 500;
	assert_int_equal(off_train_sim(&m, &o, NULL), 0);
	assert_int_equal(off_model_save(path, &m, err, sizeof(err)), 0);
	off_model_free(&m);
	f = fopen(path, "rb");
	fseek(f, 0, SEEK_END);
	*len = ftell(f);
	rewind(f);
	buf = malloc(*len);
	assert_int_equal(fread(buf, 1, *len, f), *len);
	fclose(f);
	unlink(path);
	return buf;
}

static void same_seed_same_model(void **state)
{
	static struct off_scenario sc;
	unsigned char *a, *b;
	size_t la, lb;
	char err[256], path[64];

	(void)state;
	assert_int_equal(off_scenario_load("models/scenarios/balanced.ini", &sc, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "/tmp/test_dqn.%d.omdl", getpid());
	a = train_bytes(&sc, path, &la);
	b = train_bytes(&sc, path, &lb);
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, la);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(learns_bandit),
		cmocka_unit_test(same_seed_same_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
