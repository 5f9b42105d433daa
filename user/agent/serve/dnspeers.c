// SPDX-License-Identifier: GPL-2.0
/* Discovered peers take the target slots after the configured ones. A new
 * address is probed while pending and used once its /status answers; one
 * gone from the name's records is drained: its targets are withdrawn, so
 * new connections go elsewhere while open sockets keep their destination.
 * A draining slot is revived if its address comes back. A new address
 * takes a free slot, else a new one, else a drained one: every slot is a
 * candidate the decision scores (masked when out of use), so slots are
 * reused before they are added. This host's own address, which a headless
 * Service lists too, is recognised by the node it reports, remembered and
 * its slot freed. A DNS failure (timeout, SERVFAIL) keeps the set as it
 * was: only an answer saying there are no records empties it. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "agent/config/parse.h"
#include "agent/daemon.h"
#include "agent/kernel/reconcile.h"
#include "agent/serve/dnspeers.h"

#define MAX_ADDRS	64	/* per answer; a bigger set is read in part */

int off_dnspeers_init(struct off_daemon *d, char *err, size_t errlen)
{
	struct off_dnspeers *dp = &d->disc;

	memset(dp, 0, sizeof(*dp));
	if (!d->cfg.dns.name[0])
		return 0;
	dp->on = true;
	return off_dns_init(&dp->dns, &d->ring, d->cfg.dns.server, err, errlen);
}

void off_dnspeers_free(struct off_dnspeers *dp)
{
	if (dp->on)
		off_dns_free(&dp->dns);
	dp->on = false;
}

/* A name no other peer in use has (a drained one gives it up), nor the
 * local target. */
static bool name_free(struct off_config *c, int self, const char *name)
{
	if (!strcmp(name, "local"))
		return false;
	for (int j = 0; j < c->npeers; j++) {
		struct off_cfg_peer *o = &c->peers[j];

		if (j == self || strcmp(o->name, name))
			continue;
		if (o->origin != OFF_PEER_DRAINING)
			return false;
		snprintf(o->name, sizeof(o->name), "drained-%d", j + 1);	/* out of use */
	}
	return true;
}

/* A pending peer that answered: named by the node it reports. */
static void activate(struct off_daemon *d, int i)
{
	struct off_cfg_peer *pc = &d->cfg.peers[i];
	struct off_peer *p = &d->peers.p[i];
	char name[OFF_CFG_NAME_LEN], ip[INET6_ADDRSTRLEN];

	/* Kubernetes node names may be longer: the first 31 bytes. */
	snprintf(name, sizeof(name), "%.*s", (int)sizeof(name) - 1, p->st.node);
	off_fmt_ip(pc->addr, ip, sizeof(ip));
	if (!strcmp(p->st.node, d->cfg.node)) {
		struct off_dnspeers *dp = &d->disc;

		if (dp->nself < OFF_DNS_MAX_SELF)
			memcpy(dp->self[dp->nself++], pc->addr, 16);
		pc->origin = OFF_PEER_FREE;
		snprintf(pc->name, sizeof(pc->name), "free-%d", i + 1);
		fprintf(stderr, "offloadd: dns: %s is this host (node %s): not a peer\n", ip, name);
		return;
	}
	if (!name_free(&d->cfg, i, name)) {
		if (!(d->disc.clash_logged >> i & 1))
			fprintf(stderr, "offloadd: dns: %s reports node %s, the name of another peer: not used\n",
				ip, name);
		d->disc.clash_logged |= 1u << i;
		return;
	}
	memcpy(pc->name, name, sizeof(name));
	pc->kind = p->st.kind;
	pc->origin = OFF_PEER_ACTIVE;
	p->up = true;
	d->disc.found++;
	if (off_reconcile_peer(&d->bpf, &d->cfg, i))
		fprintf(stderr, "offloadd: dns: cannot write peer %s's targets\n", name);
	fprintf(stderr, "offloadd: peer %s (%s) found at %s by %s: in use\n", name,
		off_kind_names[pc->kind], ip, d->cfg.dns.name);
}

