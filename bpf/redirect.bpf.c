// SPDX-License-Identifier: GPL-2.0
/* Enforcement: a governed workload's connect()/sendmsg() to a service VIP is
 * rewritten to the decided target; getpeername()/recvmsg() show the VIP
 * again; sockets carry SO_MARK = mark_base + the target they were sent to.
 * Fails open to the local target once the agent's lease lapses. */
#include "common.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OFF_MAX_SERVICES);
	__type(key, struct off_endpoint);
	__type(value, struct off_service);
} services SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OFF_MAX_SERVICES * OFF_MAX_TARGETS);
	__type(key, struct off_target_key);
	__type(value, struct off_endpoint);
} targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);		/* max_workloads + 1 */
	__type(key, __u32);
	__type(value, struct off_wl_services);
} wl_services SEC(".maps");

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

/* Reverse translation, as Cilium's cilium_lb4_reverse_sk: keyed by socket
 * cookie and target, so each of a socket's (VIP, target) pairs has its own
 * entry. An LRU hash, not sk_storage: sk_storage holds one value per socket,
 * and an unconnected UDP socket may talk to any number of VIPs. A connected
 * socket's one entry is deleted when it is released (sock_release below);
 * an unconnected socket's entries age out of the LRU. Cookies are never
 * reused, so an entry outliving its socket matches nothing. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1);		/* max_flows, set by the loader */
	__type(key, struct off_revnat_key);
	__type(value, struct off_endpoint);
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

/* Whether workload widx uses service id: its decision applies to no other. */
static __always_inline bool uses(__u32 widx, __u32 id)
{
	struct off_wl_services *u = bpf_map_lookup_elem(&wl_services, &widx);

	if (!u || id >= OFF_MAX_SERVICES)
		return false;
	return u->bits[id / 64] >> (id % 64) & 1;
}

/* The tag, for ip rule and nftables: it names the target this socket was
 * just sent to, so it is set here with the address. (Set at socket(), it
 * named the decision of that moment, and a decision taken between socket()
 * and connect() left mark and target disagreeing.) */
static __always_inline void mark(struct bpf_sock_addr *ctx, __u32 tidx)
{
	struct off_lease *l = lease_get();
	int m;

	if (!l || !l->mark_base)
		return;
	m = l->mark_base + tidx;
	if (ctx->sk && ctx->sk->mark == (__u32)m)
		return;		/* a datagram socket's next send to the same target */
	bpf_setsockopt(ctx, SOL_SOCKET, SO_MARK, &m, sizeof(m));
}

static __always_inline bool ep_same(const struct off_endpoint *a, const struct off_endpoint *b)
{
	const __u32 *x = (const __u32 *)a->addr, *y = (const __u32 *)b->addr;

	return x[0] == y[0] && x[1] == y[1] && x[2] == y[2] && x[3] == y[3] &&
	       a->port == b->port && a->proto == b->proto;
}

/* Remembers which VIP the socket meant when it reaches this target. */
static __always_inline void remember(struct bpf_sock_addr *ctx, const struct off_endpoint *to,
				     const struct off_endpoint *vip)
{
	struct off_revnat_key rk = {};
	struct off_endpoint *had;

	rk.cookie = bpf_get_socket_cookie(ctx);
	__builtin_memcpy(rk.target.addr, to->addr, sizeof(rk.target.addr));
	rk.target.port = to->port;
	rk.target.proto = ctx->protocol;
	/* A datagram socket sends again and again: no write when nothing changed. */
	had = bpf_map_lookup_elem(&revnat, &rk);
	if (had && ep_same(had, vip))
		return;
	if (bpf_map_update_elem(&revnat, &rk, vip, BPF_ANY))
		count(OFF_CNT_REVNAT_FAIL);
}

static __always_inline int rewrite(struct bpf_sock_addr *ctx, bool v6)
{
	struct off_endpoint vip = {};
	struct off_target_key tk;
	struct off_endpoint *to;
	struct off_service *svc;
	__u32 widx;

	ep_read(ctx, v6, &vip);
	svc = bpf_map_lookup_elem(&services, &vip);
	if (!svc)
		return 1;
	widx = current_widx();
	if (widx == OFF_WIDX_HOST || !uses(widx, svc->id))
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
	remember(ctx, to, &vip);
	mark(ctx, tk.tidx);
	ep_write(ctx, v6, to);
	count(OFF_CNT_REDIRECTS);
	return 1;
}

/* The peer the application sees: the VIP this socket sent to that target. */
static __always_inline int reverse(struct bpf_sock_addr *ctx, bool v6)
{
	struct off_revnat_key rk = {};
	struct off_endpoint *vip;

	ep_read(ctx, v6, &rk.target);
	rk.cookie = bpf_get_socket_cookie(ctx);
	vip = bpf_map_lookup_elem(&revnat, &rk);
	if (vip)
		ep_write(ctx, v6, vip);
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

/* A connected socket's one reverse entry goes with it; an unconnected
 * socket's (destination 0) age out of the LRU. */
SEC("cgroup/sock_release")
int redir_sock_release(struct bpf_sock *sk)
{
	struct off_revnat_key rk = {};

	if (sk->family == AF_INET) {
		__u32 a = sk->dst_ip4;

		rk.target.addr[10] = 0xff;
		rk.target.addr[11] = 0xff;
		__builtin_memcpy(&rk.target.addr[12], &a, 4);
	} else if (sk->family == AF_INET6) {
		__u32 a[4] = { sk->dst_ip6[0], sk->dst_ip6[1], sk->dst_ip6[2], sk->dst_ip6[3] };

		__builtin_memcpy(rk.target.addr, a, 16);
	} else {
		return 1;
	}
	rk.target.port = bpf_ntohs(sk->dst_port);
	rk.target.proto = sk->protocol;
	rk.cookie = bpf_get_socket_cookie(sk);
	bpf_map_delete_elem(&revnat, &rk);
	return 1;
}
