// SPDX-License-Identifier: GPL-2.0
/* Model to ONNX, in the form torch.onnx.export gives an nn.Sequential of
 * Linear and ReLU (Gemm with transB = 1, weights [out, in], opset 14), so
 * PyTorch users find the shapes they know; the rest in metadata_props. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/onnx_int.h"

#define LAYERS	3
#define NODES	(2 * LAYERS - 1)

static const char *const w_names[LAYERS] = { "fc1.weight", "fc2.weight", "fc3.weight" };
static const char *const b_names[LAYERS] = { "fc1.bias", "fc2.bias", "fc3.bias" };
static const char *const node_names[NODES] = {
	"/fc1/Gemm", "/relu1/Relu", "/fc2/Gemm", "/relu2/Relu", "/fc3/Gemm",
};
static const char *const values[NODES + 1] = {
	"features", "/fc1/Gemm_output_0", "/relu1/Relu_output_0", "/fc2/Gemm_output_0",
	"/relu2/Relu_output_0", "correction",
};

/* Every message the file is made of, in one block: nothing to free but
 * the weights and the metadata. */
struct exp {
	Onnx__ModelProto model;
	Onnx__GraphProto graph;
	Onnx__OperatorSetIdProto opset, *opsets[1];
	Onnx__NodeProto nodes[NODES], *node_p[NODES];
	char *io[NODES][3], *out[NODES][1];
	Onnx__AttributeProto attrs[3], *attr_p[3];
	Onnx__TensorProto tensors[2 * LAYERS], *tensor_p[2 * LAYERS];
	int64_t dims[2 * LAYERS][2];
	Onnx__ValueInfoProto vi[2], *vi_p[2];
	Onnx__TypeProto type[2];
	Onnx__TypeProto__Tensor tt[2];
	Onnx__TensorShapeProto shape[2];
	Onnx__TensorShapeProto__Dimension dim[2][2], *dim_p[2][2];
};

static void gemm_attrs(struct exp *e)
{
	static const char *const names[3] = { "alpha", "beta", "transB" };

	for (int i = 0; i < 3; i++) {
		onnx__attribute_proto__init(&e->attrs[i]);
		e->attrs[i].name = (char *)names[i];
		e->attrs[i].has_type = 1;
		e->attr_p[i] = &e->attrs[i];
	}
	e->attrs[0].type = e->attrs[1].type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
	e->attrs[0].has_f = e->attrs[1].has_f = 1;
	e->attrs[0].f = e->attrs[1].f = 1.0f;
	e->attrs[2].type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
	e->attrs[2].has_i = 1;
	e->attrs[2].i = 1;
}

static void nodes(struct exp *e)
{
	gemm_attrs(e);
	for (int k = 0; k < NODES; k++) {
		Onnx__NodeProto *n = &e->nodes[k];
		int gemm = !(k % 2);

		onnx__node_proto__init(n);
		n->name = (char *)node_names[k];
		n->op_type = gemm ? "Gemm" : "Relu";
		e->io[k][0] = (char *)values[k];
		e->io[k][1] = (char *)w_names[k / 2];
		e->io[k][2] = (char *)b_names[k / 2];
		n->n_input = gemm ? 3 : 1;
		n->input = e->io[k];
		e->out[k][0] = (char *)values[k + 1];
		n->n_output = 1;
		n->output = e->out[k];
		n->n_attribute = gemm ? 3 : 0;
		n->attribute = gemm ? e->attr_p : NULL;
		e->node_p[k] = n;
	}
}

/* A float tensor as torch writes one: little-endian raw_data. The weights
 * go out [out][in], transposed from the MLP's input-major layout. */
static int tensor(struct exp *e, int t, const float *src, int in, int out, int matrix)
{
	Onnx__TensorProto *p = &e->tensors[t];
	size_t n = (size_t)in * out;
	float *d = malloc(n * sizeof(float));

	if (!d)
		return -ENOMEM;
	for (int i = 0; i < in; i++)
		for (int j = 0; j < out; j++)
			d[(size_t)j * in + i] = src[(size_t)i * out + j];
	onnx__tensor_proto__init(p);
	p->name = (char *)(matrix ? w_names[t / 2] : b_names[t / 2]);
	p->has_data_type = 1;
	p->data_type = ONNX_FLOAT;
	e->dims[t][0] = out;
	e->dims[t][1] = in;
	p->n_dims = matrix ? 2 : 1;
	p->dims = matrix ? e->dims[t] : &e->dims[t][0];
	p->has_raw_data = 1;
	p->raw_data.len = n * sizeof(float);
	p->raw_data.data = (uint8_t *)d;
	e->tensor_p[t] = p;
	return 0;
}

