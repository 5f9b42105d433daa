// SPDX-License-Identifier: GPL-2.0
/* The services, targets and wl_services maps made to match the
 * configuration on every load, reload and adoption: a VIP keeps its id while
 * it stays configured, and every entry of a removed service or target is
 * deleted, so no VIP outlives its service and churn never fills a map. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "agent/kernel/reconcile.h"
#include "redirect.skel.h"

/* An id's state in one reconciliation. FREED: its entries were deleted in
 * this one. A program that read the id just before may still be looking
 * its targets up, so such an id is given out again only when no other is
 * left (as the kernel avoids handing a just-freed pid out at once). */
enum { ID_FREE, ID_FREED, ID_LIVE };

struct plan {
	int sfd, tfd, ufd;
	uint8_t state[OFF_MAX_SERVICES];
	int id[OFF_CFG_MAX_SERVICES];		/* per configured service */
	bool added[OFF_CFG_MAX_SERVICES];	/* its VIP is to be inserted */
};

static int cfg_index(const struct off_config *c, const struct off_endpoint *vip)
{
	for (int i = 0; i < c->nservices; i++)
		if (!memcmp(&c->services[i].vip, vip, sizeof(*vip)))
			return i;
	return -1;
}

/* A peer found by DNS has targets only while it answers and stays listed;
 * a free, pending or draining slot has none, so new connections go elsewhere
 * while those already open keep their socket's destination. */
static bool in_use(const struct off_config *c, uint32_t tidx)
{
	if (tidx < 1 || tidx > (uint32_t)c->npeers)
		return false;
	return c->peers[tidx - 1].origin == OFF_PEER_CONFIGURED ||
	       c->peers[tidx - 1].origin == OFF_PEER_ACTIVE;
}

static int delete_all(int fd, const void *keys, size_t size, int n)
{
	for (int i = 0; i < n; i++)
		if (bpf_map_delete_elem(fd, (const char *)keys + i * size) && errno != ENOENT)
			return -errno;
	return 0;
}

/* Keeps the id of every VIP still configured and deletes the other VIPs
 * first, so nothing new can be sent by them while the rest changes. */
static int sweep_services(struct plan *p, const struct off_config *c)
{
	struct off_endpoint *stale = calloc(OFF_MAX_SERVICES, sizeof(*stale));
	struct off_endpoint key, next, *prev = NULL;
	struct off_service sv;
	int n = 0, ret;

	if (!stale)
		return -ENOMEM;
	while (n < OFF_MAX_SERVICES && !bpf_map_get_next_key(p->sfd, prev, &next)) {
		int i = cfg_index(c, &next);

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(p->sfd, &key, &sv))
			continue;
		if (i >= 0 && sv.id < OFF_MAX_SERVICES && p->state[sv.id] != ID_LIVE) {
			p->id[i] = sv.id;
			p->state[sv.id] = ID_LIVE;
			continue;
		}
		stale[n++] = key;
		if (sv.id < OFF_MAX_SERVICES && p->state[sv.id] == ID_FREE)
			p->state[sv.id] = ID_FREED;
	}
	ret = delete_all(p->sfd, stale, sizeof(*stale), n);
	free(stale);
	return ret;
}

static int free_id(const struct plan *p)
{
	for (int want = ID_FREE; want <= ID_FREED; want++)
		for (int id = 0; id < OFF_MAX_SERVICES; id++)
			if (p->state[id] == want)
				return id;
	return -ENOSPC;
}

static int assign_ids(struct plan *p, const struct off_config *c)
{
	for (int i = 0; i < c->nservices; i++) {
		int id;

		if (p->id[i] >= 0)
			continue;
		id = free_id(p);
		if (id < 0)
			return id;
		p->id[i] = id;
		p->state[id] = ID_LIVE;
		p->added[i] = true;
	}
	return 0;
}

/* Targets of services no longer live, and of peers no longer configured. */
static int sweep_targets(struct plan *p, const struct off_config *c)
{
	size_t max = (size_t)OFF_MAX_SERVICES * OFF_MAX_TARGETS;
	struct off_target_key *stale = calloc(max, sizeof(*stale));
	struct off_target_key key, next, *prev = NULL;
	size_t n = 0;
	int ret;

	if (!stale)
		return -ENOMEM;
	while (n < max && !bpf_map_get_next_key(p->tfd, prev, &next)) {
		key = next;
		prev = &key;
		if (key.svc >= OFF_MAX_SERVICES || p->state[key.svc] != ID_LIVE ||
		    (key.tidx != OFF_TARGET_LOCAL && !in_use(c, key.tidx)))
			stale[n++] = key;
	}
	ret = delete_all(p->tfd, stale, sizeof(*stale), (int)n);
	free(stale);
	return ret;
}

