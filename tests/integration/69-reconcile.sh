#!/usr/bin/env bash
# The kernel's service tables follow the configuration. A service removed by
# a reload, or across a --keep-pinned restart, redirects nowhere; a workload's
# decision applies to its own services only; 1,250 distinct VIPs churned
# through reloads fit the 1,024-entry map. One UDP socket's replies from two
# VIPs, and across a decision change, each show their VIP; a closed TCP
# socket leaves no reverse entry. The mark names the target a socket was sent
# to. Every program resolves cgroups the same way: deeper than 16 levels is
# refused, naming the path and the limit, and CPU nested far below a
# workload is still its own.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
NS_PREFIX=rdr

need_root "a workload's decision skips services it does not use" \
	"one UDP socket: each VIP's reply shows that VIP" \
	"UDP replies across a decision change show the VIP" \
	"the mark names the target connect() chose" \
	"closed TCP sockets leave no reverse entries" \
	"a reload removing a service: its VIP is redirected nowhere" \
	"the remaining service still lands on the peer" \
	"1,250 VIPs over 5 reloads: every reload applied" \
	"the last churned VIP lands on the peer" \
	"the maps hold exactly the configured services and targets" \
	"a --keep-pinned restart drops the removed services' VIPs" \
	"an older version's revnat is replaced on adoption" \
	"a cgroup 17 levels deep: offloadd check names path and limit" \
	"a cgroup 17 levels deep: offloadd run refuses it" \
	"a cgroup 16 levels deep is governed" \
	"CPU 20 levels below a workload counts as the workload's"

tmp=$(mktemp -d); on_exit "rm -rf $tmp"
cg_make web web
cg_make other other
cg_make deep deep
# The VIPs are virtual: an unrewritten connect to one fails here, at once.
ip route add unreachable 10.221.9.0/24 && on_exit "ip route del unreachable 10.221.9.0/24"
ip route add unreachable 10.222.0.0/16 && on_exit "ip route del unreachable 10.222.0.0/16"
ns_make edge
veth_link "$NS_edge" 10.221.1.1 10.221.1.2
ns_bg "$NS_edge" "$TOOLS/reqsrv" -i edge-a 10.221.1.2 21001
ns_bg "$NS_edge" "$TOOLS/reqsrv" -i edge-b 10.221.1.2 21002
ns_bg "$NS_edge" "$TOOLS/reqsrv" -u -i edge-c 10.221.1.2 21003
ns_bg "$NS_edge" "$TOOLS/reqsrv" -u -i edge-d 10.221.1.2 21004
ns_bg "$NS_edge" "$TOOLS/reqsrv" -i edge-churn 10.221.1.2 21005
"$TOOLS/reqsrv" -i local-a 127.0.0.1 21001 >/dev/null & on_exit "kill $!"
"$TOOLS/reqsrv" -i local-b 127.0.0.1 21002 >/dev/null & on_exit "kill $!"
"$TOOLS/reqsrv" -u -i local-c 127.0.0.1 21003 >/dev/null & on_exit "kill $!"
"$TOOLS/reqsrv" -u -i local-d 127.0.0.1 21004 >/dev/null & on_exit "kill $!"

# svc NAME: service a, b (TCP), c, d (UDP) on 10.221.9.N, port 2100N.
svc() {
	local n proto=tcp
	n=$(($(printf %d "'$1") - 96))
	[ "$n" -le 2 ] || proto=udp
	printf '[service %s]\nvip = 10.221.9.%d:2100%d\nprotocol = %s\nlocal = 127.0.0.1:2100%d\n' \
		"$1" "$n" "$n" "$proto" "$n"
}
# churn K: 250 services of their own, VIPs 10.222.K.1-250:21005.
churn() {
	for i in $(seq 250); do
		printf '[service ch%d-%d]\nvip = 10.222.%d.%d:21005\nprotocol = tcp\nlocal = 127.0.0.1:21001\n' \
			"$1" "$i" "$1" "$i"
	done
}
# conf SERVICES WEB_USES [CHURN]: web goes to edge1, other (using c) too.
conf() {
	edge1_conf 10.221.1.2 "$(printf 'lease = 50\nmark_base = 0x5200\nctl_socket = %s/ctl.sock' "$tmp")"
	for s in $1; do svc "$s"; done
	[ -z "${3:-}" ] || churn "$3"
	printf '[workload web]\ncgroup = %s\nservices = %s\npolicy = static:edge1\n' "$web" "$2"
	printf '[workload other]\ncgroup = %s\nservices = c\npolicy = static:edge1\n' "$other"
}
# reload FILE N: SIGHUP with FILE, until the Nth "reloaded" or a refusal.
reload() {
	cp "$1" "$tmp/offloadd.conf"
	kill -HUP "$agent"
	for _ in $(seq 50); do
		[ "$(grep -c 'offloadd: reloaded' "$tmp/agent.log")" -ge "$2" ] && return 0
		grep -q 'reload refused' "$tmp/agent.log" && return 1
		sleep 0.1
	done
	return 1
}
count() { bpftool -j map dump pinned "$PIN/$1" | jq length; }
CTL=("$BUILD/offloadctl" -s "$tmp/ctl.sock")

