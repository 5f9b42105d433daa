#!/usr/bin/env bash
# A peer dies mid-run: after the detection window (peer_down_after failed
# probes), the workload's connections go local and none of the next 500
# requests fails; when the peer answers again, traffic returns to it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"

need_root "traffic lands on the peer while it is up" "offloadctl peers shows it up" \
	"the peer is declared down" "0 of the next 500 requests fail" \
	"offloadctl peers shows why" "traffic returns when the peer does"

tmp=$(mktemp -d); on_exit "rm -rf $tmp"
cg_make gov peerfail
edge_net 10.235

# The peer: its own offloadd serving /status, and the service itself.
peer_up() {
	peer_conf 10.235 100ms "$tmp/peer.sock" >"$tmp/peer.conf"
	# nsenter itself, not a shell function, so $! is the process to kill.
	nsenter --net="/var/run/netns/$NS_edge" "$OFFLOADD" run --config "$tmp/peer.conf" 2>"$tmp/peer.log" &
	peer=$!
	on_exit "kill -9 $peer"
	nsenter --net="/var/run/netns/$NS_edge" "$TOOLS/reqsrv" -i edge 10.235.1.2 7300 >/dev/null &
	svc=$!
	on_exit "kill -9 $svc"
	for _ in $(seq 50); do grep -q governing "$tmp/peer.log" && return; sleep 0.1; done
	cat "$tmp/peer.log" >&2
}
peer_up

probed_conf 10.235 "$tmp/ctl.sock" "$gov" "peer_down_after = 3" >"$tmp/offloadd.conf"
agent_start "$tmp/agent.log" "$tmp/offloadd.conf"
sleep 0.3	# a few probes
CTL=("$BUILD/offloadctl" -s "$tmp/ctl.sock")

cg_exec "$gov" "$TOOLS/reqcli" -q -n 20 10.235.9.9 7300 >"$tmp/before" 2>&1
cg_exec "$gov" "$TOOLS/reqcli" -n 20 10.235.9.9 7300 2>&1 | grep -c '^answer edge ' >"$tmp/before.n"
check "traffic lands on the peer while it is up" test "$(cat "$tmp/before.n")" = 20
"${CTL[@]}" -j peers >"$tmp/peers.up"
check "offloadctl peers shows it up" sh -c "jq -e '.peers[0].up and .peers[0].capacity_cores > 0 and .peers[0].rtt_us > 0' '$tmp/peers.up'"

kill -9 "$peer" "$svc"; wait "$peer" "$svc" 2>/dev/null
sleep 0.6	# detection window: 3 failed probes at 100 ms, with room
check "the peer is declared down" grep -q 'peer edge1 is down after 3 failed probes' "$tmp/agent.log"
cg_exec "$gov" "$TOOLS/reqcli" -n 500 10.235.9.9 7300 >"$tmp/after" 2>&1
diag "$(tail -n 1 "$tmp/after")"
check "0 of the next 500 requests fail" sh -c \
	"tail -n 1 '$tmp/after' | jq -e '.ok == 500 and .errors == 0' >/dev/null &&
	 [ \$(grep -c '^answer local ' '$tmp/after') = 500 ]"
"${CTL[@]}" -j peers >"$tmp/peers.down"
check "offloadctl peers shows why" sh -c "jq -e '(.peers[0].up | not) and (.peers[0].last_failure | length > 0)' '$tmp/peers.down'"

rm -rf "$PIN-peer"	# the SIGKILLed peer left its pins
peer_up
sleep 0.4
cg_exec "$gov" "$TOOLS/reqcli" -n 5 10.235.9.9 7300 >"$tmp/back" 2>&1
check "traffic returns when the peer does" test "$(grep -c '^answer edge ' "$tmp/back")" = 5