/* Target tidx (a peer) of service s: the peer's address at the service's
 * port for it, else the VIP's. */
static struct off_endpoint peer_target(const struct off_config *c, int s, uint32_t tidx)
{
	const struct off_cfg_service *svc = &c->services[s];
	struct off_endpoint ep = svc->vip;

	memcpy(ep.addr, c->peers[tidx - 1].addr, sizeof(ep.addr));
	ep.port = svc->port[tidx] ? svc->port[tidx] : svc->vip.port;
	return ep;
}

static int write_targets(const struct plan *p, const struct off_config *c)
{
	for (int s = 0; s < c->nservices; s++) {
		struct off_target_key k = { .svc = p->id[s], .tidx = OFF_TARGET_LOCAL };
		int ret = off_map_put(p->tfd, &k, &c->services[s].local);

		for (k.tidx = 1; !ret && k.tidx <= (uint32_t)c->npeers; k.tidx++) {
			struct off_endpoint ep = peer_target(c, s, k.tidx);

			if (in_use(c, k.tidx))
				ret = off_map_put(p->tfd, &k, &ep);
		}
		if (ret)
			return ret;
	}
	return 0;
}

/* Every workload index, the unused ones cleared: an adopted map may hold
 * another configuration's. */
static int write_uses(const struct plan *p, const struct off_config *c, uint32_t max_workloads)
{
	for (uint32_t widx = 0; widx <= max_workloads; widx++) {
		struct off_wl_services u = {};
		int ret;

		for (int s = 0; widx && (int)widx <= c->nworkloads && s < c->nservices; s++)
			if (off_cfg_uses(&c->workloads[widx - 1], s))
				u.bits[p->id[s] / 64] |= 1ULL << (p->id[s] % 64);
		ret = off_map_put(p->ufd, &widx, &u);
		if (ret)
			return ret;
	}
	return 0;
}

/* New VIPs last: by then their targets and users are in place. */
static int insert_vips(const struct plan *p, const struct off_config *c)
{
	for (int s = 0; s < c->nservices; s++) {
		struct off_service sv = { .id = p->id[s] };
		int ret = p->added[s] ? off_map_put(p->sfd, &c->services[s].vip, &sv) : 0;

		if (ret)
			return ret;
	}
	return 0;
}

int off_reconcile_services(const struct off_bpf *b, const struct off_config *c)
{
	struct plan *p;
	int ret;

	if (!b->redir)
		return -ENOENT;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->sfd = bpf_map__fd(b->redir->maps.services);
	p->tfd = bpf_map__fd(b->redir->maps.targets);
	p->ufd = bpf_map__fd(b->redir->maps.wl_services);
	for (int i = 0; i < c->nservices; i++)
		p->id[i] = -1;
	ret = sweep_services(p, c);
	if (!ret)
		ret = assign_ids(p, c);
	if (!ret)
		ret = sweep_targets(p, c);
	if (!ret)
		ret = write_targets(p, c);
	if (!ret)
		ret = write_uses(p, c, b->max_workloads);
	if (!ret)
		ret = insert_vips(p, c);
	free(p);
	return ret;
}

int off_reconcile_peer(const struct off_bpf *b, const struct off_config *c, int peer)
{
	struct off_target_key k = { .tidx = peer + 1 };
	int sfd, tfd, ret = 0;
	struct off_service sv;

	if (!b->redir)
		return -ENOENT;
	sfd = bpf_map__fd(b->redir->maps.services);
	tfd = bpf_map__fd(b->redir->maps.targets);
	for (int s = 0; !ret && s < c->nservices; s++) {
		struct off_endpoint ep = peer_target(c, s, k.tidx);

		if (bpf_map_lookup_elem(sfd, &c->services[s].vip, &sv))
			return -errno;
		k.svc = sv.id;
		if (in_use(c, k.tidx))
			ret = off_map_put(tfd, &k, &ep);
		else if (bpf_map_delete_elem(tfd, &k) && errno != ENOENT)
			ret = -errno;
	}
	return ret;
}