static void drain(struct off_daemon *d, int i)
{
	struct off_cfg_peer *pc = &d->cfg.peers[i];
	bool active = pc->origin == OFF_PEER_ACTIVE;

	pc->origin = OFF_PEER_DRAINING;
	d->peers.p[i].up = false;
	if (!active)
		return;
	d->disc.drained++;
	if (off_reconcile_peer(&d->bpf, &d->cfg, i))
		fprintf(stderr, "offloadd: dns: cannot withdraw peer %s's targets\n", pc->name);
	fprintf(stderr, "offloadd: peer %s left %s: draining (open connections finish, new ones go elsewhere)\n",
		pc->name, d->cfg.dns.name);
}

/* Slot i, free or drained with no probe in flight, for a new address. */
static void take_slot(struct off_daemon *d, int i, const uint8_t addr[16])
{
	struct off_cfg_peer *pc = &d->cfg.peers[i];
	uint8_t ip[16];

	memcpy(ip, addr, 16);	/* addr may be pc's own, a revived peer's */
	for (int w = 0; memcmp(pc->addr, ip, 16) && w < d->cfg.nworkloads; w++)
		if (d->pin[w] == (uint32_t)i + 2) {
			/* A pin names a peer; the slot now holds another. */
			fprintf(stderr, "offloadd: workload %s: unpinned from %s, whose slot a new address takes\n",
				d->cfg.workloads[w].name, pc->name);
			d->pin[w] = 0;
		}
	*pc = (struct off_cfg_peer){ .origin = OFF_PEER_PENDING, .kind = OFF_KIND_EDGE,
				     .status_port = d->cfg.dns.port };
	memcpy(pc->addr, ip, 16);
	snprintf(pc->name, sizeof(pc->name), "pending-%d", i + 1);
	off_peers_set(&d->peers, i, &d->cfg);
	d->disc.clash_logged &= ~(1u << i);
}

/* A slot for a new address: free, else new, else drained; -1 if none. */
static int free_slot(struct off_daemon *d)
{
	struct off_config *c = &d->cfg;

	for (int i = 0; i < c->npeers; i++)
		if (c->peers[i].origin == OFF_PEER_FREE && d->peers.p[i].fd < 0)
			return i;
	if (c->npeers < OFF_CFG_MAX_PEERS) {
		d->peers.n = ++c->npeers;
		return c->npeers - 1;
	}
	for (int i = 0; i < c->npeers; i++)
		if (c->peers[i].origin == OFF_PEER_DRAINING && d->peers.p[i].fd < 0)
			return i;
	return -1;
}

static void add(struct off_daemon *d, const uint8_t addr[16])
{
	int i = free_slot(d);
	char ip[INET6_ADDRSTRLEN];

	if (i >= 0) {
		take_slot(d, i, addr);
		return;
	}
	if (!d->disc.full_logged)
		fprintf(stderr, "offloadd: dns: no free peer slot for %s: all %d are in use\n",
			off_fmt_ip(addr, ip, sizeof(ip)), OFF_CFG_MAX_PEERS);
	d->disc.full_logged = true;
}

static bool listed(uint8_t (*addrs)[16], int n, const uint8_t a[16])
{
	for (int k = 0; k < n; k++)
		if (!memcmp(addrs[k], a, 16))
			return true;
	return false;
}

/* This host's addresses that DNS no longer lists are forgotten. */
static void forget_self(struct off_dnspeers *dp, uint8_t (*addrs)[16], int n)
{
	for (int k = 0; k < dp->nself; k++)
		if (!listed(addrs, n, dp->self[k]))
			memmove(dp->self[k--], dp->self[--dp->nself], 16);
}

