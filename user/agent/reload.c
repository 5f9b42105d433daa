// SPDX-License-Identifier: GPL-2.0
/* SIGHUP and `offloadctl reload`: the file, the models it names and the
 * local scope are all loaded and checked before any replaces the running
 * ones; what would need the kernel side rebuilt is refused. */
#include <errno.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/config/trust.h"
#include "agent/daemon.h"
#include "agent/kernel/actuate.h"
#include "agent/kernel/reconcile.h"
#include "agent/serve/tls.h"

static int same_peers(const struct off_config *a, const struct off_config *b)
{
	if (a->npeers != b->npeers)
		return 0;
	for (int i = 0; i < a->npeers; i++)
		if (strcmp(a->peers[i].name, b->peers[i].name) ||
		    memcmp(a->peers[i].addr, b->peers[i].addr, 16) ||
		    a->peers[i].status_port != b->peers[i].status_port)
			return 0;
	return 1;
}

/* The publisher holds a connection and per-source state: a restart's. */
static int same_edgex(const struct off_cfg_edgex *a, const struct off_cfg_edgex *b)
{
	return !a->line == !b->line && a->bus == b->bus && !strcmp(a->host, b->host) &&
	       a->port == b->port && !strcmp(a->topic_prefix, b->topic_prefix) &&
	       !strcmp(a->service, b->service) && !strcmp(a->profile, b->profile) &&
	       !strcmp(a->peer_profile, b->peer_profile) && !strcmp(a->device, b->device) &&
	       a->on_change == b->on_change && a->version == b->version &&
	       a->reconnect_max_ms == b->reconnect_max_ms;
}

/* What a reload cannot change without a restart, or NULL. */
static const char *needs_restart(const struct off_config *c, const struct off_config *old)
{
	int same = c->nworkloads == old->nworkloads;

	for (int i = 0; same && i < c->nworkloads; i++)
		same = !strcmp(c->workloads[i].cgroup, old->workloads[i].cgroup);
	if (!same)
		return "set of workloads";
	if (strcmp(c->dns.name, old->dns.name) || c->dns.port != old->dns.port ||
	    strcmp(c->dns.server, old->dns.server))
		return "peers_dns";
	if (!same_peers(c, old))
		return "set of peers";
	if (c->max_workloads != old->max_workloads || c->max_tasks != old->max_tasks ||
	    c->max_flows != old->max_flows)
		return "map sizes";
	if (strcmp(c->experience_log, old->experience_log))
		return "experience log";
	if (!same_edgex(&c->edgex, &old->edgex))
		return "[edgex] section";
	if (strcmp(c->ctl_socket, old->ctl_socket) || strcmp(c->status_listen, old->status_listen))
		return "listen address";
	/* Certificates may be renewed by a reload; leaving TLS may not. */
	if (!c->tls_ca[0] != !old->tls_ca[0])
		return "peer protocol (mutual TLS or plain HTTP)";
	return NULL;
}

int off_daemon_reload(struct off_daemon *d, char *err, size_t errlen)
{
	static struct off_config c;
	struct off_models ms = {};
	struct off_local scope = { .stat_fd = -1 };
	SSL_CTX *tls = NULL;
	uint8_t *cpus = malloc(d->snap.nr_cpus);
	const char *changed;

	if (!cpus) {
		snprintf(err, errlen, "out of memory");
		goto refused;
	}
	if (off_trust_file(d->path, err, errlen) || off_config_load(d->path, &c, err, errlen))
		goto refused;
	off_dnspeers_carry(&d->cfg, &c);
	changed = needs_restart(&c, &d->cfg);
	if (changed) {
		snprintf(err, errlen, "%s: the %s changed; restart to apply", d->path, changed);
		goto drop;
	}
	if (off_tls_load(&c, d->path, &tls, err, errlen) ||
	    off_trust_models(&c, err, errlen) || off_models_load(&ms, &c, err, errlen) ||
	    off_local_scope(c.serve_cgroup, c.local_cpus, cpus, d->snap.nr_cpus, &scope, err, errlen))
		goto drop;
	if (off_reconcile_services(&d->bpf, &c)) {
		snprintf(err, errlen, "%s: could not apply it; the running configuration is restored", d->path);
		off_reconcile_services(&d->bpf, &d->cfg);
		goto drop;
	}
	off_config_free(&d->cfg);
	d->cfg = c;
	off_peers_configure(&d->peers, &d->cfg);
	/* Connections in flight hold the old context until they end. */
	SSL_CTX_free(d->tls);
	d->tls = d->peers.tls = d->status.tls = tls;
	off_models_free(&d->models);
	d->models = ms;
	memcpy(d->snap.local_cpu, cpus, d->snap.nr_cpus);
	off_local_close(&d->meas.scope);
	d->meas.scope = scope;
	free(cpus);
	d->reloads++;
	off_reply_put(d->metrics_cache);	/* rendered from the old configuration */
	d->metrics_cache = NULL;
	fprintf(stderr, "offloadd: reloaded %s\n", d->path);
	off_record_reopen(&d->rec);	/* logrotate's move, then SIGHUP */
	off_models_log(&d->models);
	if (off_abtest_init(&d->ab, d))	/* policies may have changed: a new window */
		fprintf(stderr, "offloadd: out of memory: A/B comparison off\n");
	off_daemon_decide(d);
	off_daemon_actuate(d, 0);
	return 0;
drop:
	SSL_CTX_free(tls);
	off_local_close(&scope);
	off_models_free(&ms);
	off_config_free(&c);
refused:
	free(cpus);
	d->reloads_failed++;
	fprintf(stderr, "offloadd: reload refused, keeping the running configuration: %s\n", err);
	return -EINVAL;
}
