#!/usr/bin/env bash
# Mutual TLS between peers, with a CA and certificates made by the openssl
# CLI: an agent probes a real offloadd peer serving TLS and openssl s_server
# impostors; the good peers are up and each impostor (self-signed, another
# name, expired, plain HTTP) is down with its reason; the TLS peer refuses
# clients without the CA's certificate; bad TLS files are refused by check
# and by reload; and a spoofer answering on a dead peer's port, believed over
# plain HTTP, is refused over TLS while the agent ticks on time.
. "$(dirname "$0")/lib.sh"

T=("offloadd check accepts the TLS configuration"
   "a real offloadd peer with the CA's certificate for its name is up"
   "a peer known by its tls_name is up"
   "a self-signed peer is down"
   "a peer with another name's certificate is down"
   "a peer with an expired certificate is down"
   "a plain-HTTP server posing as a TLS peer is down"
   "metrics and offloadctl status show each peer's state and mutual TLS"
   "the TLS peer answers a client with the CA's certificate"
   "the TLS peer refuses no certificate, a self-signed one and plain HTTP"
   "an oversized request over TLS gets 413"
   "check refuses a missing tls_ca"
   "check refuses a tls_key that is no key"
   "check refuses an encrypted tls_key"
   "check refuses a tls_key of another certificate"
   "check refuses tls keys half-set"
   "check refuses a tls_key readable by others"
   "check refuses an expired tls_cert"
   "check refuses a tls_name without TLS keys"
   "a reload with a mismatched key is refused and TLS kept"
   "a reload with a renewed certificate is taken, peers stay up"
   "a spoofer on a dead peer's port is refused over TLS"
   "the same spoofer is believed over plain HTTP"
   "plain HTTP warns once that peers are unauthenticated"
   "the TLS agent ticked on time throughout")
need_root "${T[@]}"
tmp=$(mktemp -d); on_exit "rm -rf $tmp"
cd "$tmp" || exit 1
pins_make pins_b tlsb
pins_make pins_c tlsc
umask 077	# keys: read by root alone, or the agent refuses them

# The CA, and cert NAME DNS [CA ARGS]: NAME.key and NAME.crt for the DNS
# name, issued by the CA (openssl ca: -startdate/-enddate make one expired).
cat >ca.cnf <<'CNF'
[ca]
default_ca = ca
[ca]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = any
default_days = 30
[any]
commonName = supplied
CNF
: >index.txt; echo 01 >serial
ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.crt -days 30 -subj /CN=test-ca 2>/dev/null
cert() {
	local name=$1 dns=$2; shift 2
	openssl req "${ec[@]}" -keyout "$name.key" -out "$name.csr" -subj "/CN=$name" 2>/dev/null
	printf 'subjectAltName = DNS:%s\nextendedKeyUsage = serverAuth, clientAuth\n' "$dns" >"$name.ext"
	openssl ca -batch -config ca.cnf -cert ca.crt -keyfile ca.key -extfile "$name.ext" -notext \
		-in "$name.csr" -out "$name.crt" "$@" 2>/dev/null
}
cert a agent-a; cert a2 agent-a; cert b edge-b; cert ctl ctl.example; cert name elsewhere
cert old edge-old -startdate 20250101000000Z -enddate 20250201000000Z
openssl req -x509 "${ec[@]}" -keyout ss.key -out ss.crt -days 30 -subj /CN=edge-ss \
	-addext subjectAltName=DNS:edge-ss 2>/dev/null
diag "expired: $(openssl x509 -in old.crt -noout -enddate)"

