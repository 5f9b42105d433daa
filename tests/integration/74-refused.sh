#!/usr/bin/env bash
# A peer whose service stops while its offloadd keeps answering GET /status:
# the probes still call it up, but the workload's own connects are refused,
# and the agent leaves it at the next tick instead of sending there until an
# operator notices. It stays away for the hold (refusal_hold, 3 s here),
# then returns once the service is back.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"

T=("traffic lands on the peer while its service runs"
   "refused connects move the workload at the next tick: under 2.5 ticks of requests fail"
   "the probes still call the peer up"
   "offloadctl explain says why and shows the hold"
   "/metrics counts the hold"
   "after the hold, traffic returns to the peer once its service is back")
need_root "${T[@]}"

tmp=$(mktemp -d); on_exit "rm -rf $tmp"
cg_make gov refused
edge_net 10.236

peer_conf 10.236 100ms "$tmp/peer.sock" >"$tmp/peer.conf"
nsenter --net="/var/run/netns/$NS_edge" "$OFFLOADD" run --config "$tmp/peer.conf" 2>"$tmp/peer.log" &
on_exit "kill -9 $!"
# service: the peer's service, started again by the test.
service() {
	nsenter --net="/var/run/netns/$NS_edge" "$TOOLS/reqsrv" -i edge 10.236.1.2 7300 >/dev/null &
	svc=$!
	on_exit "kill -9 $svc"
}
service
for _ in $(seq 50); do grep -q governing "$tmp/peer.log" && break; sleep 0.1; done

MPORT=47401
probed_conf 10.236 "$tmp/ctl.sock" "$gov" "metrics_listen = 127.0.0.1:$MPORT
refusal_hold = 3s" >"$tmp/offloadd.conf"
agent_start "$tmp/agent.log" "$tmp/offloadd.conf"
sleep 0.3	# a few probes
CTL=("$BUILD/offloadctl" -s "$tmp/ctl.sock")

cg_exec "$gov" "$TOOLS/reqcli" -n 20 10.236.9.9 7300 >"$tmp/before" 2>&1
check "${T[0]}" test "$(grep -c '^answer edge ' "$tmp/before")" = 20

# The service dies; its host's offloadd does not. 10 requests a tick for 1 s.
kill -9 "$svc"; wait "$svc" 2>/dev/null
cg_exec "$gov" "$TOOLS/reqcli" -i 10 -t 500 -n 100 10.236.9.9 7300 >"$tmp/during" 2>&1
local_n=$(grep -c '^answer local ' "$tmp/during")
diag "of 100 requests at 10 ms: $local_n answered locally; $(tail -n 1 "$tmp/during")"
check "${T[1]}" sh -c "tail -n 1 '$tmp/during' | jq -e '.errors <= 25 and .ok >= 75' >/dev/null &&
	[ $local_n -ge 75 ]"
"${CTL[@]}" -j peers >"$tmp/peers"
check "${T[2]}" jq -e '.peers[0].up' "$tmp/peers"
"${CTL[@]}" -j explain app >"$tmp/explain"
diag "why: $(jq -r .why "$tmp/explain"); hold $(jq '.candidates[1].refused_hold_s' "$tmp/explain") s"
check "${T[3]}" jq -e '(.why | test("edge1 failed half or more of the connects of a tick: left for")) and .target == "local" and
	.candidates[1].refused_hold_s > 1 and .candidates[1].refused_hold_s <= 3' "$tmp/explain"
holds=$(curl -s -m 2 "http://127.0.0.1:$MPORT/metrics" | awk '/^offloadd_refusal_holds_total / { print $2 }')
diag "offloadd_refusal_holds_total $holds"
check "${T[4]}" test "${holds:-0}" = 1

# Back: new connections try edge1 again once the hold has passed.
service
sleep 3.5
cg_exec "$gov" "$TOOLS/reqcli" -n 20 10.236.9.9 7300 >"$tmp/back" 2>&1
check "${T[5]}" test "$(grep -c '^answer edge ' "$tmp/back")" = 20
