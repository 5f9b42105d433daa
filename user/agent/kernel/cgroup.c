// SPDX-License-Identifier: GPL-2.0
/* Validates cgroup paths before anything is loaded, so a typo fails early
 * and leaves nothing attached. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "offload/abi.h"
#include "agent/kernel/cgroup.h"

static int cgroup_id(int fd, uint64_t *id)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h = { .fh.handle_bytes = sizeof(uint64_t) };
	int mount_id;

	if (name_to_handle_at(fd, "", &h.fh, &mount_id, AT_EMPTY_PATH) < 0)
		return -errno;
	*id = h.id;
	return 0;
}

/* The cgroup's level: the steps up to the root of its cgroup2 mount (where
 * ".." leaves the file system). The kernel's level when the mount shows the
 * whole hierarchy, as on a host outside any cgroup namespace. */
static int cgroup_level(int fd)
{
	struct stat here, up;
	int cur = fd, level = 0, ret = 0;

	if (fstat(fd, &here) < 0)
		return -errno;
	for (;;) {
		int parent = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (parent < 0) {
			ret = -errno;
			break;
		}
		if (cur != fd)
			close(cur);
		cur = parent;
		if (fstat(cur, &up) < 0) {
			ret = -errno;
			break;
		}
		if (up.st_dev != here.st_dev || up.st_ino == here.st_ino)
			break;
		here = up;
		level++;
	}
	if (cur != fd)
		close(cur);
	return ret ? ret : level;
}

/* The kernel programs find a workload among levels 1..OFF_MAX_CGROUP_DEPTH:
 * a cgroup elsewhere would be accepted and never governed. */
static int check_level(int fd, const char *path, char *err, size_t errlen)
{
	int level = cgroup_level(fd);

	if (level < 0) {
		snprintf(err, errlen, "%s: cannot find its cgroup level: %s", path, strerror(-level));
		return level;
	}
	if (level == 0) {
		snprintf(err, errlen, "%s: the root cgroup cannot be governed; name a cgroup below it", path);
		return -EINVAL;
	}
	if (level > OFF_MAX_CGROUP_DEPTH) {
		snprintf(err, errlen, "%s: %d levels below the root cgroup, deeper than offloadd can govern (at most %d levels); govern an ancestor at most %d levels deep",
			 path, level, OFF_MAX_CGROUP_DEPTH, OFF_MAX_CGROUP_DEPTH);
		return -EINVAL;
	}
	return 0;
}

int off_cgroup_open(const char *path, uint64_t *id, char *err, size_t errlen)
{
	struct statfs sfs;
	struct stat st;
	int fd, ret;

	if (stat(path, &st) < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path,
			 ret == -ENOENT ? "no such cgroup (path does not exist)" : strerror(-ret));
		return ret;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: not a cgroup (not a directory)", path);
		return -ENOTDIR;
	}
	if (statfs(path, &sfs) < 0 || sfs.f_type != CGROUP2_SUPER_MAGIC) {
		snprintf(err, errlen, "%s: not on cgroup v2 (%s); governed workloads must be cgroup v2 directories, e.g. under /sys/fs/cgroup/unified",
			 path, sfs.f_type == CGROUP_SUPER_MAGIC ? "it is a cgroup v1 hierarchy" : "not a cgroup filesystem");
		return -EMEDIUMTYPE;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	ret = cgroup_id(fd, id);
	if (ret)
		snprintf(err, errlen, "%s: cannot read cgroup id: %s", path, strerror(-ret));
	else
		ret = check_level(fd, path, err, errlen);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}