# What every impostor says: idle, 65,536 cores, every service.
spoof='{"node":"spoof","version":"0.1.0","cpu_util":0.0,"load":0.0,"rq_p99_us":1.0,"capacity_cores":65536.0,"services":["api"]}'
mkdir www
printf 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n%s' "$spoof" >www/status
cp www/status spoof.http
# s_server PORT NAME: TLS 1.3 with NAME's certificate, GET /status from www/.
s_server() {
	(cd www && exec openssl s_server -quiet -accept "127.0.0.1:$1" -cert "../$2.crt" \
		-key "../$2.key" -CAfile ../ca.crt -Verify 1 -tls1_3 -HTTP) >/dev/null 2>&1 &
	on_exit "kill $!"
}
s_server 23402 ss; s_server 23403 name; s_server 23404 old; s_server 23406 ctl
"$TOOLS/fakepeer" -r spoof.http 127.0.0.1 23405 >/dev/null & on_exit "kill $!"

umask 022
agent() {	# agent NAME PIN TLS? [status_listen]: [agent] of a test agent
	printf '[agent]\ntick = 200ms\npeer_down_after = 2\nprobe_timeout = 150ms\nmodel = %s\n' \
		"$TOP/models/default.omdl"
	printf 'ctl_socket = %s\npin_dir = %s\nmetrics_listen = 127.0.0.1:%s\n' "$tmp/$1.sock" "$2" "$4"
	[ "$3" = tls ] && printf 'tls_ca = %s\ntls_cert = %s\ntls_key = %s\n' "$tmp/ca.crt" \
		"$tmp/$1.crt" "$tmp/$1.key"
	[ -z "${5:-}" ] || printf 'status_listen = 127.0.0.1:%s\n' "$5"
	printf '[service api]\nvip = 10.243.65.9:7300\nprotocol = tcp\nlocal = 127.0.0.1:23457\n'
}
peer() { printf '[peer %s]\naddress = 127.0.0.1\nkind = edge\nstatus_port = %s\n' "$1" "$2"; }
{ agent b "$pins_b" tls 23410 23401; } >b.conf
{
	agent a "$PIN" tls 23411
	peer edge-b 23401; peer edge-ss 23402; peer edge-name 23403; peer edge-old 23404
	peer edge-plain 23405; peer edge-ctl 23406; echo "tls_name = ctl.example"
} >a.conf

out=$("$OFFLOADD" check --config a.conf 2>&1)
check "offloadd check accepts the TLS configuration" sh -c "echo '$out' | grep -q 'peers: mutual TLS 1.3' &&
	echo '$out' | grep -q 'peer edge-ctl: .*TLS name ctl.example'"
"$OFFLOADD" run --config b.conf 2>b.log & b=$!; on_exit "kill -9 $b"
for _ in $(seq 50); do grep -q governing b.log && break; sleep 0.1; done
agent_start a.log a.conf
a=$AGENT
CTL=("$BUILD/offloadctl" -s "$tmp/a.sock")
peers() { "${CTL[@]}" -j peers; }
# settled: edge-b and edge-ctl up, the four impostors failed at least twice.
settled() { peers | jq -e '[.peers[] | select(.up or .failed_probes >= 2)] | length == 6' >/dev/null; }
for _ in $(seq 50); do settled && break; sleep 0.1; done
peers >peers.json
diag "$(grep 'offloadd: peer' a.log | tr '\n' ';')"
up() { jq -e --arg p "$1" '.peers[] | select(.name == $p) | .up' peers.json >/dev/null; }
down() {	# down PEER REASON: down, and its last failure says REASON
	jq -e --arg p "$1" --arg r "$2" '.peers[] | select(.name == $p) |
		(.up | not) and (.last_failure | contains($r)) and .capacity_cores != 65536' peers.json >/dev/null
}
check "a real offloadd peer with the CA's certificate for its name is up" up edge-b
check "a peer known by its tls_name is up" up edge-ctl
check "a self-signed peer is down" down edge-ss "certificate refused: self-signed certificate"
check "a peer with another name's certificate is down" down edge-name "names do not include edge-name"
check "a peer with an expired certificate is down" down edge-old "certificate refused: certificate has expired"
check "a plain-HTTP server posing as a TLS peer is down" down edge-plain "tls: wrong version number"

