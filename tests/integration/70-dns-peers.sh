#!/usr/bin/env bash
# peers_dns against a real dnsmasq in a network namespace: the agent's peers
# follow the name's records. Each address is probed and, once its GET
# /status answers, used as a peer named by the node (and kind) it reports.
# A record removed drains its peer: new connections stop going to it while
# one already open there finishes. The agent's own address, listed too (as
# a headless Service lists every agent), is recognised and its slot freed. A
# DNS server that stops answering keeps the peers and never delays a tick;
# a name without records drains them all.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"

need_root "offloadd check shows the discovery" "the first record's peer is found and named by its node" \
	"the agent's own record is recognised, not used" \
	"an added record's peer appears, with the kind it reports, in the freed slot" \
	"pinned there, connections land on the new peer" \
	"a removed record drains its peer" "new connections stop going to the drained peer" \
	"a connection opened before the drain finishes on that peer" \
	"the other peer is untouched" "the drained peer's record back: in use again, in its slot" \
	"a reload keeps the peers found" "a reload changing peers_dns is refused" \
	"/metrics counts lookups, peers found and drained" \
	"a silent DNS server keeps the peers and delays no tick" "a name without records drains every peer"
command -v dnsmasq >/dev/null || { echo "Bail out! dnsmasq is missing (make deps)"; exit 1; }

tmp=$(mktemp -d); on_exit "rm -rf $tmp"
NET=10.251
cg_make gov dnspeers
ip route add unreachable $NET.9.9/32 && on_exit "ip route del unreachable $NET.9.9/32"
NS_PREFIX=k8s
ns_make dns; ns_make e1; ns_make e2
veth_link "$NS_dns" $NET.3.1 $NET.3.2
veth_link "$NS_e1" $NET.1.1 $NET.1.2
veth_link "$NS_e2" $NET.2.1 $NET.2.2
"$TOOLS/reqsrv" -i local 127.0.0.1 25300 >/dev/null & on_exit "kill $!"

# The DNS server: only the addn-hosts file, reread on SIGHUP; the zone is
# local, so a name without records is NXDOMAIN and nothing goes upstream.
printf '%s peers.k8s.test\n' $NET.1.2 $NET.3.1 >"$tmp/hosts"
nsenter --net="/var/run/netns/$NS_dns" dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
	--addn-hosts="$tmp/hosts" --local=/k8s.test/ --listen-address=$NET.3.2 --bind-interfaces \
	--port=25053 --user=root --pid-file="$tmp/dnsmasq.pid" --log-facility="$tmp/dnsmasq.log" &
dns=$!
on_exit "kill $dns"

# peer N KIND: an offloadd at $NET.N.2 reporting node eN of KIND on :25400,
# and the service it serves on :25300.
peer() {
	cat >"$tmp/e$1.conf" <<CONF
[agent]
metrics_listen = off
tick = 100ms
status_listen = $NET.$1.2:25400
node = e$1
kind = $2
pin_dir = $PIN-e$1
ctl_socket = $tmp/e$1.sock
[service api]
vip = $NET.9.9:25300
protocol = tcp
local = $NET.$1.2:25300
CONF
	# nsenter itself, not a shell function, so $! is the process to kill.
	nsenter --net="/var/run/netns/$(eval echo \$NS_e$1)" "$OFFLOADD" run --config "$tmp/e$1.conf" 2>"$tmp/e$1.log" &
	on_exit "kill $!"
	nsenter --net="/var/run/netns/$(eval echo \$NS_e$1)" "$TOOLS/reqsrv" -i "e$1" $NET.$1.2 25300 >/dev/null &
	on_exit "kill $!"
}
peer 1 edge; peer 2 cloud