conf "a b c d" "a, b, c, d" >"$tmp/offloadd.conf"
agent_start "$tmp/agent.log" "$tmp/offloadd.conf" --keep-pinned
agent=$AGENT

# other uses c alone: its decision (edge1) is no business of b's VIP.
cg_exec "$other" "$TOOLS/reqcli" -t 500 10.221.9.2 21002 >"$tmp/other" 2>&1
check "a workload's decision skips services it does not use" grep -q '^error No route to host' "$tmp/other"

cg_exec "$web" "$TOOLS/udpvips" 10.221.9.3 21003 10.221.9.4 21004 >"$tmp/two" 2>&1
diag "two VIPs: $(tr '\n' ' ' <"$tmp/two")"
check "one UDP socket: each VIP's reply shows that VIP" sh -c \
	"grep -q '^answer edge-c peer 10.221.9.3:21003 mark 0x5201$' '$tmp/two' &&
	 grep -q '^answer edge-d peer 10.221.9.4:21004 mark 0x5201$' '$tmp/two'"

# The first datagram goes to edge1, the pin sends the second to local; both
# replies are read after both sends.
cg_exec "$web" "$TOOLS/udpvips" -w 700 10.221.9.3 21003 10.221.9.3 21003 >"$tmp/change" 2>&1 &
client=$!
sleep 0.2; "${CTL[@]}" pin web local >/dev/null
wait "$client"
diag "decision change: $(tr '\n' ' ' <"$tmp/change")"
check "UDP replies across a decision change show the VIP" sh -c \
	"grep -q '^answer edge-c peer 10.221.9.3:21003 ' '$tmp/change' &&
	 grep -q '^answer local-c peer 10.221.9.3:21003 ' '$tmp/change'"

# socket() while pinned local, connect() once back on edge1.
cg_exec "$web" "$TOOLS/reqcli" -w 700 10.221.9.1 21001 >"$tmp/mark" 2>&1 &
client=$!
sleep 0.2; "${CTL[@]}" unpin web >/dev/null
wait "$client"
diag "mark: $(head -1 "$tmp/mark")"
check "the mark names the target connect() chose" grep -q '^answer edge-a .* mark 0x5201$' "$tmp/mark"

# Each redirected TCP socket had its reverse entry; closing it drops it.
# The UDP sockets above were never connected: theirs age out of the LRU.
cg_exec "$web" "$TOOLS/reqcli" -n 20 10.221.9.2 21002 >"$tmp/twenty" 2>&1
rev() { bpftool -j map dump pinned "$PIN/revnat" | jq "[.[] | select(.formatted.key.target.proto == $1)] | length"; }
ntcp=$(rev 6); nudp=$(rev 17)
diag "reverse entries: TCP $ntcp, UDP $nudp"
check "closed TCP sockets leave no reverse entries" sh -c \
	"[ \"\$(grep -c '^answer edge-b ' '$tmp/twenty')\" = 20 ] && [ '$ntcp' = 0 ] && [ '$nudp' = 4 ]"

conf "b c d" "b, c, d" >"$tmp/no-a.conf"
reload "$tmp/no-a.conf" 1
cg_exec "$web" "$TOOLS/reqcli" -t 500 10.221.9.1 21001 >"$tmp/gone" 2>&1
diag "a's VIP after the reload: $(head -1 "$tmp/gone")"
check "a reload removing a service: its VIP is redirected nowhere" grep -q '^error No route to host' "$tmp/gone"
cg_exec "$web" "$TOOLS/reqcli" 10.221.9.2 21002 >"$tmp/b" 2>&1
check "the remaining service still lands on the peer" grep -q '^answer edge-b .* peer 10.221.9.2:21002 ' "$tmp/b"

applied=0
for k in 1 2 3 4 5; do
	conf "b c d" "b, c, d, ch$k-1" "$k" >"$tmp/churn.conf"
	reload "$tmp/churn.conf" $((k + 1)) && applied=$((applied + 1))
done
check "1,250 VIPs over 5 reloads: every reload applied" sh -c \
	"[ $applied = 5 ] && ! grep -q 'reload refused' '$tmp/agent.log'"
