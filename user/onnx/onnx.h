/* SPDX-License-Identifier: GPL-2.0 */
/* ONNX in and out for offload-train: an MLP as torch.onnx.export writes it
 * becomes an .omdl model and back. What ONNX has no place for (feature
 * names, normalisation, training range, gate) rides in metadata_props. */
#ifndef OFFLOAD_ONNX_ONNX_H
#define OFFLOAD_ONNX_ONNX_H

#include <stddef.h>

#include "lib/model.h"

/* Checked before unpacking: no model the agent loads comes near it. */
#define OFF_ONNX_MAX_BYTES	OFF_MODEL_MAX_BYTES

/* On error, returns -errno and writes "NAME: what is wrong" into err; m is
 * left untouched. A model returned has passed the .omdl loader's checks. */
int off_onnx_parse(const void *buf, size_t len, const char *name, struct off_model *m,
		   char *err, size_t errlen);
int off_onnx_load(const char *path, struct off_model *m, char *err, size_t errlen);
int off_onnx_save(const char *path, const struct off_model *m, char *err, size_t errlen);

#endif
