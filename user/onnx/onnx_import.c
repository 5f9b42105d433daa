// SPDX-License-Identifier: GPL-2.0
/* ONNX to model: the file's size capped before unpacking, protobuf-c's
 * allocations capped while unpacking, then the graph and the metadata, and
 * last the .omdl loader's own checks on the result. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "onnx/onnx_int.h"

#define OPSET_MIN	7	/* the oldest torch.onnx.export writes */
#define OPSET_MAX	21	/* Gemm, MatMul, Add, Relu, Sub, Div unchanged through it */

int onnx_fail(const struct onnx_ctx *c, int ret, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(c->err, c->errlen, "%s: ", c->name);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < c->errlen)
		vsnprintf(c->err + n, c->errlen - n, fmt, ap);
	va_end(ap);
	return ret;
}

/* Unpacking allocates per element: a few bytes of hostile input can ask
 * for a struct each. The budget bounds that to a small multiple of the
 * input; each block keeps its size ahead of it to give back on free. */
struct budget {
	size_t left;
	int exceeded;
};

#define HDR sizeof(max_align_t)

static void *budget_alloc(void *ctx, size_t size)
{
	struct budget *b = ctx;
	size_t *p;

	if (size > b->left) {
		b->exceeded = 1;
		return NULL;
	}
	p = malloc(HDR + size);
	if (!p)
		return NULL;
	*p = size;
	b->left -= size;
	return (char *)p + HDR;
}

static void budget_free(void *ctx, void *ptr)
{
	struct budget *b = ctx;
	size_t *p;

	if (!ptr)
		return;
	p = (size_t *)((char *)ptr - HDR);
	b->left += *p;
	free(p);
}

static int check_opset(const struct onnx_ctx *c, const Onnx__ModelProto *mp)
{
	for (size_t i = 0; i < mp->n_opset_import; i++) {
		const Onnx__OperatorSetIdProto *o = mp->opset_import[i];

		if (o->domain && *o->domain && strcmp(o->domain, "ai.onnx"))
			continue;
		if (!o->has_version || o->version < OPSET_MIN || o->version > OPSET_MAX)
			return onnx_fail(c, -EINVAL, "opset %lld: this build reads opsets %d to %d",
					 (long long)o->version, OPSET_MIN, OPSET_MAX);
		return 0;
	}
	return onnx_fail(c, -EINVAL, "the model imports no ai.onnx opset");
}

/* The .omdl loader has the last word: what it would refuse, import refuses,
 * and what it would change (subnormal weights) is changed here, so export
 * and import again give the same bytes. */
static int validate(const struct onnx_ctx *c, struct off_model *m, struct off_model *out)
{
	size_t len;
	void *buf = off_model_encode(m, &len);
	int ret;

	if (!buf)
		return onnx_fail(c, -ENOMEM, "out of memory");
	ret = off_model_parse(buf, len, c->name, out, c->err, c->errlen);
	free(buf);
	return ret;
}

static int convert(const struct onnx_ctx *c, const Onnx__ModelProto *mp, struct off_model *out)
{
	struct off_model m = {};
	int graph_norm = 0, ret;

	if (!mp->graph)
		return onnx_fail(c, -EINVAL, "the model has no graph");
	ret = check_opset(c, mp) ?: onnx_graph_read(c, mp->graph, &m, &graph_norm) ?:
	      onnx_meta_read(c, mp, graph_norm, &m) ?: validate(c, &m, out);
	off_mlp_free(&m.mlp);
	return ret;
}

int off_onnx_parse(const void *buf, size_t len, const char *name, struct off_model *m,
		   char *err, size_t errlen)
{
	struct onnx_ctx c = { name, err, errlen };
	struct budget b = { .left = 2 * len + (1u << 20) };
	ProtobufCAllocator alloc = { budget_alloc, budget_free, &b };
	Onnx__ModelProto *mp;
	int ret;

	if (len > OFF_ONNX_MAX_BYTES)
		return onnx_fail(&c, -EFBIG, "%zu bytes, more than any model (at most %u)", len,
				 OFF_ONNX_MAX_BYTES);
	if (!len)
		return onnx_fail(&c, -EINVAL, "empty file");
	mp = onnx__model_proto__unpack(&alloc, len, buf);
	if (!mp)
		return onnx_fail(&c, b.exceeded ? -EFBIG : -EINVAL, b.exceeded ?
				 "unpacking needs more memory than a model of %zu bytes can" :
				 "not an ONNX model: the protobuf does not parse (truncated or corrupt)",
				 len);
	ret = convert(&c, mp, m);
	onnx__model_proto__free_unpacked(mp, &alloc);
	return ret;
}

int off_onnx_load(const char *path, struct off_model *m, char *err, size_t errlen)
{
	struct onnx_ctx c = { path, err, errlen };
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	struct stat st;
	int ret;

	if (!f)
		return onnx_fail(&c, -errno, "%s", strerror(errno));
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
		ret = onnx_fail(&c, -EINVAL, "not a regular file");
		goto out;
	}
	if ((unsigned long long)st.st_size > OFF_ONNX_MAX_BYTES) {
		ret = onnx_fail(&c, -EFBIG, "%lld bytes, more than any model (at most %u)",
				(long long)st.st_size, OFF_ONNX_MAX_BYTES);
		goto out;
	}
	buf = malloc(st.st_size ? st.st_size : 1);
	if (!buf || fread(buf, 1, st.st_size, f) != (size_t)st.st_size) {
		ret = onnx_fail(&c, -EIO, "cannot read");
		goto out;
	}
	ret = off_onnx_parse(buf, st.st_size, path, m, err, errlen);
out:
	free(buf);
	fclose(f);
	return ret;
}
