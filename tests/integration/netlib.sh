# Test topologies: network namespaces reached over veth or a TUN delay link.
# Source after lib.sh. Everything made here is removed at exit.
# Addresses are private ones inside namespaces the test itself created.

# ns_make NAME: a network namespace "ot<pid>NAME" (NS_PREFIX for "ot") with
# lo up; sets NS_<NAME>.
ns_make() {
	local ns=${NS_PREFIX:-ot}$$$1
	ip netns add "$ns" || return 1
	on_exit "ip netns del '$ns'"
	ip -n "$ns" link set lo up
	printf -v "NS_$1" %s "$ns"
}

# ns_run NS CMD...: run in the namespace; nsenter keeps /sys (and cgroup v2).
ns_run() { local ns=$1; shift; nsenter --net="/var/run/netns/$ns" "$@"; }

# ns_bg NS CMD...: run in the namespace in the background, killed at exit;
# waits for the command's "ready" line.
ns_bg() {
	local ns=$1 out i; shift
	out=$(mktemp)
	nsenter --net="/var/run/netns/$ns" "$@" >"$out" 2>&1 &
	on_exit "kill $!; rm -f '$out'"
	for i in $(seq 50); do grep -q ready "$out" && return 0; sleep 0.1; done
	cat "$out" >&2
	return 1
}

# veth_link NS HOST_IP NS_IP [HOST_IP6 NS_IP6]: a veth pair between the root
# namespace and NS; with the IPv6 pair, those too (a /64, usable at once:
# no duplicate address detection).
veth_link() {
	local ns=$1 h=vh$$${1: -3} n=vn$$${1: -3}
	ip link add "$h" type veth peer name "$n" || return 1
	on_exit "ip link del '$h'"
	ip link set "$n" netns "$ns"
	ip addr add "$2" peer "$3" dev "$h"
	ip link set "$h" up
	ip -n "$ns" addr add "$3" peer "$2" dev "$n"
	ip -n "$ns" link set "$n" up
	[ -n "${4:-}" ] || return 0
	ip addr add "$4/64" dev "$h" nodad &&
		ip -n "$ns" addr add "$5/64" dev "$n" nodad
}

# delay_link NS HOST_IP NS_IP DELAY_MS [TUNDELAY_OPTION...]: a link through
# tundelay, DELAY_MS each way; LINK_PID is its pid (SIGHUP rereads a -f
# control file), and $LINK_CMD, if set, prefixes it (e.g. taskset -c 1).
delay_link() {
	local ns=$1 a=ta$$${1: -3} b=tb$$${1: -3} out i
	out=$(mktemp)
	${LINK_CMD:-} "$TOOLS/tundelay" "${@:5}" "$a" "$b" "$4" >"$out" 2>&1 &
	LINK_PID=$!
	on_exit "kill $LINK_PID; rm -f '$out'"
	for i in $(seq 50); do grep -q ready "$out" && break; sleep 0.1; done
	grep -q ready "$out" || { cat "$out" >&2; return 1; }
	ip link set "$b" netns "$ns"
	ip addr add "$2" peer "$3" dev "$a"
	ip link set "$a" up
	ip -n "$ns" addr add "$3" peer "$2" dev "$b"
	ip -n "$ns" link set "$b" up
}

# peer_conf NET TICK SOCK [AGENT_LINES]: the config of an edge peer's own
# offloadd at NET.1.2, pinned in $PIN-peer: GET /status on :7400, ctl on SOCK, and service api
# (VIP NET.9.9:7300) served at NET.1.2:7300 -- what its status offers, since
# a workload only goes to a peer that serves it.
peer_conf() {
	cat <<CONF
[agent]
metrics_listen = off
tick = $2
status_listen = $1.1.2:7400
node = edge1
pin_dir = $PIN-peer
ctl_socket = $3
${4:-}
[service api]
vip = $1.9.9:7300
protocol = tcp
local = $1.1.2:7300
CONF
}

# edge1_conf ADDR [AGENT_LINES]: a config's head: [agent] with 100 ms ticks,
# no metrics, pinned in $PIN (and AGENT_LINES), and [peer edge1] at ADDR,
# not probed (taken as up).
edge1_conf() {
	printf '[agent]\nmetrics_listen = off\ntick = 100ms\npin_dir = %s\n%s\n' "$PIN" "${2:-}"
	printf '[peer edge1]\naddress = %s\nkind = edge\nstatus_port = 0\n' "$1"
}

# edge_net NET: namespace "edge" one veth away (NET.1.1 here, NET.1.2
# there), service api's VIP NET.9.9 unreachable unless rewritten, and its
# local target served on 127.0.0.1:7300.
edge_net() {
	ip route add unreachable "$1.9.9/32" && on_exit "ip route del unreachable $1.9.9/32"
	ns_make edge
	veth_link "$NS_edge" "$1.1.1" "$1.1.2"
	"$TOOLS/reqsrv" -i local 127.0.0.1 7300 >/dev/null &
	on_exit "kill $!"
}

# probed_conf NET SOCK CG [AGENT_LINES]: an agent of 100 ms ticks probing
# edge1's GET /status at NET.1.2:7400, pinned in $PIN, ctl on SOCK, with
# workload app (cgroup CG) on service api (VIP NET.9.9:7300, local target
# 127.0.0.1:7300) sent to edge1 by a static policy. No metrics unless
# AGENT_LINES set metrics_listen.
probed_conf() {
	local metrics="metrics_listen = off"

	case ${4:-} in *metrics_listen*) metrics= ;; esac
	cat <<CONF
[agent]
$metrics
tick = 100ms
lease = 5
probe_timeout = 50ms
pin_dir = $PIN
ctl_socket = $2
${4:-}
[peer edge1]
address = $1.1.2
kind = edge
status_port = 7400
[service api]
vip = $1.9.9:7300
protocol = tcp
local = 127.0.0.1:7300
[workload app]
cgroup = $3
services = api
policy = static:edge1
CONF
}
