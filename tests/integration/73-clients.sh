#!/usr/bin/env bash
# Many agents sharing one peer: a serving offloadd in its own namespace and
# three probing agents in three others, two over IPv4 and one over IPv6 on
# one bridge. The peer's GET /status counts 3 clients (a curl is no agent);
# each prober sees 2 others in offloadctl peers and explain, the model's
# input and /metrics; one prober stops, and once the 10 s window has passed
# the peer counts 2 and the others see 1. Then the same over mutual TLS.
# Prober a's workload runs requests of 4 ms of CPU, and its estimate prices
# the herd at srv: half of the 2 others' requests like it, first on srv's 2
# cores.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"

T=("the peer's /status counts the three probing agents"
   "a curl of /status is not counted as an agent"
   "offloadctl peers shows the peer's 3 clients, 2 of them others"
   "the IPv6 prober sees the same 2 others"
   "offloadctl explain shows 2 other agents and the model's input log1p(2)"
   "explain's estimate prices the herd: half the others' requests ahead on srv's cores"
   "/metrics exports offloadd_peer_clients"
   "a stopped prober leaves the count after the 10 s window, not before"
   "the remaining probers then see 1 other agent"
   "over mutual TLS the peer counts the TLS connections' 2 sources"
   "over mutual TLS a prober sees 1 other agent")
need_root "${T[@]}"
tmp=$(mktemp -d); on_exit "rm -rf $tmp"
NS_PREFIX=clients
for x in srv a b c; do ns_make $x || exit 1; done
PORT=47200 MPORT=47201 SVC=47210

# One bridge in the server's namespace; each prober on its own veth port.
ip -n "$NS_srv" link add br0 type bridge
ip -n "$NS_srv" addr add 10.247.73.1/24 dev br0
ip -n "$NS_srv" addr add fd00:73::1/64 dev br0 nodad
ip -n "$NS_srv" link set br0 up
declare -A V4=([a]=10.247.73.11 [b]=10.247.73.12) V6=([c]=fd00:73::13)
for x in a b c; do
	ns=NS_$x
	ip link add "cl$$$x" type veth peer name "cp$$$x" || exit 1
	ip link set "cl$$$x" netns "$NS_srv"
	ip link set "cp$$$x" netns "${!ns}"
	ip -n "$NS_srv" link set "cl$$$x" master br0 up
	if [ -n "${V4[$x]:-}" ]; then
		ip -n "${!ns}" addr add "${V4[$x]}/24" dev "cp$$$x"
	else
		ip -n "${!ns}" addr add "${V6[$x]}/64" dev "cp$$$x" nodad
	fi
	ip -n "${!ns}" link set "cp$$$x" up
done

# The peer serves GET /status on every address of its namespace, IPv4
# clients arriving as ::ffff:a.b.c.d.
pins_make pins_srv clientssrv
cat >"$tmp/srv.conf" <<CONF
[agent]
metrics_listen = off
tick = 200ms
status_listen = [::]:$PORT
node = srv
pin_dir = $pins_srv
ctl_socket = $tmp/srv.sock
[service api]
vip = 10.247.9.9:$SVC
protocol = tcp
local = 10.247.73.1:$SVC
CONF
# prober X ADDRESS [METRICS]: an agent probing srv at ADDRESS every 200 ms,
# with a greedy workload of its own (explain's candidates) on a service of
# ADDRESS's family.
prober() {
	local x=$1 vip=10.247.9.9:$SVC local=127.0.0.1:$SVC
	pins_make "pins_$x" "clients$x"
	cg_make "cg_$x" "clients$x"
	case $2 in *:*) vip=[fd00:9::9]:$SVC local=[::1]:$SVC ;; esac
	cat <<CONF
[agent]
metrics_listen = ${3:-off}
tick = 200ms
pin_dir = $(eval echo "\$pins_$x")
ctl_socket = $tmp/$x.sock
[peer srv]
address = $2
kind = edge
status_port = $PORT
[service api]
vip = $vip
protocol = tcp
local = $local
[workload app]
cgroup = $(eval echo "\$cg_$x")
services = api
policy = greedy
CONF
}
prober a 10.247.73.1 "${V4[a]}:$MPORT" >"$tmp/a.conf"
prober b 10.247.73.1 >"$tmp/b.conf"
prober c fd00:73::1 >"$tmp/c.conf"

declare -A PID
# start X: offloadd in X's namespace (nsenter execs it: $! is the agent).
start() {
	local ns=NS_$1
	nsenter --net="/var/run/netns/${!ns}" "$OFFLOADD" run --config "$tmp/$1.conf" 2>"$tmp/$1.log" &
	PID[$1]=$!
	on_exit "kill -9 ${PID[$1]}"
}
for x in srv a b c; do start $x; done
for x in srv a b c; do
	for _ in $(seq 100); do grep -q governing "$tmp/$x.log" && break; sleep 0.1; done
	grep -q governing "$tmp/$x.log" || { cat "$tmp/$x.log" >&2; exit 1; }
done
# a's workload: requests of 4 ms of CPU, served inside it as a sidecar would.
ns_run "$NS_a" sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$cg_a" \
	"$TOOLS/reqsrv" -c 4000 -i local 127.0.0.1 $SVC >/dev/null 2>&1 &
on_exit "kill -9 $!"
ns_run "$NS_a" sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$cg_a" \
	"$TOOLS/reqcli" -q -n 100000 -i 50 10.247.9.9 $SVC >/dev/null 2>&1 &
on_exit "kill -9 $!"

