// SPDX-License-Identifier: GPL-2.0
/* ns per decision of offloadd's inference for 1, 4 and 16 candidates, on
 * one core, with the default model's weights. Prints one JSON object. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lib/model.h"

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	static const int batches[] = { 1, 4, 16 };
	float rows[16 * OFF_FEATURES], q[16], scratch[OFF_MLP_H1 + OFF_MLP_H2], sink = 0;
	struct off_model m;
	struct off_rng r;
	char err[512];

	if (argc != 3 || off_model_load(argv[1], &m, err, sizeof(err))) {
		fprintf(stderr, argc == 3 ? "%s\n" : "usage: infer_bench MODEL ITERATIONS\n", err);
		return 1;
	}
	off_rng_seed(&r, 1);
	for (int i = 0; i < 16 * OFF_FEATURES; i++)
		rows[i] = (float)off_rng_normal(&r);
	printf("{\"impl\":\"offloadd\",\"results\":[");
	for (int b = 0; b < 3; b++) {
		long iters = atol(argv[2]) / batches[b];
		double t0;

		for (long i = 0; i < iters / 10; i++)	/* warm up */
			off_mlp_forward(&m.mlp, rows, batches[b], q, scratch);
		t0 = now_ns();
		for (long i = 0; i < iters; i++) {
			off_mlp_forward(&m.mlp, rows, batches[b], q, scratch);
			sink += q[0];
		}
		printf("%s{\"candidates\":%d,\"ns_per_decision\":%.1f}", b ? "," : "", batches[b],
		       (now_ns() - t0) / iters);
	}
	printf("],\"checksum\":%g}\n", sink);
	off_model_free(&m);
	return 0;
}
