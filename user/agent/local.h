/* SPDX-License-Identifier: GPL-2.0 */
/* This host's local capacity: the CPUs and CPU quota of [agent] serve_cgroup,
 * or the whole host. Local load is measured over exactly those CPUs, so
 * peers sharing one machine each report their own slice of it. */
#ifndef OFFLOAD_AGENT_LOCAL_H
#define OFFLOAD_AGENT_LOCAL_H

#include <stddef.h>
#include <stdint.h>

struct off_local {
	int ncpus;		/* CPUs in scope */
	double capacity;	/* cores: the CPUs, capped by cpu.max */
};

/* Sets cpus[c] for each CPU in scope (nr_cpus flags): cpulist if given,
 * else the cgroup's cpuset, else the online CPUs; the cgroup's cpu.max
 * caps the capacity. 0, or -errno with "PATH: problem" in err. */
int off_local_scope(const char *cgroup, const char *cpulist, uint8_t *cpus, int nr_cpus,
		    struct off_local *l, char *err, size_t errlen);
/* Parses a kernel CPU list ("0-3,8"); -EINVAL if malformed. */
int off_cpulist_parse(const char *s, uint8_t *cpus, int nr_cpus);

#endif