/* The peer set follows the addresses DNS gave. */
static void update(struct off_daemon *d, uint8_t (*addrs)[16], int n)
{
	struct off_config *c = &d->cfg;

	forget_self(&d->disc, addrs, n);
	for (int i = 0; i < c->npeers; i++) {
		enum off_peer_origin o = c->peers[i].origin;
		bool seen = listed(addrs, n, c->peers[i].addr);

		if (!seen && (o == OFF_PEER_ACTIVE || o == OFF_PEER_PENDING))
			drain(d, i);
		else if (seen && o == OFF_PEER_DRAINING && d->peers.p[i].fd < 0)
			take_slot(d, i, c->peers[i].addr);	/* back: answers again first */
	}
	for (int k = 0; k < n; k++) {
		bool known = listed(d->disc.self, d->disc.nself, addrs[k]);

		for (int i = 0; !known && i < c->npeers; i++)
			known = c->peers[i].origin != OFF_PEER_FREE &&
				!memcmp(c->peers[i].addr, addrs[k], 16);
		if (!known)
			add(d, addrs[k]);
	}
}

/* The answer's addresses of the services' family, once each. */
static int addresses(const struct off_config *c, const struct ares_addrinfo *ai, uint8_t (*out)[16])
{
	bool v4 = !c->nservices || off_ip_is_v4(c->services[0].vip.addr);
	int n = 0;

	for (const struct ares_addrinfo_node *a = ai ? ai->nodes : NULL; a && n < MAX_ADDRS; a = a->ai_next) {
		uint8_t ip[16] = { [10] = 0xff, [11] = 0xff };

		if (a->ai_family == AF_INET && v4)
			memcpy(ip + 12, &((struct sockaddr_in *)a->ai_addr)->sin_addr, 4);
		else if (a->ai_family == AF_INET6 && !v4)
			memcpy(ip, &((struct sockaddr_in6 *)a->ai_addr)->sin6_addr, 16);
		else
			continue;
		if (!listed(out, n, ip))
			memcpy(out[n++], ip, 16);
	}
	return n;
}

static void resolved(void *arg, int status, int timeouts, struct ares_addrinfo *ai)
{
	struct off_daemon *d = arg;
	struct off_dnspeers *dp = &d->disc;
	uint8_t addrs[MAX_ADDRS][16];
	int n;

	(void)timeouts;
	dp->inflight = false;
	if (status == ARES_EDESTRUCTION)
		return;		/* shutting down */
	if (status != ARES_SUCCESS && status != ARES_ENOTFOUND && status != ARES_ENODATA) {
		dp->failures++;
		if (!dp->failing)
			fprintf(stderr, "offloadd: dns: %s: %s; the peers found before are kept\n",
				d->cfg.dns.name, ares_strerror(status));
		dp->failing = true;
		ares_freeaddrinfo(ai);
		return;
	}
	if (dp->failing)
		fprintf(stderr, "offloadd: dns: %s answers again\n", d->cfg.dns.name);
	dp->failing = false;
	dp->resolves++;
	n = addresses(&d->cfg, ai, addrs);
	ares_freeaddrinfo(ai);
	update(d, addrs, n);
}

void off_dnspeers_tick(struct off_daemon *d)
{
	struct off_dnspeers *dp = &d->disc;

	if (!dp->on)
		return;
	for (int i = 0; i < d->cfg.npeers; i++)
		if (d->cfg.peers[i].origin == OFF_PEER_PENDING && d->peers.p[i].answered)
			activate(d, i);
	off_dns_tick(&dp->dns);
	if (dp->inflight || dp->ticks++ % d->cfg.dns.every)
		return;
	dp->inflight = true;	/* before: the answer may come at once */
	off_dns_resolve(&dp->dns, d->cfg.dns.name, resolved, d);
}

int off_dnspeers_complete(struct off_daemon *d, struct io_uring_cqe *cqe)
{
	return d->disc.on && off_dns_complete(&d->disc.dns, cqe);
}

void off_dnspeers_carry(const struct off_config *old, struct off_config *c)
{
	int configured = 0;

	while (configured < old->npeers && old->peers[configured].origin == OFF_PEER_CONFIGURED)
		configured++;
	if (c->npeers != configured || strcmp(c->dns.name, old->dns.name))
		return;		/* the reload is refused: a restart is needed */
	for (int i = configured; i < old->npeers; i++)
		c->peers[c->npeers++] = old->peers[i];
}
