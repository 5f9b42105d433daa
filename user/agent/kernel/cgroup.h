/* SPDX-License-Identifier: GPL-2.0 */
/* Opening a governed cgroup v2 directory and learning its id. */
#ifndef OFFLOAD_AGENT_KERNEL_CGROUP_H
#define OFFLOAD_AGENT_KERNEL_CGROUP_H

#include <stddef.h>
#include <stdint.h>

/* Opens PATH as a cgroup v2 directory. On success returns an O_RDONLY fd and
 * stores the cgroup id (what bpf_get_current_cgroup_id() returns for it). On
 * failure returns -errno with a one-line message naming the path in err. */
int off_cgroup_open(const char *path, uint64_t *id, char *err, size_t errlen);

#endif
