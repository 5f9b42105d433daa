#!/usr/bin/env bash
# [edgex]: events on a real mosquitto broker (EdgeX 4, plain payload) and a
# real redis-server (EdgeX 3, base64 payload), both started here on
# loopback; a Python subscriber checks every field EdgeX requires, origins
# as exact integers. Each broker is then killed mid-run: ticks stay on
# time, the events dropped meanwhile are counted, and publishing resumes
# once it is back; a stopped (slow) broker costs dropped events too, never
# a late tick. Change mode sends each source once while nothing changes; a
# bad [edgex] is refused naming file, line and key, a reload changing it too.
# The first tick's events, formatted before the first connect is up, arrive;
# those queued for a connect that times out are dropped and counted.
. "$(dirname "$0")/lib.sh"

T=("offloadd check lists the [edgex] bus" "a bad [edgex] url is refused naming file, line and key")
for bus in MQTT Redis; do
	T+=("$bus: every field of every event is as EdgeX requires, one per workload and peer each tick"
	    "$bus: with the broker killed, ticks stay on time" "$bus: events dropped while it is down are counted"
	    "$bus: publishing resumes after the broker restarts" "$bus: /metrics with [edgex] passes promtool")
done
T+=("a stopped broker: ticks stay on time, the backlog's events are dropped and counted"
    "a stopped broker: publishing resumes once it drains"
    "change mode: one event per source while nothing changes"
    "a reload that changes [edgex] is refused and the publisher keeps running"
    "MQTT: the first tick's events arrive, queued until the bus is up"
    "Redis: the first tick's events arrive, queued until the bus is up"
    "a broker that never answers: the events queued meanwhile are dropped and counted at the connect's timeout, ticks on time")
need_root "${T[@]}"
for tool in mosquitto redis-server curl promtool; do
	command -v $tool >/dev/null || { for t in "${T[@]}"; do skip "$t" "no $tool"; done; exit 0; }
done
/usr/bin/python3 -c 'import paho.mqtt.client, redis' 2>/dev/null ||
	{ for t in "${T[@]}"; do skip "$t" "no python3-paho-mqtt or python3-redis"; done; exit 0; }

MQTT_PORT=${EDGEX_MQTT_PORT:-24883} REDIS_PORT=${EDGEX_REDIS_PORT:-24379}
SILENT_PORT=${EDGEX_SILENT_PORT:-24884}
METRICS=127.0.0.1:${EDGEX_METRICS_PORT:-24477}
BUS=(/usr/bin/python3 "$TOP/tests/tools/edgex_bus.py")
tmp=$(mktemp -d); on_exit "rm -rf $tmp"
cg_make ga edgex-a
cg_make gb edgex-b
printf 'listener %s 127.0.0.1\nallow_anonymous true\n' $MQTT_PORT >"$tmp/mosquitto.conf"

# conf URL VERSION MODE: workloads a (static local) and b (static edge1),
# an unprobed peer, and [edgex] on the bus at URL.
conf() {
	printf '[edgex]\nurl = %s\nversion = %s\nmode = %s\nreconnect_max = 1s\n' "$@"
	printf '[agent]\ntick = %s\nnode = edge-gw1\nmetrics_listen = %s\n' "${TICK:-200ms}" $METRICS
	printf 'pin_dir = %s\nctl_socket = %s\n' "$PIN" "$tmp/ctl.sock"
	printf '[peer edge1]\naddress = 127.0.0.2\nkind = edge\nstatus_port = 0\n'
	printf '[service api]\nvip = 10.244.9.9:7300\nprotocol = tcp\nlocal = 127.0.0.1:7300\n'
	printf '[workload %s]\ncgroup = %s\nservices = api\npolicy = static:%s\n' a "$ga" local b "$gb" edge1
}

