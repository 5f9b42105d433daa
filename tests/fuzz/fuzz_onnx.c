// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: offload-train's ONNX importer, on any bytes. */
#include "onnx/onnx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct off_model m;
	char err[512];

	if (!off_onnx_parse(data, len, "fuzz.onnx", &m, err, sizeof(err)))
		off_model_free(&m);
	return 0;
}