curl -s -m 2 http://127.0.0.1:23411/metrics >metrics.txt
m() { grep -q "^offloadd_peer_up{peer=\"$1\",kind=\"edge\"} $2\$" metrics.txt; }
metrics_ok() {
	m edge-b 1 && m edge-ctl 1 && m edge-ss 0 && m edge-name 0 && m edge-old 0 && m edge-plain 0 &&
		grep -q '^offloadd_peers_mutual_tls 1$' metrics.txt &&
		"${CTL[@]}" status | grep -q '^peers: 2 of 6 up, authenticated by mutual TLS 1.3$'
}
check "metrics and offloadctl status show each peer's state and mutual TLS" metrics_ok

# The TLS peer's side: curl as a client.
https=(curl -s -m 2 --cacert ca.crt --resolve edge-b:23401:127.0.0.1 https://edge-b:23401/status)
good_client() { "${https[@]}" --cert a.crt --key a.key | jq -e '.services == ["api"]' >/dev/null; }
check "the TLS peer answers a client with the CA's certificate" good_client
"${https[@]}" >none.out 2>&1; r1=$?
"${https[@]}" --cert ss.crt --key ss.key >ss.out 2>&1; r2=$?
curl -s -m 2 http://127.0.0.1:23401/status >plain.out 2>&1; r3=$?
refused=$(curl -s -m 2 http://127.0.0.1:23410/metrics | awk '/^offloadd_listener_tls_refused_total/ {print $2}')
diag "curl exit codes: no certificate $r1, self-signed $r2, plain $r3; refused handshakes $refused"
check "the TLS peer refuses no certificate, a self-signed one and plain HTTP" sh -c \
	"[ $r1 != 0 ] && [ $r2 != 0 ] && [ $r3 != 0 ] && [ ${refused:-0} -ge 3 ] && ! grep -q node none.out ss.out plain.out"

long=$(head -c 5000 /dev/zero | tr '\0' x)
code=$("${https[@]}" --cert a.crt --key a.key -o /dev/null -w '%{http_code}' -H "X-Long: $long")
check "an oversized request over TLS gets 413" test "$code" = 413

# Bad files: each named with file, line and key by check.
bad() {	# bad NAME SED EXPECTED: check on a.conf edited by SED says EXPECTED
	local name=$1 out
	sed "$2" a.conf >bad.conf
	out=$("$OFFLOADD" check --config bad.conf 2>&1 </dev/null)
	if echo "$out" | grep -qF "$3"; then ok "$name"; else fail "$name" "$(echo "$out" | grep -v '^peer\|^service\|^local' | head -n 3 | tr '\n' ' ')"; fi
}
line() { grep -n "^$1 = " a.conf | cut -d: -f1; }
echo garbage >junk.key
openssl genpkey -algorithm ec -pkeyopt ec_paramgen_curve:P-256 -aes256 -pass pass:x -out enc.key 2>/dev/null
chmod 600 junk.key enc.key
cp b.key open.key; chmod 644 open.key
bad "check refuses a missing tls_ca" "s|^tls_ca = .*|tls_ca = $tmp/none.crt|" \
	"bad.conf:$(line tls_ca): [agent] tls_ca: $tmp/none.crt: No such file or directory"
bad "check refuses a tls_key that is no key" "s|^tls_key = .*|tls_key = $tmp/junk.key|" \
	"bad.conf:$(line tls_key): [agent] tls_key: $tmp/junk.key: not a PEM private key"
bad "check refuses an encrypted tls_key" "s|^tls_key = .*|tls_key = $tmp/enc.key|" \
	"[agent] tls_key: $tmp/enc.key: not a PEM private key: it is encrypted"
bad "check refuses a tls_key of another certificate" "s|^tls_key = .*|tls_key = $tmp/b.key|" \
	"bad.conf:$(line tls_key): [agent] tls_key: $tmp/b.key: not the key of tls_cert $tmp/a.crt"
bad "check refuses tls keys half-set" "/^tls_key = /d" \
	"bad.conf:1: [agent] tls_key: missing: tls_ca, tls_cert and tls_key are set together"
bad "check refuses a tls_key readable by others" "s|^tls_key = .*|tls_key = $tmp/open.key|" \
	"[agent] tls_key: $tmp/open.key: a private key readable by others, refused (chmod 600"
bad "check refuses an expired tls_cert" "s|^tls_cert = .*|tls_cert = $tmp/old.crt|; s|^tls_key = .*|tls_key = $tmp/old.key|" \
	"bad.conf:$(line tls_cert): [agent] tls_cert: $tmp/old.crt: peers would refuse it as a server under tls_ca $tmp/ca.crt: certificate has expired"
bad "check refuses a tls_name without TLS keys" "/^tls_\(ca\|cert\|key\) = /d" \
	"[peer edge-ctl] tls_name: set, but [agent] has no tls_ca, tls_cert and tls_key"

# Reloads: a bad key is refused whole; a renewed certificate is taken.
cp a.conf a.good
sed -i "s|^tls_key = .*|tls_key = $tmp/b.key|" a.conf
"${CTL[@]}" reload >reload.out 2>&1
sleep 0.5
kept() {
	grep -q "reload refused.*a.conf:$(line tls_key): \[agent\] tls_key: .*not the key of tls_cert" a.log &&
		peers | jq -e '.peers[0].up' >/dev/null
}
check "a reload with a mismatched key is refused and TLS kept" kept
sed "s|$tmp/a\.crt|$tmp/a2.crt|; s|$tmp/a\.key|$tmp/a2.key|" a.good >a.conf
"${CTL[@]}" reload >reload.out 2>&1; rr=$?
sleep 0.6	# three probes with the new certificate
renewed() {
	[ "$rr" = 0 ] && grep -q "reloaded a.conf" a.log &&
		peers | jq -e '.peers[0].up and .peers[5].up' >/dev/null
}
check "a reload with a renewed certificate is taken, peers stay up" renewed

# A spoofed peer: edge-b's agent dies, and a plain server reporting an
# idle 65,536-core peer answers on its port. An agent without TLS (c)
# believes it; the TLS agent does not, and keeps ticking.
t0=$("${CTL[@]}" -j status | jq -c '{ticks, late_ticks}')
stop_pid "$b"
"$TOOLS/fakepeer" -r spoof.http 127.0.0.1 23401 >/dev/null & on_exit "kill $!"
{ agent c "$pins_c" plain 23412; peer edge-b 23401; } >c.conf
"$OFFLOADD" run --config c.conf 2>c.log & c=$!; on_exit "kill -9 $c"
believed() { "$BUILD/offloadctl" -s "$tmp/c.sock" -j peers 2>/dev/null | jq -e '.peers[0] | .up and .capacity_cores == 65536' >/dev/null; }
for _ in $(seq 50); do believed && break; sleep 0.1; done
for _ in $(seq 20); do peers | jq -e '.peers[0].up | not' >/dev/null && break; sleep 0.1; done
sleep 0.6	# a few more probes: it stays down
peers >peers.json
diag "edge-b as the TLS agent sees it: $(jq -c '.peers[0] | {up, capacity_cores, last_failure}' peers.json)"
check "a spoofer on a dead peer's port is refused over TLS" down edge-b "tls: wrong version number"
check "the same spoofer is believed over plain HTTP" believed
warned() {
	[ "$(grep -c 'warning: peers are unauthenticated' c.log)" = 1 ] &&
		"$BUILD/offloadctl" -s "$tmp/c.sock" status | grep -q 'authenticated by none (plain HTTP)$'
}
check "plain HTTP warns once that peers are unauthenticated" warned
t1=$("${CTL[@]}" -j status | jq -c '{ticks, late_ticks}')
diag "TLS agent ticks and late ticks before the spoof $t0, after $t1"
check "the TLS agent ticked on time throughout" sh -c "echo '$t1' | jq -e '.late_ticks == 0' >/dev/null &&
	! grep -q 'warning: peers are unauthenticated' a.log && kill -0 $a"
stop_pid "$c"
stop_pid "$a"
