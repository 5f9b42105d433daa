// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: a peer's GET /status body, untrusted, as any bytes. */
#include "agent/serve/peerreply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct off_peer_status st;
	char err[256];

	off_peer_status_parse((const char *)data, len, &st, err, sizeof(err));
	return 0;
}
