// SPDX-License-Identifier: GPL-2.0
/* Inference against an independent double-precision implementation (the
 * decision path's batched forward in each variant this CPU has, the portable
 * one forced too), and backpropagation against finite differences. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/adam.h"
#include "lib/features.h"
#include "lib/mlp.h"

#define IN 17

/* The textbook formula with its own indexing, any layer sizes. */
static double naive_q(const struct off_mlp *m, const float *x)
{
	double *h1 = calloc(m->h1 + m->h2, sizeof(double)), *h2 = h1 + m->h1, q = m->b3[0];

	for (int j = 0; j < m->h1; j++) {
		double s = m->b1[j];

		for (int i = 0; i < m->in; i++)
			s += (double)x[i] * m->w1[i * m->h1 + j];
		h1[j] = s > 0 ? s : 0;
	}
	for (int j = 0; j < m->h2; j++) {
		double s = m->b2[j];

		for (int i = 0; i < m->h1; i++)
			s += h1[i] * m->w2[i * m->h2 + j];
		h2[j] = s > 0 ? s : 0;
	}
	for (int j = 0; j < m->h2; j++)
		q += h2[j] * m->w3[j];
	free(h1);
	return q;
}

static void make(struct off_mlp *m, uint64_t seed)
{
	struct off_rng r;

	off_rng_seed(&r, seed);
	assert_int_equal(off_mlp_init(m, IN, OFF_MLP_H1, OFF_MLP_H2), 0);
	off_mlp_randomize(m, &r);
	for (size_t i = 0; i < m->nparams; i++)	/* biases too, so every path is used */
		m->p[i] += 0.05f * (float)off_rng_normal(&r);
}

static void batch_matches_naive(void **state)
{
	float x[64 * IN], q[64], scratch[OFF_MLP_H1 + OFF_MLP_H2];
	struct off_mlp m;
	struct off_rng r;

	(void)state;
	make(&m, 7);
	off_rng_seed(&r, 8);
	for (int i = 0; i < 64 * IN; i++)
		x[i] = (float)off_rng_normal(&r);
	off_mlp_forward(&m, x, 64, q, scratch);
	for (int i = 0; i < 64; i++) {
		double want = naive_q(&m, x + i * IN);

		assert_true(fabs(q[i] - want) <= 1e-5 * fmax(1, fabs(want)));
	}
	off_mlp_free(&m);
}

static void forward_deterministic(void **state)
{
	float x[IN], s[OFF_MLP_H1 + OFF_MLP_H2], a, b;
	struct off_mlp m;

	(void)state;
	make(&m, 3);
	for (int i = 0; i < IN; i++)
		x[i] = i * 0.1f - 0.8f;
	off_mlp_forward(&m, x, 1, &a, s);
	off_mlp_forward(&m, x, 1, &b, s);
	assert_memory_equal(&a, &b, sizeof(a));
	off_mlp_free(&m);
}

static void gradient_check(void **state)
{
	float x[IN], h1[OFF_MLP_H1], h2[OFF_MLP_H2], s[OFF_MLP_H1 + OFF_MLP_H2];
	struct off_mlp m;
	struct off_rng r;
	float *g;
	int checked = 0;

	(void)state;
	make(&m, 11);
	off_rng_seed(&r, 12);
	for (int i = 0; i < IN; i++)
		x[i] = (float)off_rng_normal(&r);
	g = calloc(m.nparams, sizeof(float));
	off_mlp_forward_one(&m, x, h1, h2);
	off_mlp_backward_one(&m, x, h1, h2, 1.0f, g, s);
	for (size_t k = 0; k < m.nparams; k += 11) {
		float keep = m.p[k], h = 2e-3f;
		double up, down, num;

		m.p[k] = keep + h;
		up = naive_q(&m, x);
		m.p[k] = keep - h;
		down = naive_q(&m, x);
		m.p[k] = keep;
		num = (up - down) / (2 * h);
		/* ReLU kinks make a few differences one-sided; the rest must agree. */
		if (fabs(num - g[k]) > 1e-3 + 1e-2 * fabs(num))
			fail_msg("param %zu: backprop %g, finite difference %g", k, g[k], num);
		checked++;
	}
	assert_true(checked > 200);
	free(g);
	off_mlp_free(&m);
}

/* Every n from 1 to 16 on fresh random rows; scratch exactly as big as
 * off_mlp_scratch says, so an overrun shows under valgrind. */
static void check_shape(int in, int h1, int h2, uint64_t seed)
{
	float x[16 * 64], q[16], *scratch;
	struct off_mlp m;
	struct off_rng r;

	assert_true(in <= 64);
	assert_int_equal(off_mlp_init(&m, in, h1, h2), 0);
	off_rng_seed(&r, seed);
	off_mlp_randomize(&m, &r);
	for (size_t i = 0; i < m.nparams; i++)	/* biases too, and some dead units */
		m.p[i] += 0.1f * (float)off_rng_normal(&r);
	scratch = malloc(off_mlp_scratch(&m) * sizeof(float));
	assert_non_null(scratch);
	for (int n = 1; n <= 16; n++) {
		for (int i = 0; i < n * in; i++)
			x[i] = (float)off_rng_normal(&r);
		off_mlp_infer(&m, x, n, q, scratch);
		for (int k = 0; k < n; k++) {
			double want = naive_q(&m, x + k * in);

			if (!(fabs(q[k] - want) <= 1e-5 * fmax(1, fabs(want))))
				fail_msg("%d-%d-%d, n=%d, row %d: %.9g, reference %.9g", in, h1, h2, n,
					 k, q[k], want);
		}
	}
	free(scratch);
	off_mlp_free(&m);
}

static void infer_matches_reference(void **state)
{
	static const char *const names[] = { "portable", "AVX2+FMA", "AVX-512+FMA" };
	int ran = 0;

	(void)state;
	for (enum off_mlp_isa isa = OFF_MLP_ISA_PORTABLE; isa <= OFF_MLP_ISA_AVX512; isa++) {
		if (off_mlp_infer_isa(isa) == -ENOTSUP)
			continue;
		print_message("# %s\n", names[isa]);
		check_shape(OFF_FEATURES, OFF_MLP_H1, OFF_MLP_H2, 1);
		check_shape(OFF_FEATURES + 1, OFF_MLP_H1, OFF_MLP_H2, 2);	/* a feature more */
		check_shape(17, 48, 16, 3);	/* a last block of one vector */
		check_shape(9, 128, 64, 4);
		check_shape(7, 24, 40, 5);	/* multiples of 8, not 16: AVX2 */
		check_shape(5, 20, 12, 6);	/* not a multiple of 8: forward() */
		ran++;
	}
	assert_true(ran >= 1);
	assert_int_equal(off_mlp_infer_isa(OFF_MLP_ISA_AUTO), 0);
}

static void adam_descends(void **state)
{
	float p[2] = { 3, -2 }, g[2];
	struct off_adam a;

	(void)state;
	assert_int_equal(off_adam_init(&a, 2, 0.1f), 0);
	for (int i = 0; i < 500; i++) {
		g[0] = 2 * p[0];
		g[1] = 2 * p[1];
		off_adam_step(&a, p, g, 1.0f);
	}
	assert_true(fabsf(p[0]) < 0.05f && fabsf(p[1]) < 0.05f);
	off_adam_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(batch_matches_naive),
		cmocka_unit_test(forward_deterministic),
		cmocka_unit_test(gradient_check),
		cmocka_unit_test(adam_descends),
		cmocka_unit_test(infer_matches_reference),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