static int weights(struct exp *e, const struct off_mlp *m)
{
	const float *w[LAYERS] = { m->w1, m->w2, m->w3 }, *b[LAYERS] = { m->b1, m->b2, m->b3 };
	int dims[LAYERS + 1] = { m->in, m->h1, m->h2, 1 };

	for (int k = 0; k < LAYERS; k++)
		if (tensor(e, 2 * k, w[k], dims[k], dims[k + 1], 1) ||
		    tensor(e, 2 * k + 1, b[k], 1, dims[k + 1], 0))
			return -ENOMEM;
	return 0;
}

/* [batch, width] float, batch symbolic as torch's dynamic_axes make it. */
static void value_info(struct exp *e, int v, const char *name, int width)
{
	onnx__value_info_proto__init(&e->vi[v]);
	onnx__type_proto__init(&e->type[v]);
	onnx__type_proto__tensor__init(&e->tt[v]);
	onnx__tensor_shape_proto__init(&e->shape[v]);
	for (int i = 0; i < 2; i++) {
		onnx__tensor_shape_proto__dimension__init(&e->dim[v][i]);
		e->dim_p[v][i] = &e->dim[v][i];
	}
	e->dim[v][0].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
	e->dim[v][0].dim_param = "batch";
	e->dim[v][1].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
	e->dim[v][1].dim_value = width;
	e->shape[v].n_dim = 2;
	e->shape[v].dim = e->dim_p[v];
	e->tt[v].has_elem_type = 1;
	e->tt[v].elem_type = ONNX_FLOAT;
	e->tt[v].shape = &e->shape[v];
	e->type[v].value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
	e->type[v].tensor_type = &e->tt[v];
	e->vi[v].name = (char *)name;
	e->vi[v].type = &e->type[v];
	e->vi_p[v] = &e->vi[v];
}

static void model(struct exp *e)
{
	Onnx__GraphProto *g = &e->graph;
	Onnx__ModelProto *mp = &e->model;

	onnx__graph_proto__init(g);
	g->name = "offloadd_correction";
	g->n_node = NODES;
	g->node = e->node_p;
	g->n_initializer = 2 * LAYERS;
	g->initializer = e->tensor_p;
	value_info(e, 0, values[0], OFF_FEATURES);
	value_info(e, 1, values[NODES], 1);
	g->n_input = g->n_output = 1;
	g->input = &e->vi_p[0];
	g->output = &e->vi_p[1];
	onnx__operator_set_id_proto__init(&e->opset);
	e->opset.domain = "";
	e->opset.has_version = 1;
	e->opset.version = ONNX_OPSET;
	e->opsets[0] = &e->opset;
	onnx__model_proto__init(mp);
	mp->has_ir_version = 1;
	mp->ir_version = ONNX_IR_VERSION;
	mp->producer_name = "offloadd";
	mp->producer_version = OFFLOAD_VERSION;
	mp->doc_string = "offloadd's correction: Q = estimate + |best estimate| * correction(features), "
			 "features normalised by offloadd.norm_mean and offloadd.norm_scale";
	mp->n_opset_import = 1;
	mp->opset_import = e->opsets;
	mp->graph = g;
}

static int pack_write(const char *path, struct exp *e, char *err, size_t errlen)
{
	size_t len = onnx__model_proto__get_packed_size(&e->model);
	uint8_t *buf = malloc(len);
	int ret;

	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	onnx__model_proto__pack(&e->model, buf);
	ret = off_write_atomic(path, buf, len, err, errlen);
	free(buf);
	return ret;
}

int off_onnx_save(const char *path, const struct off_model *m, char *err, size_t errlen)
{
	struct exp *e = calloc(1, sizeof(*e));
	int ret = -ENOMEM;

	if (!e || weights(e, &m->mlp))
		goto out;
	nodes(e);
	model(e);
	e->model.metadata_props = onnx_meta_build(m, &e->model.n_metadata_props);
	if (!e->model.metadata_props)
		goto out;
	ret = pack_write(path, e, err, errlen);
out:
	if (ret == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", path);
	if (e) {
		for (int t = 0; t < 2 * LAYERS; t++)
			free(e->tensors[t].raw_data.data);
		if (e->model.metadata_props)
			onnx_meta_free(e->model.metadata_props, e->model.n_metadata_props);
	}
	free(e);
	return ret;
}