cat >"$tmp/offloadd.conf" <<CONF
[agent]
metrics_listen = $NET.3.1:25401
status_listen = $NET.3.1:25400
node = main
tick = 100ms
probe_timeout = 50ms
peers_dns = peers.k8s.test:25400
peers_dns_every = 2
peers_dns_server = $NET.3.2:25053
pin_dir = $PIN
ctl_socket = $tmp/ctl.sock
[service api]
vip = $NET.9.9:25300
protocol = tcp
local = 127.0.0.1:25300
[workload app]
cgroup = $gov
services = api
policy = greedy
CONF
"$OFFLOADD" check --config "$tmp/offloadd.conf" >"$tmp/check.out" 2>&1
check "offloadd check shows the discovery" grep -qx \
	"peers by DNS: peers.k8s.test:25400, looked up every 2 ticks through $NET.3.2:25053" "$tmp/check.out"
agent_start "$tmp/agent.log" "$tmp/offloadd.conf"
CTL=("$BUILD/offloadctl" -s "$tmp/ctl.sock")

# wait_peers JQ: until offloadctl peers satisfies JQ (5 s at most).
wait_peers() {
	for _ in $(seq 50); do
		"${CTL[@]}" -j peers >"$tmp/peers" 2>/dev/null && jq -e "$1" "$tmp/peers" >/dev/null && return 0
		sleep 0.1
	done
	echo "peers: $(cat "$tmp/peers")"
	return 1
}
check "the first record's peer is found and named by its node" wait_peers \
	'[.peers[] | select(.name == "e1" and .kind == "edge" and .origin == "dns" and .up)] | length == 1'

check "the agent's own record is recognised, not used" wait_peers \
	'([.peers[] | select(.origin == "free" and .address == "'$NET.3.1'" and (.up | not))] | length == 1) and
	 ([.peers[] | select(.name == "main")] | length == 0)'

echo "$NET.2.2 peers.k8s.test" >>"$tmp/hosts"
kill -HUP "$(cat "$tmp/dnsmasq.pid")"
check "an added record's peer appears, with the kind it reports, in the freed slot" wait_peers \
	'([.peers[] | select(.name == "e2" and .kind == "cloud" and .origin == "dns" and .up)] | length == 1)
	 and (.peers | length == 2)'

"${CTL[@]}" pin app e2 >/dev/null
sleep 0.2
cg_exec "$gov" "$TOOLS/reqcli" -n 10 $NET.9.9 25300 >"$tmp/before" 2>&1
check "pinned there, connections land on the new peer" test "$(grep -c '^answer e2 ' "$tmp/before")" = 10

# A connection to the VIP opened now, while e2 is in use; its request is
# sent only after the drain.
cg_exec "$gov" python3 -u -c '
import socket, sys, os
s = socket.create_connection((sys.argv[1], 25300), timeout=10)
print("open", flush=True)
while not os.path.exists(sys.argv[2]): __import__("time").sleep(0.05)
s.sendall(b"late\n")
print("answer", s.makefile().readline().strip(), flush=True)
' $NET.9.9 "$tmp/go" >"$tmp/open.out" 2>&1 &
open=$!
for _ in $(seq 50); do grep -q open "$tmp/open.out" && break; sleep 0.1; done

grep -v "$NET.2.2" "$tmp/hosts" >"$tmp/hosts.new" && cat "$tmp/hosts.new" >"$tmp/hosts"
kill -HUP "$(cat "$tmp/dnsmasq.pid")"
check "a removed record drains its peer" wait_peers \
	'[.peers[] | select(.name == "e2" and .origin == "draining" and (.up | not))] | length == 1'
grep -q 'peer e2 left peers.k8s.test: draining' "$tmp/agent.log" || diag "no drain line in the log"
cg_exec "$gov" "$TOOLS/reqcli" -n 20 $NET.9.9 25300 >"$tmp/after" 2>&1
diag "after the drain: $(grep '^answer' "$tmp/after" | awk '{print $2}' | sort | uniq -c | tr '\n' ' ')"
check "new connections stop going to the drained peer" sh -c \
	"tail -n 1 '$tmp/after' | jq -e '.ok == 20' >/dev/null && ! grep -q '^answer e2 ' '$tmp/after'"
