/* SPDX-License-Identifier: GPL-2.0 */
/* /etc/offloadd/offloadd.conf: [agent], [peer NAME], [service NAME],
 * [workload NAME], [edgex]. Parsed whole or not at all. */
#ifndef OFFLOAD_AGENT_CONFIG_CONFIG_H
#define OFFLOAD_AGENT_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "offload/abi.h"
#include "lib/features.h"

#define OFF_CFG_NAME_LEN	32
#define OFF_CFG_PATH_LEN	256
/* The kernel's per-service target table has OFF_MAX_TARGETS slots, local
 * included; the others bound the maps and the daemon's tables. */
#define OFF_CFG_MAX_PEERS	(OFF_MAX_TARGETS - 1)
#define OFF_CFG_MAX_SERVICES	OFF_MAX_SERVICES	/* one kernel id each */
#define OFF_CFG_MAX_WORKLOADS	4096
/* Room for the lines of the keys of [agent] and of a [workload]. */
#define OFF_CFG_AGENT_KEYS	48
#define OFF_CFG_WORKLOAD_KEYS	8

/* A peer of the file is configured; one found by DNS (peers_dns) is pending
 * until its GET /status answers, active, then draining once gone from DNS:
 * only an active one has targets in the kernel. A free slot is one that
 * held this host's own address (a headless Service lists every agent). */
enum off_peer_origin {
	OFF_PEER_CONFIGURED,
	OFF_PEER_PENDING,
	OFF_PEER_ACTIVE,
	OFF_PEER_DRAINING,
	OFF_PEER_FREE,
};

struct off_cfg_peer {
	char name[OFF_CFG_NAME_LEN];
	enum off_peer_origin origin;
	enum off_target_kind kind;
	uint8_t addr[16];		/* IPv4-mapped for IPv4 */
	uint32_t status_port;		/* 0: not probed, taken as up */
	double capacity_cores;		/* 0: as its status says */
	double cpu_ghz;			/* per-core speed; 0: as this host's */
	double bw_mbps;			/* to it, Mbit/s */
	double cost_per_req;
	char tls_name[128];		/* its certificate's DNS name; "": its NAME */
	int line;
};

struct off_cfg_service {
	char name[OFF_CFG_NAME_LEN];
	struct off_endpoint vip, local;
	uint16_t port[OFF_MAX_TARGETS];	/* per target index; 0: the VIP's port */
	int line;
};

enum off_cfg_policy {
	OFF_POLICY_DQN,
	OFF_POLICY_GREEDY,
	OFF_POLICY_STATIC,
};

struct off_cfg_workload {
	char name[OFF_CFG_NAME_LEN];
	char cgroup[OFF_CFG_PATH_LEN];
	char model[OFF_CFG_PATH_LEN];	/* "": [agent] model */
	uint64_t services[OFF_CFG_MAX_SERVICES / 64];	/* bit i: services[i] */
	enum off_cfg_policy policy;
	uint32_t target;		/* static:TARGET as a target index */
	uint32_t min_dwell_ms;
	double hysteresis;		/* Q margin a challenger must win by */
	int line;
	int key_line[OFF_CFG_WORKLOAD_KEYS];	/* per key of its table; 0: not given */
};

enum off_edgex_bus { OFF_EDGEX_MQTT = 1, OFF_EDGEX_REDIS };

/* [edgex]: decisions and telemetry as EdgeX events on its message bus. */
struct off_cfg_edgex {
	int line;			/* 0: no [edgex] section, nothing published */
	enum off_edgex_bus bus;
	char host[48];			/* an IP address: connects never resolve names */
	uint32_t port;
	char topic_prefix[128];
	char service[OFF_CFG_NAME_LEN * 2], profile[OFF_CFG_NAME_LEN * 2];
	char peer_profile[OFF_CFG_NAME_LEN * 2], device[OFF_CFG_NAME_LEN * 2];
	bool on_change;			/* mode = change: only events whose readings changed */
	uint32_t version;		/* 3: payload base64 ([]byte); 4: plain JSON */
	uint32_t reconnect_max_ms;	/* the backoff's ceiling */
};

/* [agent] peers_dns = NAME:PORT: every address of NAME that answers GET
 * /status on PORT is a peer. */
