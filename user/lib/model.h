/* SPDX-License-Identifier: GPL-2.0 */
/* The .omdl model file: the feature schema with each feature's
 * normalisation and the range seen in training, the correction network, the
 * gate's margins, training metadata, CRC32. The loader refuses anything it
 * cannot fully trust. */
#ifndef OFFLOAD_LIB_MODEL_H
#define OFFLOAD_LIB_MODEL_H

#include <stdint.h>
#include <stdio.h>

#include "lib/features.h"
#include "lib/mlp.h"

#define OFF_MODEL_MAGIC		"OMDL"
#define OFF_MODEL_VERSION	2
#define OFF_MODEL_MAX_BYTES	(64u << 20)

struct off_model_meta {
	uint64_t seed;
	uint64_t steps;
	char scenario[64];	/* what it was trained on */
};

/* The correction is trusted only inside what training saw, and only for a
 * gain over the estimate's own pick of at least margin_abs + margin_rel *
 * |the estimate's best reward|. */
struct off_gate_cfg {
	double margin_abs, margin_rel;
};

struct off_model {
	struct off_norm norm;
	float lo[OFF_FEATURES], hi[OFF_FEATURES];	/* normalised rows seen */
	struct off_gate_cfg gate;
	struct off_mlp mlp;
	struct off_model_meta meta;
	uint32_t crc;		/* of the file it came from or went to */
};

/* On error, returns -errno and writes "PATH: what is wrong" into err; m is
 * left untouched, so a reload keeps the old model. */
int off_model_load(const char *path, struct off_model *m, char *err, size_t errlen);
int off_model_parse(const void *buf, size_t len, const char *name, struct off_model *m,
		    char *err, size_t errlen);
/* The file's bytes, malloc'd (NULL: out of memory); what save writes. */
void *off_model_encode(const struct off_model *m, size_t *len);
int off_model_save(const char *path, struct off_model *m, char *err, size_t errlen);
/* Writes a temporary beside path and renames it into place. */
int off_write_atomic(const char *path, const void *buf, size_t len, char *err, size_t errlen);
void off_model_free(struct off_model *m);
void off_model_print(FILE *f, const struct off_model *m);

#endif
