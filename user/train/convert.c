// SPDX-License-Identifier: GPL-2.0
/* offload-train import, export and score: models to and from ONNX, and the
 * network's output for rows of features, as the agent's inference makes it. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/onnx.h"
#include "train/convert.h"

struct conv_args {
	const char *in, *out;
	int normalised;
};

/* COMMAND [FILE] [--out FILE | --model FILE] [--normalised] */
static int conv_args(int argc, char **argv, const char *opt, struct conv_args *a)
{
	for (int i = 1; i < argc; i++) {
		const char *v = argv[i];

		if (!strcmp(v, "--normalised") && strcmp(opt, "--out")) {
			a->normalised = 1;
		} else if (!strcmp(v, opt) && i + 1 < argc) {
			*(strcmp(opt, "--out") ? &a->in : &a->out) = argv[++i];
		} else if (v[0] != '-' && !a->in && !strcmp(opt, "--out")) {
			a->in = v;
		} else {
			fprintf(stderr, "offload-train %s: unexpected argument \"%s\" (see --help)\n",
				argv[0], v);
			return -EINVAL;
		}
	}
	if (!a->in || (!strcmp(opt, "--out") && !a->out)) {
		fprintf(stderr, "offload-train %s: %s is required (see --help)\n", argv[0],
			a->in ? "--out" : strcmp(opt, "--out") ? "--model" : "a model file");
		return -EINVAL;
	}
	return 0;
}

static int save_onnx(const char *path, struct off_model *m, char *err, size_t errlen)
{
	return off_onnx_save(path, m, err, errlen);
}

/* The command's arguments, then its input model. */
static int open_model(int argc, char **argv, const char *opt, struct conv_args *a,
		      int (*load)(const char *, struct off_model *, char *, size_t),
		      struct off_model *m)
{
	char err[512];

	if (conv_args(argc, argv, opt, a))
		return -EINVAL;
	if (load(a->in, m, err, sizeof(err))) {
		fprintf(stderr, "offload-train: %s\n", err);
		return -EINVAL;
	}
	return 0;
}

/* FILE --out FILE: load one way, save the other. */
static int convert(int argc, char **argv,
		   int (*load)(const char *, struct off_model *, char *, size_t),
		   int (*save)(const char *, struct off_model *, char *, size_t))
{
	struct conv_args a = {};
	struct off_model m;
	char err[512];
	int ret;

	if (open_model(argc, argv, "--out", &a, load, &m))
		return 1;
	ret = save(a.out, &m, err, sizeof(err));
	if (ret)
		fprintf(stderr, "offload-train: %s\n", err);
	else
		fprintf(stderr, "offload-train: %sed %s to %s (%d -> %d -> %d -> 1)\n", argv[0], a.in,
			a.out, m.mlp.in, m.mlp.h1, m.mlp.h2);
	off_model_free(&m);
	return !!ret;
}

int off_train_import(int argc, char **argv)
{
	return convert(argc, argv, off_onnx_load, off_model_save);
}

int off_train_export(int argc, char **argv)
{
	return convert(argc, argv, off_model_load, save_onnx);
}

/* One row: OFF_FEATURES numbers split by blanks or commas. */
static int parse_row(char *line, float *row, unsigned long lineno)
{
	int n = 0;

	for (char *tok = strtok(line, " \t,\r\n"); tok; tok = strtok(NULL, " \t,\r\n")) {
		char *end;
		float v = strtof(tok, &end);

		if (*end || !isfinite(v)) {
			fprintf(stderr, "offload-train score: stdin:%lu: value %d \"%.32s\" is not a finite number\n",
				lineno, n + 1, tok);
			return -EINVAL;
		}
		if (n < OFF_FEATURES)
			row[n] = v;
		n++;
	}
	if (n == OFF_FEATURES)
		return 0;
	fprintf(stderr, "offload-train score: stdin:%lu: %d numbers, a row has %d (offload-train features)\n",
		lineno, n, OFF_FEATURES);
	return -EINVAL;
}

static int score_rows(const struct off_model *m, int normalised)
{
	float row[OFF_FEATURES], q, *scratch = malloc(off_mlp_scratch(&m->mlp) * sizeof(float));
	unsigned long lineno = 0;
	size_t cap = 0;
	char *line = NULL;
	int ret = 0;

	if (!scratch)
		return -ENOMEM;
	while (getline(&line, &cap, stdin) > 0) {
		lineno++;
		if (line[strspn(line, " \t\r\n")] == '\0' || line[0] == '#')
			continue;
		ret = parse_row(line, row, lineno);
		if (ret)
			break;
		if (!normalised)
			off_norm_apply(&m->norm, row);
		off_mlp_forward(&m->mlp, row, 1, &q, scratch);
		printf("%.9g\n", q);
	}
	free(line);
	free(scratch);
	return ret;
}

int off_train_score(int argc, char **argv)
{
	struct conv_args a = {};
	struct off_model m;
	int ret;

	if (open_model(argc, argv, "--model", &a, off_model_load, &m))
		return 1;
	ret = score_rows(&m, a.normalised);
	if (ret == -ENOMEM)
		fprintf(stderr, "offload-train: out of memory\n");
	off_model_free(&m);
	return !!ret;
}
