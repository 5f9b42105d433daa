// SPDX-License-Identifier: GPL-2.0
/* The ONNX graph an importable model is: [Sub] [Div] then three layers,
 * each Gemm or MatMul+Add, with Relu after the first two, in one chain from
 * the graph's input to its output. Everything else is refused by node. */
#include <errno.h>
#include <string.h>

#include "onnx/onnx_int.h"

#define LAYERS 3

struct walk {
	const struct onnx_ctx *c;
	const Onnx__GraphProto *g;
	size_t i;		/* next node */
	const char *cur;	/* the value flowing down the chain */
};

/* A float tensor, read element by element: raw_data need not be aligned. */
struct tensor {
	const char *name;
	int rank;
	int64_t d[2];
	size_t count;
	const uint8_t *raw;
	const float *fd;
};

struct layer {
	struct tensor w, b;
	int trans, in, out, has_b;
};

static const char *const known_ops[] = { "Gemm", "MatMul", "Add", "Relu", "Sub", "Div", "Constant" };

static float tget(const struct tensor *t, size_t i)
{
	float v;

	if (!t->raw)
		return t->fd[i];
	memcpy(&v, t->raw + 4 * i, 4);
	return v;
}

static const char *nname(const Onnx__NodeProto *n)
{
	return n->name && *n->name ? n->name : "(unnamed)";
}

static const char *op(const Onnx__NodeProto *n)
{
	return n->op_type ? n->op_type : "";
}

/* Errors only: a node's place in the graph, as onnx tools number it. */
static size_t idx(const struct walk *w, const Onnx__NodeProto *n)
{
	size_t i = 0;

	while (i < w->g->n_node && w->g->node[i] != n)
		i++;
	return i;
}

#define NODE_FMT	"node %zu \"%.64s\" (op %.32s)"
#define NODE_ARGS(w, n)	idx(w, n), nname(n), op(n)

static const char *aname(const Onnx__AttributeProto *a)
{
	return a->name ? a->name : "";
}

static int is_op(const Onnx__NodeProto *n, const char *name)
{
	return !strcmp(op(n), name);
}

static const Onnx__NodeProto *peek(struct walk *w)
{
	while (w->i < w->g->n_node && is_op(w->g->node[w->i], "Constant"))
		w->i++;
	return w->i < w->g->n_node ? w->g->node[w->i] : NULL;
}

static const Onnx__NodeProto *next(struct walk *w)
{
	const Onnx__NodeProto *n = peek(w);

	if (n)
		w->i++;
	return n;
}

static const Onnx__TensorProto *find_tensor(const Onnx__GraphProto *g, const char *name)
{
	for (size_t i = 0; i < g->n_initializer; i++)
		if (g->initializer[i]->name && !strcmp(g->initializer[i]->name, name))
			return g->initializer[i];
	for (size_t i = 0; i < g->n_node; i++) {
		const Onnx__NodeProto *n = g->node[i];

		if (!is_op(n, "Constant") || n->n_output != 1 || strcmp(n->output[0], name))
			continue;
		for (size_t a = 0; a < n->n_attribute; a++)
			if (n->attribute[a]->t && !strcmp(aname(n->attribute[a]), "value"))
				return n->attribute[a]->t;
	}
	return NULL;
}

static int get_tensor(struct walk *w, const Onnx__NodeProto *n, size_t input, struct tensor *t)
{
	const Onnx__TensorProto *p = find_tensor(w->g, n->input[input]);

	*t = (struct tensor){ .name = n->input[input], .count = 1 };
	if (!p)
		return onnx_fail(w->c, -EINVAL, NODE_FMT ": input \"%.64s\" is not an initializer or Constant (weights must be constants)",
				 NODE_ARGS(w, n), t->name);
	if (!p->has_data_type || p->data_type != ONNX_FLOAT)
		return onnx_fail(w->c, -EINVAL, NODE_FMT ": \"%.64s\" is of data type %d, not float (1)",
				 NODE_ARGS(w, n), t->name, p->data_type);
	if (p->n_external_data ||
	    (p->has_data_location && p->data_location != ONNX__TENSOR_PROTO__DATA_LOCATION__DEFAULT))
		return onnx_fail(w->c, -EINVAL, NODE_FMT ": \"%.64s\" is stored outside the file (external data is not supported)",
				 NODE_ARGS(w, n), t->name);
	if (p->n_dims < 1 || p->n_dims > 2)
		return onnx_fail(w->c, -EINVAL, NODE_FMT ": \"%.64s\" has %zu dimensions, a layer's weights have 1 or 2",
				 NODE_ARGS(w, n), t->name, p->n_dims);
	t->rank = p->n_dims;
	for (int i = 0; i < t->rank; i++) {
		t->d[i] = p->dims[i];
		if (t->d[i] < 1 || t->d[i] > OFF_MLP_MAX_DIM)
			return onnx_fail(w->c, -EINVAL, NODE_FMT ": \"%.64s\" has dimension %lld (1..%d)",
					 NODE_ARGS(w, n), t->name, (long long)t->d[i], OFF_MLP_MAX_DIM);
		t->count *= t->d[i];
	}
	if (p->has_raw_data && p->raw_data.len == 4 * t->count)
		t->raw = p->raw_data.data;
	else if (!p->has_raw_data && p->n_float_data == t->count)
		t->fd = p->float_data;
	else
		return onnx_fail(w->c, -EINVAL, NODE_FMT ": \"%.64s\" holds %zu values, its shape needs %zu",
				 NODE_ARGS(w, n), t->name,
				 p->has_raw_data ? p->raw_data.len / 4 : p->n_float_data, t->count);
	return 0;
}

