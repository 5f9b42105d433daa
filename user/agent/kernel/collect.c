// SPDX-License-Identifier: GPL-2.0
/* Reads the kernel's counters with bpf_map_lookup_batch: one syscall per few
 * hundred entries instead of two per entry. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent/kernel/collect.h"
#include "agent/kernel/loader.h"
#include "lib/clock.h"

#define ROUND8(x) (((x) + 7) & ~(size_t)7)

static uint32_t map_max(int fd)
{
	struct bpf_map_info info = {};
	uint32_t len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.max_entries;
}

/* Batch-reads up to max entries; the kernel ends a map with ENOENT. */
static int read_batch(int fd, uint32_t max, size_t ksz, size_t vsz,
		      char *keys, char *vals, uint32_t *n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	uint64_t token = 0;
	void *in = NULL;
	uint32_t total = 0;

	while (total < max) {
		uint32_t cnt = max - total;
		int err = bpf_map_lookup_batch(fd, in, &token, keys + total * ksz,
					       vals + total * vsz, &cnt, &opts);

		total += cnt;
		if (err) {
			if (errno == ENOENT)
				break;
			return -errno;
		}
		in = &token;
	}
	*n = total;
	return 0;
}

int off_snapshot_init(struct off_snapshot *s, const struct off_bpf *b)
{
	size_t vmax, kmax;

	memset(s, 0, sizeof(*s));
	s->nr_cpus = b->nr_cpus;
	s->nwl = map_max(off_bpf_fd_wl_stats(b));
	s->max_tasks = map_max(off_bpf_fd_tasks(b));
	s->max_flows = map_max(off_bpf_fd_flows(b));
	s->wl = calloc(s->nwl, sizeof(*s->wl));
	s->tasks = calloc(s->max_tasks, sizeof(*s->tasks));
	s->flows = calloc(s->max_flows, sizeof(*s->flows));
	s->order = calloc(s->max_tasks, sizeof(*s->order));
	s->local_cpu = malloc(s->nr_cpus);
	if (s->local_cpu)
		memset(s->local_cpu, 1, s->nr_cpus);
	kmax = sizeof(struct off_flow_key) * s->max_flows;
	if (kmax < sizeof(uint32_t) * s->max_tasks)
		kmax = sizeof(uint32_t) * s->max_tasks;
	vmax = ROUND8(sizeof(struct off_wl_stats)) * s->nr_cpus * s->nwl;
	if (vmax < sizeof(struct off_task) * s->max_tasks)
		vmax = sizeof(struct off_task) * s->max_tasks;
	if (vmax < sizeof(struct off_flow) * s->max_flows)
		vmax = sizeof(struct off_flow) * s->max_flows;
	if (kmax < sizeof(uint32_t) * OFF_CNT_MAX)
		kmax = sizeof(uint32_t) * OFF_CNT_MAX;
	s->keys_len = kmax;
	s->vals_len = vmax;
	s->keys = malloc(kmax);
	s->vals = malloc(vmax);
	if (!s->wl || !s->tasks || !s->flows || !s->order || !s->keys || !s->vals ||
	    !s->local_cpu) {
		off_snapshot_free(s);
		return -ENOMEM;
	}
	return 0;
}

void off_snapshot_free(struct off_snapshot *s)
{
	free(s->wl);
	free(s->tasks);
	free(s->flows);
	free(s->order);
	free(s->local_cpu);
	free(s->keys);
	free(s->vals);
	memset(s, 0, sizeof(*s));
}

static void sum_wl(struct off_wl_stats *dst, const struct off_wl_stats *src)
{
	const uint64_t *a = (const uint64_t *)src;
	uint64_t *d = (uint64_t *)dst;

	for (size_t i = 0; i < sizeof(*dst) / sizeof(uint64_t); i++)
		d[i] += a[i];
}

