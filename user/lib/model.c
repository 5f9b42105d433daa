// SPDX-License-Identifier: GPL-2.0
/* .omdl, little endian:
 *   "OMDL" u32 version
 *   u32 nfeatures, then per feature: char name[32], f32 mean, scale, lo, hi
 *   u32 in, h1, h2, out
 *   u64 seed, u64 steps, char scenario[64], f64 margin_abs, margin_rel
 *   u64 nparams, f32 params[nparams]
 *   u32 crc32 of everything before it
 * Every count is checked against the compiled schema before anything is
 * allocated, so a hostile file costs at most OFF_MODEL_MAX_BYTES. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "lib/model.h"

#define HEAD_FIXED	(4 + 4 + 4)
#define FEATURE_BYTES	(OFF_FEATURE_NAME_LEN + 4 * 4)
#define META_BYTES	(8 + 8 + 64 + 2 * 8)

struct reader {
	const uint8_t *p, *end;
};

static int take(struct reader *r, void *dst, size_t n)
{
	if ((size_t)(r->end - r->p) < n)
		return -1;
	memcpy(dst, r->p, n);
	r->p += n;
	return 0;
}

static int fail(char *err, size_t errlen, const char *name, int ret, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, errlen, "%s: ", name);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < errlen)
		vsnprintf(err + n, errlen - n, fmt, ap);
	va_end(ap);
	return ret;
}

static int parse_schema(struct reader *r, struct off_model *m, const char *name,
			char *err, size_t errlen)
{
	struct off_norm *norm = &m->norm;
	uint32_t nf;

	if (take(r, &nf, 4))
		return fail(err, errlen, name, -EINVAL, "truncated in the feature schema");
	if (nf != OFF_FEATURES)
		return fail(err, errlen, name, -EINVAL,
			    "feature schema has %u features, this build expects %d", nf, OFF_FEATURES);
	for (int i = 0; i < OFF_FEATURES; i++) {
		char fname[OFF_FEATURE_NAME_LEN + 1] = {};

		if (take(r, fname, OFF_FEATURE_NAME_LEN) || take(r, &norm->mean[i], 4) ||
		    take(r, &norm->scale[i], 4) || take(r, &m->lo[i], 4) || take(r, &m->hi[i], 4))
			return fail(err, errlen, name, -EINVAL, "truncated in the feature schema");
		if (strcmp(fname, off_feature_names[i]))
			return fail(err, errlen, name, -EINVAL,
				    "feature %d is \"%s\", this build expects \"%s\"", i, fname,
				    off_feature_names[i]);
		if (!isfinite(norm->mean[i]) || !isfinite(norm->scale[i]) || norm->scale[i] == 0)
			return fail(err, errlen, name, -EINVAL,
				    "feature \"%s\" has a bad normalisation (mean %g, scale %g)",
				    fname, norm->mean[i], norm->scale[i]);
		if (!isfinite(m->lo[i]) || !isfinite(m->hi[i]) || m->lo[i] > m->hi[i])
			return fail(err, errlen, name, -EINVAL,
				    "feature \"%s\" has a bad training range [%g, %g]", fname,
				    m->lo[i], m->hi[i]);
	}
	return 0;
}

static int parse_meta(struct reader *r, struct off_model *m)
{
	struct off_model_meta *meta = &m->meta;

	if (take(r, &meta->seed, 8) || take(r, &meta->steps, 8) ||
	    take(r, meta->scenario, sizeof(meta->scenario)) || take(r, &m->gate.margin_abs, 8) ||
	    take(r, &m->gate.margin_rel, 8))
		return -1;
	meta->scenario[sizeof(meta->scenario) - 1] = '\0';
	return 0;
}

int off_model_parse(const void *buf, size_t len, const char *name, struct off_model *out,
		    char *err, size_t errlen)
{
	struct reader r = { buf, (const uint8_t *)buf + len };
	struct off_model m = {};
	uint32_t version = 0, dims[4], crc;
	uint64_t nparams;
	char magic[4];
	size_t want;
	int ret;

	if (len < HEAD_FIXED)
		return fail(err, errlen, name, -EINVAL, "truncated: %zu bytes is not a model", len);
	take(&r, magic, 4);
	take(&r, &version, 4);
	if (memcmp(magic, OFF_MODEL_MAGIC, 4))
		return fail(err, errlen, name, -EINVAL, "not an offloadd model (bad magic)");
	if (version != OFF_MODEL_VERSION)
		return fail(err, errlen, name, -EINVAL, "model format version %u, this build reads %d",
			    version, OFF_MODEL_VERSION);
	ret = parse_schema(&r, &m, name, err, errlen);
	if (ret)
		return ret;
	if (take(&r, dims, sizeof(dims)))
		return fail(err, errlen, name, -EINVAL, "truncated in the layer dimensions");
	if (dims[0] != OFF_FEATURES || dims[3] != 1)
		return fail(err, errlen, name, -EINVAL,
			    "network is %u -> ... -> %u, the schema needs %d -> ... -> 1",
			    dims[0], dims[3], OFF_FEATURES);
	if (dims[1] < 1 || dims[1] > OFF_MLP_MAX_DIM || dims[2] < 1 || dims[2] > OFF_MLP_MAX_DIM)
		return fail(err, errlen, name, -EINVAL, "absurd hidden layer sizes %u and %u",
			    dims[1], dims[2]);
	if (parse_meta(&r, &m) || take(&r, &nparams, 8))
		return fail(err, errlen, name, -EINVAL, "truncated in the metadata");
	if (!(m.gate.margin_abs >= 0 && m.gate.margin_abs <= 1e6) ||
	    !(m.gate.margin_rel >= 0 && m.gate.margin_rel <= 1e12))
		return fail(err, errlen, name, -EINVAL, "gate margins %g and %g out of range",
			    m.gate.margin_abs, m.gate.margin_rel);
	if (nparams != off_mlp_count(dims[0], dims[1], dims[2]))
		return fail(err, errlen, name, -EINVAL,
			    "%llu weights do not match layers %u-%u-%u-1",
			    (unsigned long long)nparams, dims[0], dims[1], dims[2]);
	want = (size_t)(r.p - (const uint8_t *)buf) + nparams * 4 + 4;
	if (len != want)
		return fail(err, errlen, name, -EINVAL, "%s: %zu bytes, the header says %zu",
			    len < want ? "truncated" : "wrong size", len, want);
	memcpy(&crc, (const uint8_t *)buf + len - 4, 4);
	if (crc != crc32(0, buf, len - 4))
		return fail(err, errlen, name, -EINVAL, "CRC mismatch: the file is corrupt");
	if (off_mlp_init(&m.mlp, dims[0], dims[1], dims[2]))
		return fail(err, errlen, name, -ENOMEM, "out of memory");
	take(&r, m.mlp.p, nparams * 4);
	for (size_t i = 0; i < nparams; i++) {
		if (!isfinite(m.mlp.p[i])) {
			ret = fail(err, errlen, name, -EINVAL, "weight %zu is %s", i,
				   isnan(m.mlp.p[i]) ? "NaN" : "infinite");
			off_mlp_free(&m.mlp);
			return ret;
		}
	}
	off_mlp_flush_subnormal(&m.mlp);
	m.crc = crc;
	*out = m;
	return 0;
}

int off_model_load(const char *path, struct off_model *m, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	struct stat st;
	long len;
	int ret;

	if (!f)
		return fail(err, errlen, path, -errno, "%s", strerror(errno));
	/* A model anyone can replace decides where everyone's work goes. */
	if (!fstat(fileno(f), &st) && (st.st_mode & S_IWOTH)) {
		ret = fail(err, errlen, path, -EPERM, "world-writable, refused (chmod o-w %s)", path);
		goto out;
	}
	if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		ret = fail(err, errlen, path, -EIO, "cannot read: %s", strerror(errno));
		goto out;
	}
	if ((unsigned long)len > OFF_MODEL_MAX_BYTES) {
		ret = fail(err, errlen, path, -EFBIG, "absurd size: %ld bytes (at most %u)", len,
			   OFF_MODEL_MAX_BYTES);
		goto out;
	}
	buf = malloc(len ? len : 1);
	if (!buf || fread(buf, 1, len, f) != (size_t)len) {
		ret = fail(err, errlen, path, -EIO, "cannot read");
		goto out;
	}
	ret = off_model_parse(buf, len, path, m, err, errlen);
