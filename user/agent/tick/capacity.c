// SPDX-License-Identifier: GPL-2.0
/* Reads a cgroup's cpuset and quota once, at start and reload; per tick the
 * loop only sums per-CPU counters, or reads the cgroup's cpu.stat. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/tick/capacity.h"

int off_cpulist_parse(const char *s, uint8_t *cpus, int nr_cpus)
{
	memset(cpus, 0, nr_cpus);
	while (*s && *s != '\n') {
		char *end;
		long lo = strtol(s, &end, 10), hi = lo;

		if (end == s || lo < 0)
			return -EINVAL;
		if (*end == '-') {
			s = end + 1;
			hi = strtol(s, &end, 10);
			if (end == s || hi < lo)
				return -EINVAL;
		}
		for (long c = lo; c <= hi && c < nr_cpus; c++)
			cpus[c] = 1;
		s = end;
		if (*s == ',')
			s++;
		else if (*s && *s != '\n')
			return -EINVAL;
	}
	return 0;
}

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	int ret = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, len, f))
		ret = -EIO;
	fclose(f);
	return ret;
}

/* cpu.max is "QUOTA PERIOD" or "max PERIOD"; 0 for no quota. */
static double quota_cores(const char *cgroup)
{
	char path[512], buf[64];
	double quota, period;

	snprintf(path, sizeof(path), "%s/cpu.max", cgroup);
	if (read_line(path, buf, sizeof(buf)) || sscanf(buf, "%lf %lf", &quota, &period) != 2 ||
	    period <= 0)
		return 0;
	return quota / period;
}

int64_t off_local_usage(struct off_local *l)
{
	char buf[256];
	uint64_t now, was = l->usage_us;
	ssize_t n;

	if (l->stat_fd < 0)
		return -EBADF;
	n = pread(l->stat_fd, buf, sizeof(buf) - 1, 0);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	/* usage_usec comes first: cgroup v2 keeps it with or without the cpu controller. */
	if (sscanf(buf, "usage_usec %" SCNu64, &now) != 1)
		return -EPROTO;
	l->usage_us = now;
	return now >= was ? (int64_t)(now - was) : 0;
}

void off_local_close(struct off_local *l)
{
	if (l->stat_fd >= 0)
		close(l->stat_fd);
	l->stat_fd = -1;
}

static int open_stat(const char *cgroup, struct off_local *l, char *err, size_t errlen)
{
	char path[512];
	int64_t ret;

	snprintf(path, sizeof(path), "%s/cpu.stat", cgroup);
	l->stat_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (l->stat_fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	ret = off_local_usage(l);
	if (ret < 0) {
		snprintf(err, errlen, "%s: %s", path, ret == -EPROTO ? "no usage_usec" : strerror(-ret));
		off_local_close(l);
	}
	return ret < 0 ? ret : 0;
}

int off_local_scope(const char *cgroup, const char *cpulist, uint8_t *cpus, int nr_cpus,
		    struct off_local *l, char *err, size_t errlen)
{
	char path[512], buf[4096];
	double quota = 0;
	int ret;

	l->stat_fd = -1;
	snprintf(path, sizeof(path), "/sys/devices/system/cpu/online");
	if (cgroup && cgroup[0]) {
		snprintf(path, sizeof(path), "%s/cgroup.controllers", cgroup);
		if (access(path, F_OK)) {
			snprintf(err, errlen, "%s: not a cgroup v2 directory", cgroup);
			return -ENOTDIR;
		}
		quota = quota_cores(cgroup);
		/* Without the cpuset controller it may use every CPU. */
		snprintf(path, sizeof(path), "%s/cpuset.cpus.effective", cgroup);
		if (access(path, F_OK))
			snprintf(path, sizeof(path), "/sys/devices/system/cpu/online");
	}
	if (cpulist && cpulist[0])
		snprintf(path, sizeof(path), "local_cpus");
	ret = cpulist && cpulist[0] ? 0 : read_line(path, buf, sizeof(buf));
	if (!ret && cpulist && cpulist[0])
		ret = off_cpulist_parse(cpulist, cpus, nr_cpus);
	else if (!ret)
		ret = off_cpulist_parse(buf, cpus, nr_cpus);
	if (ret) {
		snprintf(err, errlen, "%s: %s", path, ret == -EINVAL ? "not a CPU list" : strerror(-ret));
		return ret;
	}
	l->ncpus = 0;
	for (int c = 0; c < nr_cpus; c++)
		l->ncpus += cpus[c];
	if (!l->ncpus) {
		snprintf(err, errlen, "%s: no CPUs", path);
		return -EINVAL;
	}
	l->capacity = quota > 0 && quota < l->ncpus ? quota : l->ncpus;
	return cgroup && cgroup[0] ? open_stat(cgroup, l, err, errlen) : 0;
}