# broker_start KIND: mosquitto or redis-server on its port; BROKER is its pid.
broker_start() {
	if [ "$1" = MQTT ]; then
		mosquitto -c "$tmp/mosquitto.conf" >>"$tmp/broker.log" 2>&1 &
		BROKER=$! port=$MQTT_PORT
	else
		redis-server --port $REDIS_PORT --bind 127.0.0.1 --save '' --appendonly no \
			>>"$tmp/broker.log" 2>&1 &
		BROKER=$! port=$REDIS_PORT
	fi
	on_exit "kill -9 $BROKER"
	for _ in $(seq 50); do
		(exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# listen URL SECONDS OUT [COUNT]: the subscriber, in the background; returns
# once it has subscribed. LISTENER is its pid.
listen() {
	rm -f "$tmp/ready"
	"${BUS[@]}" listen --url "$1" --seconds "$2" --out "$3" --count "${4:-0}" --ready "$tmp/ready" &
	LISTENER=$!
	for _ in $(seq 50); do [ -e "$tmp/ready" ] && return 0; sleep 0.1; done
	return 1
}

status() { "$BUILD/offloadctl" -s "$tmp/ctl.sock" -j status; }
dropped() {
	curl -sf "http://$METRICS/metrics" |
		awk '$1 == "offloadd_edgex_events_dropped_total{reason=\"disconnected\"}" { print $2 }'
}
fields() {
	"${BUS[@]}" check "$1" --version "$2" --device edge-gw1 --workloads a,b --peers edge1 \
		--targets local,edge1 --decided a=local,b=edge1 "${@:3}"
}

conf mqtt://127.0.0.1:$MQTT_PORT 4 tick >"$tmp/good.conf"
out=$("$OFFLOADD" check --config "$tmp/good.conf" 2>&1)
check "offloadd check lists the [edgex] bus" grep -qx \
	"edgex: mqtt 127.0.0.1:$MQTT_PORT, EdgeX 4 (plain payload), topics edgex/events/device/offloadd/{offloadd-workload,offloadd-peer}/edge-gw1/NAME, every tick" \
	<<<"$out"
conf mqtt://broker.example:1883 4 tick >"$tmp/bad.conf"
line=$(grep -n '^url' "$tmp/bad.conf" | cut -d: -f1)
out=$("$OFFLOADD" check --config "$tmp/bad.conf" 2>&1)
check "a bad [edgex] url is refused naming file, line and key" grep -q \
	"^$tmp/bad.conf:$line: \[edgex\] url: expected mqtt://IP:PORT or redis://IP:PORT (an address, not a name), got \"mqtt://broker.example:1883\"" <<<"$out"

# phase KIND URL VERSION: fields, a kill, the drops, the restart.
phase() {
	local kind=$1 url=$2 version=$3 s0 s1 t0 t1 d0 d1
	broker_start "$kind" || { fail "$kind: broker does not start" "$(tail -n 3 "$tmp/broker.log")"; return; }
	conf "$url" "$version" tick >"$tmp/$kind.conf"
	listen "$url" 3 "$tmp/$kind.jsonl"
	agent_start "$tmp/$kind.log" "$tmp/$kind.conf" || { fail "$kind: agent starts"; return; }
	wait "$LISTENER"
	check "$kind: every field of every event is as EdgeX requires, one per workload and peer each tick" \
		fields "$tmp/$kind.jsonl" "$version" --tick-ms 200 --min-events 6
	fields "$tmp/$kind.jsonl" "$version" --tick-ms 200 --min-events 6 | grep '^# [wp]' | head -n 3

	s0=$(status) t0=$(date +%s%N) d0=$(dropped)
	kill -9 "$BROKER"; wait "$BROKER" 2>/dev/null
	sleep 2
	s1=$(status) t1=$(date +%s%N) d1=$(dropped)
	local ticks=$(($(jq .ticks <<<"$s1") - $(jq .ticks <<<"$s0")))
	local due=$(((t1 - t0) / 200000000)) late=$(($(jq .late_ticks <<<"$s1") - $(jq .late_ticks <<<"$s0")))
	diag "$kind down: $ticks ticks in $(((t1 - t0) / 1000000)) ms ($due due), $late late; dropped $d0 -> $d1"
	check "$kind: with the broker killed, ticks stay on time" \
		test "$late" = 0 -a "$ticks" -ge $((due - 1)) -a "$ticks" -le $((due + 1))
	check "$kind: events dropped while it is down are counted" \
		test $((d1 - d0)) -ge $((3 * (ticks - 2))) -a $((d1 - d0)) -le $((3 * (ticks + 1)))
	grep -q "edgex: .*: the broker closed the connection; events are dropped" "$tmp/$kind.log" ||
		diag "no disconnect logged"

	broker_start "$kind" || { fail "$kind: broker restarts"; return; }
	listen "$url" 8 "$tmp/$kind-back.jsonl" 6
	wait "$LISTENER"
	check "$kind: publishing resumes after the broker restarts" \
		fields "$tmp/$kind-back.jsonl" "$version" --min-events 2 --tick-ms 200
	diag "$kind: $(status | jq -c .edgex)"
	curl -sf "http://$METRICS/metrics" >"$tmp/$kind.metrics"
	check "$kind: /metrics with [edgex] passes promtool" sh -c \
		"grep -q '^offloadd_edgex_connected 1' '$tmp/$kind.metrics' && [ -z \"\$(promtool check metrics <'$tmp/$kind.metrics' 2>&1)\" ]"
	stop_pid "$AGENT"
}
phase MQTT mqtt://127.0.0.1:$MQTT_PORT 4
phase Redis redis://127.0.0.1:$REDIS_PORT 3

# A slow broker: mosquitto stopped, in a namespace of this test's whose TCP
# buffers are 8 KiB, so that a few ticks of events fill them and the client
# holds a backlog. The agent and broker run there (nsenter keeps /sys).
NS=edgex$$
ip netns add $NS && on_exit "ip netns del $NS"
ip -n $NS link set lo up
ip netns exec $NS sysctl -q -w net.ipv4.tcp_wmem="4096 4096 8192" net.ipv4.tcp_rmem="4096 4096 8192"
printf '#!/bin/sh\nexec nsenter --net=/var/run/netns/%s %s "$@"\n' $NS "$OFFLOADD" >"$tmp/offloadd-ns"
chmod +x "$tmp/offloadd-ns"
nsenter --net=/var/run/netns/$NS mosquitto -c "$tmp/mosquitto.conf" >>"$tmp/broker.log" 2>&1 &
BROKER=$!; on_exit "kill -CONT $BROKER; kill -9 $BROKER"
conf mqtt://127.0.0.1:$MQTT_PORT 4 tick >"$tmp/slow.conf"
sleep 0.3
OFFLOADD=$tmp/offloadd-ns agent_start "$tmp/slow.log" "$tmp/slow.conf"
sleep 1
s0=$(status) t0=$(date +%s%N)
kill -STOP $BROKER
sleep 2.5
s1=$(status) t1=$(date +%s%N)
ticks=$(($(jq .ticks <<<"$s1") - $(jq .ticks <<<"$s0"))) due=$(((t1 - t0) / 200000000))
late=$(($(jq .late_ticks <<<"$s1") - $(jq .late_ticks <<<"$s0")))
backlog=$(($(jq .edgex.dropped_backlog <<<"$s1") - $(jq .edgex.dropped_backlog <<<"$s0")))
diag "stopped: $ticks ticks ($due due), $late late, $backlog events dropped for the backlog; $(jq -c .edgex <<<"$s1")"
check "a stopped broker: ticks stay on time, the backlog's events are dropped and counted" \
	test "$late" = 0 -a "$ticks" -ge $((due - 1)) -a "$ticks" -le $((due + 1)) -a "$backlog" -ge 9
kill -CONT $BROKER
rm -f "$tmp/ready"
nsenter --net=/var/run/netns/$NS "${BUS[@]}" listen --url mqtt://127.0.0.1:$MQTT_PORT --seconds 6 --out "$tmp/slow.jsonl" --count 6 \
	--ready "$tmp/ready" &
LISTENER=$!
wait $LISTENER
fields "$tmp/slow.jsonl" 4 --min-events 2 --tick-ms 200 >"$tmp/slow.check"
rc=$?
check "a stopped broker: publishing resumes once it drains" sh -c \
	"[ $rc = 0 ] && [ $(status | jq .edgex.connected) = true ] || { cat '$tmp/slow.check'; exit 1; }"
stop_pid "$AGENT"
kill -9 $BROKER

# Idle workloads and an unprobed peer: nothing changes after the first.
conf redis://127.0.0.1:$REDIS_PORT 3 change >"$tmp/change.conf"
listen redis://127.0.0.1:$REDIS_PORT 2.5 "$tmp/change.jsonl"
agent_start "$tmp/change.log" "$tmp/change.conf"
wait "$LISTENER"
check "change mode: one event per source while nothing changes" \
	fields "$tmp/change.jsonl" 3 --per-source 1
sed -i 's/^version = 3$/version = 4/' "$tmp/change.conf"
out=$("$BUILD/offloadctl" -s "$tmp/ctl.sock" reload 2>&1)
diag "reload: $out"
check "a reload that changes [edgex] is refused and the publisher keeps running" sh -c \
	'grep -qF "the [edgex] section changed; restart to apply" && [ "$("$0" -s "$1" -j status | jq .edgex.connected)" = true ]' \
	"$BUILD/offloadctl" "$tmp/ctl.sock" <<<"$out"
stop_pid "$AGENT"

# The first tick comes before the first connect is up: its events wait for
# it. A 2 s tick (the first one 2 s after the start): all three arrive while
# the agent has ticked once, none dropped.
for kind in MQTT Redis; do
	[ $kind = MQTT ] && url=mqtt://127.0.0.1:$MQTT_PORT || url=redis://127.0.0.1:$REDIS_PORT
	[ $kind = MQTT ] && { broker_start MQTT || fail "$kind: broker does not start"; }
	TICK=2s conf $url 4 tick >"$tmp/first-$kind.conf"
	listen $url 3.5 "$tmp/first-$kind.jsonl" 3
	agent_start "$tmp/first-$kind.log" "$tmp/first-$kind.conf"
	wait "$LISTENER"
	s=$(status) n=$(wc -l <"$tmp/first-$kind.jsonl")
	diag "$kind first tick: $n events, $(jq -c '{ticks, e: .edgex}' <<<"$s")"
	fields "$tmp/first-$kind.jsonl" 4 --min-events 1 >"$tmp/first-$kind.check"
	rc=$?
	check "$kind: the first tick's events arrive, queued until the bus is up" sh -c "[ $rc = 0 ] &&
		[ $n = 3 ] && [ $(jq .ticks <<<"$s") = 1 ] && [ $(jq .edgex.dropped_disconnected <<<"$s") = 0 ] ||
		{ cat '$tmp/first-$kind.check'; exit 1; }"
	stop_pid "$AGENT"
done

# A "broker" that accepts the connection (the kernel does) and never
# answers the CONNECT: the events queue for the connect's 5 s, then are
# dropped and counted, 3 a tick; the ticks stay on time throughout.
/usr/bin/python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8); time.sleep(30)' $SILENT_PORT &
silent=$!; on_exit "kill $silent"
sleep 0.3
conf mqtt://127.0.0.1:$SILENT_PORT 4 tick >"$tmp/silent.conf"
agent_start "$tmp/silent.log" "$tmp/silent.conf"
s0=$(status) t0=$(date +%s%N)
sleep 6
s1=$(status) t1=$(date +%s%N)
ticks=$(($(jq .ticks <<<"$s1") - $(jq .ticks <<<"$s0"))) due=$(((t1 - t0) / 200000000))
late=$(($(jq .late_ticks <<<"$s1") - $(jq .late_ticks <<<"$s0")))
diag "silent broker: $ticks ticks ($due due), $late late; $(jq -c .edgex <<<"$s1")"
check "a broker that never answers: the events queued meanwhile are dropped and counted at the connect's timeout, ticks on time" \
	sh -c "[ $late = 0 ] && [ $ticks -ge $((due - 1)) ] && [ $(jq .edgex.published <<<"$s1") = 0 ] &&
	[ $(jq .edgex.dropped_disconnected <<<"$s1") -ge 66 ] && grep -q 'connect timed out' '$tmp/silent.log'"
stop_pid "$AGENT"
kill $silent
