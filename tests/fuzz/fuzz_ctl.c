// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: the control protocol, one request line of any bytes, against
 * a daemon that governs nothing (no BPF: this is the protocol alone). */
#include <stdlib.h>
#include <string.h>

#include "agent/daemon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct off_daemon d = { .path = "/nonexistent/offloadd.conf", .ctl = { .lfd = -1 },
				       .status = { .lfd = -1 }, .metrics = { .lfd = -1 } };
	char *line = malloc(len + 1);

	memcpy(line, data, len);
	line[len] = '\0';
	off_reply_put(off_daemon_command(&d, line, 1, NULL));
	free(line);
	return 0;
}
