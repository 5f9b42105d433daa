/* SPDX-License-Identifier: GPL-2.0 */
/* Enforcement: what the redirect programs read, written from userspace. */
#ifndef OFFLOAD_AGENT_KERNEL_ACTUATE_H
#define OFFLOAD_AGENT_KERNEL_ACTUATE_H

#include <stdint.h>
#include "agent/config/config.h"
#include "agent/kernel/loader.h"

/* Services and every target's endpoint for each (of peers in use). */
int off_actuate_services(const struct off_bpf *b, const struct off_config *c);
/* Peer p's targets, written if it is in use, else withdrawn: connections
 * already open keep their socket's destination; new ones go elsewhere. */
int off_actuate_peer(const struct off_bpf *b, const struct off_config *c, int p);
int off_actuate_decide(const struct off_bpf *b, uint32_t widx, uint32_t tidx);
/* The decision in force, e.g. one an earlier agent left pinned. */
int off_actuate_read(const struct off_bpf *b, uint32_t widx, uint32_t *tidx);
/* Pushes the lease to now + ns; past it the hooks fail open. */
int off_actuate_lease(const struct off_bpf *b, uint64_t ns, uint32_t mark_base);

#endif
