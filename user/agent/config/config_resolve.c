// SPDX-License-Identifier: GPL-2.0
/* Cross references, resolved once every section is read: a workload's
 * services and static target, per-peer ports, duplicate VIPs and cgroups,
 * and what peers_dns leaves room for. */
#include <stdio.h>
#include <string.h>

#include "agent/config/config_parser.h"
#include "agent/config/parse.h"

static int peer_index(const struct off_config *c, const char *name)
{
	if (!strcmp(name, "local"))
		return 0;
	for (int i = 0; i < c->npeers; i++)
		if (!strcmp(c->peers[i].name, name))
			return i + 1;
	return -1;
}

static int service_index(const struct off_config *c, const char *name)
{
	for (int i = 0; i < c->nservices; i++)
		if (!strcmp(c->services[i].name, name))
			return i;
	return -1;
}

static void resolve_ports(struct parser *p)
{
	for (int i = 0; i < p->nports; i++) {
		struct port_ref *r = &p->ports[i];
		int t = peer_index(&p->c, r->peer);
		char sec[64], key[64];

		snprintf(sec, sizeof(sec), "service %s", p->c.services[r->svc].name);
		snprintf(key, sizeof(key), "port.%s", r->peer);
		if (t <= 0)
			off_cfg_bad(p, r->line, sec, key, "no such peer \"%s\"", r->peer);
		else
			p->c.services[r->svc].port[t] = r->port;
	}
}

/* A socket cannot be sent across address families, and one VIP is one
 * key in the kernel's service table. */
static void check_service(struct parser *p, int i)
{
	const struct off_cfg_service *s = &p->c.services[i];
	bool v4 = off_ip_is_v4(s->vip.addr);
	char sec[64];

	snprintf(sec, sizeof(sec), "service %s", s->name);
	if (off_ip_is_v4(s->local.addr) != v4)
		off_cfg_bad(p, s->line, sec, "local", "not of the VIP's address family");
	if (!memcmp(s->local.addr, s->vip.addr, 16) && s->local.port == s->vip.port)
		off_cfg_bad(p, s->line, sec, "local", "the same as the VIP");
	for (int j = 0; j < p->c.npeers; j++)
		if (off_ip_is_v4(p->c.peers[j].addr) != v4)
			off_cfg_bad(p, s->line, sec, "vip", "peer %s is not of the VIP's address family",
			    p->c.peers[j].name);
	for (int j = 0; j < i; j++)
		if (!memcmp(&p->c.services[j].vip, &s->vip, sizeof(s->vip)))
			off_cfg_bad(p, s->line, sec, "vip", "the same as service %s's", p->c.services[j].name);
}

static void resolve_workload(struct parser *p, int i)
{
	struct off_cfg_workload *w = &p->c.workloads[i];
	struct wl_refs *r = &p->refs[i];
	char sec[64], *tok, *save;
	int t = peer_index(&p->c, r->target);

	snprintf(sec, sizeof(sec), "workload %s", w->name);
	if (w->policy == OFF_POLICY_STATIC && t < 0)
		off_cfg_bad(p, r->policy_line, sec, "policy", "no such target \"%s\" (local or a peer name)", r->target);
	w->target = t < 0 ? 0 : t;
	for (tok = strtok_r(r->services, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		int s = service_index(&p->c, tok);

		if (s < 0)
			off_cfg_bad(p, r->services_line, sec, "services", "no such service \"%s\"", tok);
		else if (off_cfg_uses(w, s))
			off_cfg_bad(p, r->services_line, sec, "services", "\"%s\" listed twice", tok);
		else
			w->services[s / 64] |= 1ULL << (s % 64);
	}
	for (int j = 0; j < i; j++)
		if (!strcmp(p->c.workloads[j].cgroup, w->cgroup))
			off_cfg_bad(p, w->line, sec, "cgroup", "the same as workload %s's", p->c.workloads[j].name);
	if (i == (int)p->c.max_workloads)
		off_cfg_bad(p, w->line, sec, NULL, "more workloads than [agent] max_workloads (%u)", p->c.max_workloads);
}

/* Discovered peers take the target slots the file leaves free. */
static void check_dns(struct parser *p)
{
	const struct off_config *c = &p->c;
	static const char *const needs[] = { "peers_dns_every", "peers_dns_server" };

	if (c->dns.name[0] && c->npeers >= OFF_CFG_MAX_PEERS)
		off_cfg_bad(p, off_config_line(c, NULL, "peers_dns"), "agent", "peers_dns",
		    "no room for discovered peers: the %d [peer] sections take every target slot",
		    c->npeers);
	for (size_t i = 0; !c->dns.name[0] && i < sizeof(needs) / sizeof(needs[0]); i++)
		if (off_config_line(c, NULL, needs[i]) != c->agent_line)
			off_cfg_bad(p, off_config_line(c, NULL, needs[i]), "agent", needs[i],
			    "given without peers_dns");
}

void off_cfg_resolve(struct parser *p)
{
	struct off_config *c = &p->c;

	resolve_ports(p);
	for (int i = 0; i < c->nservices; i++)
		check_service(p, i);
	for (int i = 0; i < c->nworkloads; i++)
		resolve_workload(p, i);
	if (c->status_listen[0] && !strcmp(c->status_listen, c->metrics_listen))
		off_cfg_bad(p, p->agent_line, "agent", "metrics_listen", "the same address as status_listen");
	if (!c->edgex.device[0])
		strcpy(c->edgex.device, c->node);	/* node may come after [edgex] */
	check_dns(p);
	if (!c->probe_timeout_ms)
		c->probe_timeout_ms = c->tick_ms / 2 < 500 ? c->tick_ms / 2 : 500;
}