cg_exec "$web" "$TOOLS/reqcli" 10.222.5.1 21005 >"$tmp/churned" 2>&1
check "the last churned VIP lands on the peer" grep -q '^answer edge-churn .* peer 10.222.5.1:21005 ' "$tmp/churned"
nsvc=$(count services); ntgt=$(count targets)
diag "services $nsvc, targets $ntgt"
check "the maps hold exactly the configured services and targets" sh -c "[ '$nsvc' = 253 ] && [ '$ntgt' = 506 ]"

# Adoption: the next agent starts without b or the churned services, over
# a revnat of another shape, as an older version left it.
stop_pid "$agent"
rm "$PIN/revnat"
bpftool map create "$PIN/revnat" type hash key 8 value 8 entries 16 name revnat
conf "c d" "c, d" >"$tmp/offloadd.conf"
agent_start "$tmp/agent2.log" "$tmp/offloadd.conf"
agent=$AGENT
cg_exec "$web" "$TOOLS/udpvips" 10.221.9.3 21003 >"$tmp/newrev" 2>&1
check "an older version's revnat is replaced on adoption" sh -c \
	"[ \"\$(bpftool -j map show pinned '$PIN/revnat' | jq -r .type)\" = lru_hash ] &&
	 grep -q '^answer edge-c peer 10.221.9.3:21003 ' '$tmp/newrev'"
cg_exec "$web" "$TOOLS/reqcli" -t 500 10.221.9.2 21002 >"$tmp/adopted" 2>&1
nsvc=$(count services)
diag "b's VIP after adoption: $(head -1 "$tmp/adopted"); services $nsvc"
check "a --keep-pinned restart drops the removed services' VIPs" sh -c \
	"grep -q '^error No route to host' '$tmp/adopted' && grep -q 'adopted' '$tmp/agent2.log' && [ '$nsvc' = 2 ]"
stop_pid "$agent"

# Depth: $deep is one level down; d16 is 16 levels down, d17 17.
d16=$deep$(printf '/n%d' $(seq 15)); d17=$d16/n16; d21=$d17/n17/n18/n19/n20
mkdir -p "$d21"
deep_conf() {
	edge1_conf 10.221.1.2 "ctl_socket = $tmp/ctl-deep.sock"
	svc a
	printf '[workload deep]\ncgroup = %s\nservices = a\npolicy = static:edge1\n' "$1"
}
deep_conf "$d17" >"$tmp/d17.conf"
line=$(grep -n '^cgroup = ' "$tmp/d17.conf" | cut -d: -f1)
"$OFFLOADD" check --config "$tmp/d17.conf" >"$tmp/check.out" 2>"$tmp/check.err"; rc=$?
diag "check: $(grep n16 "$tmp/check.err")"
check "a cgroup 17 levels deep: offloadd check names path and limit" sh -c "[ $rc != 0 ] &&
	grep -qF '$tmp/d17.conf:$line: [workload deep] cgroup: $d17: 17 levels below the root cgroup, deeper than offloadd can govern (at most 16 levels)' '$tmp/check.err'"
timeout 10 "$OFFLOADD" run --config "$tmp/d17.conf" 2>"$tmp/run.err"; rc=$?
pinned_clean && left=no || left=yes
check "a cgroup 17 levels deep: offloadd run refuses it" sh -c "[ $rc != 0 ] && [ $rc != 124 ] &&
	grep -qF 'workload deep: $d17: 17 levels below the root cgroup' '$tmp/run.err' && [ $left = no ]"
deep_conf "$d16" >"$tmp/d16.conf"
agent_start "$tmp/agent3.log" "$tmp/d16.conf"
cg_exec "$d21" "$TOOLS/reqcli" 10.221.9.1 21001 >"$tmp/d16" 2>&1
check "a cgroup 16 levels deep is governed" grep -q '^answer edge-a .* peer 10.221.9.1:21001 ' "$tmp/d16"
stop_pid "$AGENT"

# A task 20 levels below its workload: its CPU is the workload's, as the
# cgroup's own cpu.stat (which counts descendants) says.
observe_start "$tmp/obs" --cgroup "$deep"
cg_exec "$d21" timeout 1 sh -c 'while :; do :; done'
sleep 0.5
observe_stop
cpu=$(last_of "$tmp/obs" "$deep" | jq .cpu_ns)
stat=$(awk '$1 == "usage_usec" { print $2 * 1000 }' "$deep/cpu.stat")
diag "cpu_ns of the workload: $cpu, cpu.stat: $stat"
counted() { [ "${stat:-0}" -gt 100000000 ] && within "${cpu:-0}" "$stat" 10; }
check "CPU 20 levels below a workload counts as the workload's" counted
