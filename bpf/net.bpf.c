// SPDX-License-Identifier: GPL-2.0
/* TCP telemetry per (workload, remote endpoint): srtt, connections, lifetime,
 * bytes, retransmits. Sockets are attributed to their workload at creation,
 * in process context; sockops callbacks (often in softirq) read that back. */
#include "common.bpf.h"

#define SOCK_STREAM	1
#define IPPROTO_TCP	6

/* Cloned to accepted sockets, so a server's connections are its own. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_CLONE);
	__type(key, int);
	__type(value, struct off_sock);
} socks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);		/* max_flows, set by the loader */
	__type(key, struct off_flow_key);
	__type(value, struct off_flow);
} flows SEC(".maps");

/* One zeroed flow to create entries from: too big for the BPF stack budget. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct off_flow);
} flow_zero SEC(".maps");

SEC("cgroup/sock_create")
int net_sock_create(struct bpf_sock *sk)
{
	struct off_sock *st;
	__u32 widx;

	if ((sk->family != AF_INET && sk->family != AF_INET6) ||
	    sk->type != SOCK_STREAM || sk->protocol != IPPROTO_TCP)
		return 1;
	widx = current_widx();
	if (widx == OFF_WIDX_HOST)
		return 1;
	st = bpf_sk_storage_get(&socks, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!st) {
		count(OFF_CNT_SOCK_NOMEM);
		return 1;
	}
	st->widx = widx;
	return 1;
}

static __always_inline void flow_key(struct bpf_sock_ops *ops, struct off_sock *st, bool passive)
{
	struct off_flow_key *k = &st->key;

	__builtin_memset(k, 0, sizeof(*k));
	k->widx = st->widx;
	/* remote_port holds the big-endian port in its upper half. */
	k->port = passive ? 0 : bpf_ntohl(ops->remote_port);
	if (ops->family == AF_INET) {
		k->addr[10] = 0xff;
		k->addr[11] = 0xff;
		__builtin_memcpy(&k->addr[12], &ops->remote_ip4, 4);
	} else {
		__u32 a[4] = { ops->remote_ip6[0], ops->remote_ip6[1],
			       ops->remote_ip6[2], ops->remote_ip6[3] };

		__builtin_memcpy(k->addr, a, 16);
	}
}

/* The socket's flow, created when missing: the agent deletes idle flows
 * (user/agent/kernel/flowage.c), and a flow the map had no room for at
 * connect time is recorded from the socket's next event once it has. */
static __always_inline struct off_flow *flow_get(struct off_flow_key *k)
{
	struct off_flow *f = bpf_map_lookup_elem(&flows, k);
	__u32 zero = 0;
	void *init;

	if (!f) {
		init = bpf_map_lookup_elem(&flow_zero, &zero);
		if (!init)
			return NULL;
		if (bpf_map_update_elem(&flows, k, init, BPF_NOEXIST) == -E2BIG)
			count(OFF_CNT_FLOW_FULL);
		f = bpf_map_lookup_elem(&flows, k);
	}
	if (f)
		f->last_ns = bpf_ktime_get_ns();
	return f;
}

/* Fold what the socket moved since the last fold into its flow. */
static __always_inline void fold(struct bpf_sock_ops *ops, struct off_sock *st, struct off_flow *f)
{
	__u64 acked = ops->bytes_acked, rcvd = ops->bytes_received;
	__u32 retrans = ops->total_retrans;

	__sync_fetch_and_add(&f->bytes_acked, acked - st->bytes_acked);
	__sync_fetch_and_add(&f->bytes_received, rcvd - st->bytes_received);
	__sync_fetch_and_add(&f->retransmits, retrans - st->retrans);
	st->bytes_acked = acked;
	st->bytes_received = rcvd;
	st->retrans = retrans;
}

static __always_inline void established(struct bpf_sock_ops *ops, struct off_sock *st, bool passive)
{
	struct off_flow *f;

	flow_key(ops, st, passive);
	st->open_ts = bpf_ktime_get_ns();
	st->bytes_acked = ops->bytes_acked;
	st->bytes_received = ops->bytes_received;
	st->retrans = ops->total_retrans;
	st->established = 1;
	f = flow_get(&st->key);
	if (f) {
		__sync_fetch_and_add(&f->conns_opened, 1);
		if (ops->srtt_us)
			f->srtt_us = ops->srtt_us >> 3;
	}
	bpf_sock_ops_cb_flags_set(ops, BPF_SOCK_OPS_RTT_CB_FLAG | BPF_SOCK_OPS_STATE_CB_FLAG);
}

static __always_inline void rtt(struct bpf_sock_ops *ops, struct off_sock *st)
{
	struct off_flow *f;

	if (!st->established)
		return;
	f = flow_get(&st->key);
	if (!f)
		return;
	f->srtt_us = ops->srtt_us >> 3;
	fold(ops, st, f);
}

static __always_inline void closed(struct bpf_sock_ops *ops, struct off_sock *st)
{
	struct off_flow *f;

	if (!st->established)
		return;
	st->established = 0;
	f = flow_get(&st->key);
	if (!f)
		return;
	__u64 life = bpf_ktime_get_ns() - st->open_ts;

	fold(ops, st, f);
	__sync_fetch_and_add(&f->lifetime_hist_us[hist_slot(life)], 1);
	__sync_fetch_and_add(&f->lifetime_us_sum, life / 1000);
	__sync_fetch_and_add(&f->conns_closed, 1);
}

/* A connect that ended before it established: refused, unreachable or
 * timed out. The agent stops sending the workload there at its next tick,
 * before the probes would call the peer down. */
static __always_inline void failed(struct bpf_sock_ops *ops, struct off_sock *st)
{
	struct off_flow *f;

	flow_key(ops, st, false);
	f = flow_get(&st->key);
	if (f)
		__sync_fetch_and_add(&f->conns_failed, 1);
}

SEC("sockops")
int net_sockops(struct bpf_sock_ops *ops)
{
	struct bpf_sock *sk = ops->sk;
	struct off_sock *st;

	if (!sk)
		return 1;
	st = bpf_sk_storage_get(&socks, sk, 0, 0);
	if (!st)
		return 1;
	switch (ops->op) {
	case BPF_SOCK_OPS_TCP_CONNECT_CB:
		/* To see a connect that fails: SYN_SENT -> CLOSE. */
		bpf_sock_ops_cb_flags_set(ops, BPF_SOCK_OPS_STATE_CB_FLAG);
		break;
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
		established(ops, st, false);
		break;
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		established(ops, st, true);
		break;
	case BPF_SOCK_OPS_RTT_CB:
		rtt(ops, st);
		break;
	case BPF_SOCK_OPS_STATE_CB:
		if (ops->args[1] != BPF_TCP_CLOSE)
			break;
		if (ops->args[0] == BPF_TCP_SYN_SENT)
			failed(ops, st);
		else
			closed(ops, st);
		break;
	}
	return 1;
}