struct off_cfg_dns {
	char name[254];			/* "": no discovery */
	uint16_t port;
	uint32_t every;			/* resolve every this many ticks */
	char server[64];		/* ip[:port]; "": /etc/resolv.conf's */
};

struct off_config {
	uint32_t tick_ms, lease_ticks, mark_base;
	uint32_t peer_down_after, probe_timeout_ms;
	uint32_t refusal_hold_ms;	/* 0: a failing peer is not left early */
	uint32_t max_tasks, max_flows, max_workloads;	/* BPF map sizes */
	uint32_t flow_idle_ms;		/* a flow with no open connection is aged out after */
	struct off_reward_cfg reward;
	double cpu_watts;		/* energy model: per busy core */
	double tx_watts;		/* while bytes are on the link */
	double net_nj_per_byte;		/* and per byte sent or received */
	double cpu_ghz;			/* this host's per-core speed */
	double switch_rtts;		/* setup of a new target, in RTTs */
	double herd;			/* share of a peer's other agents moving with us */
	bool dry_run;
	char model[OFF_CFG_PATH_LEN];
	char ctl_socket[108];
	char ctl_group[32];		/* "": the socket is 0600, else 0660 */
	char ctl_admin_group[32];	/* may also pin, unpin, reload; "": root only */
	char status_listen[64];		/* "": don't serve peer status */
	char metrics_listen[64];	/* "": no metrics */
	char experience_log[OFF_CFG_PATH_LEN];	/* "": none */
	uint64_t experience_log_max;	/* bytes; rotate past it; 0: never */
	char serve_cgroup[OFF_CFG_PATH_LEN];	/* "": report the whole host */
	char local_cpus[128];		/* "": serve_cgroup's cpuset, or every CPU */
	char node[64];
	enum off_target_kind kind;	/* what /status reports this host as */
	struct off_cfg_dns dns;
	char pin_dir[128];
	/* Mutual TLS for peer status: all three set, or none (plain HTTP). */
	char tls_ca[OFF_CFG_PATH_LEN], tls_cert[OFF_CFG_PATH_LEN], tls_key[OFF_CFG_PATH_LEN];
	int npeers, nservices, nworkloads;
	int agent_line;			/* 0: no [agent] section */
	int key_line[OFF_CFG_AGENT_KEYS];	/* per [agent] key; 0: not given */
	struct off_cfg_peer peers[OFF_CFG_MAX_PEERS];	/* target index = i + 1 */
	struct off_cfg_service services[OFF_CFG_MAX_SERVICES];
	struct off_cfg_workload *workloads;	/* owned: off_config_free */
	struct off_cfg_edgex edgex;
};

/* 0, or -EINVAL/-errno with "FILE:LINE: [section] key: problem" in err.
 * On error *c is left as it was; on success it is overwritten, so free the
 * old one first (or after swapping it out). */
int off_config_load(const char *path, struct off_config *c, char *err, size_t errlen);
/* The same from text; name stands for the file in messages. */
int off_config_parse_str(const char *text, const char *name, struct off_config *c,
			 char *err, size_t errlen);
void off_config_free(struct off_config *c);
/* The shared estimate's environment: weights, energy, speeds. */
void off_config_est_env(const struct off_config *c, struct off_est_env *env);
/* Its configured bandwidth, else a LAN's for an edge peer, a WAN's for a cloud. */
static inline double off_config_peer_bw(const struct off_cfg_peer *p)
{
	return p->bw_mbps ? p->bw_mbps : p->kind == OFF_KIND_EDGE ? 1000 : 100;
}

/* Where KEY of [agent] (w NULL) or of workload w was given, else where its
 * section starts, else 0: for messages about values the file named. */
int off_config_line(const struct off_config *c, const struct off_cfg_workload *w, const char *key);

/* "local" or the peer's name. */
const char *off_config_target_name(const struct off_config *c, uint32_t tidx);
/* "dqn", "greedy" or "static:TARGET". */
const char *off_config_policy_name(const struct off_config *c, const struct off_cfg_workload *w,
				   char *buf, size_t len);
static inline bool off_cfg_uses(const struct off_cfg_workload *w, int svc)
{
	return w->services[svc / 64] >> (svc % 64) & 1;
}

/* The port service s listens on at peer target t (1..npeers). */
static inline uint16_t off_cfg_service_port(const struct off_cfg_service *s, int t)
{
	return s->port[t] ? s->port[t] : s->vip.port;
}

#endif