out:
	free(buf);
	fclose(f);
	return ret;
}

static void put(uint8_t **p, const void *src, size_t n)
{
	memcpy(*p, src, n);
	*p += n;
}

void *off_model_encode(const struct off_model *m, size_t *lenp)
{
	uint32_t version = OFF_MODEL_VERSION, nf = OFF_FEATURES, crc;
	uint32_t dims[4] = { m->mlp.in, m->mlp.h1, m->mlp.h2, 1 };
	uint64_t nparams = m->mlp.nparams;
	size_t len = HEAD_FIXED + OFF_FEATURES * FEATURE_BYTES + sizeof(dims) + META_BYTES + 8 +
		     nparams * 4 + 4;
	uint8_t *buf = calloc(1, len), *p = buf;

	if (!buf)
		return NULL;
	put(&p, OFF_MODEL_MAGIC, 4);
	put(&p, &version, 4);
	put(&p, &nf, 4);
	for (int i = 0; i < OFF_FEATURES; i++) {
		char name[OFF_FEATURE_NAME_LEN] = {};

		strncpy(name, off_feature_names[i], sizeof(name) - 1);
		put(&p, name, sizeof(name));
		put(&p, &m->norm.mean[i], 4);
		put(&p, &m->norm.scale[i], 4);
		put(&p, &m->lo[i], 4);
		put(&p, &m->hi[i], 4);
	}
	put(&p, dims, sizeof(dims));
	put(&p, &m->meta.seed, 8);
	put(&p, &m->meta.steps, 8);
	put(&p, m->meta.scenario, sizeof(m->meta.scenario));
	put(&p, &m->gate.margin_abs, 8);
	put(&p, &m->gate.margin_rel, 8);
	put(&p, &nparams, 8);
	put(&p, m->mlp.p, nparams * 4);
	crc = crc32(0, buf, len - 4);
	put(&p, &crc, 4);
	*lenp = len;
	return buf;
}