# status: the peer's GET /status, asked by curl from its own namespace.
URL=http://10.247.73.1:$PORT/status CURL_TLS=()
status() { ns_run "$NS_srv" curl -s -m 2 "${CURL_TLS[@]}" "$URL"; }
clients() { status | jq -r .clients; }
# await N SECONDS: the peer reports N clients within SECONDS.
await() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[ "$(clients)" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
await 3 5; st=$(status)
diag "status: $st"
check "${T[0]}" sh -c "echo '$st' | jq -e '.clients == 3 and .node == \"srv\"'"
for _ in 1 2 3 4 5; do status >/dev/null; done
check "${T[1]}" test "$(clients)" = 3

sleep 0.5	# a probe of each prober after all three counted
ctl() { local x=$1; shift; "$BUILD/offloadctl" -s "$tmp/$x.sock" "$@"; }
ctl a -j peers >"$tmp/peers.a"; ctl a peers >"$tmp/peers.a.txt"
ctl c -j peers >"$tmp/peers.c"
diag "$(grep '^PEER\|^srv' "$tmp/peers.a.txt" | tr -s ' ' | tr '\n' ';')"
check "${T[2]}" sh -c "jq -e '.peers[0] | .up and .clients == 3 and .other_clients == 2' '$tmp/peers.a' &&
	awk '/^srv / && \$7 == 3 { ok = 1 } END { exit !ok }' '$tmp/peers.a.txt'"
check "${T[3]}" jq -e '.peers[0] | .up and .clients == 3 and .other_clients == 2' "$tmp/peers.c"

ctl a -j explain app >"$tmp/explain.a"; ctl a explain app >"$tmp/explain.a.txt"
diag "$(grep '^TARGET\|^srv' "$tmp/explain.a.txt" | tr -s ' ' | tr '\n' ';')"
check "${T[4]}" sh -c "jq -e '.candidates[] | select(.target == \"local\") | .clients == 0' '$tmp/explain.a' &&
	jq -e '.candidates[] | select(.target == \"srv\") | .clients == 2 and
		(.inputs.cand_clients_log - (3 | log) | fabs) < 1e-6' '$tmp/explain.a' &&
	awk '/^srv / && \$NF == 2 { ok = 1 } END { exit !ok }' '$tmp/explain.a.txt'"
# herd = 0.5 x 2 others / 2 cores x the request's run there: its CPU ms at
# cpu_ghz 1 over srv's speed left by its load.
herd=$(jq -r '.features.cpu_ms as $ms | .candidates[] | select(.target == "srv") |
	"\(.herd_ms) \(0.5 * .clients / .cores * $ms / (.ghz * (1 - ([.util, 0.98] | min))))"' "$tmp/explain.a")
diag "srv's herd ms, explain and by hand: $herd"
check "${T[5]}" sh -c "echo $herd | awk '\$1 > 0.5 && (\$1 - \$2) ^ 2 < 1e-12 { ok = 1 } END { exit !ok }' &&
	jq -e '.candidates[] | select(.target == \"local\") | .herd_ms == 0' '$tmp/explain.a'"
metric=$(ns_run "$NS_a" curl -s -m 2 "http://${V4[a]}:$MPORT/metrics" | grep '^offloadd_peer_clients')
diag "$metric"
check "${T[6]}" test "$metric" = 'offloadd_peer_clients{peer="srv"} 3'

# b stops; its last probe was within a tick of its end. The peer counts it
# for the window after that probe, 10 s, and then no more.
stop_pid "${PID[b]}"
t0=$(date +%s.%N)
await 2 14; t1=$(date +%s.%N)
gone=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
diag "the peer counted 2 clients $gone s after b stopped"
check "${T[7]}" sh -c "[ '$(clients)' = 2 ] && awk -v g='$gone' 'BEGIN { exit !(g >= 9 && g <= 11.5) }'"
sleep 0.5
others_one() {
	ctl a -j explain app | jq -e '.candidates[] | select(.target == "srv") | .clients == 1' &&
		ctl c -j peers | jq -e '.peers[0] | .clients == 2 and .other_clients == 1'
}
check "${T[8]}" others_one

# Mutual TLS: a CA and a certificate each (the peer's names srv, which the
# probers verify); the agents restart with them, b still stopped.
cd "$tmp" || exit 1
umask 077	# keys: the agent refuses one readable by others
ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.crt -days 2 -subj /CN=clients-ca 2>/dev/null
for x in srv a c; do
	openssl req "${ec[@]}" -keyout $x.key -out $x.csr -subj "/CN=$x" 2>/dev/null
	printf 'subjectAltName = DNS:%s\nextendedKeyUsage = serverAuth, clientAuth\n' $x >$x.ext
	openssl x509 -req -in $x.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
		-extfile $x.ext -out $x.crt 2>/dev/null
	stop_pid "${PID[$x]}"
	sed -i "/^\[agent\]/a tls_ca = $tmp/ca.crt\ntls_cert = $tmp/$x.crt\ntls_key = $tmp/$x.key" $x.conf
	: >$x.log
done
umask 022
for x in srv a c; do start $x; done
for x in srv a c; do
	for _ in $(seq 100); do grep -q governing $x.log && break; sleep 0.1; done
	grep -q governing $x.log || { cat $x.log >&2; exit 1; }
done
URL=https://srv:$PORT/status
CURL_TLS=(--cacert ca.crt --cert a.crt --key a.key --resolve "srv:$PORT:10.247.73.1")
await 2 5; st=$(status)
diag "status over TLS: $st"
check "${T[9]}" sh -c "echo '$st' | jq -e '.clients == 2'"
sleep 0.5
tls_seen() {
	ctl a -j explain app | jq -e '.candidates[] | select(.target == "srv") | .clients == 1' >/dev/null &&
		ctl a status | grep -q '^peers: 1 of 1 up, authenticated by mutual TLS 1.3$'
}
check "${T[10]}" tls_seen
for x in a c srv; do stop_pid "${PID[$x]}"; done
