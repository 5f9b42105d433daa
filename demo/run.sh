#!/usr/bin/env bash
# make demo: edge1, edge2 and cloud in network namespaces behind TUN delay
# links, each with a compute service and its own offloadd; a workload on this
# host calls the service VIP in a loop while CPU contention comes and goes.
# It runs twice, governed by the default model and then pinned local, shows
# decisions live, ends with a comparison, and removes all it created.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
DURATION=${DURATION:-60}
TOOLS=$BUILD/tools
CTL=("$BUILD/offloadctl" -s /run/offloadd-demo/ctl.sock)
VIP=10.240.0.1
WORK_MS=12		# CPU per request, in ms, wherever it runs

die() { echo "make demo: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (network namespaces, cgroups, BPF)"
[ "$DURATION" -ge 20 ] 2>/dev/null || die "DURATION must be at least 20 (seconds)"
[ "$(nproc)" -ge 2 ] || echo "make demo: one CPU: this host and its peers share it, so contention hits all" >&2
CGROOT=/sys/fs/cgroup/unified
[ -e $CGROOT/cgroup.procs ] || CGROOT=/sys/fs/cgroup
CG=$CGROOT/offloadd-demo
LOCAL_CPU=0 PEER_CPU=$(($(nproc) > 1))

tmp=$(mktemp -d)
pids=()
cleanup() {
	kill -9 "${pids[@]}" 2>/dev/null
	wait 2>/dev/null
	for ns in edge1 edge2 cloud; do ip netns del "od-$ns" 2>/dev/null; done
	for i in 1 2 3; do ip link del "odt$i" 2>/dev/null; done
	ip route del unreachable $VIP/32 2>/dev/null
	for p in $(cat $CG/*/cgroup.procs 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	sleep 0.2
	rmdir $CG/* $CG 2>/dev/null
	rm -rf /sys/fs/bpf/offloadd-demo* /run/offloadd-demo "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
bg() { "$@" & pids+=($!); }
in_cg() { exec sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$@"; }

# peer NAME INDEX ONE_WAY_MS KIND
peer() {
	local name=$1 i=$2 host=10.240.$2.1 addr=10.240.$2.2
	ip netns add "od-$name" || die "cannot create netns od-$name"
	ip -n "od-$name" link set lo up
	# The link runs on the peers' CPU: contention here must not slow it.
	bg taskset -c $PEER_CPU "$TOOLS/tundelay" "odt$i" "odp$i" "$3" >"$tmp/tun$i" 2>&1
	for _ in $(seq 50); do grep -q ready "$tmp/tun$i" && break; sleep 0.1; done
	ip link set "odp$i" netns "od-$name"
	ip addr add $host peer $addr dev "odt$i" && ip link set "odt$i" up
	ip -n "od-$name" addr add $addr peer $host dev "odp$i"
	ip -n "od-$name" link set "odp$i" up
	cat >"$tmp/$name.conf" <<CONF
[agent]
metrics_listen = off
tick = 500ms
status_listen = $addr:7400
node = $name
local_cpus = $PEER_CPU
serve_cgroup = $CG/serve-$name
pin_dir = /sys/fs/bpf/offloadd-demo-$name
ctl_socket = /run/offloadd-demo/$name.sock
[service compute]
vip = $VIP:7300
protocol = tcp
local = $addr:7300
CONF
	# Its load is its own service's CPU, not the CPU it shares with the others.
	mkdir -p "$CG/serve-$name" || die "cannot create $CG/serve-$name"
	bg in_cg "$CG/serve-$name" nsenter --net="/var/run/netns/od-$name" taskset -c $PEER_CPU \
		"$TOOLS/reqsrv" -c $((WORK_MS * 1000)) -i "$name" $addr 7300 >/dev/null
	bg nsenter --net="/var/run/netns/od-$name" "$BUILD/offloadd" run --config "$tmp/$name.conf" \
		2>"$tmp/$name.log"
	cat >>"$tmp/host.conf" <<CONF
[peer $name]
address = $addr
kind = $4
status_port = 7400
capacity = $5
cost = $6
CONF
}

setup() {
	mkdir -p /run/offloadd-demo $CG/workload || die "cannot create cgroups under $CGROOT"
	ip route add unreachable $VIP/32	# the VIP never leaves this host
	cat >"$tmp/host.conf" <<CONF
[agent]
metrics_listen = off
tick = 500ms
lease = 4
local_cpus = $LOCAL_CPU
model = $PWD/models/default.omdl
pin_dir = /sys/fs/bpf/offloadd-demo
ctl_socket = /run/offloadd-demo/ctl.sock
experience_log = $tmp/experience.log
CONF
	peer edge1 1 3 edge 1 0.0001
	peer edge2 2 5 edge 1 0.00005
	peer cloud 3 30 cloud 8 0.001
	cat >>"$tmp/host.conf" <<CONF
[service compute]
vip = $VIP:7300
protocol = tcp
local = 127.0.0.1:7300
[workload camera]
cgroup = $CG/workload
services = compute
policy = dqn
min_dwell = 2s
hysteresis = 0.1
CONF
	# The local target runs inside the workload, on the local CPU.
	bg in_cg $CG/workload taskset -c $LOCAL_CPU "$TOOLS/reqsrv" -c $((WORK_MS * 1000)) -i local \
		127.0.0.1 7300
	bg "$BUILD/offloadd" run --config "$tmp/host.conf" 2>"$tmp/host.log"
	for _ in $(seq 100); do grep -q governing "$tmp/host.log" && return; sleep 0.1; done
	cat "$tmp/host.log" >&2
	die "offloadd did not start"
}

# live T PHASE OUT: one line of what the agent sees and decides.
live() {
	local w p lat
	w=$("${CTL[@]}" -j workloads 2>/dev/null | jq -r '.workloads[0] |
		"\(.target)\t\(.features.local_util * 100 | floor)%"') || return
	p=$("${CTL[@]}" -j peers 2>/dev/null | jq -r '[.peers[] |
		"\(.name) \(if .up then "" else "DOWN " end)\(.rtt_us / 1000 * 10 | round / 10)ms \(.cpu_util * 100 | floor)%"]
		| join("  ")')
	lat=$(tail -n 8 "$3" | awk '$1 == "answer" { s += $4; n++ } END { if (n) printf "%.0f ms", s / n / 1000; else printf "-" }')
	printf '%4ss  %-11s -> %-6s local CPU %-5s | %s | latency %s\n' "$1" "$2" "${w%%	*}" \
		"${w##*	}" "$p" "$lat"
}

# run NAME: the schedule once: free, contended (from 20% to 70%), free.
run() {
	local out=$tmp/$1.out half=$((DURATION / 2)) hogs=() phase=free
	echo "== $1"
	bg in_cg $CG/workload taskset -c $LOCAL_CPU "$TOOLS/reqcli" -n 1000000 -t 5000 -i 100 $VIP 7300 >"$out"
	local client=$!
	for t in $(seq 1 "$half"); do
		if [ "$t" = $((half / 5)) ]; then
			wc -l <"$out" >"$tmp/$1.from"
			for _ in 1 2 3 4; do taskset -c $LOCAL_CPU sh -c 'while :; do :; done' & hogs+=($!); done
			pids+=("${hogs[@]}")
			phase=contention
		elif [ "$t" = $((half * 7 / 10)) ]; then
			kill "${hogs[@]}"
			wc -l <"$out" >"$tmp/$1.to"
			phase=free
		fi
		sleep 1
		live "$t" "$phase" "$out"
	done
	kill "$client"
}

# pct FILE: p50 and p99 of the latencies in FILE (µs), in ms.
pct() {
	sort -n "$1" | awk '{ v[NR] = $1 } function q(p) { i = int(NR * p); return v[i < NR * p ? i + 1 : i] / 1000 }
		END { if (NR) printf "p50 %5.1f ms  p99 %5.1f ms", q(0.5), q(0.99); else printf "no requests" }'
}

# summary NAME: requests and share per target; latency, overall and while
# the local CPU was contended.
summary() {
	local out=$tmp/$1.out from to
	from=$(cat "$tmp/$1.from") to=$(cat "$tmp/$1.to")
	awk '$1 == "answer" { print $4 }' "$out" >"$tmp/$1.all"
	awk -v a="$from" -v b="$to" 'NR > a && NR <= b && $1 == "answer" { print $4 }' "$out" >"$tmp/$1.busy"
	printf '%-13s %s | contended: %s | %s\n' "$1" "$(pct "$tmp/$1.all")" "$(pct "$tmp/$1.busy")" \
		"$(awk '$1 == "answer" { n++; by[$2]++ } END { printf "%d requests:", n
			for (t in by) printf " %s %.0f%%", t, 100 * by[t] / n }' "$out")"
}

setup
echo "edge1, edge2 and cloud are up (RTT 6, 10 and 60 ms); the workload needs ${WORK_MS} ms of CPU per request"
echo "local CPU $LOCAL_CPU, peers' CPU $PEER_CPU; contention: four busy loops on the local CPU"
run governed
"${CTL[@]}" pin camera local >/dev/null
run pinned-local
echo
echo "== summary: request latency over the whole run and while the local CPU was contended"
echo "   ($(wc -l <"$tmp/experience.log") experience lines were logged for offload-train fit)"
summary governed
summary pinned-local