static int collect_wl(const struct off_bpf *b, struct off_snapshot *s)
{
	size_t stride = ROUND8(sizeof(struct off_wl_stats));
	uint32_t n, *keys = s->keys;
	int ret;

	ret = read_batch(off_bpf_fd_wl_stats(b), s->nwl, sizeof(uint32_t),
			 stride * s->nr_cpus, s->keys, s->vals, &n);
	if (ret)
		return ret;
	memset(s->wl, 0, s->nwl * sizeof(*s->wl));
	memset(&s->local, 0, sizeof(s->local));
	for (uint32_t i = 0; i < n; i++) {
		if (keys[i] >= s->nwl)
			continue;
		for (int c = 0; c < s->nr_cpus; c++) {
			const void *v = (char *)s->vals + (i * s->nr_cpus + c) * stride;

			sum_wl(&s->wl[keys[i]], v);
			if (keys[i] == OFF_WIDX_HOST && s->local_cpu[c])
				sum_wl(&s->local, v);
		}
	}
	return 0;
}

static int collect_counters(const struct off_bpf *b, struct off_snapshot *s)
{
	uint64_t *v = s->vals;
	uint32_t n, *keys = s->keys;
	int ret;

	ret = read_batch(off_bpf_fd_counters(b), OFF_CNT_MAX, sizeof(uint32_t),
			 sizeof(uint64_t) * s->nr_cpus, s->keys, s->vals, &n);
	if (ret)
		return ret;
	memset(s->counters, 0, sizeof(s->counters));
	for (uint32_t i = 0; i < n; i++)
		for (int c = 0; keys[i] < OFF_CNT_MAX && c < s->nr_cpus; c++)
			s->counters[keys[i]] += v[i * s->nr_cpus + c];
	return 0;
}

static int collect_tasks(const struct off_bpf *b, struct off_snapshot *s)
{
	const struct off_task *v = s->vals;
	const uint32_t *keys = s->keys;
	int ret;

	ret = read_batch(off_bpf_fd_tasks(b), s->max_tasks, sizeof(uint32_t),
			 sizeof(struct off_task), s->keys, s->vals, &s->ntasks);
	for (uint32_t i = 0; !ret && i < s->ntasks; i++) {
		s->tasks[i].pid = keys[i];
		s->tasks[i].t = v[i];
	}
	return ret;
}

static int collect_flows(const struct off_bpf *b, struct off_snapshot *s)
{
	const struct off_flow_key *keys = s->keys;
	const struct off_flow *v = s->vals;
	int ret;

	ret = read_batch(off_bpf_fd_flows(b), s->max_flows, sizeof(struct off_flow_key),
			 sizeof(struct off_flow), s->keys, s->vals, &s->nflows);
	for (uint32_t i = 0; !ret && i < s->nflows; i++) {
		s->flows[i].k = keys[i];
		s->flows[i].f = v[i];
	}
	return ret;
}

/* Adds each busy CPU's slice in progress to its workload and the host:
 * a task that has not switched out for seconds still shows its CPU time. */
static int add_running(const struct off_bpf *b, struct off_snapshot *s)
{
	struct off_cpu_run *run = s->vals;
	uint32_t zero = 0;
	uint64_t now;

	if (bpf_map_lookup_elem(off_bpf_fd_cpu_since(b), &zero, run))
		return -errno;
	now = off_mono_ns();
	for (int c = 0; c < s->nr_cpus; c++) {
		uint64_t ns = run[c].since && now > run[c].since ? now - run[c].since : 0;

		if (!run[c].pid || !ns)
			continue;
		s->wl[OFF_WIDX_HOST].cpu_ns += ns;
		if (s->local_cpu[c])
			s->local.cpu_ns += ns;
		if (run[c].widx != OFF_WIDX_HOST && run[c].widx < s->nwl)
			s->wl[run[c].widx].cpu_ns += ns;
	}
	return 0;
}

int off_collect(const struct off_bpf *b, struct off_snapshot *s)
{
	int ret = collect_wl(b, s);

	if (!ret)
		ret = add_running(b, s);
	if (!ret)
		ret = collect_counters(b, s);
	if (!ret && !s->skip_tasks)
		ret = collect_tasks(b, s);
	if (!ret)
		ret = collect_flows(b, s);
	return ret;
}
