/* SPDX-License-Identifier: GPL-2.0 */
/* /etc/offloadd/offloadd.conf: [agent], [peer NAME], [service NAME],
 * [workload NAME]. Parsed whole or not at all. */
#ifndef OFFLOAD_AGENT_CONFIG_H
#define OFFLOAD_AGENT_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include "offload/abi.h"
#include "lib/features.h"

#define OFF_CFG_NAME_LEN	32
#define OFF_CFG_MAX_PEERS	(OFF_MAX_TARGETS - 1)
#define OFF_CFG_MAX_SERVICES	64
#define OFF_CFG_MAX_WORKLOADS	256

struct off_cfg_peer {
	char name[OFF_CFG_NAME_LEN];
	enum off_target_kind kind;
	uint8_t addr[16];		/* IPv4-mapped for IPv4 */
	uint32_t status_port;		/* 0: not probed, taken as up */
	int status_port_set;
	int line;
};

struct off_cfg_service {
	char name[OFF_CFG_NAME_LEN];
	struct off_endpoint vip, local;
	uint16_t port[OFF_MAX_TARGETS];	/* per target index; 0: the VIP's port */
	int line;
};

struct off_cfg_workload {
	char name[OFF_CFG_NAME_LEN];
	char cgroup[256];
	uint64_t services;		/* bit i: services[i] */
	uint32_t target;		/* static:TARGET as a target index */
	int line;
};

struct off_config {
	uint32_t tick_ms, lease_ticks, mark_base;
	uint32_t peer_down_after, probe_timeout_ms;
	char ctl_socket[108];
	char status_listen[64];		/* "" : don't serve peer status */
	char node[64];
	char pin_dir[128];
	int npeers, nservices, nworkloads;
	struct off_cfg_peer peers[OFF_CFG_MAX_PEERS];	/* target index = i + 1 */
	struct off_cfg_service services[OFF_CFG_MAX_SERVICES];
	struct off_cfg_workload workloads[OFF_CFG_MAX_WORKLOADS];
};

/* 0, or -EINVAL/-errno with "FILE:LINE: [section] key: problem" in err. */
int off_config_load(const char *path, struct off_config *c, char *err, size_t errlen);
int off_config_parse_str(const char *text, const char *name, struct off_config *c,
			 char *err, size_t errlen);
/* "local" or the peer's name. */
const char *off_config_target_name(const struct off_config *c, uint32_t tidx);

#endif
