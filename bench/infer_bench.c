// SPDX-License-Identifier: GPL-2.0
/* ns per decision of offloadd's scoring for 1, 4 and 16 candidates, on one
 * core, with the default model: the shared estimate, the feature rows, the
 * correction network and the gate, from raw measurements to a pick, and the
 * network alone. Prints one JSON object; with CHECK, also writes the 16 rows
 * and the network's outputs for them (and a probe's, below), which
 * infer_torch and infer_torch.py score again. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lib/policy.h"

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Measurements of an ordinary moment: a few ms of CPU, tens of KB. */
static void state(struct off_rng *r, struct off_wl_raw *w, struct off_cand_raw *c)
{
	*w = (struct off_wl_raw){ .cpu_cores = 0.2, .rq_p99_us = 800, .host_util = 0.5,
				  .req_rate = 20, .up_bytes = 20000, .down_bytes = 2000, .cpu_ms = 8 };
	for (int i = 0; i < 16; i++)
		c[i] = (struct off_cand_raw){ .kind = i ? OFF_KIND_EDGE : OFF_KIND_LOCAL,
			.rtt_us = i ? 2000 + 20000 * off_rng_unit(r) : 50, .bw_mbps = i ? 100 : 0,
			.ghz = 2, .cores = 4, .util = off_rng_unit(r) * 0.9, .current = !i };
}

/* Our outputs again with the output layer replaced by the mean of the last
 * hidden layer: a model whose gate is closed (the default's) has its output
 * layer zeroed, and every network then scores 0; this way each hidden unit
 * counts. */
static int probe(const struct off_mlp *m, const float *rows, int n, float *out, float *scratch)
{
	struct off_mlp p;

	if (off_mlp_init(&p, m->in, m->h1, m->h2))
		return -1;
	off_mlp_copy(&p, m);
	for (int j = 0; j < p.h2; j++)
		p.w3[j] = 1.0f / p.h2;
	p.b3[0] = 0;
	off_mlp_infer(&p, rows, n, out, scratch);
	off_mlp_free(&p);
	return 0;
}

/* int32 rows, int32 features, the rows, our outputs, our probe's outputs:
 * float32, little-endian. */
static int write_check(const char *path, const struct off_mlp *m, const float *rows,
		       const float *corr, int n, float *scratch)
{
	int32_t dims[2] = { n, OFF_FEATURES };
	float mean[16];
	FILE *f = NULL;
	int ok = n <= 16 && !probe(m, rows, n, mean, scratch) && (f = fopen(path, "wb")) &&
		 fwrite(dims, sizeof(dims), 1, f) == 1 &&
		 fwrite(rows, sizeof(float) * OFF_FEATURES, n, f) == (size_t)n &&
		 fwrite(corr, sizeof(float), n, f) == (size_t)n &&
		 fwrite(mean, sizeof(float), n, f) == (size_t)n;

	if (f && fclose(f))
		ok = 0;
	if (!ok)
		fprintf(stderr, "%s: cannot write the check rows\n", path);
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	static const int batches[] = { 1, 4, 16 };
	float rows[16 * OFF_FEATURES], est[16], corr[16], q[16], *scratch;
	struct off_est_env env = { .reward = OFF_REWARD_DEFAULT, .local_ghz = 2, .cpu_watts = 5,
				   .nj_per_byte = 40, .switch_rtts = 1, .measured = 1 };
	struct off_cand_raw c[16];
	struct off_wl_raw w;
	struct off_model m;
	struct off_rng r;
	enum off_gate g;
	long sink = 0;
	char err[512];
	int feature, ret = 0;
	float r0;

	if (argc < 3 || argc > 4 || off_model_load(argv[1], &m, err, sizeof(err))) {
		fprintf(stderr, argc >= 3 && argc <= 4 ? "%s\n" : "usage: infer_bench MODEL ITERATIONS [CHECK]\n",
			err);
		return 1;
	}
	scratch = malloc(off_mlp_scratch(&m.mlp) * sizeof(float));
	if (!scratch)
		return 1;
	off_rng_seed(&r, 1);
	state(&r, &w, c);
	printf("{\"impl\":\"offloadd\",\"results\":[");
	for (int b = 0; b < 3; b++) {
		long iters = atol(argv[2]) / batches[b];
		double t0 = 0;

		for (long i = -iters / 10; i < iters; i++) {	/* warm up first */
			if (!i)
				t0 = now_ns();
			off_policy_rows(&env, &m.norm, &w, c, batches[b], rows, est);
			off_mlp_infer(&m.mlp, rows, batches[b], corr, scratch);
			sink += off_policy_gate(&m, rows, est, corr, batches[b], ~0u, q, &g, &feature);
			w.req_rate += 1e-9;	/* no hoisting out of the loop */
		}
		printf("%s{\"candidates\":%d,\"ns_per_decision\":%.1f,", b ? "," : "", batches[b],
		       (now_ns() - t0) / iters);
		/* The network alone on the same rows, what libtorch and
		 * PyTorch are timed doing: like for like. */
		r0 = rows[0];
		for (long i = -iters / 10; i < iters; i++) {
			if (!i)
				t0 = now_ns();
			off_mlp_infer(&m.mlp, rows, batches[b], corr, scratch);
			rows[0] += 1e-9f;
			sink += corr[0] > 0;
		}
		printf("\"ns_network\":%.1f}", (now_ns() - t0) / iters);
		rows[0] = r0;
		off_mlp_infer(&m.mlp, rows, batches[b], corr, scratch);
	}
	printf("],\"checksum\":%ld}\n", sink);
	if (argc == 4)	/* the last pass's 16 rows and outputs */
		ret = write_check(argv[3], &m.mlp, rows, corr, 16, scratch);
	free(scratch);
	off_model_free(&m);
	return ret;
}
