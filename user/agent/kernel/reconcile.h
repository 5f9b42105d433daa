/* SPDX-License-Identifier: GPL-2.0 */
/* The kernel's service tables reconciled with a configuration. */
#ifndef OFFLOAD_AGENT_KERNEL_RECONCILE_H
#define OFFLOAD_AGENT_KERNEL_RECONCILE_H

#include "agent/config/config.h"
#include "agent/kernel/loader.h"

/* Makes services, targets and wl_services hold exactly c's services, their
 * targets and who uses them: ids kept per VIP, the rest deleted. Safe to
 * call again with another configuration after a failure (a refused reload
 * restores the running one so). */
int off_reconcile_services(const struct off_bpf *b, const struct off_config *c);
/* One peer's targets, written while it is in use, else withdrawn:
 * connections already open keep their socket's destination; new ones go
 * elsewhere. The services' ids are those the last reconciliation gave. */
int off_reconcile_peer(const struct off_bpf *b, const struct off_config *c, int peer);

#endif
