#!/usr/bin/env bash
# Agent benchmark, in one run: (1) tick cost (collect + decide + actuate) for
# 10, 100 and 1,000 governed workloads with 4 candidates each under the
# default model, and at the largest size again with [edgex] publishing every
# workload's and peer's event each tick to a local mosquitto, then to a local
# redis-server, then on change to each (the publisher's own time per tick
# against the tick's); (2) CPU and RSS while governing 10, 100 and 1,000 workloads
# at a 1 s tick; (3) connect() latency from a governed cgroup (hook attached: a VIP
# rewritten, and a plain address passed through) against an ungoverned one,
# interleaved. Writes bench/results/agent.json and prints a summary.
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
BUILD=${BUILD:-build}
[ "$(id -u)" = 0 ] || { echo "bench-agent: needs root" >&2; exit 1; }
# Its VIP's route is its own: one there already is another run's.
if ip route show 10.241.9.9/32 | grep -q .; then
	echo "bench-agent: 10.241.9.9 is routed already: is another bench-agent running? (ip route del unreachable 10.241.9.9/32 if not)" >&2
	exit 1
fi
# Names and ports are overridable for a shared host: BENCH_NAME (cgroup and
# pin directory), BENCH_MQTT_PORT, BENCH_REDIS_PORT.
NAME=${BENCH_NAME:-offloadd-bench}
MQTT_PORT=${BENCH_MQTT_PORT:-24883} REDIS_PORT=${BENCH_REDIS_PORT:-24379}
CG=$CGROOT/$NAME
out=bench/results/agent.json
tmp=$(mktemp -d)
agent= broker=
cleanup() {
	set +e
	[ -z "$agent" ] || kill "$agent" 2>/dev/null
	[ -z "$broker" ] || kill "$broker" 2>/dev/null
	wait 2>/dev/null
	ip route del unreachable 10.241.9.9/32 2>/dev/null
	for d in "$CG"/*/; do [ -d "$d" ] && rmdir "$d"; done 2>/dev/null
	rmdir "$CG" 2>/dev/null
	rm -rf "$tmp" "/sys/fs/bpf/$NAME"
}
trap cleanup EXIT
mkdir -p "$CG"
ip route add unreachable 10.241.9.9/32

# conf N TICK [AGENT_LINES]: N workloads, three peers (not probed, so always
# candidates).
conf() {
	cat <<CONF
[agent]
${3:-}
metrics_listen = off
tick = $2
max_workloads = $1
model = $PWD/models/default.omdl
pin_dir = /sys/fs/bpf/$NAME
ctl_socket = $tmp/ctl.sock
CONF
	for p in 1 2 3; do printf '[peer p%d]\naddress = 10.241.1.%d\nkind = edge\nstatus_port = 0\ncapacity = 4\n' $p $p; done
	printf '[service api]\nvip = 10.241.9.9:7401\nprotocol = tcp\nlocal = 127.0.0.1:7401\n'
	for i in $(seq "$1"); do
		mkdir -p "$CG/w$i"
		printf '[workload w%d]\ncgroup = %s/w%d\nservices = api\n' "$i" "$CG" "$i"
	done
}

status() { "$BUILD/offloadctl" -s "$tmp/ctl.sock" -j status; }

# 1. Tick cost at a 100 ms tick over ~10 s (about 100 ticks).
if [ -n "${PROFILE:-}" ]; then
	conf "$PROFILE" 100ms >"$tmp/conf"; start; sleep 3
	perf record -g -p "$agent" -o "$tmp/perf.data" -- sleep 5 >/dev/null 2>&1
	perf report -i "$tmp/perf.data" --no-children --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -25
	exit 0
fi
echo "[" >"$tmp/ticks.json"
for n in ${SIZES:-10 100 1000}; do
	conf "$n" 100ms >"$tmp/conf"
	start
	sleep 10
	status | jq -c --argjson n "$n" '{workloads: $n, candidates: 4, ticks, tick_us_mean, tick_us_max, tick_cpu_us_mean}' \
		>>"$tmp/ticks.json"
	echo "," >>"$tmp/ticks.json"
	stop
done
# The same at 1,000 workloads with peers_dns looked up every tick (the
# default is every 5), against a server that refuses: the lookups' cost.
conf 1000 100ms "$(printf 'peers_dns = peers.bench.test:7400\npeers_dns_every = 1\npeers_dns_server = 127.0.0.1:7399')" >"$tmp/conf"
start
sleep 10
status | jq -c '{workloads: 1000, candidates: 4, peers_dns: "every tick", ticks, tick_us_mean, tick_us_max, tick_cpu_us_mean}' \
	>>"$tmp/ticks.json"
echo "," >>"$tmp/ticks.json"
stop
echo "null]" >>"$tmp/ticks.json"

# 1b. The same at the largest size with [edgex] on: each tick an event per
# workload and per peer, EdgeX 3 (base64), on each bus; then on change on
# each, which with these idle workloads publishes each source once. No
# subscriber. The publisher's CPU counts its client's work on the loop too
# (the writes, the replies).
n=$(echo ${SIZES:-10 100 1000} | awk '{ print $NF }')
for run in mqtt://127.0.0.1:$MQTT_PORT,tick redis://127.0.0.1:$REDIS_PORT,tick \
	mqtt://127.0.0.1:$MQTT_PORT,change redis://127.0.0.1:$REDIS_PORT,change; do
	url=${run%,*} mode=${run#*,}
	case $url in
	mqtt*) printf 'listener %s 127.0.0.1\nallow_anonymous true\n' "$MQTT_PORT" >"$tmp/mosquitto.conf"
	       mosquitto -c "$tmp/mosquitto.conf" >"$tmp/broker.log" 2>&1 & broker=$! ;;
	*) redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no >"$tmp/broker.log" 2>&1 &
	   broker=$! ;;
	esac
	sleep 0.5
	{ conf "$n" 100ms; printf '[edgex]\nurl = %s\nmode = %s\n' "$url" "$mode"; } >"$tmp/conf"
	start
	sleep 10
	status | jq -c --argjson n "$n" --arg bus "${url%%:*}" --arg mode "$mode" '{workloads: $n, candidates: 4,
		bus: $bus, mode: $mode, ticks,
		tick_us_mean, tick_us_max, tick_cpu_us_mean, edgex_us_mean: .edgex.publish_us_mean,
		edgex_cpu_us_mean: .edgex.publish_cpu_us_mean, published: .edgex.published,
		dropped: (.edgex.dropped_disconnected + .edgex.dropped_backlog + .edgex.dropped_error)}' >>"$tmp/edgex.jsonl"
	stop
	kill "$broker"; wait "$broker" 2>/dev/null || true; broker=
done
# The cost: the publisher's CPU time per tick over the tick's without it
# (CPU time: on a shared machine, wall time also counts whoever preempted).
jq -s --slurpfile t "$tmp/ticks.json" 'map(. as $e | ($t[0] | map(select(. != null and .workloads == $e.workloads))[0])
	as $b | . + {cost_pct: ($e.edgex_cpu_us_mean / $b.tick_cpu_us_mean * 100),
	wall_cost_pct: ($e.edgex_us_mean / $b.tick_us_mean * 100)})' \
	"$tmp/edgex.jsonl" >"$tmp/edgex.json"

# 2. Idle governing: CPU and RSS at a 1 s tick for 10, 100 and 1,000
# workloads, over 20 s after a 5 s settle.
# CPU time in ns from schedstat, every thread: clock ticks are too coarse.
cpu_ns() { cat /proc/"$agent"/task/*/schedstat | awk '{ s += $1 } END { printf "%.0f", s }'; }
for n in ${SIZES:-10 100 1000}; do
	conf "$n" 1s >"$tmp/conf"
	start
	sleep 5
	cpu0=$(cpu_ns)
	sleep 20
	cpu1=$(cpu_ns)
	rss=$(awk '/^VmRSS/ { print $2 }' /proc/$agent/status)
	stop
	jq -n --argjson n "$n" --argjson c "$((cpu1 - cpu0))" --argjson rss "$rss" \
		'{workloads: $n, tick_s: 1, seconds: 20, cpu_pct: ($c / 1e9 / 20 * 100), rss_mib: ($rss / 1024)}'
