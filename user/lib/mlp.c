// SPDX-License-Identifier: GPL-2.0
/* MLP inference and backpropagation. The hot loops are dense vector updates
 * over contiguous weights; this file is built with -O3 and cloned for AVX2. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mlp.h"

size_t off_mlp_count(int in, int h1, int h2)
{
	return (size_t)in * h1 + h1 + (size_t)h1 * h2 + h2 + h2 + 1;
}

static void layout(struct off_mlp *m)
{
	m->w1 = m->p;
	m->b1 = m->w1 + (size_t)m->in * m->h1;
	m->w2 = m->b1 + m->h1;
	m->b2 = m->w2 + (size_t)m->h1 * m->h2;
	m->w3 = m->b2 + m->h2;
	m->b3 = m->w3 + m->h2;
}

int off_mlp_init(struct off_mlp *m, int in, int h1, int h2)
{
	if (in < 1 || h1 < 1 || h2 < 1 || in > OFF_MLP_MAX_DIM || h1 > OFF_MLP_MAX_DIM ||
	    h2 > OFF_MLP_MAX_DIM)
		return -EINVAL;
	m->in = in;
	m->h1 = h1;
	m->h2 = h2;
	m->nparams = off_mlp_count(in, h1, h2);
	m->p = calloc(m->nparams, sizeof(float));
	if (!m->p)
		return -ENOMEM;
	layout(m);
	return 0;
}

void off_mlp_free(struct off_mlp *m)
{
	free(m->p);
	memset(m, 0, sizeof(*m));
}

static void he_fill(float *w, size_t n, int fan_in, struct off_rng *r)
{
	double sd = sqrt(2.0 / fan_in);

	for (size_t i = 0; i < n; i++)
		w[i] = (float)(off_rng_normal(r) * sd);
}

void off_mlp_randomize(struct off_mlp *m, struct off_rng *r)
{
	memset(m->p, 0, m->nparams * sizeof(float));
	he_fill(m->w1, (size_t)m->in * m->h1, m->in, r);
	he_fill(m->w2, (size_t)m->h1 * m->h2, m->h1, r);
	he_fill(m->w3, m->h2, m->h2, r);
}

void off_mlp_copy(struct off_mlp *dst, const struct off_mlp *src)
{
	memcpy(dst->p, src->p, src->nparams * sizeof(float));
}

void off_mlp_soft_update(struct off_mlp *dst, const struct off_mlp *src, float tau)
{
	for (size_t i = 0; i < src->nparams; i++)
		dst->p[i] += tau * (src->p[i] - dst->p[i]);
}

void off_mlp_flush_subnormal(struct off_mlp *m)
{
	for (size_t i = 0; i < m->nparams; i++)
		if (fpclassify(m->p[i]) == FP_SUBNORMAL)
			m->p[i] = 0;
}

/* y = relu(b + x . W) with W input-major. Inputs that are 0 (most hidden
 * units after ReLU are) cost nothing. Inlined with constant widths, so the
 * accumulators of a layer can stay in vector registers. */
static inline __attribute__((always_inline))
void dense_relu(const float *restrict w, const float *restrict b, const float *restrict x,
		int nin, int nout, float *restrict y)
{
	memcpy(y, b, nout * sizeof(float));
	for (int i = 0; i < nin; i++) {
		const float *restrict wi = w + (size_t)i * nout;
		float xi = x[i];

		if (xi == 0.0f)
			continue;
		for (int j = 0; j < nout; j++)
			y[j] += xi * wi[j];
	}
	for (int j = 0; j < nout; j++)
		y[j] = y[j] > 0.0f ? y[j] : 0.0f;
}

static inline __attribute__((always_inline))
float forward(const struct off_mlp *m, const float *x, float *h1, float *h2, int n1, int n2)
{
	float q = m->b3[0];

	dense_relu(m->w1, m->b1, x, m->in, n1, h1);
	dense_relu(m->w2, m->b2, h1, n1, n2, h2);
	for (int j = 0; j < n2; j++)
		q += m->w3[j] * h2[j];
	return q;
}

/* Clones by feature, not by CPU model ("arch=" dispatches on the model);
 * without FP contraction every clone computes the same bits, so a model
 * trains and scores identically on any x86-64. Static, with the exported
 * names as plain wrappers: clang 14 names the ifunc "<name>.ifunc", so an
 * exported clone cannot be linked from another file. */
__attribute__((target_clones("avx512f", "avx2", "default")))
static float forward_row(const struct off_mlp *m, const float *x, float *h1, float *h2)
{
	if (m->h1 == OFF_MLP_H1 && m->h2 == OFF_MLP_H2)
		return forward(m, x, h1, h2, OFF_MLP_H1, OFF_MLP_H2);
	return forward(m, x, h1, h2, m->h1, m->h2);
}

float off_mlp_forward_one(const struct off_mlp *m, const float *x, float *h1, float *h2)
{
	return forward_row(m, x, h1, h2);
}

void off_mlp_forward(const struct off_mlp *m, const float *x, int n, float *q, float *scratch)
{
	for (int r = 0; r < n; r++)
		q[r] = forward_row(m, x + (size_t)r * m->in, scratch, scratch + m->h1);
}

void off_mlp_backward_one(const struct off_mlp *m, const float *x, const float *h1,
			  const float *h2, float dq, float *grad, float *scratch)
{
	float *gw1 = grad, *gb1 = gw1 + (size_t)m->in * m->h1, *gw2 = gb1 + m->h1;
	float *gb2 = gw2 + (size_t)m->h1 * m->h2, *gw3 = gb2 + m->h2, *gb3 = gw3 + m->h2;
	float *d2 = scratch, *d1 = scratch + m->h2;

	gb3[0] += dq;
	for (int j = 0; j < m->h2; j++) {
		gw3[j] += h2[j] * dq;
		d2[j] = h2[j] > 0.0f ? m->w3[j] * dq : 0.0f;
		gb2[j] += d2[j];
	}
	for (int i = 0; i < m->h1; i++) {
		const float *w2i = m->w2 + (size_t)i * m->h2;
		float *g2i = gw2 + (size_t)i * m->h2, s = 0.0f;

		for (int j = 0; j < m->h2; j++) {
			g2i[j] += h1[i] * d2[j];
			s += w2i[j] * d2[j];
		}
		d1[i] = h1[i] > 0.0f ? s : 0.0f;
		gb1[i] += d1[i];
	}
	for (int i = 0; i < m->in; i++) {
		float *g1i = gw1 + (size_t)i * m->h1;

		for (int j = 0; j < m->h1; j++)
			g1i[j] += x[i] * d1[j];
	}
}
