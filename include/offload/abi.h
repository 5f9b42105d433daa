/* SPDX-License-Identifier: GPL-2.0 */
/* The kernel/user ABI of offloadd: every struct and enum that crosses a BPF map. */
#ifndef OFFLOAD_ABI_H
#define OFFLOAD_ABI_H

#ifdef __bpf__
/* BPF side: types come from vmlinux.h, included before this header. */
#else
#include <linux/types.h>
#endif

#define OFF_PIN_DIR		"/sys/fs/bpf/offloadd"
#define OFF_CTL_SOCKET		"/run/offloadd/ctl.sock"	/* offloadctl's default too */
#define OFF_HIST_SLOTS		32	/* log2 slots: slot i holds [2^i, 2^(i+1)) µs, slot 0 also 0 */
/* A governed cgroup is at most this many levels below the root cgroup
 * (absolute level 1..16); every cgroup below it, at any depth, is its
 * workload's. Every program resolves a workload the same way: the deepest
 * governed ancestor among absolute levels 1..16. */
#define OFF_MAX_CGROUP_DEPTH	16
#define OFF_COMM_LEN		16

/* Workload index 0 is the host as a whole; governed workloads are 1..N. */
#define OFF_WIDX_HOST		0

/* Value of the per-CPU array "wl_stats", indexed by workload index. */
struct off_wl_stats {
	__u64 cpu_ns;
	__u64 rq_wait_ns;
	__u64 rq_waits;		/* equals the sum of rq_hist_us */
	__u64 wakeups;		/* wakeups that reached a CPU */
	__u64 switches;		/* times a task of the workload left a CPU */
	__u64 rq_hist_us[OFF_HIST_SLOTS];
};

/* Value of the hash "tasks", keyed by pid (a thread id). */
struct off_task {
	__u64 enq_ts;		/* when it became runnable; 0 while running or asleep */
	__u64 cgid;		/* cgroup the cached widx was resolved from */
	__u64 cpu_ns;
	__u64 rq_wait_ns;
	__u64 exec;		/* its se.sum_exec_runtime when last charged: CPU time
				 * is that clock's growth, as cpu.stat charges it */
	__u32 widx;
	__u32 gen;		/* governed-set generation widx was resolved in */
	__u32 tgid;
	__u32 woken;		/* enq_ts is from a wakeup, not a preemption */
	char comm[OFF_COMM_LEN];
};

/* Value of the per-CPU array "cpu_since": who runs on the CPU, since when,
 * so a reader can add the slice in progress (a busy task may not switch
 * out for seconds). pid 0: idle. exec charges the last slice of a task
 * already gone from "tasks" (an exiting one). */
struct off_cpu_run {
	__u64 since;		/* bpf_ktime_get_ns() */
	__u64 exec;		/* the task's se.sum_exec_runtime when it arrived */
	__u32 pid;
	__u32 widx;
};

/* Key of the hash "flows": one remote endpoint of one workload. Passive
 * (accepted) connections use port 0, so a server does not get one flow per
 * ephemeral client port. Addresses are in network byte order; IPv4 uses the
 * IPv4-mapped IPv6 form. */
struct off_flow_key {
	__u32 widx;
	__u16 port;		/* host byte order */
	__u16 pad;
	__u8 addr[16];
};

struct off_flow {
	__u64 srtt_us;		/* latest smoothed RTT, already divided by 8 */
	__u64 last_ns;		/* its last event (bpf_ktime_get_ns): the agent ages idle flows */
	__u64 conns_opened;
	__u64 conns_closed;
	__u64 conns_failed;	/* connects that never established: refused, unreachable, timed out */
	__u64 bytes_acked;
	__u64 bytes_received;
	__u64 retransmits;
	__u64 lifetime_us_sum;	/* of the closed connections, for means */
	__u64 lifetime_hist_us[OFF_HIST_SLOTS];
};

/* Per-socket state in the sk_storage map "socks" (cloned to accepted sockets). */
struct off_sock {
	__u64 open_ts;
	__u64 bytes_acked;	/* last values folded into the flow */
	__u64 bytes_received;
	__u32 retrans;
	__u32 widx;
	struct off_flow_key key;
	__u8 established;
	__u8 pad2[7];
};

/* ---- redirect: service VIPs rewritten at connect()/sendmsg() ---- */

#define OFF_MAX_TARGETS		16	/* target 0 is the service's local target */
#define OFF_TARGET_LOCAL	0
/* Service ids are 0..OFF_MAX_SERVICES-1: the size of the "services" map and
 * of every workload's bitmap in "wl_services". */
#define OFF_MAX_SERVICES	1024

/* An endpoint: IPv4 uses the IPv4-mapped IPv6 form; port in host order. */
struct off_endpoint {
	__u8 addr[16];
	__u16 port;
	__u8 proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	__u8 pad;
};

/* Hash "services": VIP endpoint -> service id. An id is the agent's, stable
 * while the VIP stays configured; it is given to another service only after
 * every entry under it (its VIP, its targets, its bits) is deleted, and
 * never within the reconciliation that deleted them. */
struct off_service {
	__u32 id;
	__u32 pad;
};

/* Hash "targets": where target tidx of service svc lives. Present for the
 * configured targets of live services only. */
struct off_target_key {
	__u32 svc;
	__u32 tidx;
};

/* Array "wl_services", indexed by workload index: bit id set when the
 * workload uses service id. A workload's decision applies to those services
 * only; its connections to any other VIP are left alone. (What a peer
 * offers is the decision's part: a peer that does not serve every service
 * of the workload is never decided for it.) */
struct off_wl_services {
	__u64 bits[OFF_MAX_SERVICES / 64];
};

/* Array "decisions", indexed by workload index: the target its new
 * connections go to. */
struct off_decision {
	__u32 tidx;
	__u32 gen;		/* bumped on each change, for observers */
};

/* Array "lease" (one entry): the agent pushes expires_ns forward every tick;
 * past it the hooks fail open to each service's local target. */
struct off_lease {
	__u64 expires_ns;	/* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u32 mark_base;	/* SO_MARK = mark_base + the tidx a socket was sent
				 * to, set with the address at connect/sendmsg;
				 * 0: don't mark */
	__u32 pad;
};

/* LRU hash "revnat": (socket cookie, target endpoint) -> the VIP endpoint
 * the socket addressed, so getpeername() and recvmsg() show the VIP again:
 * one entry per (socket, target), so a UDP socket talking to several VIPs,
 * or to one VIP across a decision change, gets every reply from its VIP.
 * The endpoint's proto is the socket's. */
struct off_revnat_key {
	__u64 cookie;		/* bpf_get_socket_cookie: never reused */
	struct off_endpoint target;
	__u32 pad;
};

/* Indexes of the per-CPU array "counters": every drop is counted somewhere. */
enum off_counter {
	OFF_CNT_TASK_FULL,	/* "tasks" was full: a task went untracked */
	OFF_CNT_FLOW_FULL,	/* "flows" was full: a flow event went unrecorded */
	OFF_CNT_SOCK_NOMEM,	/* sk_storage could not be allocated */
	OFF_CNT_WIDX_RANGE,	/* a governed cgroup mapped past wl_stats */
	OFF_CNT_REDIRECTS,	/* connect/sendmsg rewritten to a target */
	OFF_CNT_FAIL_OPEN,	/* lease expired: sent to the local target */
	OFF_CNT_NO_TARGET,	/* decided target has no endpoint: left alone */
	OFF_CNT_REVNAT_FAIL,	/* "revnat" refused an entry: replies show the target */
	OFF_CNT_MAX,
};

#endif
