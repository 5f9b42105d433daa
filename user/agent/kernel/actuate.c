// SPDX-License-Identifier: GPL-2.0
/* Plain map updates: the kernel side decides per connection, we only tell
 * it what the targets are and which one each workload uses. */
#include <errno.h>
#include <time.h>
#include <bpf/bpf.h>

#include "agent/kernel/actuate.h"
#include "lib/clock.h"
#include "redirect.skel.h"

/* The skeleton's map, without a lookup by name; -ENOENT under observe,
 * which loads no enforcement. */
#define MAP_FD(b, name) ((b)->redir ? bpf_map__fd((b)->redir->maps.name) : -ENOENT)

int off_actuate_decide(const struct off_bpf *b, uint32_t widx, uint32_t tidx)
{
	struct off_decision d = { .tidx = tidx };
	int fd = MAP_FD(b, decisions);
	struct off_decision old;

	if (fd >= 0 && !bpf_map_lookup_elem(fd, &widx, &old))
		d.gen = old.gen + (old.tidx != tidx);
	return off_map_put(fd, &widx, &d);
}

int off_actuate_lease(const struct off_bpf *b, uint64_t ns, uint32_t mark_base)
{
	struct off_lease l = { .mark_base = mark_base };
	uint32_t zero = 0;

	l.expires_ns = off_mono_ns() + ns;
	return off_map_put(MAP_FD(b, lease), &zero, &l);
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
