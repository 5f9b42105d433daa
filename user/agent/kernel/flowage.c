// SPDX-License-Identifier: GPL-2.0
/* Ages the flows map from user space, as Cilium's conntrack GC does: the
 * agent reads every flow each tick anyway, knows which have no open
 * connection and no event lately, and deletes those, keeping their final
 * counts. An LRU map would evict in the kernel instead, unread: a flow's
 * counts since the last tick would be lost, a flow with live connections
 * could go, and the cumulative totals measure.c takes deltas of would
 * drop. So: a plain hash, a timeout, and a shorter one under pressure. */
#include <errno.h>
#include <bpf/bpf.h>

#include "agent/kernel/flowage.h"
#include "agent/kernel/loader.h"

#define ENOTSUPP 524	/* the kernel's, not in libc's errno.h */

/* Past 7/8 full, or after a flow could not be recorded, wait no longer
 * than a tick: the space is worth more than a closed flow's history. */
static int pressure(struct off_flowage *a, const struct off_snapshot *s)
{
	uint64_t full = s->counters[OFF_CNT_FLOW_FULL];
	int under = full != a->last_full || s->nflows >= s->max_flows - s->max_flows / 8;

	a->last_full = full;
	return under;
}

static int idle(const struct off_flow *f, uint64_t now_ns, uint64_t limit_ns)
{
	/* closed > opened: connections counted closed whose opening the map
	 * had no room for; none of its own is known open. */
	return f->conns_opened <= f->conns_closed && now_ns > f->last_ns &&
	       now_ns - f->last_ns >= limit_ns;
}

/* Deletes the flow with the counts it has now: an event since the snapshot
 * is kept, not lost between the read and the delete. */
static int take(int fd, const struct off_flow_rec *r, struct off_flow *last)
{
	if (!bpf_map_lookup_and_delete_elem(fd, &r->k, last))
		return 0;
	if (errno != EINVAL && errno != ENOTSUPP)
		return -errno;
	/* Before 5.14 a hash cannot: the snapshot's counts will do. */
	*last = r->f;
	return bpf_map_delete_elem(fd, &r->k) ? -errno : 0;
}

int off_flows_age(struct off_flowage *a, const struct off_bpf *b, const struct off_snapshot *s,
		  uint64_t now_ns, off_flow_retire_fn *retire, void *ctx)
{
	uint64_t limit = pressure(a, s) && a->tick_ns < a->idle_ns ? a->tick_ns : a->idle_ns;
	int fd = off_bpf_fd_flows(b), n = 0, ret = 0;

	a->pressed += limit < a->idle_ns;
	for (uint32_t i = 0; !ret && i < s->nflows; i++) {
		const struct off_flow_rec *r = &s->flows[i];
		struct off_flow last;

		if (!idle(&r->f, now_ns, limit))
			continue;
		ret = take(fd, r, &last);
		if (!ret) {
			retire(ctx, &r->k, &last);
			n++;
		} else if (ret == -ENOENT) {
			ret = 0;	/* gone already: nothing to keep */
		}
	}
	a->aged += n;
	a->entries = s->nflows - n;
	return ret ? ret : n;
}
