// SPDX-License-Identifier: GPL-2.0
/* The decision path's forward: a few rows at a time, layer by layer, so each
 * weight vector loaded serves every row and the sums stay in registers; FMA
 * where the CPU has it, chosen at run time. */
#include <errno.h>
#include <string.h>

#include "lib/mlp.h"

/* 16 outputs: a zmm, two ymm. A layer's width must be a multiple of it. */
#define VW	16
typedef float v16 __attribute__((vector_size(VW * sizeof(float))));

typedef int v16i __attribute__((vector_size(VW * sizeof(int))));

/* Unaligned, and no vector crosses a function boundary of the default ABI. */
#define load(p) ({ v16 v_; memcpy(&v_, (p), sizeof(v_)); v_; })

/* y[r] = relu(b + x[r] . W) for R rows and W input-major [nin][nout]: two
 * vectors of outputs for every row at a time, R * 2 sums in flight. In a
 * target with FMA, x * w + a contracts to one. */
static inline __attribute__((always_inline))
void dense(const float *w, const float *b, const float *x, int nin, int nout, float *y, int R)
{
	for (int o = 0; o < nout; o += VW) {
		int two = o + VW < nout;
		v16 a[OFF_MLP_ROWS][2];

		for (int r = 0; r < R; r++) {
			a[r][0] = load(b + o);
			a[r][1] = two ? load(b + o + VW) : (v16){};
		}
		for (int i = 0; i < nin; i++) {
			const float *wi = w + (size_t)i * nout + o;
			v16 w0 = load(wi), w1 = two ? load(wi + VW) : (v16){};

			for (int r = 0; r < R; r++) {
				float xr = x[r * nin + i];

				a[r][0] += xr * w0;
				a[r][1] += xr * w1;
			}
		}
		for (int r = 0; r < R; r++)
			for (int k = 0; k <= two; k++) {
				v16 v = (v16)((v16i)a[r][k] & (a[r][k] > (v16){}));

				memcpy(y + r * nout + o + k * VW, &v, sizeof(v));
			}
		o += two * VW;
	}
}

/* R rows from x into q; h1 and h2 hold their activations. */
static inline __attribute__((always_inline))
void rows(const struct off_mlp *m, const float *x, float *q, float *h1, float *h2, int R)
{
	dense(m->w1, m->b1, x, m->in, m->h1, h1, R);
	dense(m->w2, m->b2, h1, m->h1, m->h2, h2, R);
	for (int r = 0; r < R; r++) {
		v16 a = {};
		float s = m->b3[0];

		for (int o = 0; o < m->h2; o += VW)
			a += load(h2 + r * m->h2 + o) * load(m->w3 + o);
		for (int k = 0; k < VW; k++)
			s += a[k];
		q[r] = s;
	}
}

/* Passes of `full` rows, then the rest with a constant count each, so every
 * pass is unrolled and in registers. */
static inline __attribute__((always_inline))
void batched(const struct off_mlp *m, const float *x, int n, float *q, float *scratch, int full)
{
	float *h1 = scratch, *h2 = h1 + (size_t)OFF_MLP_ROWS * m->h1;
	int r = 0;

	for (; r + full <= n; r += full)
		rows(m, x + (size_t)r * m->in, q + r, h1, h2, full);
	if (full > 2 && r + 2 <= n) {
		rows(m, x + (size_t)r * m->in, q + r, h1, h2, 2);
		r += 2;
	}
	if (r < n)
		rows(m, x + (size_t)r * m->in, q + r, h1, h2, 1);
}

#if defined(__x86_64__)
/* With 32 zmm registers four rows' sums fit; AVX2's 16 ymm hold two rows'. */
__attribute__((target("avx512f,fma")))
static void infer_avx512(const struct off_mlp *m, const float *x, int n, float *q, float *s)
{
	batched(m, x, n, q, s, OFF_MLP_ROWS);
}

__attribute__((target("avx2,fma")))
static void infer_avx2(const struct off_mlp *m, const float *x, int n, float *q, float *s)
{
	batched(m, x, n, q, s, 2);
}

static enum off_mlp_isa best_isa(void)
{
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma"))
		return OFF_MLP_ISA_AVX512;
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
		return OFF_MLP_ISA_AVX2;
	return OFF_MLP_ISA_PORTABLE;
}
#else
static enum off_mlp_isa best_isa(void)
{
	return OFF_MLP_ISA_PORTABLE;
}
#endif

/* Chosen once, before main: the hot path only reads it. */
static enum off_mlp_isa isa;

__attribute__((constructor)) static void pick_isa(void)
{
	isa = best_isa();
}

int off_mlp_infer_isa(enum off_mlp_isa want)
{
	enum off_mlp_isa best = best_isa();

	if (want == OFF_MLP_ISA_AUTO)
		want = best;
	if (want > best)
		return -ENOTSUP;
	isa = want;
	return 0;
}

void off_mlp_infer(const struct off_mlp *m, const float *x, int n, float *q, float *scratch)
{
#if defined(__x86_64__)
	if (!(m->h1 % VW) && !(m->h2 % VW) && isa == OFF_MLP_ISA_AVX512) {
		infer_avx512(m, x, n, q, scratch);
		return;
	}
	if (!(m->h1 % VW) && !(m->h2 % VW) && isa == OFF_MLP_ISA_AVX2) {
		infer_avx2(m, x, n, q, scratch);
		return;
	}
#endif
	off_mlp_forward(m, x, n, q, scratch);
}
