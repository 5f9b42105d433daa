#!/usr/bin/env bash
# GET /status: the load of serve_cgroup (a busy loop in it counts, one
# outside it does not), its capacity and services; other paths 404; and a
# second agent never takes over a live one's pins.
. "$(dirname "$0")/lib.sh"

need_root "status answers with the schema" "status reports a busy serve_cgroup" \
	"work outside serve_cgroup is not its load" "other paths are 404" \
	"a second agent is refused while the first runs"

tmp=$(mktemp -d); on_exit "rm -rf $tmp"
cg_make serve serve
cat >"$tmp/peer.conf" <<CONF
[agent]
metrics_listen = off
tick = 100ms
status_listen = 127.0.0.1:7402
node = peer-under-test
serve_cgroup = $serve
pin_dir = $PIN
ctl_socket = $tmp/ctl.sock
[service api]
vip = 10.234.9.9:80
protocol = tcp
local = 127.0.0.1:80
CONF
agent_start "$tmp/agent.log" "$tmp/peer.conf"
agent=$AGENT

# get PATH: the HTTP response over loopback, headers included; bounded, as
# a shell's /dev/tcp connect is not.
get() { curl -si -m 2 "http://127.0.0.1:7402$1"; }
idle=$(get /status | tail -n 1)
diag "idle: $idle"
check "status answers with the schema" sh -c "echo '$idle' | jq -e '.node == \"peer-under-test\" and
	(.cpu_util | type) == \"number\" and .capacity_cores == $(nproc) and .services == [\"api\"]'"
# spin CG: the busiest of five statuses while one busy loop runs in CG
# (a tick in which something else held the CPU must not decide it).
spin() {
	local pid i
	cg_exec "$1" timeout 2 sh -c 'while :; do :; done' & pid=$!
	sleep 0.5
	for i in 1 2 3 4 5; do get /status | tail -n 1; sleep 0.2; done |
		jq -sc 'max_by(.cpu_util)'
	wait $pid
}
busy=$(spin "$serve")
diag "busy in serve_cgroup: $busy"
# One core spinning among $(nproc): at least 0.8 of a core's share.
check "status reports a busy serve_cgroup" sh -c "echo '$busy' | jq -e '.cpu_util >= 0.8 / $(nproc)'"
outside=$(spin "$CGROOT")
diag "busy outside it: $outside"
check "work outside serve_cgroup is not its load" sh -c "echo '$outside' | jq -e '.cpu_util < 0.1'"
first=$(get /metrics | head -n 1)
check "other paths are 404" test "${first%$'\r'}" = "HTTP/1.1 404 Not Found"
# Bounded: if the refusal regresses, the second agent would run on.
out=$(timeout 10 "$OFFLOADD" run --config "$tmp/peer.conf" 2>&1); rc=$?
check "a second agent is refused while the first runs" sh -c \
	"[ $rc = 1 ] && echo '$out' | grep -q 'another offloadd is running' && kill -0 $agent"
