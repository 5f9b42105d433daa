#!/usr/bin/env bash
# GET /status: the host's load as the kernel measured it (a busy loop that
# never switches out still counts), its capacity and services; other paths
# 404; and a second agent never takes over a live one's pins.
. "$(dirname "$0")/lib.sh"

need_root "status answers with the schema" "status reports a busy CPU" "other paths are 404" \
	"a second agent is refused while the first runs"

tmp=$(mktemp -d); on_exit "rm -rf $tmp"
on_exit "rm -rf /sys/fs/bpf/offloadd-status"
cat >"$tmp/peer.conf" <<CONF
[agent]
metrics_listen = off
tick = 100ms
status_listen = 127.0.0.1:7402
node = peer-under-test
pin_dir = /sys/fs/bpf/offloadd-status
ctl_socket = $tmp/ctl.sock
[service api]
vip = 10.234.9.9:80
protocol = tcp
local = 127.0.0.1:80
CONF
agent_start "$tmp/agent.log" "$tmp/peer.conf"
agent=$AGENT

get() {	# get PATH: the HTTP response over loopback
	exec 3<>/dev/tcp/127.0.0.1/7402 || return 1
	printf 'GET %s HTTP/1.1\r\nHost: peer\r\n\r\n' "$1" >&3
	timeout 2 cat <&3
	exec 3<&-
}
idle=$(get /status | tail -n 1)
diag "idle: $idle"
check "status answers with the schema" sh -c "echo '$idle' | jq -e '.node == \"peer-under-test\" and
	(.cpu_util | type) == \"number\" and .capacity_cores == $(nproc) and .services == [\"api\"]'"
timeout 1.5 sh -c 'while :; do :; done' & spin=$!
sleep 1
busy=$(get /status | tail -n 1)
wait $spin
diag "busy: $busy"
# One of $(nproc) cores spinning: at least 0.8 of a core's share.
check "status reports a busy CPU" sh -c "echo '$busy' | jq -e '.cpu_util >= 0.8 / $(nproc)'"
first=$(get /metrics | head -n 1)
check "other paths are 404" test "${first%$'\r'}" = "HTTP/1.1 404 Not Found"
out=$("$OFFLOADD" run --config "$tmp/peer.conf" 2>&1); rc=$?
check "a second agent is refused while the first runs" sh -c \
	"[ $rc = 1 ] && echo '$out' | grep -q 'another offloadd is running' && kill -0 $agent"
