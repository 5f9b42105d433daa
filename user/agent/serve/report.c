// SPDX-License-Identifier: GPL-2.0
/* What this host tells its peers: its load as the kernel measured it over
 * the last tick, its capacity, the services it can serve, and how many
 * agents probe it. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent/daemon.h"
#include "agent/serve/peerreply.h"

static struct off_reply *http(const char *status, const char *body)
{
	static const char fmt[] = "HTTP/1.1 %s\r\nContent-Type: application/json\r\n"
				  "Content-Length: %zu\r\nConnection: close\r\n\r\n%s";
	int n = snprintf(NULL, 0, fmt, status, strlen(body), body);
	struct off_reply *r = n < 0 ? NULL : off_reply_alloc(n);

	if (r)
		snprintf(r->data, r->len + 1, fmt, status, strlen(body), body);
	return r;
}

/* Every agent's probe, of every version, asks for host "offloadd"; curl or
 * a browser names the address it was given, and is no agent to count. */
static int agent_probe(const char *req)
{
	return strcasestr(req, "\r\nHost: offloadd\r\n") != NULL;
}

struct off_reply *off_daemon_status(void *daemon, const char *req, int admin,
				    const struct sockaddr_storage *src)
{
	struct off_daemon *d = daemon;
	struct off_peer_status st = { .cpu_util = d->meas.local_util, .load = d->meas.local_load,
				      .rq_p99_us = d->meas.local_rq_p99_us,
				      .capacity_cores = d->meas.scope.capacity,
				      .nservices = d->cfg.nservices, .kind = d->cfg.kind };
	static char body[OFF_STATUS_MAX_BYTES];	/* one thread: one at a time */
	uint64_t now;

	(void)admin;
	if (strncmp(req, "GET /status ", 12) && strncmp(req, "GET /status?", 12))
		return http("404 Not Found", "{\"error\":\"only GET /status is served\"}");
	now = off_mono_ns();
	/* The asker first: the count it gets includes itself. */
	if (agent_probe(req))
		off_clients_seen(&d->clients, src, now);
	st.clients = off_clients_count(&d->clients, now);
	snprintf(st.node, sizeof(st.node), "%s", d->cfg.node);
	snprintf(st.version, sizeof(st.version), "%s", OFFLOAD_VERSION);
	for (int i = 0; i < d->cfg.nservices; i++)
		memcpy(st.services[i], d->cfg.services[i].name, sizeof(st.services[i]));
	if (off_peer_status_format(&st, body, sizeof(body)) < 0)
		return http("500 Internal Server Error", "{\"error\":\"status not representable\"}");
	return http("200 OK", body);
}
