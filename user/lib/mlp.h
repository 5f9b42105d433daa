/* SPDX-License-Identifier: GPL-2.0 */
/* The Q-network: Q(s, c) = MLP([workload || candidate]), two ReLU hidden
 * layers and one output. All parameters live in one contiguous block. */
#ifndef OFFLOAD_LIB_MLP_H
#define OFFLOAD_LIB_MLP_H

#include <stddef.h>
#include "lib/rng.h"

#define OFF_MLP_H1	64
#define OFF_MLP_H2	32
#define OFF_MLP_MAX_DIM	4096

/* Weights are stored input-major ([in][out]), so each layer is a sequence
 * of vector updates that the compiler vectorises without reassociating. */
struct off_mlp {
	int in, h1, h2;
	size_t nparams;
	float *p;
	float *w1, *b1, *w2, *b2, *w3, *b3;
};

size_t off_mlp_count(int in, int h1, int h2);
int off_mlp_init(struct off_mlp *m, int in, int h1, int h2);	/* zeroed */
void off_mlp_free(struct off_mlp *m);
void off_mlp_randomize(struct off_mlp *m, struct off_rng *r);	/* He init */
void off_mlp_copy(struct off_mlp *dst, const struct off_mlp *src);
void off_mlp_soft_update(struct off_mlp *dst, const struct off_mlp *src, float tau);
/* Zeroes subnormal weights: each costs a microcode assist per use, and
 * weight decay leaves hundreds of them (seen: 451 of 3,777, inference 10x
 * slower). They are below anything a float score can resolve. */
void off_mlp_flush_subnormal(struct off_mlp *m);

/* Rows off_mlp_infer() scores per pass. */
#define OFF_MLP_ROWS	8

/* Floats of scratch forward() and infer() need: a pass's activations. */
static inline size_t off_mlp_scratch(const struct off_mlp *m)
{
	return (size_t)OFF_MLP_ROWS * (m->h1 + m->h2);
}

/* Scores n rows of m->in floats into q[n]. Allocation-free, deterministic. */
void off_mlp_forward(const struct off_mlp *m, const float *x, int n, float *q, float *scratch);
/* One row, keeping the activations backward() needs. */
float off_mlp_forward_one(const struct off_mlp *m, const float *x, float *h1, float *h2);
/* Adds dL/dparams for one row to grad (layout of m->p), given dL/dq.
 * scratch holds m->h1 + m->h2 floats. */
void off_mlp_backward_one(const struct off_mlp *m, const float *x, const float *h1,
			  const float *h2, float dq, float *grad, float *scratch);

/* The decision path: scores n rows into q[n] as forward() does, up to
 * OFF_MLP_ROWS rows per pass and with FMA where the CPU has it, so within
 * 1e-5 of forward() rather than bit for bit; forward() itself where neither
 * AVX2 nor AVX-512 is there or a hidden layer is not a multiple of 8 wide
 * (AVX-512 takes multiples of 16, AVX2 the rest).
 * scratch holds off_mlp_scratch(m) floats. Allocation-free. */
enum off_mlp_isa {
	OFF_MLP_ISA_AUTO = -1,	/* the best this CPU has */
	OFF_MLP_ISA_PORTABLE,	/* forward() */
	OFF_MLP_ISA_AVX2,	/* AVX2 and FMA */
	OFF_MLP_ISA_AVX512,	/* AVX-512F and FMA */
};
/* Chooses the variant (tests force each one); -ENOTSUP if this CPU lacks it. */
int off_mlp_infer_isa(enum off_mlp_isa isa);
void off_mlp_infer(const struct off_mlp *m, const float *x, int n, float *q, float *scratch);

#endif
