// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: the experience-log reader, one line of any bytes. */
#include <stdlib.h>
#include <string.h>

#include "lib/explog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char *line = malloc(len + 1), err[512];
	struct off_experience e;

	memcpy(line, data, len);
	line[len] = '\0';
	off_explog_parse(line, "fuzz.log", 1, &e, err, sizeof(err));
	free(line);
	return 0;
}
