// SPDX-License-Identifier: GPL-2.0
/* Claiming the pin directory: whoever can write it decides which programs
 * and maps the next agent adopts, and two agents sharing it would undo each
 * other's pins; so it must be root's, 0700, and locked while in use. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "agent/kernel/pindir.h"

#define PIN_DIR_LEN 256

bool off_pindir_has_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool any = false;

	while (d && !any && (e = readdir(d)))
		any = e->d_name[0] != '.';
	if (d)
		closedir(d);
	return any;
}

static bool is_bpffs(const char *path)
{
	struct statfs sfs;

	return statfs(path, &sfs) == 0 && sfs.f_type == BPF_FS_MAGIC;
}

/* Containers, BusyBox and OpenRC images and CI runners often boot without
 * bpffs; like bpftool and Cilium, mount it where it belongs, private to
 * root (mode 0700), and say so. Only /sys/fs/bpf: a pin directory
 * elsewhere names a mount the operator chose. */
static int bpffs_ensure(const char *dir, char *err, size_t errlen)
{
	static const char root[] = "/sys/fs/bpf";
	char parent[PIN_DIR_LEN];
	char *slash;

	snprintf(parent, sizeof(parent), "%s", dir);
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = '\0';
	if (is_bpffs(parent))
		return 0;
	if (strcmp(parent, root)) {
		snprintf(err, errlen, "%s: not on bpffs (mount -t bpf bpf %s, or pin under %s)",
			 parent, parent, root);
		return -ENOENT;
	}
	if (mkdir(root, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", root, strerror(errno));
		return -errno;
	}
	if (mount("bpf", root, "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700") < 0) {
		snprintf(err, errlen, "%s: bpffs is not mounted and mounting it failed: %s (mount -t bpf bpf %s)",
			 root, strerror(errno), root);
		return -errno;
	}
	fprintf(stderr, "offloadd: bpffs was not mounted; mounted it on %s (mode 0700)\n", root);
	return 0;
}

/* Like sshd's checks of its own files: root's, and nobody else may write
 * it. A hand-mounted bpffs is 1777, so anyone could have made it first. */
static int check_owner(int fd, const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st)) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -errno;
	}
	if (st.st_uid == 0 && (st.st_mode & 07777) == 0700)
		return 0;
	snprintf(err, errlen, "%s: owned by uid %u with mode %04o; refused: it must be root's and 0700 (chown root:root %s && chmod 0700 %s, after checking what is pinned there)",
		 dir, (unsigned int)st.st_uid, (unsigned int)(st.st_mode & 07777), dir, dir);
	return -EPERM;
}

/* flock on the directory itself, as systemd locks a block device for udev:
 * the lock lives exactly as long as the agent, so a SIGKILLed one leaves no
 * stale lock file behind, and the next start adopts at once. */
int off_pindir_claim(const char *dir, int *lock_fd, char *err, size_t errlen)
{
	int ret = bpffs_ensure(dir, err, errlen), fd;

	if (ret)
		return ret;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -errno;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -errno;
	}
	ret = check_owner(fd, dir, err, errlen);
	if (!ret && flock(fd, LOCK_EX | LOCK_NB)) {
		ret = errno == EWOULDBLOCK ? -EBUSY : -errno;
		snprintf(err, errlen, ret == -EBUSY ?
			 "%s: in use by another running offloadd (it holds the lock); refusing to touch its pins: give this one its own pin_dir" :
			 "%s: cannot lock: %s", dir, strerror(-ret));
	}
	if (ret) {
		close(fd);
		return ret;
	}
	*lock_fd = fd;
	return 0;
}

void off_pindir_release(int *lock_fd)
{
	if (*lock_fd > 0)
		close(*lock_fd);
	*lock_fd = -1;
}
