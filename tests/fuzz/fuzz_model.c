// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: the .omdl model loader, on any bytes. */
#include "lib/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct off_model m;
	char err[512];

	if (!off_model_parse(data, len, "fuzz.omdl", &m, err, sizeof(err)))
		off_model_free(&m);
	return 0;
}
