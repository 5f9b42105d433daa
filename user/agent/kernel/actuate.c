// SPDX-License-Identifier: GPL-2.0
/* Plain map updates: the kernel side decides per connection, we only tell
 * it what the targets are and which one each workload uses. */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>

#include "agent/kernel/actuate.h"
#include "lib/clock.h"
#include "redirect.skel.h"

/* The skeleton's map, without a lookup by name; -ENOENT under observe,
 * which loads no enforcement. */
#define MAP_FD(b, name) ((b)->redir ? bpf_map__fd((b)->redir->maps.name) : -ENOENT)

static int update(int fd, const void *k, const void *v)
{
	if (fd < 0)
		return fd;
	return bpf_map_update_elem(fd, k, v, BPF_ANY) ? -errno : 0;
}

/* Peer p's target of service s: the peer's address at the service's port
 * for it, else the VIP's. */
static struct off_endpoint peer_target(const struct off_config *c, int s, int p)
{
	const struct off_cfg_service *svc = &c->services[s];
	struct off_endpoint ep = svc->vip;

	memcpy(ep.addr, c->peers[p].addr, sizeof(ep.addr));
	ep.port = svc->port[p + 1] ? svc->port[p + 1] : svc->vip.port;
	return ep;
}

static bool has_targets(const struct off_cfg_peer *p)
{
	return p->origin == OFF_PEER_CONFIGURED || p->origin == OFF_PEER_ACTIVE;
}

int off_actuate_services(const struct off_bpf *b, const struct off_config *c)
{
	for (int s = 0; s < c->nservices; s++) {
		const struct off_cfg_service *svc = &c->services[s];
		struct off_service id = { .id = s };
		struct off_target_key k = { .svc = s, .tidx = OFF_TARGET_LOCAL };
		int ret = update(MAP_FD(b, services), &svc->vip, &id);

		if (!ret)
			ret = update(MAP_FD(b, targets), &k, &svc->local);
		for (int p = 0; !ret && p < c->npeers; p++) {
			struct off_endpoint ep = peer_target(c, s, p);

			k.tidx = p + 1;
			if (has_targets(&c->peers[p]))
				ret = update(MAP_FD(b, targets), &k, &ep);
		}
		if (ret)
			return ret;
	}
	return 0;
}

int off_actuate_peer(const struct off_bpf *b, const struct off_config *c, int p)
{
	int fd = MAP_FD(b, targets);

	if (fd < 0)
		return fd;
	for (int s = 0; s < c->nservices; s++) {
		struct off_target_key k = { .svc = s, .tidx = p + 1 };
		struct off_endpoint ep = peer_target(c, s, p);
		int ret;

		if (has_targets(&c->peers[p]))
			ret = update(fd, &k, &ep);
		else
			ret = bpf_map_delete_elem(fd, &k) && errno != ENOENT ? -errno : 0;
		if (ret)
			return ret;
	}
	return 0;
}

int off_actuate_decide(const struct off_bpf *b, uint32_t widx, uint32_t tidx)
{
	struct off_decision d = { .tidx = tidx };
	int fd = MAP_FD(b, decisions);
	struct off_decision old;

	if (fd >= 0 && !bpf_map_lookup_elem(fd, &widx, &old))
		d.gen = old.gen + (old.tidx != tidx);
	return update(fd, &widx, &d);
}

int off_actuate_lease(const struct off_bpf *b, uint64_t ns, uint32_t mark_base)
{
	struct off_lease l = { .mark_base = mark_base };
	uint32_t zero = 0;

	l.expires_ns = off_mono_ns() + ns;
	return update(MAP_FD(b, lease), &zero, &l);
}

int off_actuate_read(const struct off_bpf *b, uint32_t widx, uint32_t *tidx)
{
	int fd = MAP_FD(b, decisions);
	struct off_decision d;

	if (fd < 0)
		return fd;
	if (bpf_map_lookup_elem(fd, &widx, &d))
		return -errno;
	*tidx = d.tidx;
	return 0;
}
