#!/usr/bin/env bash
# TCP telemetry with real traffic: srtt over a 10 ms-each-way link and over a
# veth, connection counts and lifetimes, and the governance boundary.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"

need_root "srtt over a 20 ms link" "srtt over veth" "50 connections opened and closed" \
	"lifetimes in the 50-100 ms slots" "bytes counted" "ungoverned connections leave no trace"

tmp=$(mktemp -d); on_exit "rm -rf $tmp"
cg_make gov net
ns_make far; ns_make near
delay_link "$NS_far" 10.231.1.1 10.231.1.2 10
veth_link "$NS_near" 10.231.2.1 10.231.2.2
ns_bg "$NS_far" "$TOOLS/reqsrv" -i far 10.231.1.2 7100
ns_bg "$NS_near" "$TOOLS/reqsrv" -i near 10.231.2.2 7100
ns_bg "$NS_near" "$TOOLS/reqsrv" -i slow -d 50 10.231.2.2 7150

observe_start "$tmp/out" --cgroup "$gov"
cg_exec "$gov" "$TOOLS/reqcli" -q -n 10 10.231.1.2 7100 >/dev/null
cg_exec "$gov" "$TOOLS/reqcli" -q -n 10 10.231.2.2 7100 >/dev/null
cg_exec "$gov" "$TOOLS/reqcli" -q -n 50 10.231.2.2 7150 >"$tmp/slow"
"$TOOLS/reqcli" -q -n 20 10.231.2.2 7100 >/dev/null	# from outside the workload
observe_stop
line=$(last_of "$tmp/out" "$gov")
flow() { echo "$line" | jq -c ".flows[] | select(.remote == \"$1\")"; }

far=$(flow 10.231.1.2:7100); near=$(flow 10.231.2.2:7100); slow=$(flow 10.231.2.2:7150)
diag "far: $far"
diag "near srtt_us $(echo "$near" | jq .srtt_us), slow client: $(cat "$tmp/slow")"
check "srtt over a 20 ms link" within "$(echo "$far" | jq '.srtt_us // 0')" 20000 15
check "srtt over veth" test "$(echo "$near" | jq '.srtt_us // 99999')" -lt 1000
check "50 connections opened and closed" test \
	"$(echo "$slow" | jq '"\(.conns_opened) \(.conns_closed)"')" = '"50 50"'
# Slots 15 and 16 hold [32.8, 131) ms; the 50 ms answers must all land there.
check "lifetimes in the 50-100 ms slots" test \
	"$(echo "$slow" | jq '.lifetime_hist_us[15] + .lifetime_hist_us[16]')" = 50
check "bytes counted" test "$(echo "$slow" | jq '.bytes_acked >= 200 and .bytes_received >= 250')" = true
# The outside client made 20 more connections to near:7100; the workload made 10.
check "ungoverned connections leave no trace" test "$(echo "$near" | jq .conns_opened)" = 10
