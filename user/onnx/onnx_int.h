/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by the ONNX reader and writer: the error context, the metadata
 * keys and the graph walk. Private to user/onnx/. */
#ifndef OFFLOAD_ONNX_INT_H
#define OFFLOAD_ONNX_INT_H

#include "gen/onnx.pb-c.h"
#include "onnx/onnx.h"

#define ONNX_OPSET		14	/* what torch.onnx.export emits by default */
#define ONNX_IR_VERSION		7
#define ONNX_FLOAT		ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT

struct onnx_ctx {
	const char *name;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 3, 4)))
int onnx_fail(const struct onnx_ctx *c, int ret, const char *fmt, ...);

/* Reads the offloadd.* metadata_props into m; graph_norm says whether the
 * graph's own Sub/Div nodes gave the normalisation. */
int onnx_meta_read(const struct onnx_ctx *c, const Onnx__ModelProto *mp, int graph_norm,
		   struct off_model *m);
/* The metadata_props that carry m, in the key table's order; NULL: out of
 * memory. Freed with onnx_meta_free. */
Onnx__StringStringEntryProto **onnx_meta_build(const struct off_model *m, size_t *n);
void onnx_meta_free(Onnx__StringStringEntryProto **props, size_t n);

/* Reads the network (and any leading Sub/Div normalisation) into m->mlp
 * and m->norm; *graph_norm is set when the graph normalises. */
int onnx_graph_read(const struct onnx_ctx *c, const Onnx__GraphProto *g, struct off_model *m,
		    int *graph_norm);

#endif