/* A node that does not fit here: unknown to the importer, or out of place. */
static int unexpected(struct walk *w, const Onnx__NodeProto *n, const char *want)
{
	if (!n)
		return onnx_fail(w->c, -EINVAL, "the graph ends where %s should be", want);
	return onnx_fail(w->c, -EINVAL, NODE_FMT ": expected %s here", NODE_ARGS(w, n), want);
}

/* The node takes the chain's value as input `at`, makes one output and
 * uses the default operator set. */
static int chained(struct walk *w, const Onnx__NodeProto *n, size_t at, size_t nin)
{
	if (n->domain && *n->domain && strcmp(n->domain, "ai.onnx"))
		return onnx_fail(w->c, -EINVAL, NODE_FMT ": domain \"%.64s\" is not supported",
				 NODE_ARGS(w, n), n->domain);
	if (n->n_input != nin || n->n_output != 1 || strcmp(n->input[at], w->cur))
		return onnx_fail(w->c, -EINVAL, NODE_FMT ": must take \"%.64s\" and give one output (the network is one chain)",
				 NODE_ARGS(w, n), w->cur);
	if (n->n_attribute && !is_op(n, "Gemm"))
		return onnx_fail(w->c, -EINVAL, NODE_FMT ": attribute \"%.64s\" is not supported",
				 NODE_ARGS(w, n), aname(n->attribute[0]));
	w->cur = n->output[0];
	return 0;
}

/* Gemm as torch writes it: alpha = beta = 1, transA = 0, transB 0 or 1. */
static int gemm_attrs(struct walk *w, const Onnx__NodeProto *n, int *trans)
{
	*trans = 0;
	for (size_t i = 0; i < n->n_attribute; i++) {
		const Onnx__AttributeProto *a = n->attribute[i];
		const char *an = aname(a);
		int ok = (!strcmp(an, "alpha") || !strcmp(an, "beta")) ? a->has_f && a->f == 1.0f :
			 !strcmp(an, "transA") ? a->has_i && a->i == 0 :
			 !strcmp(an, "transB") ? a->has_i && (a->i == 0 || a->i == 1) : 0;

		if (!ok)
			return onnx_fail(w->c, -EINVAL, NODE_FMT ": attribute %.32s is not supported (alpha and beta 1, transA 0 only)",
					 NODE_ARGS(w, n), an);
		if (!strcmp(an, "transB"))
			*trans = a->i;
	}
	return 0;
}

static int layer_shape(struct walk *w, const Onnx__NodeProto *n, int k, struct layer *L)
{
	const struct tensor *t = &L->w;

	if (t->rank != 2)
		return onnx_fail(w->c, -EINVAL, NODE_FMT ": weight \"%.64s\" has 1 dimension, a layer's has 2",
				 NODE_ARGS(w, n), t->name);
	L->out = L->trans ? t->d[0] : t->d[1];
	if ((L->trans ? t->d[1] : t->d[0]) != L->in)
		return onnx_fail(w->c, -EINVAL, NODE_FMT ": weight \"%.64s\" [%lld, %lld]%s takes %lld inputs; layer %d gets %d%s",
				 NODE_ARGS(w, n), t->name, (long long)t->d[0], (long long)t->d[1],
				 L->trans ? " (transB = 1)" : "",
				 (long long)(L->trans ? t->d[1] : t->d[0]), k + 1, L->in,
				 k ? "" : ", one per feature");
	if (k == LAYERS - 1 && L->out != 1)
		return onnx_fail(w->c, -EINVAL, NODE_FMT ": the last layer has %d outputs, the correction is one value",
				 NODE_ARGS(w, n), L->out);
	if (L->has_b && !(L->b.count == (size_t)L->out && (L->b.rank == 1 || L->b.d[0] == 1)))
		return onnx_fail(w->c, -EINVAL, NODE_FMT ": bias \"%.64s\" has %zu values in %d dimensions, layer %d has %d outputs",
				 NODE_ARGS(w, n), L->b.name, L->b.count, L->b.rank, k + 1, L->out);
	return 0;
}

