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
	if (ret) {
		snprintf(err, errlen, "%s: cannot read cgroup id: %s", path, strerror(-ret));
		close(fd);
		return ret;
	}
	return fd;
}
