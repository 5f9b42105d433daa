// SPDX-License-Identifier: GPL-2.0
/* The .omdl file: a round trip is byte-identical, and every kind of damage
 * is refused with a message naming the file and the problem. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include "lib/model.h"

static char path[64];
static unsigned char *good;
static size_t good_len;

static unsigned char *slurp(const char *p, size_t *len)
{
	FILE *f = fopen(p, "rb");
	unsigned char *buf;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	*len = ftell(f);
	rewind(f);
	buf = malloc(*len);
	assert_int_equal(fread(buf, 1, *len, f), *len);
	fclose(f);
	return buf;
}

static void spill(const unsigned char *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
}

static int setup(void **state)
{
	struct off_model m = {};
	struct off_rng r;
	char err[256];

	(void)state;
	snprintf(path, sizeof(path), "/tmp/test_model.%d.omdl", getpid());
	off_rng_seed(&r, 5);
	off_norm_identity(&m.norm);
	assert_int_equal(off_mlp_init(&m.mlp, OFF_FEATURES, OFF_MLP_H1, OFF_MLP_H2), 0);
	off_mlp_randomize(&m.mlp, &r);
	m.meta.seed = 5;
	m.meta.steps = 123;
	strcpy(m.meta.scenario, "unit");
	m.gate = (struct off_gate_cfg){ .margin_rel = 0.05 };
	for (int f = 0; f < OFF_FEATURES; f++) {
		m.lo[f] = -1;
		m.hi[f] = 1;
	}
	if (off_model_save(path, &m, err, sizeof(err)))
		fail_msg("%s", err);
	off_model_free(&m);
	good = slurp(path, &good_len);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	free(good);
	return 0;
}

static void round_trip(void **state)
{
	struct off_model m;
	unsigned char *again;
	char err[256];
	size_t len;

	(void)state;
	spill(good, good_len);
	assert_int_equal(off_model_load(path, &m, err, sizeof(err)), 0);
	assert_int_equal(m.meta.steps, 123);
	assert_string_equal(m.meta.scenario, "unit");
	assert_int_equal(off_model_save(path, &m, err, sizeof(err)), 0);
	again = slurp(path, &len);
	assert_int_equal(len, good_len);
	assert_memory_equal(again, good, len);
	free(again);
	off_model_free(&m);
}

/* Loads buf as a file and expects a refusal whose message has want in it. */
static void refused(const unsigned char *buf, size_t len, const char *want)
{
	struct off_model m = { .crc = 0xdeadbeef };
	char err[256] = "";

	spill(buf, len);
	assert_true(off_model_load(path, &m, err, sizeof(err)) < 0);
	assert_int_equal(m.crc, 0xdeadbeef);	/* untouched */
	if (strncmp(err, path, strlen(path)) || !strstr(err, want))
		fail_msg("message \"%s\" lacks \"%s\"", err, want);
}

/* A copy with one change, CRC made right again so the check after it runs. */
static unsigned char *patched(size_t off, const void *bytes, size_t n)
{
	unsigned char *b = malloc(good_len);
	uint32_t crc;

	memcpy(b, good, good_len);
	memcpy(b + off, bytes, n);
	crc = crc32(0, b, good_len - 4);
	memcpy(b + good_len - 4, &crc, 4);
	return b;
}

static void rejects_damage(void **state)
{
	const size_t feat0 = 12, dims = 12 + OFF_FEATURES * 48;
	const size_t weights = dims + 16 + 8 + 8 + 64 + 16 + 8;
	uint32_t v = 3, nf = OFF_FEATURES + 1, in = OFF_FEATURES + 1, big = 1u << 30;
	float nan = NAN, inverted[2] = { 1, -1 };
	double huge = -1;
	char want[64];
	unsigned char *b;

	(void)state;
	refused(good, 0, "truncated: 0 bytes");
	refused(good, good_len - 100, "truncated:");
	b = calloc(1, good_len + 8);	/* the 8 extra bytes are written too */
	memcpy(b, good, good_len);
	refused(b, good_len + 8, "wrong size:");
	memcpy(b, "XMDL", 4);
	refused(b, good_len, "bad magic");
	free(b);
	b = patched(4, &v, 4);
	refused(b, good_len, "format version 3, this build reads 2");
	free(b);
	b = patched(8, &nf, 4);
	snprintf(want, sizeof(want), "feature schema has %d features", OFF_FEATURES + 1);
	refused(b, good_len, want);
	free(b);
	b = patched(feat0 + OFF_FEATURE_NAME_LEN + 8, inverted, 8);
	refused(b, good_len, "has a bad training range [1, -1]");
	free(b);
	b = patched(dims + 16 + 8 + 8 + 64 + 8, &huge, 8);
	refused(b, good_len, "gate margins 0 and -1 out of range");
	free(b);
	b = patched(feat0, "not_a_feature", 14);
	refused(b, good_len, "feature 0 is \"not_a_feature\"");
	free(b);
	b = patched(dims, &in, 4);
	snprintf(want, sizeof(want), "network is %d -> ... -> 1", OFF_FEATURES + 1);
	refused(b, good_len, want);
	free(b);
	b = patched(dims + 4, &big, 4);
	refused(b, good_len, "absurd hidden layer sizes");
	free(b);
	b = patched(weights + 40, &nan, 4);
	refused(b, good_len, "weight 10 is NaN");
	free(b);
	b = malloc(good_len);
	memcpy(b, good, good_len);
	b[weights + 100] ^= 0x40;
	refused(b, good_len, "CRC mismatch");
	free(b);
}

static void rejects_absurd_file(void **state)
{
	struct off_model m;
	char err[256];

	(void)state;
	assert_int_equal(truncate(path, OFF_MODEL_MAX_BYTES + 1), 0);
	assert_true(off_model_load(path, &m, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "absurd size"));
	assert_true(off_model_load("/nonexistent/x.omdl", &m, err, sizeof(err)) < 0);
	assert_string_equal(err, "/nonexistent/x.omdl: No such file or directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(rejects_damage),
		cmocka_unit_test(rejects_absurd_file),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