done | jq -s . >"$tmp/footprint.json"

# 3. connect(): governed (VIP rewritten; plain address) against ungoverned,
# interleaved rounds of 20,000, medians of the rounds' means.
mkdir -p "$CG/free"
conf 10 1s >"$tmp/conf"
start
"$BUILD/offloadctl" -s "$tmp/ctl.sock" pin w1 local >/dev/null; sleep 1.5
for r in 1 2 3 4 5; do
	in_cg "$CG/w1" taskset -c 0 "$BUILD/tools/connbench" 10.241.9.9 7401 20000 | jq -c '{case: "hook, VIP rewritten"} + .'
	in_cg "$CG/w1" taskset -c 0 "$BUILD/tools/connbench" 127.0.0.1 7401 20000 | jq -c '{case: "hook, not a VIP"} + .'
	in_cg "$CG/free" taskset -c 0 "$BUILD/tools/connbench" 127.0.0.1 7401 20000 | jq -c '{case: "no hook"} + .'
done >"$tmp/connect.jsonl"
stop
jq -s 'group_by(.case) | map({case: .[0].case, rounds: length,
	connect_ns_mean_median: (map(.connect_ns_mean) | sort | .[length / 2 | floor]),
	connect_ns_p50_median: (map(.connect_ns_p50) | sort | .[length / 2 | floor])})' \
	"$tmp/connect.jsonl" >"$tmp/connect.json"

mkdir -p bench/results
jq -n --slurpfile t "$tmp/ticks.json" --slurpfile i "$tmp/footprint.json" --slurpfile c "$tmp/connect.json" \
	--slurpfile e "$tmp/edgex.json" \
	--arg kernel "$(uname -r)" --arg cpu "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')" \
	'{kernel: $kernel, cpu: $cpu, tick_cost: ($t[0] | map(select(. != null))), edgex: $e[0], footprint: $i[0], connect: $c[0]}' >"$out"
jq -r '"tick cost (collect + decide + actuate), 4 candidates each:",
	(.tick_cost[] | "  \(.workloads) workloads\(if .peers_dns then ", peers_dns \(.peers_dns)" else "" end): mean \(.tick_us_mean | floor) us (CPU \(.tick_cpu_us_mean | floor) us), max \(.tick_us_max | floor) us over \(.ticks) ticks"),
	(.edgex[] | "  \(.workloads) workloads, [edgex] \(.bus) \(.mode): publishing \(.edgex_cpu_us_mean | floor) us of CPU a tick (wall \(.edgex_us_mean | floor) us), \(.cost_pct * 10 | round / 10)% of the tick'"'"'s CPU (wall \(.wall_cost_pct * 10 | round / 10)%); \(.published) events, \(.dropped) dropped"),
	"governing at a 1 s tick:",
	(.footprint[] | "  \(.workloads) workloads: \(.cpu_pct * 1000 | round / 1000)% of a core, RSS \(.rss_mib * 10 | round / 10) MiB"),
	"connect() on loopback:", (.connect[] | "  \(.case): mean \(.connect_ns_mean_median) ns, p50 \(.connect_ns_p50_median) ns")' "$out"
echo "wrote $out"
