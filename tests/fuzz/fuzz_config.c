// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: the configuration parser, on any text. */
#include <stdlib.h>
#include <string.h>

#include "agent/config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char *text = malloc(len + 1), err[1024];
	static struct off_config c;

	memcpy(text, data, len);
	text[len] = '\0';
	if (!off_config_parse_str(text, "fuzz.conf", &c, err, sizeof(err)))
		off_config_free(&c);
	free(text);
	return 0;
}
