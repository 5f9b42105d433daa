// SPDX-License-Identifier: GPL-2.0
/* Enforcement: a governed workload's connect()/sendmsg() to a service VIP is
 * rewritten to the decided target; getpeername()/recvmsg() show the VIP
 * again; sockets carry SO_MARK = mark_base + target. Fails open to the local
 * target once the agent's lease lapses. */
#include "common.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);	/* sized by the loader */
	__type(key, struct off_endpoint);
	__type(value, struct off_service);
} services SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256 * OFF_MAX_TARGETS);
	__type(key, struct off_target_key);
	__type(value, struct off_endpoint);
} targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);		/* max_workloads + 1 */
	__type(key, __u32);
	__type(value, struct off_decision);
} decisions SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct off_lease);
} lease SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct off_revnat);
} revnat SEC(".maps");

static __always_inline struct off_lease *lease_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&lease, &zero);
}

/* The workload's decided target, or the local one when the lease lapsed. */
static __always_inline __u32 decided(__u32 widx)
{
	struct off_decision *d = bpf_map_lookup_elem(&decisions, &widx);
	struct off_lease *l = lease_get();

	if (!d || d->tidx == OFF_TARGET_LOCAL)
		return OFF_TARGET_LOCAL;
	if (!l || bpf_ktime_get_ns() > l->expires_ns) {
		count(OFF_CNT_FAIL_OPEN);
		return OFF_TARGET_LOCAL;
	}
	return d->tidx;
}

static __always_inline void ep_read(struct bpf_sock_addr *ctx, bool v6, struct off_endpoint *ep)
{
	if (v6) {
		__u32 a[4] = { ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2], ctx->user_ip6[3] };

		__builtin_memcpy(ep->addr, a, 16);
	} else {
		__u32 a = ctx->user_ip4;

		ep->addr[10] = 0xff;
		ep->addr[11] = 0xff;
		__builtin_memcpy(&ep->addr[12], &a, 4);
	}
	ep->port = bpf_ntohs(ctx->user_port);
	ep->proto = ctx->protocol;
}

static __always_inline void ep_write(struct bpf_sock_addr *ctx, bool v6, const struct off_endpoint *ep)
{
	if (v6) {
		__u32 a[4];

		__builtin_memcpy(a, ep->addr, 16);
		ctx->user_ip6[0] = a[0];
		ctx->user_ip6[1] = a[1];
		ctx->user_ip6[2] = a[2];
		ctx->user_ip6[3] = a[3];
	} else {
		__u32 a;

		__builtin_memcpy(&a, &ep->addr[12], 4);
		ctx->user_ip4 = a;
	}
	ctx->user_port = bpf_htons(ep->port);
}

static __always_inline int rewrite(struct bpf_sock_addr *ctx, bool v6)
{
	struct off_endpoint vip = {};
	struct off_target_key tk;
	struct off_endpoint *to;
	struct off_service *svc;
	struct off_revnat *rev;
	__u32 widx;

	ep_read(ctx, v6, &vip);
	svc = bpf_map_lookup_elem(&services, &vip);
	if (!svc)
		return 1;
	widx = current_widx();
	if (widx == OFF_WIDX_HOST)
		return 1;
	tk.svc = svc->id;
	tk.tidx = decided(widx);
	to = bpf_map_lookup_elem(&targets, &tk);
	if (!to && tk.tidx != OFF_TARGET_LOCAL) {
		count(OFF_CNT_NO_TARGET);
		tk.tidx = OFF_TARGET_LOCAL;
		to = bpf_map_lookup_elem(&targets, &tk);
	}
	if (!to)
		return 1;
	rev = bpf_sk_storage_get(&revnat, ctx->sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (rev) {
		rev->vip = vip;
		rev->target = *to;
	} else {
		count(OFF_CNT_SOCK_NOMEM);
	}
	ep_write(ctx, v6, to);
	count(OFF_CNT_REDIRECTS);
	return 1;
}

static __always_inline bool ep_same(const struct off_endpoint *a, const struct off_endpoint *b)
{
	const __u32 *x = (const __u32 *)a->addr, *y = (const __u32 *)b->addr;

	return x[0] == y[0] && x[1] == y[1] && x[2] == y[2] && x[3] == y[3] &&
	       a->port == b->port;
}

/* The peer the application sees: the VIP, where we sent it elsewhere. */
static __always_inline int reverse(struct bpf_sock_addr *ctx, bool v6)
{
	struct off_endpoint peer = {};
	struct off_revnat *rev;

	rev = bpf_sk_storage_get(&revnat, ctx->sk, 0, 0);
	if (!rev)
		return 1;
	ep_read(ctx, v6, &peer);
	if (!ep_same(&peer, &rev->target))
		return 1;
	ep_write(ctx, v6, &rev->vip);
	return 1;
}

SEC("cgroup/connect4")
int redir_connect4(struct bpf_sock_addr *ctx) { return rewrite(ctx, false); }
SEC("cgroup/connect6")
int redir_connect6(struct bpf_sock_addr *ctx) { return rewrite(ctx, true); }
SEC("cgroup/sendmsg4")
int redir_sendmsg4(struct bpf_sock_addr *ctx) { return rewrite(ctx, false); }
SEC("cgroup/sendmsg6")
int redir_sendmsg6(struct bpf_sock_addr *ctx) { return rewrite(ctx, true); }
SEC("cgroup/recvmsg4")
int redir_recvmsg4(struct bpf_sock_addr *ctx) { return reverse(ctx, false); }
SEC("cgroup/recvmsg6")
int redir_recvmsg6(struct bpf_sock_addr *ctx) { return reverse(ctx, true); }
SEC("cgroup/getpeername4")
int redir_getpeername4(struct bpf_sock_addr *ctx) { return reverse(ctx, false); }
SEC("cgroup/getpeername6")
int redir_getpeername6(struct bpf_sock_addr *ctx) { return reverse(ctx, true); }

/* The tag: routing and firewall rules can match a workload's decision. */
SEC("cgroup/sock_create")
int redir_sock_create(struct bpf_sock *sk)
{
	struct off_lease *l = lease_get();
	__u32 widx;

	if (!l || !l->mark_base || (sk->family != AF_INET && sk->family != AF_INET6))
		return 1;
	widx = current_widx();
	if (widx == OFF_WIDX_HOST)
		return 1;
	sk->mark = l->mark_base + decided(widx);
	return 1;
}
