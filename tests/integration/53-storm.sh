#!/usr/bin/env bash
# A connection storm: 20,000 connections a second for 10 s through the
# redirect hook from a governed cgroup: none lost, none misrouted, and every
# one still sees the VIP.
. "$(dirname "$0")/lib.sh"

T=("storm: 200,000 connections through the hook, none lost"
   "storm: every connection still sees the VIP")
need_root "${T[@]}"
tmp=$(mktemp -d); on_exit "rm -rf $tmp"
cg_make gov storm
ip route add unreachable 10.246.9.9/32 && on_exit "ip route del unreachable 10.246.9.9/32"
cat >"$tmp/offloadd.conf" <<CONF
[agent]
tick = 200ms
metrics_listen = off
pin_dir = $PIN
ctl_socket = $tmp/ctl.sock
[service api]
vip = 10.246.9.9:7556
protocol = tcp
local = 127.0.0.1:7556
[workload app]
cgroup = $gov
services = api
policy = static:local
CONF
agent_start "$tmp/agent.log" "$tmp/offloadd.conf"
out=$(cg_exec "$gov" "$TOOLS/storm" 10.246.9.9 7556 20000 10 2)
diag "$out"
check "storm: 200,000 connections through the hook, none lost" sh -c "echo '$out' | jq -e \
	'.attempted == 200000 and .connected == .attempted and .accepted == .connected and .failed == 0' >/dev/null"
check "storm: every connection still sees the VIP" sh -c "echo '$out' | jq -e '.wrong_peer == 0' >/dev/null"
# The rate reached is reported, not asserted: a busy CI machine may pace slower.