/* MatMul then Add of a bias, in either order of the Add's inputs. */
static int matmul_add(struct walk *w, const Onnx__NodeProto *n, struct layer *L)
{
	const Onnx__NodeProto *add;
	int ret = chained(w, n, 0, 2) ?: get_tensor(w, n, 1, &L->w);
	size_t at;

	if (ret)
		return ret;
	add = peek(w);
	if (!add || !is_op(add, "Add"))
		return L->has_b = 0, 0;
	next(w);
	at = add->n_input == 2 && !strcmp(add->input[1], w->cur);
	ret = chained(w, add, at, 2) ?: get_tensor(w, add, !at, &L->b);
	L->has_b = 1;
	return ret;
}

static int read_layer(struct walk *w, int k, struct layer *L)
{
	const Onnx__NodeProto *n = next(w);
	int ret;

	if (n && is_op(n, "Gemm")) {
		L->has_b = n->n_input == 3;
		ret = gemm_attrs(w, n, &L->trans) ?:
		      chained(w, n, 0, n->n_input == 3 ? 3 : 2) ?:
		      get_tensor(w, n, 1, &L->w) ?: (L->has_b ? get_tensor(w, n, 2, &L->b) : 0);
	} else if (n && is_op(n, "MatMul")) {
		L->trans = 0;
		ret = matmul_add(w, n, L);
	} else {
		return unexpected(w, n, k ? "a layer (Gemm or MatMul)" : "Sub, Div or a layer (Gemm or MatMul)");
	}
	if (ret || (ret = layer_shape(w, n, k, L)))
		return ret;
	if (k == LAYERS - 1)
		return 0;
	n = next(w);
	if (!n || !is_op(n, "Relu"))
		return unexpected(w, n, "Relu");
	return chained(w, n, 0, 1);
}

/* Leading (x - mean) / scale, each a per-feature constant. */
static int read_norm(struct walk *w, struct off_model *m, int *graph_norm)
{
	static const char *const ops[] = { "Sub", "Div" };
	float *dst[] = { m->norm.mean, m->norm.scale };
	struct tensor t;
	int ret;

	off_norm_identity(&m->norm);
	*graph_norm = 0;
	for (int s = 0; s < 2; s++) {
		const Onnx__NodeProto *n = peek(w);

		if (!n || !is_op(n, ops[s]))
			continue;
		next(w);
		ret = chained(w, n, 0, 2) ?: get_tensor(w, n, 1, &t);
		if (ret)
			return ret;
		if (t.count != OFF_FEATURES || (t.rank == 2 && t.d[0] != 1))
			return onnx_fail(w->c, -EINVAL, NODE_FMT ": \"%.64s\" has %zu values, one per feature (%d) is needed",
					 NODE_ARGS(w, n), t.name, t.count, OFF_FEATURES);
		for (int i = 0; i < OFF_FEATURES; i++)
			dst[s][i] = tget(&t, i);
		*graph_norm = 1;
	}
	return 0;
}

/* Named up front, wherever it is: the op the user has to replace. */
static int unsupported_ops(struct walk *w)
{
	for (size_t i = 0; i < w->g->n_node; i++) {
		const Onnx__NodeProto *n = w->g->node[i];
		size_t k = 0;

		while (k < sizeof(known_ops) / sizeof(known_ops[0]) && !is_op(n, known_ops[k]))
			k++;
		if (k == sizeof(known_ops) / sizeof(known_ops[0]))
			return onnx_fail(w->c, -EOPNOTSUPP, NODE_FMT " is not supported: offloadd imports an MLP of Gemm (or MatMul+Add) layers with Relu between them, optionally after Sub/Div normalisation",
					 NODE_ARGS(w, n));
	}
	return 0;
}