touch "$tmp/go"
for _ in $(seq 50); do kill -0 $open 2>/dev/null || break; sleep 0.1; done
check "a connection opened before the drain finishes on that peer" grep -qx 'answer e2' "$tmp/open.out" ||
	diag "$(cat "$tmp/open.out")"
check "the other peer is untouched" wait_peers \
	'[.peers[] | select(.name == "e1" and .origin == "dns" and .up)] | length == 1'

echo "$NET.2.2 peers.k8s.test" >>"$tmp/hosts"
kill -HUP "$(cat "$tmp/dnsmasq.pid")"
check "the drained peer's record back: in use again, in its slot" wait_peers \
	'([.peers[] | select(.name == "e2" and .address == "'$NET.2.2'" and .origin == "dns" and .up)] | length == 1)
	 and (.peers | length == 2)'

kill -HUP $AGENT
sleep 0.3
check "a reload keeps the peers found" sh -c "grep -q 'reloaded' '$tmp/agent.log' &&
	'${CTL[0]}' -s '$tmp/ctl.sock' -j peers | jq -e '[.peers[] | select(.origin == \"dns\" and .up)] | length == 2'"

sed 's/^peers_dns = .*/peers_dns = other.k8s.test:25400/' "$tmp/offloadd.conf" >"$tmp/other.conf"
cp "$tmp/offloadd.conf" "$tmp/good.conf" && cat "$tmp/other.conf" >"$tmp/offloadd.conf"
kill -HUP $AGENT
sleep 0.3
check "a reload changing peers_dns is refused" grep -q 'reload refused.*the peers_dns changed; restart to apply' "$tmp/agent.log"
cat "$tmp/good.conf" >"$tmp/offloadd.conf"

curl -s -m 2 http://$NET.3.1:25401/metrics >"$tmp/metrics"
check "/metrics counts lookups, peers found and drained" sh -c "
	grep -q '^offloadd_dns_peers_found_total 3$' '$tmp/metrics' &&
	grep -q '^offloadd_dns_peers_drained_total 1$' '$tmp/metrics' &&
	awk '/^offloadd_dns_lookups_total\{result=\"answered\"\}/ { exit !(\$2 >= 5) }' '$tmp/metrics'"

# Stopped, dnsmasq lets every lookup time out (in 1.5 s).
"${CTL[@]}" -j status >"$tmp/st0"
kill -STOP $dns
sleep 2.5
"${CTL[@]}" -j status >"$tmp/st1"
curl -s -m 2 http://$NET.3.1:25401/metrics >"$tmp/metrics"
kill -CONT $dns
diag "ticks in 2.5 s of silent DNS: $(jq -n --slurpfile a "$tmp/st0" --slurpfile b "$tmp/st1" '$b[0].ticks - $a[0].ticks'), late $(jq .late_ticks "$tmp/st1")"
check "a silent DNS server keeps the peers and delays no tick" sh -c "
	awk '/^offloadd_dns_lookups_total\{result=\"failed\"\}/ { exit !(\$2 >= 1) }' '$tmp/metrics' &&
	jq -e '[.peers[] | select(.origin == \"dns\" and .up)] | length == 2' '$tmp/peers' >/dev/null &&
	'${CTL[0]}' -s '$tmp/ctl.sock' -j peers | jq -e '[.peers[] | select(.origin == \"dns\" and .up)] | length == 2' >/dev/null &&
	jq -e --slurpfile a '$tmp/st0' '.ticks - \$a[0].ticks >= 22 and .late_ticks == \$a[0].late_ticks' '$tmp/st1'"

: >"$tmp/hosts"
kill -HUP "$(cat "$tmp/dnsmasq.pid")"
check "a name without records drains every peer" wait_peers \
	'[.peers[] | select((.origin != "draining" and .origin != "free") or .up)] | length == 0'
