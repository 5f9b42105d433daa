#!/usr/bin/env bash
# The flows map driven to full and back: one governed workload holds N
# (4,500) connections, each to its own address, in a flows map of 4,096 for
# 5 s, then closes them all. At a 1 s tick with flow_idle = 5s, reports the
# fill level at its height, the ticks until the map has room again (under
# 7/8: aged under pressure) and until it is empty (flow_idle), and the tick
# time and late ticks over the whole run. Writes bench/results/flows.json
# and prints a summary.
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
BUILD=${BUILD:-build}
[ "$(id -u)" = 0 ] || { echo "bench-flows: needs root" >&2; exit 1; }
N=${N:-4500}
CG=$CGROOT/offloadd-bench-flows
PIN=/sys/fs/bpf/offloadd-bench-flows
out=bench/results/flows.json
tmp=$(mktemp -d)
agent= srv=
cleanup() {
	set +e
	[ -z "$agent" ] || kill "$agent" 2>/dev/null
	[ -z "$srv" ] || kill "$srv" 2>/dev/null
	wait 2>/dev/null
	rmdir "$CG" 2>/dev/null
	rm -rf "$tmp" "$PIN"
}
trap cleanup EXIT
mkdir -p "$CG"
ulimit -n $((N + 1024))		# the filler's sockets
# Every 127.x.y.z reaches it: one flow per address the filler dials.
"$BUILD/tools/reqsrv" -i fill 0.0.0.0 22480 >/dev/null &
srv=$!
cat >"$tmp/conf" <<CONF
[agent]
metrics_listen = off
tick = 1s
max_flows = 4096
flow_idle = 5s
pin_dir = $PIN
ctl_socket = $tmp/ctl.sock
[service api]
vip = 10.222.9.9:22300
protocol = tcp
local = 127.0.0.1:22300
[workload w]
cgroup = $CG
services = api
policy = greedy
CONF
status() { "$BUILD/offloadctl" -s "$tmp/ctl.sock" -j status; }

start
bg_cg "$CG" "$BUILD/tools/flowfill" -n "$N" -H 5000 127.3.0.1 22480 >"$tmp/fill"
sleep 3
full=$(status)
wait "$BGPID"
closed=$(status | jq .ticks)
# ticks_until JQ_TEST: ticks since the close until the status passes, within 20 s.
ticks_until() {
	local st
	for _ in $(seq 200); do
		st=$(status)
		[ "$(echo "$st" | jq "$1")" = true ] && break
		sleep 0.1
	done
	echo "$st" | jq --argjson c "$closed" '.ticks - $c'
}
room=$(ticks_until '.flows < .flows_capacity * 7 / 8')
empty=$(ticks_until ".flows <= $((N / 100))")
back=$(status)
stop
jq -n --argjson f "$full" --argjson b "$back" --argjson room "$room" --argjson empty "$empty" \
	--argjson n "$N" --arg kernel "$(uname -r)" --arg fill "$(tail -n 1 "$tmp/fill")" \
	'{kernel: $kernel, connections: $n, filler: ($fill | fromjson), capacity: $f.flows_capacity,
	  full_entries: $f.flows, ticks_to_room: $room, ticks_to_empty: $empty, empty_entries: $b.flows,
	  flows_aged: $b.flows_aged, ticks: $b.ticks, late_ticks: $b.late_ticks,
	  tick_us_mean: $b.tick_us_mean, tick_us_max: $b.tick_us_max}' >"$out"
jq -r '"flows map driven to full and back (1 s tick, flow_idle 5 s):",
	"  \(.connections) connections held: \(.full_entries) of \(.capacity) entries",
	"  closed: under 7/8 full after \(.ticks_to_room) tick(s), \(.empty_entries) left after \(.ticks_to_empty), \(.flows_aged) aged",
	"  ticks: mean \(.tick_us_mean | floor) us, max \(.tick_us_max | floor) us, \(.late_ticks) late of \(.ticks)"' "$out"
echo "wrote $out"
