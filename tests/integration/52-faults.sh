#!/usr/bin/env bash
# Faults under traffic: the agent SIGKILLed, restarted and SIGKILLed again
# while a client runs (fail-open and re-adoption, no request lost); an
# experience log on a full disk or in an unwritable place (logged, counted,
# governing goes on); a peer flapping every 2 s for a minute (no crash, and
# requests fail only inside the detection windows).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"

T=("SIGKILL, restart, SIGKILL under traffic: no request fails"
   "the restarted agent re-adopts and traffic returns to the peer"
   "a full disk under the experience log is logged once and counted"
   "an unwritable experience log does not stop the agent"
   "a peer flapping every 2 s for a minute: the agent survives"
   "while it flaps, failures stay within the detection windows")
need_root "${T[@]}"
tmp=$(mktemp -d); on_exit "rm -rf $tmp"
cg_make gov faults
edge_net 10.245
nsenter --net="/var/run/netns/$NS_edge" "$TOOLS/reqsrv" -i edge 10.245.1.2 7300 >/dev/null &
svc=$!; on_exit "kill -9 \$svc"

conf() {
	cat <<CONF
[agent]
metrics_listen = off
tick = 100ms
lease = 3
peer_down_after = 3
probe_timeout = 50ms
pin_dir = $PIN
ctl_socket = $tmp/ctl.sock
$1
[peer edge1]
address = 10.245.1.2
kind = edge
status_port = $2
[service api]
vip = 10.245.9.9:7300
protocol = tcp
local = 127.0.0.1:7300
[workload app]
cgroup = $gov
services = api
policy = static:edge1
CONF
}

# 1. Agent death under traffic; the peer has no agent (status_port 0).
conf "" 0 >"$tmp/a.conf"
agent_start "$tmp/a1.log" "$tmp/a.conf" --keep-pinned
cg_exec "$gov" "$TOOLS/reqcli" -n 400 -i 10 10.245.9.9 7300 >"$tmp/kill.out" 2>&1 &
client=$!
sleep 1; kill -9 "$AGENT"; sleep 1	# the lease lapses: local
agent_start "$tmp/a2.log" "$tmp/a.conf" --keep-pinned
sleep 1; kill -9 "$AGENT"
wait "$client"
diag "$(tail -n 1 "$tmp/kill.out"); $(grep -c '^answer edge' "$tmp/kill.out") edge, $(grep -c '^answer local' "$tmp/kill.out") local"
check "SIGKILL, restart, SIGKILL under traffic: no request fails" \
	sh -c "tail -n 1 '$tmp/kill.out' | jq -e '.ok == 400 and .errors == 0' >/dev/null"
check "the restarted agent re-adopts and traffic returns to the peer" sh -c "
	grep -q 'adopted the pinned state' '$tmp/a2.log' &&
	awk '\$1 == \"answer\" { s = s substr(\$2, 1, 1) } END { exit !(s ~ /^e+l+e+/) }' '$tmp/kill.out'"
rm -rf "$PIN"	# the SIGKILLed agent left its pins

# 2. The experience log on a full disk, then in a directory it cannot write.
conf "experience_log = /dev/full" 0 >"$tmp/full.conf"
agent_start "$tmp/full.log" "$tmp/full.conf"
cg_exec "$gov" "$TOOLS/reqcli" -q -n 100 -i 10 10.245.9.9 7300 >/dev/null 2>&1
# Ticks go on past the failed writes: wait for a few more, not a fixed time.
for _ in $(seq 30); do
	st=$("$BUILD/offloadctl" -s "$tmp/ctl.sock" -j status)
	echo "$st" | jq -e '.ticks > 15' >/dev/null && break
	sleep 0.1
done
diag "$(echo "$st" | jq -c '{ticks, experience_lines, experience_dropped, experience_write_errors}')"
check "a full disk under the experience log is logged once and counted" sh -c "
	[ \$(grep -c 'experience log: No space left on device' '$tmp/full.log') = 1 ] &&
	echo '$st' | jq -e '.experience_write_errors >= 2 and .experience_dropped >= 1 and .ticks > 15' >/dev/null"
stop_pid "$AGENT"
conf "experience_log = /proc/offloadd-cannot-be-here" 0 >"$tmp/ro.conf"
agent_start "$tmp/ro.log" "$tmp/ro.conf"
cg_exec "$gov" "$TOOLS/reqcli" -n 10 10.245.9.9 7300 >"$tmp/ro.out" 2>&1
check "an unwritable experience log does not stop the agent" sh -c "
	grep -q 'experience log: /proc/offloadd-cannot-be-here: .*; not recording' '$tmp/ro.log' &&
	[ \$(grep -c '^answer edge' '$tmp/ro.out') = 10 ]"
stop_pid "$AGENT"

# 3. A peer (its agent and its service) that dies and comes back every 2 s.
peer_conf 10.245 100ms "$tmp/peer.sock" >"$tmp/peer.conf"
conf "" 7400 >"$tmp/flap.conf"
agent_start "$tmp/flap.log" "$tmp/flap.conf"
main=$AGENT
kill -9 "$svc"
cg_exec "$gov" "$TOOLS/reqcli" -n 100000 -i 20 -t 500 10.245.9.9 7300 >"$tmp/flap.out" 2>&1 &
client=$!; on_exit "kill $client"
flaps=0
for _ in $(seq 15); do
	nsenter --net="/var/run/netns/$NS_edge" "$OFFLOADD" run --config "$tmp/peer.conf" 2>/dev/null &
	p=$!
	nsenter --net="/var/run/netns/$NS_edge" "$TOOLS/reqsrv" -i edge 10.245.1.2 7300 >/dev/null &
	s=$!
	sleep 2
	kill -9 "$p" "$s"; wait "$p" "$s" 2>/dev/null
	rm -rf "$PIN-peer"
	flaps=$((flaps + 1))
	sleep 2
done
stop_pid "$client"
errors=$(grep -c '^error' "$tmp/flap.out"); edge=$(grep -c '^answer edge' "$tmp/flap.out")
local_n=$(grep -c '^answer local' "$tmp/flap.out")
diag "$flaps flaps: $edge edge, $local_n local, $errors failed"
check "a peer flapping every 2 s for a minute: the agent survives" sh -c "
	kill -0 $main && '$BUILD/offloadctl' -s '$tmp/ctl.sock' status >/dev/null && [ $edge -gt 0 ] && [ $local_n -gt 0 ]"
# A detection window is 3 probes at 100 ms plus the probe timeout; at one
# request per ~20 ms, at most ~25 requests per flap can meet a dead peer.
check "while it flaps, failures stay within the detection windows" test "$errors" -le $((flaps * 25))
