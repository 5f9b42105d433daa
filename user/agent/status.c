// SPDX-License-Identifier: GPL-2.0
/* What this host tells its peers: its load as the kernel measured it over
 * the last tick, its capacity, and the services it can serve. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent/daemon.h"
#include "agent/peerstatus.h"

static const char *http(char *out, size_t outlen, const char *status, const char *body)
{
	snprintf(out, outlen, "HTTP/1.1 %s\r\nContent-Type: application/json\r\n"
		 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", status, strlen(body), body);
	return out;
}

void off_daemon_status(void *daemon, const char *req, char *out, size_t outlen)
{
	struct off_daemon *d = daemon;
	struct off_peer_status st = { .cpu_util = d->meas.local_util,
				      .rq_p99_us = d->meas.local_rq_p99_us,
				      .capacity_cores = d->meas.scope.capacity,
				      .nservices = d->cfg.nservices };
	char body[OFF_STATUS_MAX_BYTES];

	if (strncmp(req, "GET /status ", 12) && strncmp(req, "GET /status?", 12)) {
		http(out, outlen, "404 Not Found", "{\"error\":\"only GET /status is served\"}");
		return;
	}
	snprintf(st.node, sizeof(st.node), "%s", d->cfg.node);
	snprintf(st.version, sizeof(st.version), "%s", OFFLOAD_VERSION);
	for (int i = 0; i < d->cfg.nservices; i++)
		memcpy(st.services[i], d->cfg.services[i].name, sizeof(st.services[i]));
	if (off_peer_status_format(&st, body, sizeof(body)) < 0)
		http(out, outlen, "500 Internal Server Error", "{\"error\":\"status not representable\"}");
	else
		http(out, outlen, "200 OK", body);
}
