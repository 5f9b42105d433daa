/* SPDX-License-Identifier: GPL-2.0 */
/* The control socket's commands, defined once: offloadd dispatches on them
 * and says who may use them, offloadctl checks arguments and lists them. */
#ifndef OFFLOAD_LIB_CTLCMD_H
#define OFFLOAD_LIB_CTLCMD_H

/*
 * X(id, name, changes, min_args, max_args, arg0, arg1, synopsis, help):
 * changes: only root and ctl_admin_group may use it; argN: the request's
 * key for offloadctl's argument N; help: --help's text, a line per \n.
 * A new line here is a new enum off_ctl_id, which commands.c's switch
 * must handle to build.
 */
#define OFF_CTL_TABLE(X)								\
	X(STATUS, "status", 0, 0, 0, NULL, NULL, "status",				\
	  "the agent: version, tick, lease, uptime")					\
	X(WORKLOADS, "workloads", 0, 0, 0, NULL, NULL, "workloads",			\
	  "each workload's target, policy, scores and main features")			\
	X(EXPLAIN, "explain", 0, 1, 1, "workload", NULL, "explain WORKLOAD",		\
	  "every candidate's features and score, and why the\n"			\
	  "guard kept or changed the decision")						\
	X(PEERS, "peers", 0, 0, 0, NULL, NULL, "peers",					\
	  "each peer's health, RTT and reported load")					\
	X(AB, "ab", 0, 0, 1, "window_s", NULL, "ab [SECONDS]",				\
	  "per policy: mean reward and connection lifetime\n"				\
	  "p50/p99 over the last SECONDS (default 60), and\n"				\
	  "each policy's difference to the first, with a 95% CI")			\
	X(PIN, "pin", 1, 2, 2, "workload", "target", "pin WORKLOAD TARGET",		\
	  "hold WORKLOAD on TARGET (local or a peer) from the next tick")		\
	X(UNPIN, "unpin", 1, 1, 1, "workload", NULL, "unpin WORKLOAD",			\
	  "give WORKLOAD back to its policy")						\
	X(RELOAD, "reload", 1, 0, 0, NULL, NULL, "reload",				\
	  "reread the configuration (a bad file is refused)")

#define OFF_CTL_ID_(id, name, changes, min, max, a0, a1, syn, help) OFF_CTL_##id,
enum off_ctl_id { OFF_CTL_TABLE(OFF_CTL_ID_) OFF_CTL_CMDS };
#undef OFF_CTL_ID_

struct off_ctl_cmd {
	const char *name;
	int changes;
	int min_args, max_args;
	const char *arg[2];
	const char *synopsis, *help;
};

extern const struct off_ctl_cmd off_ctl_cmds[OFF_CTL_CMDS];

/* The command's enum off_ctl_id, or -1 for none (name may be NULL). */
int off_ctl_find(const char *name);

#endif