int off_write_atomic(const char *path, const void *buf, size_t len, char *err, size_t errlen)
{
	char tmp[4096];
	size_t n;
	FILE *f;

	/* Write then rename, so a reader never sees half a file. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "wb");
	if (!f)
		return fail(err, errlen, path, -errno, "cannot write: %s", strerror(errno));
	n = fwrite(buf, 1, len, f);
	if (fclose(f) || n != len) {
		int ret = fail(err, errlen, path, -EIO, "cannot write: %s", strerror(errno));

		unlink(tmp);
		return ret;
	}
	if (rename(tmp, path))
		return fail(err, errlen, path, -errno, "cannot rename into place: %s", strerror(errno));
	return 0;
}

int off_model_save(const char *path, struct off_model *m, char *err, size_t errlen)
{
	size_t len;
	uint8_t *buf = off_model_encode(m, &len);
	int ret;

	if (!buf)
		return fail(err, errlen, path, -ENOMEM, "out of memory");
	ret = off_write_atomic(path, buf, len, err, errlen);
	if (!ret)
		memcpy(&m->crc, buf + len - 4, 4);
	free(buf);
	return ret;
}

void off_model_free(struct off_model *m)
{
	off_mlp_free(&m->mlp);
}

void off_model_print(FILE *f, const struct off_model *m)
{
	fprintf(f, "format      omdl v%d, crc32 %08x\n", OFF_MODEL_VERSION, m->crc);
	fprintf(f, "network     %d -> %d -> %d -> 1 (ReLU), %zu weights\n", m->mlp.in, m->mlp.h1,
		m->mlp.h2, m->mlp.nparams);
	fprintf(f, "trained on  %s, %llu steps, seed %llu\n", m->meta.scenario,
		(unsigned long long)m->meta.steps, (unsigned long long)m->meta.seed);
	fprintf(f, "gate        correction trusted for a gain over %g + %g x |estimate|, inside the training range\n",
		m->gate.margin_abs, m->gate.margin_rel);
	fprintf(f, "features    %-22s %10s %10s %10s %10s\n", "name", "mean", "scale", "min", "max");
	for (int i = 0; i < OFF_FEATURES; i++)
		fprintf(f, "            %-22s %10.4f %10.4f %10.4f %10.4f\n", off_feature_names[i],
			m->norm.mean[i], m->norm.scale[i], m->lo[i] * m->norm.scale[i] + m->norm.mean[i],
			m->hi[i] * m->norm.scale[i] + m->norm.mean[i]);
}
