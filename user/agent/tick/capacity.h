/* SPDX-License-Identifier: GPL-2.0 */
/* This host's local capacity: the CPUs and CPU quota of [agent] serve_cgroup,
 * or the whole host. With serve_cgroup, load is that cgroup's own CPU use
 * against its capacity, so peers sharing one machine do not see each other's
 * work; without it, load is measured over the local CPUs. */
#ifndef OFFLOAD_AGENT_TICK_CAPACITY_H
#define OFFLOAD_AGENT_TICK_CAPACITY_H

#include <stddef.h>
#include <stdint.h>

struct off_local {
	int ncpus;		/* CPUs in scope */
	double capacity;	/* cores: the CPUs, capped by cpu.max */
	int stat_fd;		/* serve_cgroup's cpu.stat, or -1 */
	uint64_t usage_us;	/* its usage_usec at the last read */
};

/* Sets cpus[c] for each CPU in scope (nr_cpus flags): cpulist if given,
 * else the cgroup's cpuset, else the online CPUs; the cgroup's cpu.max
 * caps the capacity. 0, or -errno with "PATH: problem" in err. */
int off_local_scope(const char *cgroup, const char *cpulist, uint8_t *cpus, int nr_cpus,
		    struct off_local *l, char *err, size_t errlen);
/* Parses a kernel CPU list ("0-3,8"); -EINVAL if malformed. */
int off_cpulist_parse(const char *s, uint8_t *cpus, int nr_cpus);
/* serve_cgroup's CPU time since the last call, in µs; -errno. */
int64_t off_local_usage(struct off_local *l);
void off_local_close(struct off_local *l);

#endif
