// SPDX-License-Identifier: GPL-2.0
/* What this host tells its peers: its load as the kernel measured it over
 * the last tick, its capacity, and the services it can serve. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/daemon.h"

static const char *http(char *out, size_t outlen, const char *status, const char *body)
{
	snprintf(out, outlen, "HTTP/1.1 %s\r\nContent-Type: application/json\r\n"
		 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", status, strlen(body), body);
	return out;
}

void off_daemon_status(void *daemon, const char *req, char *out, size_t outlen)
{
	struct off_daemon *d = daemon;
	json_t *services = json_array(), *o;
	char *body;

	if (strncmp(req, "GET /status ", 12) && strncmp(req, "GET /status?", 12)) {
		http(out, outlen, "404 Not Found", "{\"error\":\"only GET /status is served\"}");
		json_decref(services);
		return;
	}
	for (int i = 0; i < d->cfg.nservices; i++)
		json_array_append_new(services, json_string(d->cfg.services[i].name));
	o = json_pack("{s:s, s:s, s:f, s:f, s:i, s:o}", "node", d->cfg.node, "version",
		      OFFLOAD_VERSION, "cpu_util", d->host_util, "rq_p99_us", d->host_rq_p99_us,
		      "capacity_cores", (int)sysconf(_SC_NPROCESSORS_ONLN), "services", services);
	body = json_dumps(o, JSON_COMPACT);
	http(out, outlen, "200 OK", body ? body : "{}");
	free(body);
	json_decref(o);
}