static int is_initializer(const Onnx__GraphProto *g, const char *name)
{
	for (size_t i = 0; i < g->n_initializer; i++)
		if (g->initializer[i]->name && !strcmp(g->initializer[i]->name, name))
			return 1;
	return 0;
}

/* The value's declared width (its last dimension), or -1 when not a float
 * matrix with a fixed width. */
static long long width(const Onnx__ValueInfoProto *v)
{
	const Onnx__TypeProto__Tensor *t = NULL;

	if (v->type && v->type->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE)
		t = v->type->tensor_type;
	if (!t || !t->has_elem_type || t->elem_type != ONNX_FLOAT || !t->shape ||
	    t->shape->n_dim != 2 ||
	    t->shape->dim[1]->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE)
		return -1;
	return t->shape->dim[1]->dim_value;
}

/* One input that is not an initializer (older exporters list those as
 * inputs too), a float matrix one row per candidate. */
static int graph_input(struct walk *w)
{
	const Onnx__ValueInfoProto *in = NULL;
	long long cols;

	for (size_t i = 0; i < w->g->n_input; i++) {
		if (!w->g->input[i]->name || is_initializer(w->g, w->g->input[i]->name))
			continue;
		if (in)
			return onnx_fail(w->c, -EINVAL, "the graph has inputs \"%.64s\" and \"%.64s\": the network takes one",
					 in->name, w->g->input[i]->name);
		in = w->g->input[i];
	}
	if (!in)
		return onnx_fail(w->c, -EINVAL, "the graph has no input");
	cols = width(in);
	if (cols < 0)
		return onnx_fail(w->c, -EINVAL, "graph input \"%.64s\" is not a float matrix [batch, %d]",
				 in->name, OFF_FEATURES);
	if (cols != OFF_FEATURES)
		return onnx_fail(w->c, -EINVAL, "graph input \"%.64s\" has %lld columns, the feature table has %d",
				 in->name, cols, OFF_FEATURES);
	w->cur = in->name;
	return 0;
}

static int graph_output(struct walk *w)
{
	const Onnx__NodeProto *n = peek(w);
	const Onnx__ValueInfoProto *out;

	if (n)
		return onnx_fail(w->c, -EINVAL, NODE_FMT ": the network must end at its third layer",
				 NODE_ARGS(w, n));
	if (w->g->n_output != 1)
		return onnx_fail(w->c, -EINVAL, "the graph has %zu outputs, the network one", w->g->n_output);
	out = w->g->output[0];
	if (!out->name || strcmp(out->name, w->cur))
		return onnx_fail(w->c, -EINVAL, "graph output \"%.64s\" is not the last layer's \"%.64s\"",
				 out->name ? out->name : "", w->cur);
	if (width(out) != 1)
		return onnx_fail(w->c, -EINVAL, "graph output \"%.64s\" is not a float matrix [batch, 1]",
				 out->name);
	return 0;
}

/* Into the MLP's input-major [in][out] layout. */
static void copy_layer(const struct layer *L, float *w, float *b)
{
	for (int i = 0; i < L->in; i++)
		for (int j = 0; j < L->out; j++)
			w[(size_t)i * L->out + j] = tget(&L->w, L->trans ? (size_t)j * L->in + i :
							      (size_t)i * L->out + j);
	for (int j = 0; j < L->out; j++)
		b[j] = L->has_b ? tget(&L->b, j) : 0.0f;
}

int onnx_graph_read(const struct onnx_ctx *c, const Onnx__GraphProto *g, struct off_model *m,
		    int *graph_norm)
{
	struct walk w = { .c = c, .g = g };
	struct layer L[LAYERS] = {};
	int ret = unsupported_ops(&w) ?: graph_input(&w) ?: read_norm(&w, m, graph_norm);

	for (int k = 0; !ret && k < LAYERS; k++) {
		L[k].in = k ? L[k - 1].out : OFF_FEATURES;
		ret = read_layer(&w, k, &L[k]);
	}
	if (ret || (ret = graph_output(&w)))
		return ret;
	if (off_mlp_init(&m->mlp, OFF_FEATURES, L[0].out, L[1].out))
		return onnx_fail(c, -ENOMEM, "out of memory");
	copy_layer(&L[0], m->mlp.w1, m->mlp.b1);
	copy_layer(&L[1], m->mlp.w2, m->mlp.b2);
	copy_layer(&L[2], m->mlp.w3, m->mlp.b3);
	return 0;
}
