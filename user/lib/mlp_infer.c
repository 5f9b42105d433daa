// SPDX-License-Identifier: GPL-2.0
/* The decision path's forward: a few rows at a time, layer by layer, so each
 * weight vector loaded serves every row and the sums stay in registers; FMA
 * where the CPU has it, chosen at run time. */
#include <errno.h>
#include <string.h>

#include "lib/mlp.h"

typedef float v4 __attribute__((vector_size(4 * sizeof(float))));

/* AVX-512: a vector is a zmm. AVX2: a ymm. */
#define VW	16
#define K(name)	name##16
#include "lib/mlp_kernel.h"
#define VW	8
#define K(name)	name##8
#include "lib/mlp_kernel.h"

#if defined(__x86_64__)
/* 32 zmm registers: eight rows a pass, up to 16 sums. 16 ymm: four rows,
 * up to 8 sums. */
__attribute__((target("avx512f,fma")))
static void infer_avx512(const struct off_mlp *m, const float *x, int n, float *q, float *s)
{
	batched16(m, x, n, q, s, OFF_MLP_ROWS, 16);
}

__attribute__((target("avx2,fma")))
static void infer_avx2(const struct off_mlp *m, const float *x, int n, float *q, float *s)
{
	batched8(m, x, n, q, s, 4, 8);
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
	if (!(m->h1 % 16) && !(m->h2 % 16) && isa == OFF_MLP_ISA_AVX512) {
		infer_avx512(m, x, n, q, scratch);
		return;
	}
	if (!(m->h1 % 8) && !(m->h2 % 8) && isa >= OFF_MLP_ISA_AVX2) {
		infer_avx2(m, x, n, q, scratch);
		return;
	}
#endif
	off_mlp_forward(m, x, n, q, scratch);
}
