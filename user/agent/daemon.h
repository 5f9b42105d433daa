/* SPDX-License-Identifier: GPL-2.0 */
/* The running daemon's state, shared by its loop and its commands. */
#ifndef OFFLOAD_AGENT_DAEMON_H
#define OFFLOAD_AGENT_DAEMON_H

#include <liburing.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent/config/config.h"
#include "agent/edgex/edgex.h"
#include "agent/kernel/collect.h"
#include "agent/kernel/flowage.h"
#include "agent/kernel/loader.h"
#include "agent/serve/clients.h"
#include "agent/serve/dnspeers.h"
#include "agent/serve/listener.h"
#include "agent/serve/peers.h"
#include "agent/tick/abtest.h"
#include "agent/tick/decide.h"
#include "agent/tick/measure.h"
#include "agent/tick/models.h"
#include "agent/tick/record.h"
#include "lib/clock.h"

#define OFF_TICK_BUCKETS	10
extern const double off_tick_buckets_s[OFF_TICK_BUCKETS];

struct off_daemon {
	const char *path;
	struct off_config cfg;
	struct off_bpf bpf;
	struct io_uring ring;
	struct off_listener ctl, status, metrics;
	struct off_peers peers;
	struct off_clients clients;	/* the agents probing our GET /status */
	SSL_CTX *tls;			/* mutual TLS for peer status; NULL: plain */
	struct off_dnspeers disc;	/* peers_dns */
	int sfd;
	uint64_t started_ns, next_ns, ticks, late;
	int stop;
	bool verbose;
	struct off_snapshot snap;
	struct off_measure meas;
	struct off_flowage age;
	struct off_models models;
	struct off_decider dec;
	struct off_record rec;
	struct off_abtest ab;
	struct off_edgex edgex;
	uint64_t tick_ns_last, tick_ns_max, tick_ns_sum;	/* collect + decide + actuate */
	uint64_t tick_cpu_ns_sum;	/* the same in CPU time */
	uint64_t reloads, reloads_failed;
	uint64_t tick_hist[OFF_TICK_BUCKETS + 1];	/* the last: +Inf */
	uint64_t lease_renewed_ns;
	/* Per workload: the target the kernel enforces, and a pin (target + 1,
	 * 0 = none). In dry-run the decision (dec) and enforcement part. */
	uint32_t current[OFF_CFG_MAX_WORKLOADS];
	uint32_t pin[OFF_CFG_MAX_WORKLOADS];
	/* /metrics as rendered at tick metrics_tick, shared by its scrapers. */
	struct off_reply *metrics_cache;
	uint64_t metrics_tick, metrics_renders;
	bool nonfinite_logged;
};

/* Decides every workload and enforces what changed (all of it if force). */
/* Decides every workload from the last measurements. */
void off_daemon_decide(struct off_daemon *d);
/* Logs what changed and writes it to the kernel (force: every workload). */
int off_daemon_actuate(struct off_daemon *d, int force);

/* Reloads the configuration; on refusal, why, in err. */
int off_daemon_reload(struct off_daemon *d, char *err, size_t errlen);
/* GET /status for peers. */
struct off_reply *off_daemon_status(void *daemon, const char *req, int admin,
				    const struct sockaddr_storage *src);
/* GET /metrics, in the Prometheus text format. */
struct off_reply *off_daemon_metrics(void *daemon, const char *req, int admin,
				    const struct sockaddr_storage *src);
/* The label of a workload's policy: dqn, dqn:MODEL-FILE when it has its
 * own model, greedy or static:TARGET. */
const char *off_daemon_policy_label(const struct off_daemon *d, int i, char *buf, size_t len);
/* The ctl socket's request handler. */
struct off_reply *off_daemon_command(void *daemon, const char *req, int admin,
				    const struct sockaddr_storage *src);

#endif
