/* SPDX-License-Identifier: GPL-2.0 */
/* The pin directory: on bpffs, root's alone, and held by one agent at a
 * time. */
#ifndef OFFLOAD_AGENT_KERNEL_PINDIR_H
#define OFFLOAD_AGENT_KERNEL_PINDIR_H

#include <stdbool.h>
#include <stddef.h>

/* Mounts bpffs on /sys/fs/bpf if missing, makes DIR (0700) if missing,
 * refuses it unless it is root's with mode 0700, and locks it for this
 * process: *lock_fd holds the lock until off_pindir_release(). 0, or
 * -errno with the reason and the fix in err. */
int off_pindir_claim(const char *dir, int *lock_fd, char *err, size_t errlen);
void off_pindir_release(int *lock_fd);
bool off_pindir_has_entries(const char *dir);

#endif
