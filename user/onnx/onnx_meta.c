// SPDX-License-Identifier: GPL-2.0
/* The offloadd.* metadata_props: what a model holds beyond its weights,
 * written so that text read back gives the same bits (%.9g for floats,
 * %.17g for doubles), and read strictly, naming key and value. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/onnx_int.h"

#define PREFIX	"offloadd."

enum kind { K_VERSION, K_NAMES, K_FLOATS, K_DOUBLE, K_U64, K_TEXT };
/* REQ: always; NORM: unless the graph's Sub/Div normalise, and then refused. */
enum need { OPTIONAL, REQ, NORM };

struct key {
	const char *name;
	enum kind kind;
	enum need need;
	size_t off;		/* in struct off_model */
};

#define AT(field) offsetof(struct off_model, field)
static const struct key keys[] = {
	{ PREFIX "version", K_VERSION, OPTIONAL, 0 },
	{ PREFIX "features", K_NAMES, REQ, 0 },
	{ PREFIX "norm_mean", K_FLOATS, NORM, AT(norm.mean) },
	{ PREFIX "norm_scale", K_FLOATS, NORM, AT(norm.scale) },
	{ PREFIX "range_lo", K_FLOATS, REQ, AT(lo) },
	{ PREFIX "range_hi", K_FLOATS, REQ, AT(hi) },
	{ PREFIX "gate_margin_abs", K_DOUBLE, REQ, AT(gate.margin_abs) },
	{ PREFIX "gate_margin_rel", K_DOUBLE, REQ, AT(gate.margin_rel) },
	{ PREFIX "seed", K_U64, OPTIONAL, AT(meta.seed) },
	{ PREFIX "steps", K_U64, OPTIONAL, AT(meta.steps) },
	{ PREFIX "trained_on", K_TEXT, OPTIONAL, AT(meta.scenario) },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* Splits at commas; returns the next item's end. */
static const char *item_end(const char *s)
{
	const char *e = strchr(s, ',');

	return e ? e : s + strlen(s);
}

static int read_names(const struct onnx_ctx *c, const struct key *k, const char *v)
{
	int i = 0;

	for (const char *s = v;; i++) {
		const char *e = item_end(s);
		size_t n = e - s;

		if (i == OFF_FEATURES)
			return onnx_fail(c, -EINVAL, "metadata_props %s lists more than the %d features of this build's table",
					 k->name, OFF_FEATURES);
		if (n != strlen(off_feature_names[i]) || memcmp(s, off_feature_names[i], n))
			return onnx_fail(c, -EINVAL, "metadata_props %s: feature %d is \"%.*s\", this build's table has \"%s\" (offload-train features)",
					 k->name, i, (int)(n > 64 ? 64 : n), s, off_feature_names[i]);
		if (!*e)
			break;
		s = e + 1;
	}
	if (i + 1 != OFF_FEATURES)
		return onnx_fail(c, -EINVAL, "metadata_props %s lists %d features, this build's table has %d",
				 k->name, i + 1, OFF_FEATURES);
	return 0;
}

static int read_floats(const struct onnx_ctx *c, const struct key *k, const char *v, float *out)
{
	const char *s = v;
	int i;

	for (i = 0; i < OFF_FEATURES; i++) {
		const char *e = item_end(s);
		char *end;

		out[i] = strtof(s, &end);
		while (end < e && *end == ' ')
			end++;
		if (end != e || e == s || !isfinite(out[i]))
			return onnx_fail(c, -EINVAL, "metadata_props %s: value %d (\"%.*s\") is not a finite number",
					 k->name, i, (int)(e - s > 32 ? 32 : e - s), s);
		if (!*e)
			break;
		s = e + 1;
	}
	if (i + 1 != OFF_FEATURES)
		return onnx_fail(c, -EINVAL, "metadata_props %s has %s values, one per feature (%d) is needed",
				 k->name, i + 1 < OFF_FEATURES ? "too few" : "too many", OFF_FEATURES);
	return 0;
}

static int read_scalar(const struct onnx_ctx *c, const struct key *k, const char *v, void *dst)
{
	char *end = NULL;

	errno = 0;
	if (k->kind == K_DOUBLE)
		*(double *)dst = strtod(v, &end);
	else if (*v >= '0' && *v <= '9')
		*(uint64_t *)dst = strtoull(v, &end, 10);
	if (!end || end == v || *end || errno ||
	    (k->kind == K_DOUBLE && !isfinite(*(double *)dst)))
		return onnx_fail(c, -EINVAL, "metadata_props %s: \"%.32s\" is not %s", k->name, v,
				 k->kind == K_DOUBLE ? "a finite number" : "a whole number");
	return 0;
}

static int read_value(const struct onnx_ctx *c, const struct key *k, const char *v,
		      struct off_model *m)
{
	char *dst = (char *)m + k->off, want[16];

	switch (k->kind) {
	case K_VERSION:
		snprintf(want, sizeof(want), "%d", OFF_MODEL_VERSION);
		if (strcmp(v, want))
			return onnx_fail(c, -EINVAL, "metadata_props %s is \"%.32s\", this build reads %s",
					 k->name, v, want);
		return 0;
	case K_NAMES:
		return read_names(c, k, v);
	case K_FLOATS:
		return read_floats(c, k, v, (float *)dst);
	case K_TEXT:
		if (strlen(v) >= sizeof(m->meta.scenario))
			return onnx_fail(c, -EINVAL, "metadata_props %s is %zu bytes, at most %zu",
					 k->name, strlen(v), sizeof(m->meta.scenario) - 1);
		strcpy(dst, v);
		return 0;
	default:
		return read_scalar(c, k, v, dst);
	}
}

static const struct key *find_key(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (!strcmp(keys[i].name, name))
			return &keys[i];
	return NULL;
}

int onnx_meta_read(const struct onnx_ctx *c, const Onnx__ModelProto *mp, int graph_norm,
		   struct off_model *m)
{
	int seen[NKEYS] = {}, ret;

	snprintf(m->meta.scenario, sizeof(m->meta.scenario), "ONNX from %s %s",
		 mp->producer_name ? mp->producer_name : "?",
		 mp->producer_version ? mp->producer_version : "");
	for (size_t i = 0; i < mp->n_metadata_props; i++) {
		const char *name = mp->metadata_props[i]->key ? mp->metadata_props[i]->key : "";
		const char *v = mp->metadata_props[i]->value ? mp->metadata_props[i]->value : "";
		const struct key *k = find_key(name);

		if (strncmp(name, PREFIX, strlen(PREFIX)))
			continue;	/* another tool's */
		if (!k)
			return onnx_fail(c, -EINVAL, "metadata_props has an unknown key \"%.64s\"", name);
		if (seen[k - keys]++)
			return onnx_fail(c, -EINVAL, "metadata_props has %s twice", name);
		if (k->need == NORM && graph_norm)
			return onnx_fail(c, -EINVAL, "metadata_props has %s, and the graph normalises with Sub/Div: one or the other",
					 name);
		ret = read_value(c, k, v, m);
		if (ret)
			return ret;
	}
	for (size_t i = 0; i < NKEYS; i++)
		if (!seen[i] && (keys[i].need == REQ || (keys[i].need == NORM && !graph_norm)))
			return onnx_fail(c, -EINVAL, "metadata_props has no %s (see offload-train(1), ONNX)",
					 keys[i].name);
	return 0;
}

/* Appends "%.9g" items joined by commas; the caller sized buf. */
static void join_floats(char *buf, size_t len, const float *v)
{
	size_t n = 0;

	for (int i = 0; i < OFF_FEATURES && n < len; i++)
		n += snprintf(buf + n, len - n, "%s%.9g", i ? "," : "", v[i]);
}

static char *value_text(const struct key *k, const struct off_model *m)
{
	const char *src = (const char *)m + k->off;
	size_t len = OFF_FEATURES * (OFF_FEATURE_NAME_LEN + 2) + 64;
	char *buf = malloc(len);

	if (!buf)
		return NULL;
	switch (k->kind) {
	case K_VERSION: snprintf(buf, len, "%d", OFF_MODEL_VERSION); break;
	case K_FLOATS: join_floats(buf, len, (const float *)src); break;
	case K_DOUBLE: snprintf(buf, len, "%.17g", *(const double *)src); break;
	case K_U64: snprintf(buf, len, "%llu", (unsigned long long)*(const uint64_t *)src); break;
	case K_TEXT: snprintf(buf, len, "%s", src); break;
	case K_NAMES:
		buf[0] = '\0';
		for (int i = 0; i < OFF_FEATURES; i++)
			strcat(strcat(buf, i ? "," : ""), off_feature_names[i]);
		break;
	}
	return buf;
}

Onnx__StringStringEntryProto **onnx_meta_build(const struct off_model *m, size_t *n)
{
	Onnx__StringStringEntryProto **props = calloc(NKEYS, sizeof(*props));

	if (!props)
		return NULL;
	for (size_t i = 0; i < NKEYS; i++) {
		props[i] = malloc(sizeof(**props));
		if (!props[i]) {
			onnx_meta_free(props, i);
			return NULL;
		}
		onnx__string_string_entry_proto__init(props[i]);
		props[i]->key = (char *)keys[i].name;
		props[i]->value = value_text(&keys[i], m);
		if (!props[i]->value) {
			onnx_meta_free(props, i + 1);
			return NULL;
		}
	}
	*n = NKEYS;
	return props;
}

void onnx_meta_free(Onnx__StringStringEntryProto **props, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (props[i])
			free(props[i]->value);
		free(props[i]);
	}
	free(props);
}
