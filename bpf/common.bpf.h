/* SPDX-License-Identifier: GPL-2.0 */
/* Maps and helpers every offloadd BPF object shares. The loader creates the
 * shared maps once (in sched) and hands their fds to the other objects. */
#ifndef OFFLOAD_COMMON_BPF_H
#define OFFLOAD_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "offload/abi.h"

#define E2BIG	7
#define EEXIST	17
#define AF_INET		2
#define AF_INET6	10
#define SOL_SOCKET	1
#define SO_MARK		36

/* Governed cgroup v2 roots: cgroup id -> workload index (1..N). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);		/* sized by the loader */
	__type(key, __u64);
	__type(value, __u32);
} governed SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, OFF_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline void count(__u32 which)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &which);

	if (c)
		(*c)++;
}

static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0, shift;

	shift = (v > 0xffffffff) << 5; v >>= shift; r |= shift;
	shift = (v > 0xffff) << 4; v >>= shift; r |= shift;
	shift = (v > 0xff) << 3; v >>= shift; r |= shift;
	shift = (v > 0xf) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	return r | (v >> 1);
}

/* Histogram slot of a duration in ns, in log2 µs. */
static __always_inline __u32 hist_slot(__u64 ns)
{
	__u32 s = log2_u64(ns / 1000);

	return s < OFF_HIST_SLOTS ? s : OFF_HIST_SLOTS - 1;
}

/* Deepest governed ancestor of the current task's cgroup among absolute
 * levels 1..OFF_MAX_CGROUP_DEPTH, as sched.bpf.c resolves a task's: the
 * walk starts at the root, so nesting deeper below a workload hides nothing. */
static __always_inline __u32 current_widx(void)
{
	__u32 widx = OFF_WIDX_HOST;

	for (int lvl = 1; lvl <= OFF_MAX_CGROUP_DEPTH; lvl++) {
		__u64 id = bpf_get_current_ancestor_cgroup_id(lvl);
		__u32 *w;

		if (!id)
			break;
		w = bpf_map_lookup_elem(&governed, &id);
		if (w)
			widx = *w;
	}
	return widx;
}

char LICENSE[] SEC("license") = "GPL";

#endif
