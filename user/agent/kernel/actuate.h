/* SPDX-License-Identifier: GPL-2.0 */
/* Enforcement: what the redirect programs read, written from userspace. */
#ifndef OFFLOAD_AGENT_KERNEL_ACTUATE_H
#define OFFLOAD_AGENT_KERNEL_ACTUATE_H

#include <stdint.h>
#include "offload/abi.h"
#include "agent/kernel/loader.h"

int off_actuate_decide(const struct off_bpf *b, uint32_t widx, uint32_t tidx);
/* The decision in force, e.g. one an earlier agent left pinned. */
int off_actuate_read(const struct off_bpf *b, uint32_t widx, uint32_t *tidx);
/* Pushes the lease to now + ns; past it the hooks fail open. */
int off_actuate_lease(const struct off_bpf *b, uint64_t ns, uint32_t mark_base);

#endif
